import { describe, expect, it, vi } from 'vitest';
import { ApiError } from './api';
import { humanMessage } from './errors';
import type { MediaStatus, MediaUpload } from './types';
import {
  composition,
  fileProblem,
  MAX_IMAGE_BYTES,
  pickFiles,
  pollDelay,
  rejectionMessage,
  uploadImage,
  UploadError,
  type Attachment,
  type MediaApi,
  type PutBytes,
  type UploadProgress,
} from './upload';

const png = (name = 'cat.png', size = 1234, type = 'image/png') =>
  new File([new Uint8Array(size)], name, { type });

describe('fileProblem / pickFiles', () => {
  it('accepts the four image types up to exactly 5 MB', () => {
    for (const type of ['image/jpeg', 'image/png', 'image/webp', 'image/gif']) {
      expect(fileProblem({ name: 'a', type, size: 10 })).toBeNull();
    }
    expect(fileProblem({ name: 'a.png', type: 'image/png', size: MAX_IMAGE_BYTES })).toBeNull();
  });

  it('explains what is wrong with the rest', () => {
    expect(fileProblem({ name: 'big.jpg', type: 'image/jpeg', size: MAX_IMAGE_BYTES + 1 })).toBe(
      'big.jpg is 5.0 MB; images can be at most 5 MB.',
    );
    expect(fileProblem({ name: 'huge.jpg', type: 'image/jpeg', size: 12 * 1024 * 1024 })).toMatch(
      /^huge.jpg is 12.0 MB/,
    );
    expect(fileProblem({ name: 'notes.txt', type: 'text/plain', size: 5 })).toBe(
      "notes.txt isn't a JPEG, PNG, WebP or GIF image.",
    );
    expect(fileProblem({ name: 'x.svg', type: 'image/svg+xml', size: 5 })).toMatch(/isn't a JPEG/);
    expect(fileProblem({ name: 'x.heic', type: '', size: 5 })).toMatch(/isn't a JPEG/);
    expect(fileProblem({ name: 'e.png', type: 'image/png', size: 0 })).toBe('e.png is empty.');
  });

  it('keeps at most 4 attachments and says how many were left out', () => {
    const files = [1, 2, 3].map((n) => png(`${n}.png`));
    expect(pickFiles(0, files)).toEqual({ accepted: files, problems: [] });
    const r = pickFiles(2, [...files, png('t.txt', 3, 'text/plain')]);
    expect(r.accepted.map((f) => f.name)).toEqual(['1.png', '2.png']);
    expect(r.problems).toEqual([
      "t.txt isn't a JPEG, PNG, WebP or GIF image.",
      'A post can have at most 4 images; 1 was left out.',
    ]);
    expect(pickFiles(4, files).problems).toEqual(['A post can have at most 4 images; 3 were left out.']);
  });
});

describe('composition', () => {
  const a = (phase: Attachment['phase'], mediaId: string | null = null): Attachment => ({
    key: phase + (mediaId ?? ''),
    name: 'n',
    alt: '',
    phase,
    fraction: 0,
    mediaId,
    error: null,
  });
  it('is ready only when every image is processed', () => {
    expect(composition([])).toEqual({ ready: true, busy: false, failed: 0 });
    expect(composition([a('ready', 'm1'), a('uploading')])).toEqual({ ready: false, busy: true, failed: 0 });
    expect(composition([a('ready', 'm1'), a('failed')])).toEqual({ ready: false, busy: false, failed: 1 });
    expect(composition([a('ready', 'm1'), a('ready', 'm2')]).ready).toBe(true);
  });
});

describe('rejectionMessage', () => {
  it('names the file and the reason', () => {
    expect(rejectionMessage('x.png', 'not_an_image')).toMatch(/^x.png isn't an image Kwetter can read/);
    expect(rejectionMessage('x.png', 'too_many_pixels')).toBe(
      'x.png has too many pixels (at most 25 megapixels).',
    );
    expect(rejectionMessage('x.png', 'something_new')).toBe('x.png was refused by Kwetter.');
    expect(rejectionMessage('x.png', null)).toBe('x.png was refused by Kwetter.');
  });
});

const UPLOAD: MediaUpload = {
  media_id: 'a'.repeat(32),
  upload_url: 'http://gcs.test/upload?upload_id=1',
  upload_headers: { 'Content-Type': 'image/png', 'X-Extra': '1' },
  expires_at: '2030-01-01T00:00:00Z',
};

function fakeApi(statuses: (MediaStatus['status'] | Error)[], reason: string | null = null) {
  const calls: string[] = [];
  const api: MediaApi = {
    createMedia: vi.fn(async (ct: string, size: number, purpose: string) => {
      calls.push(`create ${ct} ${size} ${purpose}`);
      return UPLOAD;
    }),
    mediaStatus: vi.fn(async (id: string): Promise<MediaStatus> => {
      calls.push(`status ${id.slice(0, 4)}`);
      const next = statuses.shift() ?? 'pending';
      if (next instanceof Error) throw next;
      return { media_id: id, status: next, purpose: 'post', reason: next === 'rejected' ? reason : null };
    }),
  };
  return { api, calls };
}

const noSleep = async () => {};

describe('uploadImage', () => {
  it('declares, PUTs with the session headers, polls until ready, and reports progress', async () => {
    const { api, calls } = fakeApi(['pending', 'pending', 'ready']);
    const puts: { url: string; headers: Record<string, string>; size: number }[] = [];
    const put: PutBytes = async (url, body, headers, onProgress) => {
      puts.push({ url, headers, size: body.size });
      onProgress(617, 1234);
      onProgress(1234, 1234);
    };
    const progress: UploadProgress[] = [];
    const id = await uploadImage(api, png(), 'post', {
      put,
      sleep: noSleep,
      onProgress: (p) => progress.push(p),
    });
    expect(id).toBe(UPLOAD.media_id);
    expect(calls).toEqual(['create image/png 1234 post', 'status aaaa', 'status aaaa', 'status aaaa']);
    expect(puts).toEqual([
      { url: UPLOAD.upload_url, headers: { 'Content-Type': 'image/png', 'X-Extra': '1' }, size: 1234 },
    ]);
    expect(progress.map((p) => p.phase)).toEqual([
      'declaring',
      'uploading',
      'uploading',
      'uploading',
      'processing',
      'processing',
      'processing',
      'ready',
    ]);
    const fractions = progress.map((p) => p.fraction);
    expect(fractions).toEqual([...fractions].sort((x, y) => x - y)); // never goes backwards
    expect(fractions[3]).toBeCloseTo(0.9);
    expect(fractions.at(-1)).toBe(1);
  });

  it('passes the avatar purpose and alt text to the declaration', async () => {
    const { api } = fakeApi(['ready']);
    await uploadImage(api, png('me.jpg', 10, 'image/jpeg'), 'avatar', { put: async () => {}, sleep: noSleep, alt: 'Me' });
    expect(api.createMedia).toHaveBeenCalledWith('image/jpeg', 10, 'avatar', 'Me');
  });

  it('turns a rejection into a sentence with the reason', async () => {
    const { api } = fakeApi(['pending', 'rejected'], 'not_an_image');
    const err = await uploadImage(api, png('fake.png'), 'post', { put: async () => {}, sleep: noSleep }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(UploadError);
    expect((err as UploadError).kind).toBe('rejected');
    expect((err as UploadError).reason).toBe('not_an_image');
    expect(humanMessage(err)).toMatch(/^fake.png isn't an image Kwetter can read/);
  });

  it('never declares a file the server would refuse', async () => {
    const { api } = fakeApi([]);
    const err = await uploadImage(api, png('doc.pdf', 10, 'application/pdf'), 'post', { sleep: noSleep }).catch(
      (e: unknown) => e,
    );
    expect((err as UploadError).kind).toBe('failed');
    expect(humanMessage(err)).toBe("doc.pdf isn't a JPEG, PNG, WebP or GIF image.");
    expect(api.createMedia).not.toHaveBeenCalled();
  });

  it('maps a refused declaration to a human message (rate limit, type, size)', async () => {
    const api: MediaApi = {
      createMedia: async () => {
        throw new ApiError(429, 'rate_limited', 'slow down', { retryAfterS: 600 });
      },
      mediaStatus: async () => {
        throw new Error('not reached');
      },
    };
    const err = await uploadImage(api, png(), 'post', { sleep: noSleep }).catch((e: unknown) => e);
    expect(humanMessage(err, 'upload')).toBe(
      "You've uploaded a lot of images in the last hour. Try again in 10 min.",
    );
    expect(humanMessage(new ApiError(415, 'unsupported_media_type', 'x'), 'upload')).toBe(
      'Only JPEG, PNG, WebP and GIF images can be uploaded.',
    );
    expect(humanMessage(new ApiError(413, 'payload_too_large', 'x'), 'upload')).toBe('Images can be at most 5 MB.');
  });

  it('retries a PUT lost on the wire once, but not a refused one', async () => {
    const { api } = fakeApi(['ready']);
    let n = 0;
    const flaky: PutBytes = async () => {
      if (n++ === 0) throw new ApiError(0, 'network', 'reset');
    };
    await expect(uploadImage(api, png(), 'post', { put: flaky, sleep: noSleep })).resolves.toBe(UPLOAD.media_id);
    expect(n).toBe(2);

    const refused: PutBytes = async () => {
      throw new ApiError(403, 'http_403', 'no');
    };
    const err = await uploadImage(fakeApi([]).api, png(), 'post', { put: refused, sleep: noSleep }).catch(
      (e: unknown) => e,
    );
    expect(humanMessage(err, 'upload')).toBe('The upload link was refused. Attach the image again.');
  });

  it('keeps polling through a network blip and gives up after the deadline', async () => {
    const { api } = fakeApi([new ApiError(0, 'network', 'x'), new ApiError(503, 'unavailable', 'x'), 'ready']);
    await expect(uploadImage(api, png(), 'post', { put: async () => {}, sleep: noSleep })).resolves.toBe(
      UPLOAD.media_id,
    );

    let t = 0;
    const slow = fakeApi([]); // pending forever
    const err = await uploadImage(slow.api, png('slow.png'), 'post', {
      put: async () => {},
      sleep: async (ms) => {
        t += ms;
      },
      now: () => t,
      processingTimeoutMs: 10_000,
    }).catch((e: unknown) => e);
    expect((err as UploadError).kind).toBe('timeout');
    expect((err as UploadError).message).toBe('slow.png is taking too long to process. Try again.');
    expect(t).toBeGreaterThan(10_000);
    expect(t).toBeLessThan(13_000);
  });

  it('stops when cancelled', async () => {
    const { api } = fakeApi([]);
    const ctl = new AbortController();
    const p = uploadImage(api, png(), 'post', {
      put: async () => {
        ctl.abort();
      },
      signal: ctl.signal,
    });
    await expect(p).rejects.toMatchObject({ kind: 'aborted' });
    expect(api.mediaStatus).not.toHaveBeenCalled();
  });

  it('polls quickly at first, then every 2 s', () => {
    expect(pollDelay(0)).toBe(250);
    expect([0, 1, 2, 3, 4, 5, 6, 20].map(pollDelay)).toEqual([250, 400, 600, 800, 1000, 1500, 2000, 2000]);
  });
});
