/**
 * Issue 21's notifications and mentions in the browser, on the real stack: the unread badge in
 * the navigation arrives by polling (no reload), the page groups ("… and N others liked your
 * post") and clears the badge; mentions in posts link by the user id the server resolved (so a
 * later handle change still leads there), unknown handles stay text; the composer's
 * @-typeahead inserts a handle with the keyboard.
 */
import { expect, test, type Browser, type BrowserContext, type Page } from '@playwright/test';
import { newTag, person, shot } from './helpers';
import { account, api, axeScan, post, signInInBrowser, type Account } from './measure';

test.describe.configure({ mode: 'serial' });

const TAG = newTag();
const me = person('nm', 'Notified Person', TAG);
const fans = Array.from({ length: 4 }, (_, i) => person(`nf${i}`, `Fan ${'ABCD'[i]}`, TAG));
const pal = person('np', 'Pal Mentioner', TAG);

let meAcc: Account;
let palAcc: Account;
let fanAccs: Account[] = [];
let likedId = '';
let state: Awaited<ReturnType<BrowserContext['storageState']>>;

async function unreadOf(a: Account): Promise<number> {
  const r = await api(a.token, 'GET', '/v1/notifications/unread');
  return r.ok ? ((await r.json()) as { unread: number }).unread : -1;
}

test.beforeAll(async ({ browser }) => {
  test.setTimeout(300_000);
  meAcc = await account(me);
  palAcc = await account(pal);
  for (const f of fans) fanAccs.push(await account(f));
  likedId = await post(meAcc, `Like this one ${TAG}`);
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await signInInBrowser(await ctx.newPage(), me);
  state = await ctx.storageState({ indexedDB: true });
  await ctx.close();
});

async function open(browser: Browser, phone = false): Promise<Page> {
  const ctx = await browser.newContext({
    storageState: state,
    viewport: phone ? { width: 390, height: 844 } : { width: 1280, height: 900 },
  });
  const page = await ctx.newPage();
  page.on('pageerror', (err) => console.error(`[page error] ${err.message}`));
  return page;
}

test('the badge counts up without a reload; the page groups and clears it', async ({ browser }) => {
  const page = await open(browser);
  await page.goto('/');
  const nav = page.getByTestId('nav-notifications');
  await expect(nav).toBeVisible();
  await expect(page.getByTestId('unread-badge')).toHaveCount(0);

  // Four people like the post, one follows, and Pal mentions me: the badge appears by polling.
  const polled = page.waitForRequest((r) => r.url().includes('/v1/notifications/unread'));
  for (const f of fanAccs) expect((await api(f.token, 'PUT', `/v1/posts/${likedId}/like`)).status).toBe(200);
  expect((await api(fanAccs[0].token, 'PUT', `/v1/users/${meAcc.id}/follow`)).status).toBe(200);
  await post(palAcc, `Hello @${me.handle} and @nobody_${TAG}!`);
  await polled;
  await expect.poll(() => unreadOf(meAcc), { timeout: 60_000 }).toBeGreaterThanOrEqual(3);
  await expect(page.getByTestId('unread-badge')).toHaveText(/^[3-9]$/, { timeout: 30_000 });
  await expect(nav).toHaveAccessibleName(/^Notifications\s*,\s*\d+\s+unread$/);
  const before = page.url();

  await nav.click();
  await expect(page).toHaveURL(/\/notifications$/);
  expect(before).not.toBe(page.url());
  const rows = page.getByTestId('notification');
  const like = rows.and(page.locator('[data-kind="like"]'));
  await expect(like).toHaveCount(1);
  await expect(like.getByTestId('notification-text')).toHaveText(/^New: Fan [A-D], Fan [A-D] and 2 others liked your post$/);
  await expect(page.locator('[data-testid="notification"][data-kind="follow"]')).toContainText('Fan A followed you');
  await expect(page.locator('[data-testid="notification"][data-kind="mention"]')).toContainText('Pal Mentioner mentioned you');
  await shot(page, 'notifications');
  expect(await axeScan(page)).toEqual([]);
  // Seen: the badge is gone and the server agrees.
  await expect(page.getByTestId('unread-badge')).toHaveCount(0);
  await expect.poll(() => unreadOf(meAcc)).toBe(0);
  await like.getByTestId('notification-link').click();
  await expect(page).toHaveURL(new RegExp(`/post/${likedId}$`));
});

test('mentions link by user id; unknown handles stay text', async ({ browser }) => {
  const page = await open(browser);
  await page.goto(`/@${pal.handle}`);
  const card = page.getByTestId('post').filter({ hasText: `Hello @${me.handle}` });
  const mentions = card.getByTestId('post-mention');
  await expect(mentions).toHaveText([`@${me.handle}`]); // @nobody_… is not a user: text
  await expect(mentions.first()).toHaveAttribute('href', `/user/${meAcc.id}`);
  await mentions.first().click();
  await expect(page).toHaveURL(new RegExp(`/@${me.handle}$`));
  await expect(page.getByTestId('profile-name')).toHaveText(me.name);
});

test('the composer suggests people after @ and inserts the handle', async ({ browser }) => {
  const page = await open(browser);
  await page.goto('/');
  const box = page.getByTestId('composer').getByRole('textbox');
  await box.click();
  await box.pressSequentially(`Thanks @${pal.handle.slice(0, -3)}`);
  const option = page.getByTestId('mention-option').filter({ hasText: `@${pal.handle}` });
  await expect(option).toBeVisible();
  await shot(page, 'mention-typeahead');
  expect(await axeScan(page)).toEqual([]);
  while ((await option.getAttribute('aria-selected')) !== 'true') await box.press('ArrowDown');
  await box.press('Enter');
  await expect(box).toHaveValue(`Thanks @${pal.handle} `);
  await expect(page.getByTestId('mention-options')).toBeHidden();
  await box.pressSequentially('for the tip');
  const created = page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/v1/posts'));
  await box.press('Control+Enter');
  const res = await created;
  expect(res.status()).toBe(201);
  const body = (await res.json()) as { mentions?: { user_id: string }[] };
  expect(body.mentions?.map((m) => m.user_id)).toEqual([palAcc.id]);
});
