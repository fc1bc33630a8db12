/** The Account page's rules: following an export to its end, and confirming a deletion. Pure. */
import type { ExportStatus } from './types';

/** How often a running export is asked about (GET /v1/me/export). */
export const EXPORT_POLL_MS = 2000;

/** Whether the export is still on its way (so worth asking about again). */
export const exportRunning = (s: ExportStatus | null): boolean =>
  s !== null && (s.status === 'queued' || s.status === 'building');

/** "2 of 7 parts", or null before the exporter has said how many there are. */
export function exportProgress(s: ExportStatus): string | null {
  const total = s.parts_total ?? 0;
  if (total < 1) return null;
  const done = Math.min(Math.max(0, s.parts_done ?? 0), total);
  return `${done} of ${total} parts`;
}

/** Progress as a 0–100 percentage for a progress bar. */
export function exportPercent(s: ExportStatus): number {
  if (s.status === 'ready') return 100;
  const total = s.parts_total ?? 0;
  if (total >= 1) return Math.round((100 * Math.min(Math.max(0, s.parts_done ?? 0), total)) / total);
  return Math.round(100 * Math.min(Math.max(0, s.progress ?? 0), 1));
}

/** One sentence for the export's state, as the person reads it. */
export function exportSentence(s: ExportStatus): string {
  switch (s.status) {
    case 'queued':
      return 'Your export is queued.';
    case 'building': {
      const p = exportProgress(s);
      return p ? `Building your archive: ${p}.` : 'Building your archive…';
    }
    case 'ready':
      return 'Your archive is ready. The download link works for 15 minutes; reload this page for a new one.';
    case 'failed':
      return s.reason === 'stalled'
        ? 'Your export stalled and was stopped. Start a new one.'
        : 'Your export failed. Start a new one.';
  }
}

/** "Try again at 21:40 (in 37 min)": when the once-an-hour limit lets a new export start. */
export function retryLater(retryAfterS: number, now: Date, locale?: string): string {
  const s = Math.max(0, Math.ceil(retryAfterS));
  const at = new Date(now.getTime() + s * 1000);
  const clock = at.toLocaleTimeString(locale, { hour: '2-digit', minute: '2-digit' });
  const wait = s < 60 ? `${s} s` : `${Math.ceil(s / 60)} min`;
  return `You can ask for one export an hour. Try again at ${clock} (in ${wait}).`;
}

export interface PollOptions {
  /** GET /v1/me/export. */
  get: () => Promise<ExportStatus>;
  /** Each answer, as it comes. */
  onStatus: (s: ExportStatus) => void;
  /** A failed ask: the polling stops (the page offers to look again). */
  onError: (err: unknown) => void;
  /** Waits between asks; injected so a test runs without a clock. */
  sleep?: (ms: number) => Promise<void>;
  intervalMs?: number;
}

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Asks every `intervalMs` until the export is ready or failed, an ask fails, or the returned
 * stop is called (the page is left): no answer is reported after stop.
 */
export function pollExport(opts: PollOptions): () => void {
  const sleep = opts.sleep ?? defaultSleep;
  const interval = opts.intervalMs ?? EXPORT_POLL_MS;
  let stopped = false;
  void (async () => {
    while (!stopped) {
      await sleep(interval);
      if (stopped) return;
      let s: ExportStatus;
      try {
        s = await opts.get();
      } catch (exc) {
        if (!stopped) opts.onError(exc);
        return;
      }
      if (stopped) return;
      opts.onStatus(s);
      if (!exportRunning(s)) return;
    }
  })();
  return () => {
    stopped = true;
  };
}

/**
 * Whether what was typed confirms the deletion, as DELETE /v1/me checks it
 * (shared/domain/account.py): your own handle, any case, an "@" in front and spaces allowed.
 */
export function confirmsDeletion(typed: string, handle: string): boolean {
  const t = typed.trim().replace(/^@+/, '').toLowerCase();
  return t.length > 0 && t === handle.toLowerCase();
}
