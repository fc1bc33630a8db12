import { describe, expect, it } from 'vitest';
import {
  confirmsDeletion,
  exportPercent,
  exportProgress,
  exportRunning,
  exportSentence,
  pollExport,
  retryLater,
} from './account';
import type { ExportStatus } from './types';

describe('confirmsDeletion', () => {
  it('takes your own handle in any case, with an @ and spaces, as the server does', () => {
    expect(confirmsDeletion('ada_1', 'ada_1')).toBe(true);
    expect(confirmsDeletion('  @ADA_1 ', 'Ada_1')).toBe(true);
  });
  it('refuses anything else', () => {
    expect(confirmsDeletion('', 'ada')).toBe(false);
    expect(confirmsDeletion('@', 'ada')).toBe(false);
    expect(confirmsDeletion('ada2', 'ada')).toBe(false);
    expect(confirmsDeletion('ad a', 'ada')).toBe(false);
    expect(confirmsDeletion('delete', 'ada')).toBe(false);
  });
});

describe('export progress', () => {
  const building: ExportStatus = { status: 'building', parts_done: 2, parts_total: 7 };
  it('counts parts, clamped', () => {
    expect(exportProgress(building)).toBe('2 of 7 parts');
    expect(exportProgress({ status: 'building', parts_done: 9, parts_total: 7 })).toBe('7 of 7 parts');
    expect(exportProgress({ status: 'queued' })).toBeNull();
    expect(exportPercent(building)).toBe(29);
    expect(exportPercent({ status: 'building', progress: 0.5 })).toBe(50);
    expect(exportPercent({ status: 'ready', parts_done: 0, parts_total: 7 })).toBe(100);
  });
  it('says where it is', () => {
    expect(exportSentence(building)).toBe('Building your archive: 2 of 7 parts.');
    expect(exportSentence({ status: 'queued' })).toBe('Your export is queued.');
    expect(exportSentence({ status: 'failed', reason: 'stalled' })).toMatch(/stalled/);
    expect(exportSentence({ status: 'ready', url: 'u' })).toMatch(/ready/);
  });
  it('is running only while queued or building', () => {
    expect(exportRunning(null)).toBe(false);
    expect(exportRunning({ status: 'queued' })).toBe(true);
    expect(exportRunning(building)).toBe(true);
    expect(exportRunning({ status: 'ready' })).toBe(false);
    expect(exportRunning({ status: 'failed' })).toBe(false);
  });
});

describe('retryLater', () => {
  const now = new Date('2026-12-01T21:00:00Z');
  it('gives the time and the wait, in minutes from a minute on', () => {
    expect(retryLater(3599, now, 'en-GB')).toMatch(/Try again at \d\d:\d\d \(in 60 min\)\.$/);
    expect(retryLater(90, now, 'en-GB')).toMatch(/\(in 2 min\)/);
    expect(retryLater(30, now, 'en-GB')).toMatch(/\(in 30 s\)/);
  });
});

/** A sleep the test releases one step at a time. */
function steppedSleep() {
  const waiting: Array<() => void> = [];
  const sleeps: number[] = [];
  return {
    sleep: (ms: number) =>
      new Promise<void>((r) => {
        sleeps.push(ms);
        waiting.push(r);
      }),
    sleeps,
    async step() {
      const r = waiting.shift();
      if (!r) throw new Error('nothing is waiting');
      r();
      // Let the loop run up to its next sleep.
      for (let i = 0; i < 5; i++) await Promise.resolve();
    },
    get pending() {
      return waiting.length;
    },
  };
}

describe('pollExport', () => {
  it('asks every interval until ready, then stops', async () => {
    const answers: ExportStatus[] = [
      { status: 'building', parts_done: 1, parts_total: 3 },
      { status: 'building', parts_done: 2, parts_total: 3 },
      { status: 'ready', parts_done: 3, parts_total: 3, url: 'http://x/a.json' },
    ];
    const seen: ExportStatus[] = [];
    const clock = steppedSleep();
    pollExport({ get: async () => answers.shift()!, onStatus: (s) => seen.push(s), onError: () => {}, sleep: clock.sleep });
    for (let i = 0; i < 3; i++) await clock.step();
    expect(seen.map((s) => s.parts_done)).toEqual([1, 2, 3]);
    expect(clock.sleeps).toEqual([2000, 2000, 2000]);
    expect(clock.pending).toBe(0);
  });

  it('stops on failed, and on an error it reports once', async () => {
    const clock = steppedSleep();
    const seen: string[] = [];
    pollExport({ get: async () => ({ status: 'failed' }), onStatus: (s) => seen.push(s.status), onError: () => {}, sleep: clock.sleep });
    await clock.step();
    expect(seen).toEqual(['failed']);
    expect(clock.pending).toBe(0);

    const errors: unknown[] = [];
    pollExport({
      get: async () => {
        throw new Error('down');
      },
      onStatus: () => {},
      onError: (e) => errors.push(e),
      sleep: clock.sleep,
    });
    await clock.step();
    expect(errors).toHaveLength(1);
    expect(clock.pending).toBe(0);
  });

  it('reports nothing after stop (the page was left)', async () => {
    const clock = steppedSleep();
    const seen: ExportStatus[] = [];
    let release: (s: ExportStatus) => void = () => {};
    const stop = pollExport({
      get: () => new Promise<ExportStatus>((r) => (release = r)),
      onStatus: (s) => seen.push(s),
      onError: () => {},
      sleep: clock.sleep,
      intervalMs: 10,
    });
    await clock.step(); // an ask is in flight
    stop();
    release({ status: 'ready' });
    for (let i = 0; i < 5; i++) await Promise.resolve();
    expect(seen).toEqual([]);
    expect(clock.pending).toBe(0);
  });
});
