/**
 * Measuring in the browser: axe-core scans, layout shift, throttling, and the figures file the
 * docs quote (e2e/report.mjs turns it into docs/frontend-metrics.json and the table in
 * docs/frontend.md).
 */
import { expect, type BrowserContext, type Page } from '@playwright/test';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { API, PASSWORD, verifiedToken, type Person } from './helpers';

export const METRICS = process.env.E2E_METRICS || 'test-results/metrics.json';
const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

/** Merges `value` under `key` into the metrics file (read-modify-write: one worker). */
export function record(key: string, value: unknown): void {
  mkdirSync(dirname(METRICS), { recursive: true });
  const all = existsSync(METRICS) ? (JSON.parse(readFileSync(METRICS, 'utf8')) as Record<string, unknown>) : {};
  all[key] = value;
  all.measured_at = new Date().toISOString();
  writeFileSync(METRICS, JSON.stringify(all, null, 2) + '\n');
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  nodes: number;
  targets: string[];
}

/** Runs axe-core (from npm, injected) on the page as it is now. */
export async function axeScan(page: Page): Promise<AxeViolation[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ path: AXE });
  return page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (ctx: Document, o: object) => Promise<{ violations: { id: string; impact: string | null; nodes: { target: unknown[] }[] }[] }> } }).axe;
    const r = await axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      nodes: v.nodes.length,
      targets: v.nodes.slice(0, 3).map((n) => JSON.stringify(n.target)),
    }));
  });
}

/**
 * Counts layout shifts from the very start of every document of the context (buffered
 * PerformanceObserver), excluding those right after input as CLS does. Read with `cls(page)`.
 */
export async function watchLayoutShift(context: BrowserContext): Promise<void> {
  await context.addInitScript(() => {
    const w = window as unknown as { __cls: number; __shifts: { value: number; sources: string[] }[] };
    w.__cls = 0;
    w.__shifts = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries() as unknown as {
        value: number;
        hadRecentInput: boolean;
        sources?: { node?: Node | null }[];
      }[]) {
        if (e.hadRecentInput) continue;
        w.__cls += e.value;
        w.__shifts.push({
          value: e.value,
          sources: (e.sources ?? []).map((s) => {
            const el = s.node as Element | null;
            return el && el.nodeType === 1 ? `${el.tagName.toLowerCase()}.${el.className}`.slice(0, 80) : String(el?.nodeName);
          }),
        });
      }
    }).observe({ type: 'layout-shift', buffered: true });
  });
}

export async function cls(page: Page): Promise<{ value: number; shifts: { value: number; sources: string[] }[] }> {
  return page.evaluate(() => {
    const w = window as unknown as { __cls: number; __shifts: { value: number; sources: string[] }[] };
    return { value: w.__cls ?? 0, shifts: w.__shifts ?? [] };
  });
}

/** The phone profile of the budget: 150 ms RTT, 1.6 Mbps down, 750 kbps up, 4× slower CPU. */
export async function throttle(page: Page): Promise<void> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false,
    latency: 150,
    downloadThroughput: (1.6 * 1024 * 1024) / 8,
    uploadThroughput: (750 * 1024) / 8,
  });
  await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
}

/** Signs a person in through the sign-in form and waits for the signed-in home page. */
export async function signInInBrowser(page: Page, p: Pick<Person, 'email'>): Promise<void> {
  await page.goto('/signin');
  await page.getByLabel('Email').fill(p.email);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expect(page.getByRole('heading', { name: 'Home', exact: true })).toBeVisible();
}

export interface Account {
  token: string;
  id: string;
}

/** An account made as a script would: Auth emulator sign-up, then POST /v1/users. */
export async function account(p: Person): Promise<Account> {
  const idToken = await verifiedToken(p.email);
  const reg = await api(idToken, 'POST', '/v1/users', { handle: p.handle, display_name: p.name });
  expect(reg.status, await reg.clone().text()).toBe(201);
  return { token: idToken, id: ((await reg.json()) as { id: string }).id };
}

export function api(token: string, method: string, path: string, body?: unknown): Promise<Response> {
  const headers: Record<string, string> = { Authorization: `Bearer ${token}` };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method === 'POST' && path === '/v1/posts') headers['Idempotency-Key'] = crypto.randomUUID();
  return fetch(`${API}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
}

export async function post(a: Account, text: string): Promise<string> {
  const res = await api(a.token, 'POST', '/v1/posts', { text });
  expect(res.status, await res.clone().text()).toBe(201);
  return ((await res.json()) as { id: string }).id;
}

export async function follow(a: Account, b: Account): Promise<void> {
  const res = await api(a.token, 'PUT', `/v1/users/${b.id}/follow`);
  expect(res.status, await res.clone().text()).toBe(200);
}

/** Waits until `a`'s home timeline (fan-out and backfill are asynchronous) holds post `id`. */
export async function inTimeline(a: Account, id: string): Promise<void> {
  await expect
    .poll(
      async () => {
        const r = await api(a.token, 'GET', '/v1/timeline?limit=20');
        if (!r.ok) return false;
        return ((await r.json()) as { items: { id: string }[] }).items.some((p) => p.id === id);
      },
      { timeout: 45_000, intervals: [250, 500, 1000] },
    )
    .toBe(true);
}

/** A post with one image, made as the app makes it: declare, PUT the bytes, wait, post. */
export async function imagePost(a: Account, text: string, png: Buffer, alt: string): Promise<string> {
  const decl = await api(a.token, 'POST', '/v1/media', { content_type: 'image/png', byte_size: png.length, purpose: 'post' });
  expect(decl.status, await decl.clone().text()).toBe(201);
  const up = (await decl.json()) as { media_id: string; upload_url: string; upload_method?: string; upload_headers?: Record<string, string> };
  const put = await fetch(up.upload_url, {
    method: up.upload_method ?? 'PUT',
    headers: { 'Content-Type': 'image/png', ...(up.upload_headers ?? {}) },
    body: new Uint8Array(png),
  });
  expect(put.ok, await put.clone().text()).toBe(true);
  await expect
    .poll(async () => ((await (await api(a.token, 'GET', `/v1/media/${up.media_id}`)).json()) as { status: string }).status, {
      timeout: 60_000,
      intervals: [250, 500, 1000],
    })
    .toBe('ready');
  const res = await api(a.token, 'POST', '/v1/posts', { text, media_ids: [up.media_id], media_alts: [alt] });
  expect(res.status, await res.clone().text()).toBe(201);
  return ((await res.json()) as { id: string }).id;
}
