/**
 * The performance budget, measured in Debian's Chromium: the first post of the home timeline on a
 * throttled phone (150 ms RTT, 1.6 Mbps, 4× CPU through CDP) within 1.5 s, JS ≤ 100 KB on the
 * wire, compressed and cache headers like production, and what an idle reader costs per minute.
 */
import { expect, test, type Page, type Response } from '@playwright/test';
import { API, newTag, person } from './helpers';
import { account, follow, inTimeline, post, record, signInInBrowser, throttle, type Account } from './measure';

const TAG = newTag();
const author = person('perf', 'Perf Author', TAG);
const reader = person('idle', 'Idle Reader', TAG);
let readerAcc: Account;

test.beforeAll(async () => {
  const a = await account(author);
  readerAcc = await account(reader);
  let last = '';
  for (let i = 1; i <= 20; i++) last = await post(a, `Perf post ${i}: a line of text like people write, ${TAG}`);
  await follow(readerAcc, a);
  await inTimeline(readerAcc, last);
});

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** performance.now() when the first post is in the DOM, from a MutationObserver. */
async function firstPostAt(page: Page): Promise<number> {
  return page.evaluate(
    () => (window as unknown as { __firstPost?: number }).__firstPost ?? Number.NaN,
  );
}

test('first post on a throttled phone ≤ 1.5 s; JS ≤ 100 KB compressed; assets cached', async ({ browser }) => {
  const runs: { first_post_ms: number; js_bytes: number; js_files: number }[] = [];
  // One browser profile, signed in, as a returning reader's phone; the HTTP cache cleared and
  // disabled for every load. (A new context restoring IndexedDB from storageState is no model:
  // Playwright refills the database while the page starts, which slowed every read 10x.)
  const ctx = await browser.newContext({ viewport: { width: 390, height: 844 } });
  await signInInBrowser(await ctx.newPage(), reader);
  await ctx.addInitScript(() => {
    const w = window as unknown as { __firstPost?: number };
    new MutationObserver((_, obs) => {
      if (document.querySelector('[data-testid="post"]')) {
        w.__firstPost = performance.now();
        obs.disconnect();
      }
    }).observe(document, { childList: true, subtree: true });
  });
  for (let i = 0; i < 4; i++) {
    const page = await ctx.newPage();
    const cdp = await ctx.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.clearBrowserCache');
    await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
    const js: Response[] = [];
    page.on('response', (r) => {
      if (/\.m?js(\?|$)/.test(r.url())) js.push(r);
    });
    if (i > 0) await throttle(page); // run 0 warms the functions up and is not counted
    await page.goto('/');
    await expect(page.getByTestId('post').first()).toBeVisible({ timeout: 30_000 });
    const t = await firstPostAt(page);
    let bytes = 0;
    for (const r of js) bytes += (await r.request().sizes()).responseBodySize;
    if (i > 0) runs.push({ first_post_ms: Math.round(t), js_bytes: bytes, js_files: js.length });
    if (i === 1) {
      const main = js.find((r) => r.url().includes('/assets/'));
      expect(main, 'a hashed JS asset').toBeTruthy();
      const h = await main!.allHeaders();
      record('serving', {
        js_content_encoding: h['content-encoding'] ?? null,
        js_cache_control: h['cache-control'] ?? null,
        index_cache_control: (await (await page.request.get('/')).headers())['cache-control'] ?? null,
      });
    }
    await page.close();
  }
  await ctx.close();
  const first = median(runs.map((r) => r.first_post_ms));
  const js = median(runs.map((r) => r.js_bytes));
  record('first_post_throttled', {
    profile: '150 ms RTT, 1.6 Mbps down, 750 kbps up, 4x CPU (CDP), 390x844, HTTP cache cleared and disabled, signed in',
    median_ms: first,
    runs_ms: runs.map((r) => r.first_post_ms),
  });
  record('js_first_load', { bytes_on_wire: js, kb: Number((js / 1024).toFixed(1)), files: runs[0].js_files });
  // The time budget is a benchmark's (`make bench` sets E2E_PERF_BUDGET=1): on a loaded 2-core
  // machine the same build measured 1.1 s and 2.7 s. The test suite checks what cannot drift.
  if (process.env.E2E_PERF_BUDGET === '1') {
    expect(first, 'first post (ms, median of 3)').toBeLessThanOrEqual(1500);
  }
  expect(js, 'JS bytes on the wire for the first load').toBeLessThanOrEqual(100 * 1024);
});

test('an idle reader: requests and bytes per minute', async ({ browser }) => {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await signInInBrowser(page, reader);
  await expect(page.getByTestId('post').first()).toBeVisible();
  await page.waitForTimeout(1500);
  const seen: { at: number; method: string; url: string; bytes: number; body: number }[] = [];
  const pending: Promise<void>[] = [];
  page.on('requestfinished', (req) => {
    if (!req.url().startsWith(API)) return;
    pending.push(
      req.sizes().then((s) => {
        seen.push({
          at: Date.now(),
          method: req.method(),
          url: req.url().slice(API.length),
          bytes: s.requestHeadersSize + s.requestBodySize + s.responseHeadersSize + s.responseBodySize,
          body: s.responseBodySize,
        });
      }),
    );
  });
  const WINDOW_MS = 20_000;
  await page.waitForTimeout(WINDOW_MS);
  await Promise.all(pending);
  await ctx.close();
  expect(seen.length, 'the reader polls').toBeGreaterThan(0);
  const perPoll = seen.reduce((n, s) => n + s.bytes, 0) / seen.length;
  const perMin = (n: number) => Math.round((n * 60_000) / WINDOW_MS);
  const gaps = seen.slice(1).map((s, i) => s.at - seen[i].at);
  record('idle_polling', {
    window_s: WINDOW_MS / 1000,
    test_interval_ms: gaps.length ? median(gaps) : null,
    requests_per_min_at_test_interval: perMin(seen.length),
    bytes_per_min_at_test_interval: perMin(seen.reduce((n, s) => n + s.bytes, 0)),
    bytes_per_request: Math.round(perPoll),
    response_body_bytes_per_request: Math.round(seen.reduce((n, s) => n + s.body, 0) / seen.length),
    // The app polls the timeline every 5 s in production (VITE_POLL_MS in the tests is faster)
    // and the unread badge every 15 s (src/lib/unread.svelte.ts).
    requests_per_min_at_5s: 12 + 4,
    bytes_per_min_at_5s: Math.round(perPoll * (12 + 4)),
    unread_polls: seen.filter((s) => s.url === '/v1/notifications/unread').length,
    urls: [...new Set(seen.map((s) => `${s.method} ${s.url.replace(/\d{6,}/g, '{id}')}`))],
  });
  // Idle, the reader only asks "anything newer?" (GET /v1/timeline/newer), never the page
  // again, and "any unread notifications?" (GET /v1/notifications/unread) for the badge.
  expect(
    seen.every((s) => s.url.startsWith('/v1/timeline/newer?after=') || s.url === '/v1/notifications/unread'),
    seen.map((s) => s.url).join(' '),
  ).toBe(true);
  expect(seen.some((s) => s.url.startsWith('/v1/timeline/newer?after='))).toBe(true);
  // Most of what is left is the request's own headers (the ID token alone is ~1 KB).
  expect(Math.max(...seen.map((s) => s.body)), 'response body of an idle poll').toBeLessThan(200);
  expect(perPoll, 'bytes per idle poll, headers included').toBeLessThan(2048);
});
