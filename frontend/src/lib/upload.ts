/**
 * Image uploads (docs/media.md): check the file in the browser, declare it (POST /v1/media),
 * PUT the bytes straight to the upload session URL, then poll GET /v1/media/{id} until the
 * processor says ready or rejected. Pure logic with injected I/O, so it is unit-tested.
 */
import { ApiError } from './api';
import type { MediaPurpose, MediaStatus, MediaUpload } from './types';

/** What the server accepts (shared/domain/media.py): checked here first to fail fast. */
export const ACCEPTED_TYPES = ['image/jpeg', 'image/png', 'image/webp', 'image/gif'] as const;
export const MAX_IMAGE_BYTES = 5 * 1024 * 1024;
export const MAX_ATTACHMENTS = 4;
export const MAX_ALT_CHARS = 1000;
/** For <input accept>: the picker offers only what would be accepted. */
export const ACCEPT_ATTR = ACCEPTED_TYPES.join(',');

export interface FileLike {
  name: string;
  type: string;
  size: number;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${Math.round(n / 1024)} KB`;
  return `${(n / (1024 * 1024)).toFixed(1)} MB`;
}

/** Why this file cannot be uploaded, as a sentence; null when it can. */
export function fileProblem(file: FileLike): string | null {
  const type = file.type.split(';', 1)[0].trim().toLowerCase();
  if (!(ACCEPTED_TYPES as readonly string[]).includes(type)) {
    return `${file.name} isn't a JPEG, PNG, WebP or GIF image.`;
  }
  if (file.size <= 0) return `${file.name} is empty.`;
  if (file.size > MAX_IMAGE_BYTES) {
    return `${file.name} is ${formatBytes(file.size)}; images can be at most 5 MB.`;
  }
  return null;
}

/**
 * Which of the chosen files join a post that has `current` attachments already: the valid ones
 * up to the limit of 4, and a sentence for each one left out.
 */
export function pickFiles<F extends FileLike>(
  current: number,
  files: readonly F[],
): { accepted: F[]; problems: string[] } {
  const accepted: F[] = [];
  const problems: string[] = [];
  let skipped = 0;
  for (const f of files) {
    const problem = fileProblem(f);
    if (problem) problems.push(problem);
    else if (current + accepted.length < MAX_ATTACHMENTS) accepted.push(f);
    else skipped++;
  }
  if (skipped > 0) {
    problems.push(
      `A post can have at most ${MAX_ATTACHMENTS} images; ${skipped} ${skipped === 1 ? 'was' : 'were'} left out.`,
    );
  }
  return { accepted, problems };
}

const REASONS: Record<string, string> = {
  not_an_image: "isn't an image Kwetter can read (the file's content is not JPEG, PNG, WebP or GIF).",
  too_large: 'is larger than 5 MB.',
  too_many_pixels: 'has too many pixels (at most 25 megapixels).',
  too_many_frames: 'is an animation with too many frames (at most 50).',
  undecodable: 'is damaged and could not be decoded.',
  upload_missing: 'never arrived. Try attaching it again.',
};

/** A rejected upload's reason (docs/media.md) as a sentence about the file. */
export function rejectionMessage(name: string, reason?: string | null): string {
  return `${name} ${REASONS[reason ?? ''] ?? 'was refused by Kwetter.'}`;
}

export type UploadPhase = 'declaring' | 'uploading' | 'processing' | 'ready';

export interface UploadProgress {
  phase: UploadPhase;
  /** 0…1 over the whole upload: declaring 0–5 %, sending bytes 5–90 %, processing 90–100 %. */
  fraction: number;
}

export type UploadFailure = 'rejected' | 'failed' | 'timeout' | 'aborted';

export class UploadError extends Error {
  readonly kind: UploadFailure;
  readonly reason: string | null;
  /** The ApiError behind a `failed` upload, for humanMessage. */
  readonly origin: unknown;

  constructor(kind: UploadFailure, message: string, opts: { reason?: string | null; cause?: unknown } = {}) {
    super(message);
    this.name = 'UploadError';
    this.kind = kind;
    this.reason = opts.reason ?? null;
    this.origin = opts.cause;
  }
}

/** Sends the bytes; reports (loaded, total). Rejects with an ApiError (status 0 = network). */
export type PutBytes = (
  url: string,
  body: Blob,
  headers: Record<string, string>,
  onProgress: (loaded: number, total: number) => void,
  signal?: AbortSignal,
) => Promise<void>;

export interface MediaApi {
  createMedia(contentType: string, byteSize: number, purpose: MediaPurpose, alt?: string): Promise<MediaUpload>;
  mediaStatus(id: string): Promise<MediaStatus>;
}

export interface UploadOptions {
  alt?: string;
  onProgress?: (p: UploadProgress) => void;
  signal?: AbortSignal;
  put?: PutBytes;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  now?: () => number;
  /** Give up waiting for the processor after this long (it takes ~1–4 s; a cold start more). */
  processingTimeoutMs?: number;
}

/** Poll gaps: quick at first (a warm processor answers in under a second), then every 2 s. */
export function pollDelay(attempt: number): number {
  return [250, 400, 600, 800, 1000, 1500][attempt] ?? 2000;
}

export function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new UploadError('aborted', 'Upload cancelled.'));
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(new UploadError('aborted', 'Upload cancelled.'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * PUT by XMLHttpRequest, the one browser API that reports upload progress. No Authorization
 * header: the session URL is itself the credential, and the bucket is not our API.
 */
export const xhrPut: PutBytes = (url, body, headers, onProgress, signal) =>
  new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('PUT', url);
    for (const [k, v] of Object.entries(headers)) xhr.setRequestHeader(k, v);
    xhr.upload.onprogress = (e) => onProgress(e.loaded, e.lengthComputable ? e.total : body.size);
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) resolve();
      else reject(new ApiError(xhr.status, `http_${xhr.status}`, `upload answered ${xhr.status}`));
    };
    xhr.onerror = () => reject(new ApiError(0, 'network', 'upload failed'));
    xhr.ontimeout = () => reject(new ApiError(0, 'network', 'upload timed out'));
    xhr.onabort = () => reject(new UploadError('aborted', 'Upload cancelled.'));
    signal?.addEventListener('abort', () => xhr.abort(), { once: true });
    xhr.send(body);
  });

function retriable(exc: unknown): boolean {
  return exc instanceof ApiError && (exc.status === 0 || exc.status >= 500);
}

/**
 * Uploads one image and waits until it is processed; resolves with its media id when `ready`.
 * Rejects with an UploadError: `rejected` (the processor refused the bytes; `reason` set),
 * `failed` (the declaration or the PUT failed; `cause` is the ApiError), `timeout`, `aborted`.
 */
export async function uploadImage(
  api: MediaApi,
  file: File | (Blob & FileLike),
  purpose: MediaPurpose,
  opts: UploadOptions = {},
): Promise<string> {
  const put = opts.put ?? xhrPut;
  const sleep = opts.sleep ?? defaultSleep;
  const now = opts.now ?? Date.now;
  const report = opts.onProgress ?? (() => {});
  const timeout = opts.processingTimeoutMs ?? 90_000;
  const check = () => {
    if (opts.signal?.aborted) throw new UploadError('aborted', 'Upload cancelled.');
  };

  const problem = fileProblem(file);
  if (problem) throw new UploadError('failed', problem);

  report({ phase: 'declaring', fraction: 0 });
  let upload: MediaUpload;
  try {
    upload = await api.createMedia(file.type, file.size, purpose, opts.alt || undefined);
  } catch (exc) {
    throw new UploadError('failed', exc instanceof Error ? exc.message : String(exc), { cause: exc });
  }
  check();

  report({ phase: 'uploading', fraction: 0.05 });
  const headers = { 'Content-Type': file.type, ...(upload.upload_headers ?? {}) };
  // One retry of a lost or 5xx PUT: the session takes the whole body again until it is complete.
  for (let attempt = 0; ; attempt++) {
    try {
      await put(
        upload.upload_url,
        file,
        headers,
        (loaded, total) =>
          report({ phase: 'uploading', fraction: 0.05 + 0.85 * (total > 0 ? Math.min(1, loaded / total) : 0) }),
        opts.signal,
      );
      break;
    } catch (exc) {
      if (exc instanceof UploadError) throw exc;
      check();
      if (attempt === 0 && retriable(exc)) {
        await sleep(500, opts.signal);
        continue;
      }
      throw new UploadError('failed', exc instanceof Error ? exc.message : String(exc), { cause: exc });
    }
  }

  report({ phase: 'processing', fraction: 0.9 });
  const started = now();
  for (let attempt = 0; ; attempt++) {
    await sleep(pollDelay(attempt), opts.signal);
    let status: MediaStatus | null = null;
    try {
      status = await api.mediaStatus(upload.media_id);
    } catch (exc) {
      // A blip while polling is not a failed upload: keep asking until the deadline.
      if (!retriable(exc)) {
        throw new UploadError('failed', exc instanceof Error ? exc.message : String(exc), { cause: exc });
      }
    }
    if (status?.status === 'ready') {
      report({ phase: 'ready', fraction: 1 });
      return upload.media_id;
    }
    if (status?.status === 'rejected') {
      throw new UploadError('rejected', rejectionMessage(file.name, status.reason), {
        reason: status.reason ?? null,
      });
    }
    if (now() - started > timeout) {
      throw new UploadError('timeout', `${file.name} is taking too long to process. Try again.`);
    }
    report({ phase: 'processing', fraction: Math.min(0.99, 0.9 + 0.01 * (attempt + 1)) });
  }
}

/** One image attached in the composer, as the form shows it. */
export interface Attachment {
  key: string;
  name: string;
  alt: string;
  phase: UploadPhase | 'failed';
  fraction: number;
  mediaId: string | null;
  error: string | null;
}

/**
 * Whether a composition can be posted: every attachment ready (none still uploading, none
 * failed: a failed one must be retried or removed, never silently dropped).
 */
export function composition(items: readonly Attachment[]): {
  ready: boolean;
  busy: boolean;
  failed: number;
} {
  const failed = items.filter((i) => i.phase === 'failed').length;
  const busy = items.some((i) => i.phase !== 'ready' && i.phase !== 'failed');
  const ready = items.length <= MAX_ATTACHMENTS && items.every((i) => i.phase === 'ready' && i.mediaId);
  return { ready, busy, failed };
}
