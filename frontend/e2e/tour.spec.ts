/**
 * Every page at 1280 × 900 and 390 × 844, light and dark: 0 axe-core violations, CLS < 0.01,
 * a title of its own. The figures go to the metrics file (e2e/measure.ts) for docs/frontend.md.
 */
import { expect, test, type Browser, type Page } from '@playwright/test';
import { newTag, person, shot } from './helpers';
import {
  account,
  axeScan,
  cls,
  follow,
  inTimeline,
  post,
  record,
  signInInBrowser,
  watchLayoutShift,
  type Account,
  type AxeViolation,
} from './measure';

const TAG = newTag();
const author = person('tour', 'Tour Author', TAG);
const reader = person('read', 'Tour Reader', TAG);
let authorAcc: Account;
let postId = '';
let signedIn: Awaited<ReturnType<import('@playwright/test').BrowserContext['storageState']>>;

interface Stop {
  name: string;
  path: () => string;
  signedIn: boolean;
  ready: (page: Page) => Promise<void>;
  title: RegExp;
}

const noLoading = async (page: Page) =>
  expect(page.locator('#main [aria-label="Loading"], #main [aria-label="Loading profile"]')).toHaveCount(0);

const STOPS: Stop[] = [
  {
    name: 'sign-in',
    path: () => '/signin',
    signedIn: false,
    ready: (p) => expect(p.getByRole('heading', { name: 'Sign in to Kwetter' })).toBeVisible(),
    title: /^Sign in · Kwetter$/,
  },
  {
    name: 'sign-up',
    path: () => '/signup',
    signedIn: false,
    ready: (p) => expect(p.getByRole('heading', { name: 'Create your Kwetter account' })).toBeVisible(),
    title: /^Sign up · Kwetter$/,
  },
  {
    name: 'forgot-password',
    path: () => '/forgot-password',
    signedIn: false,
    ready: (p) => expect(p.getByRole('heading', { name: 'Reset your password' })).toBeVisible(),
    title: /^Reset your password · Kwetter$/,
  },
  {
    name: 'home',
    path: () => '/',
    signedIn: true,
    ready: async (p) => {
      await expect(p.getByTestId('post').first()).toBeVisible();
      await noLoading(p);
    },
    title: /^Home · Kwetter$/,
  },
  {
    name: 'profile',
    path: () => `/@${author.handle}`,
    signedIn: true,
    ready: async (p) => {
      await expect(p.getByTestId('post').first()).toBeVisible();
      await noLoading(p);
    },
    title: new RegExp(`^Tour Author \\(@${author.handle}\\) · Kwetter$`),
  },
  {
    name: 'followers',
    path: () => `/@${author.handle}/followers`,
    signedIn: true,
    ready: async (p) => {
      await expect(p.getByTestId('user-row').first()).toBeVisible();
      await noLoading(p);
    },
    title: new RegExp(`^People following @${author.handle} · Kwetter$`),
  },
  {
    name: 'suggestions',
    path: () => '/suggestions',
    signedIn: true,
    ready: async (p) => {
      await expect(p.getByRole('heading', { name: 'People you may know' })).toBeVisible();
      await noLoading(p);
    },
    title: /^People you may know · Kwetter$/,
  },
  {
    name: 'post',
    path: () => `/post/${postId}`,
    signedIn: true,
    ready: async (p) => {
      await expect(p.getByTestId('post')).toBeVisible();
      await noLoading(p);
    },
    title: /^Tour Author: “.*” · Kwetter$/,
  },
  {
    name: 'not-found',
    path: () => '/no/such/page',
    signedIn: true,
    ready: (p) => expect(p.getByRole('heading', { name: 'Page not found' })).toBeVisible(),
    title: /^Page not found · Kwetter$/,
  },
];

const VARIANTS = [
  { name: 'desktop', viewport: { width: 1280, height: 900 }, colorScheme: 'light' as const },
  { name: 'phone', viewport: { width: 390, height: 844 }, colorScheme: 'light' as const },
  { name: 'dark', viewport: { width: 1280, height: 900 }, colorScheme: 'dark' as const },
];
// Dark mode changes colours only: its contrast is checked on the pages with different parts.
const DARK_PAGES = new Set(['sign-in', 'home', 'profile', 'post', 'forgot-password']);

test.beforeAll(async ({ browser }) => {
  authorAcc = await account(author);
  const readerAcc = await account(reader);
  for (let i = 1; i <= 6; i++) await post(authorAcc, `Tour post ${i} of ${TAG}`);
  postId = await post(authorAcc, `Read https://example.com/kwetter?x=1 and ask @${reader.handle} about it.`);
  await follow(readerAcc, authorAcc);
  await follow(authorAcc, readerAcc);
  await inTimeline(readerAcc, postId);
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await signInInBrowser(page, reader);
  signedIn = await ctx.storageState({ indexedDB: true });
  await ctx.close();
});

async function visit(browser: Browser, v: (typeof VARIANTS)[number], stop: Stop) {
  const ctx = await browser.newContext({
    viewport: v.viewport,
    colorScheme: v.colorScheme,
    storageState: stop.signedIn ? signedIn : undefined,
  });
  await watchLayoutShift(ctx);
  const page = await ctx.newPage();
  page.on('pageerror', (err) => console.error(`[page error] ${err.message}`));
  await page.goto(stop.path());
  try {
    await stop.ready(page);
  } catch (exc) {
    // Recorded and failed at the end, so one missing page does not hide the others' figures.
    await ctx.close();
    return { missing: String(exc).slice(0, 200) };
  }
  // Late arrivals (the sidebar, images, counts) shift things after "ready": give them time.
  await page.waitForTimeout(1000);
  const violations = await axeScan(page);
  const shift = await cls(page);
  const title = await page.title();
  if (v.name !== 'phone' || stop.name === 'home') await shot(page, `tour-${stop.name}-${v.name}`);
  await ctx.close();
  return { violations, shift, title };
}

test('every page: 0 axe violations, CLS < 0.01, its own title (desktop, phone, dark)', async ({ browser }) => {
  test.setTimeout(480_000);
  const missing: string[] = [];
  const results: { page: string; variant: string; violations: AxeViolation[]; cls: number; title: string }[] = [];
  for (const v of VARIANTS) {
    for (const stop of STOPS) {
      if (v.name === 'dark' && !DARK_PAGES.has(stop.name)) continue;
      const r = await visit(browser, v, stop);
      if ('missing' in r) {
        missing.push(`${stop.name}/${v.name}: ${r.missing}`);
        continue;
      }
      results.push({ page: stop.name, variant: v.name, violations: r.violations, cls: r.shift.value, title: r.title });
      if (r.violations.length || r.shift.value >= 0.01) {
        console.log(`${stop.name} ${v.name}: ${JSON.stringify(r.violations)} cls=${r.shift.value} ${JSON.stringify(r.shift.shifts)}`);
      }
    }
  }
  const violations = results.flatMap((r) => r.violations.map((x) => ({ ...x, page: r.page, variant: r.variant })));
  record('axe', {
    scans: results.length,
    pages_missing: missing.length,
    violations: violations.length,
    nodes: violations.reduce((n, x) => n + x.nodes, 0),
    by_rule: Object.fromEntries(
      [...new Set(violations.map((x) => x.id))].map((id) => [id, violations.filter((x) => x.id === id).length]),
    ),
  });
  record('cls', {
    max: Math.max(...results.map((r) => r.cls)),
    by_page: Object.fromEntries(results.map((r) => [`${r.page}/${r.variant}`, Number(r.cls.toFixed(4))])),
  });
  expect(missing).toEqual([]);
  expect(violations, JSON.stringify(violations, null, 1)).toEqual([]);
  for (const r of results) expect(r.cls, `CLS of ${r.page} (${r.variant})`).toBeLessThan(0.01);
  for (const r of results) expect(r.title, r.page).toMatch(STOPS.find((s) => s.name === r.page)!.title);
});
