/**
 * Issue 21's safety tools in the browser, on the real stack: mute, block and report from a
 * post's menu and from a profile's, and the moderation page (a moderator granted by
 * devstack/grant_role.py on the stack's Auth emulator, as `make grant-role` does): an open
 * report is listed, the post is removed with a reason, the audit log says who and why; a
 * non-moderator is told the page is not theirs.
 */
import { expect, test, type Browser, type BrowserContext, type Page } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { newTag, person, shot } from './helpers';
import { account, api, axeScan, follow, inTimeline, post, signInInBrowser, type Account } from './measure';

test.describe.configure({ mode: 'serial' });

const TAG = newTag();
const reader = person('yr', 'Safety Reader', TAG);
const loud = person('yl', 'Loud Poster', TAG);
const rude = person('yu', 'Rude Poster', TAG);
const mod = person('ym', 'Mod Person', TAG);

let readerAcc: Account;
let loudAcc: Account;
let rudeAcc: Account;
let modAcc: Account;
let loudPost = '';
let rudePost = '';
let state: Awaited<ReturnType<BrowserContext['storageState']>>;

/** The moderator role on the stack's Auth emulator (E2E_STACK_DIR: its stack.json's folder). */
function grantModerator(uid: string) {
  const args = ['-m', 'devstack.grant_role', '--uid', uid, '--role', 'moderator'];
  if (process.env.E2E_STACK_DIR) args.push('--workdir', process.env.E2E_STACK_DIR);
  const repo = resolve(process.cwd(), '..');
  execFileSync('python3', args, { cwd: repo, env: { ...process.env, PYTHONPATH: repo }, stdio: 'pipe', timeout: 60_000 });
}

test.beforeAll(async ({ browser }) => {
  test.setTimeout(300_000);
  [readerAcc, loudAcc, rudeAcc, modAcc] = [await account(reader), await account(loud), await account(rude), await account(mod)];
  await follow(readerAcc, loudAcc);
  await follow(readerAcc, rudeAcc);
  loudPost = await post(loudAcc, `So loud ${TAG}`);
  rudePost = await post(rudeAcc, `Something rude ${TAG}`);
  await inTimeline(readerAcc, loudPost);
  await inTimeline(readerAcc, rudePost);
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await signInInBrowser(await ctx.newPage(), reader);
  state = await ctx.storageState({ indexedDB: true });
  await ctx.close();
});

async function open(browser: Browser, storage = state): Promise<Page> {
  const ctx = await browser.newContext({ storageState: storage, viewport: { width: 1280, height: 900 } });
  const page = await ctx.newPage();
  page.on('pageerror', (err) => console.error(`[page error] ${err.message}`));
  return page;
}

const card = (page: Page, text: string) => page.getByTestId('post').filter({ hasText: text });

test("mute from a post's menu: the card steps aside, home stays without them after a reload", async ({ browser }) => {
  const page = await open(browser);
  await page.goto('/');
  const c = card(page, `So loud ${TAG}`);
  await c.getByRole('button', { name: 'More options for this post' }).click();
  await expect(c.getByTestId('safety-menu')).toBeVisible();
  await shot(page, 'safety-post-menu');
  expect(await axeScan(page)).toEqual([]);
  const muted = page.waitForResponse((r) => r.request().method() === 'PUT' && r.url().endsWith(`/users/${loudAcc.id}/mute`));
  await c.getByRole('button', { name: `Mute @${loud.handle}` }).click();
  expect((await muted).status()).toBe(200);
  await expect(page.getByTestId('post-silenced').filter({ hasText: `You muted @${loud.handle}` })).toBeVisible();
  await expect(async () => {
    await page.reload();
    await expect(card(page, `Something rude ${TAG}`)).toBeVisible({ timeout: 5000 });
    await expect(card(page, `So loud ${TAG}`)).toHaveCount(0, { timeout: 1000 });
  }).toPass({ timeout: 30_000 });
  // The profile says so and offers to undo it.
  await page.goto(`/@${loud.handle}`);
  await expect(page.getByTestId('profile-safety')).toContainText(`You muted @${loud.handle}`);
  await page.getByRole('button', { name: `More options for @${loud.handle}` }).click();
  await page.getByRole('button', { name: `Unmute @${loud.handle}` }).click();
  await expect(page.getByTestId('profile-safety')).toHaveCount(0);
});

test("report a post from its menu, block from the profile's", async ({ browser }) => {
  const page = await open(browser);
  await page.goto('/');
  const c = card(page, `Something rude ${TAG}`);
  await c.getByRole('button', { name: 'More options for this post' }).click();
  await c.getByRole('button', { name: 'Report post' }).click();
  const dialog = page.getByTestId('report-dialog');
  await expect(dialog.getByRole('heading', { name: 'Report this post' })).toBeVisible();
  const send = dialog.getByRole('button', { name: 'Send report' });
  await expect(send).toBeDisabled();
  await dialog.getByLabel('Harassment or bullying').check();
  await dialog.getByLabel(/Anything the moderators should know/).fill(`<b>not bold</b> ${TAG}`);
  await shot(page, 'safety-report');
  expect(await axeScan(page)).toEqual([]);
  const sent = page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/v1/reports'));
  await send.click();
  const res = await sent;
  expect([200, 201]).toContain(res.status());
  expect(await res.json()).toMatchObject({ subject: 'post', target: rudePost, reason: 'harassment', status: 'open' });
  await expect(dialog).toBeHidden();
  await expect(page.getByText('Thanks. The moderators will look at it.')).toBeVisible();

  // Block from the profile: the follow goes, nothing of theirs is shown.
  await page.goto(`/@${rude.handle}`);
  await page.getByRole('button', { name: `More options for @${rude.handle}` }).click();
  const blocked = page.waitForResponse((r) => r.request().method() === 'PUT' && r.url().endsWith(`/users/${rudeAcc.id}/block`));
  await page.getByRole('button', { name: `Block @${rude.handle}` }).click();
  expect((await blocked).status()).toBe(200);
  await expect(page.getByTestId('profile-safety')).toContainText(`You blocked @${rude.handle}`);
  await expect(page.getByTestId('profile-blocked')).toBeVisible();
  await page.reload();
  await expect(page.getByTestId('profile-safety')).toContainText(`You blocked @${rude.handle}`);
  await expect(page.getByRole('button', { name: `Following @${rude.handle}` })).toHaveCount(0);
  await shot(page, 'safety-blocked-profile');
  expect(await axeScan(page)).toEqual([]);
});

test('moderation: a non-moderator is refused; a moderator removes the reported post', async ({ browser }) => {
  // The reader is no moderator: the page says so (the server answers 403).
  const page = await open(browser);
  await page.goto('/moderation');
  await expect(page.getByTestId('moderation-error')).toHaveText('This page is for moderators.');
  await expect(page.getByTestId('nav-moderation')).toHaveCount(0);

  grantModerator(modAcc.id);
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const m = await ctx.newPage();
  await signInInBrowser(m, mod); // a fresh token carries the claim
  await expect(m.getByTestId('nav-moderation')).toBeVisible();
  await m.getByTestId('nav-moderation').click();
  await expect(m.getByRole('heading', { name: 'Moderation', level: 1 })).toBeVisible();
  const report = m.getByTestId('report').filter({ hasText: rudePost });
  await expect(report).toBeVisible();
  await expect(report.getByTestId('report-reason')).toHaveText('harassment');
  await expect(report.getByTestId('report-text')).toHaveText(`<b>not bold</b> ${TAG}`);
  await shot(m, 'moderation');
  expect(await axeScan(m)).toEqual([]);
  // A reason is required (the audit log keeps it).
  await report.getByRole('button', { name: 'Remove post' }).click();
  await expect(m.getByText('Say why first: the audit log keeps it.')).toBeVisible();
  await report.getByPlaceholder('Why (for the audit log)').fill(`harassment ${TAG}`);
  const removed = m.waitForResponse((r) => r.url().endsWith(`/v1/moderation/posts/${rudePost}/remove`));
  await report.getByRole('button', { name: 'Remove post' }).click();
  expect((await removed).status()).toBe(200);
  await expect(m.getByTestId('report').filter({ hasText: rudePost })).toHaveCount(0);
  await expect(m.getByTestId('audit-entry').filter({ hasText: rudePost }).first()).toContainText(`harassment ${TAG}`);
  // The post is gone for everyone.
  await expect.poll(async () => (await api(loudAcc.token, 'GET', `/v1/posts/${rudePost}`)).status, { timeout: 30_000 }).toBe(404);
  await ctx.close();
});
