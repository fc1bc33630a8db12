/**
 * What people expect of a timeline app, each in the browser on the real stack: the skip link,
 * focus and titles on navigation, dark mode (system + toggle), the post page, safe links and
 * mentions, the image viewer, keyboard shortcuts, "forgot password" on the Auth emulator, a long
 * own handle in the header, the "N new posts" pill, and bidi isolation of names.
 * One set of accounts for the file (made through the API in beforeAll) keeps it quick.
 */
import { expect, test, type Browser, type BrowserContext, type Page } from '@playwright/test';
import { AUTH, newTag, person, shot } from './helpers';
import { account, api, follow, imagePost, inTimeline, post, signInInBrowser, type Account } from './measure';
import { makePng } from './png';

test.describe.configure({ mode: 'serial' });

const TAG = newTag();
const PROJECT = process.env.E2E_PROJECT_ID || 'demo-kwetter-e2e';
// 30 characters, the longest handle the API allows.
const longHandle = `l${TAG}`.padEnd(30, 'x').slice(0, 30);
const writer = person('wr', 'Writer Person', TAG);
const reader = { ...person('rd', 'Reader Person', TAG), handle: longHandle };
let writerAcc: Account;
let readerAcc: Account;
let linkPostId = '';
let imagePostId = '';
let state: Awaited<ReturnType<BrowserContext['storageState']>>;

test.beforeAll(async ({ browser }) => {
  writerAcc = await account(writer);
  readerAcc = await account(reader);
  for (let i = 1; i <= 12; i++) await post(writerAcc, `Filler ${i} ${TAG}\nwith a second line\nand a third`);
  imagePostId = await imagePost(writerAcc, `A picture ${TAG}`, makePng(640, 360, 200), 'Blue tiles on white');
  linkPostId = await post(
    writerAcc,
    `Links ${TAG}: https://example.com/a?b=1, javascript:alert(1) and @${reader.handle}.`,
  );
  await follow(readerAcc, writerAcc);
  await inTimeline(readerAcc, linkPostId);
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await signInInBrowser(await ctx.newPage(), reader);
  state = await ctx.storageState({ indexedDB: true });
  await ctx.close();
});

async function open(browser: Browser, opts: { phone?: boolean; dark?: boolean } = {}): Promise<Page> {
  const ctx = await browser.newContext({
    storageState: state,
    viewport: opts.phone ? { width: 390, height: 844 } : { width: 1280, height: 900 },
    colorScheme: opts.dark ? 'dark' : 'light',
  });
  const page = await ctx.newPage();
  page.on('pageerror', (err) => console.error(`[page error] ${err.message}`));
  return page;
}

test('skip link, focus on the new page, logo name, titles', async ({ browser }) => {
  const page = await open(browser);
  await page.goto('/');
  await expect(page.getByTestId('post').first()).toBeVisible();
  await expect(page).toHaveTitle('Home · Kwetter');
  // The logo's accessible name is its visible word.
  await expect(page.getByTestId('logo')).toHaveAccessibleName('Kwetter');

  // The skip link moves focus into the main column: the next Tab is the composer, not the header.
  await page.keyboard.press('Tab');
  await expect(page.getByRole('link', { name: 'Skip to content' })).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page.locator('#main')).toBeFocused();
  await page.keyboard.press('Tab');
  await expect(page.getByLabel("What's happening?")).toBeFocused();

  // A navigation puts focus on the new page's heading, and names the tab.
  await page.getByTestId('post').filter({ hasText: `Links ${TAG}` }).getByRole('link', { name: 'Writer Person' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Writer Person' })).toBeFocused();
  await expect(page).toHaveTitle(`Writer Person (@${writer.handle}) · Kwetter`);
  await page.getByRole('link', { name: 'People', exact: true }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'People you may know' })).toBeFocused();
  await expect(page).toHaveTitle('People you may know · Kwetter');
  await page.goBack();
  await expect(page.getByRole('heading', { level: 1, name: 'Writer Person' })).toBeFocused();
  await page.context().close();
});

test('dark mode follows the system and a persisted toggle', async ({ browser }) => {
  const page = await open(browser, { dark: true });
  await page.goto('/');
  await expect(page.getByTestId('post').first()).toBeVisible();
  const bg = () => page.locator('#main').evaluate((el) => getComputedStyle(el).backgroundColor);
  const html = page.locator('html');
  await expect(html).toHaveClass(/\bdark\b/);
  const darkBg = await bg();
  await shot(page, 'dark-home');
  // System → dark (saved) → light (saved) → system.
  const toggle = page.getByTestId('theme-toggle');
  await expect(toggle).toHaveAccessibleName('Theme: system (dark)');
  await toggle.click();
  await expect(toggle).toHaveAccessibleName('Theme: dark');
  await toggle.click();
  await expect(toggle).toHaveAccessibleName('Theme: light');
  await expect(html).not.toHaveClass(/\bdark\b/);
  expect(await bg()).not.toBe(darkBg);
  // The choice outlives a reload, before the first paint (no dark flash): set by index.html.
  await page.reload();
  await expect(html).not.toHaveClass(/\bdark\b/);
  await expect(page.getByTestId('theme-toggle')).toHaveAccessibleName('Theme: light');
  await page.getByTestId('theme-toggle').click();
  await expect(html).toHaveClass(/\bdark\b/);
  await page.context().close();
});

test('post page from the timestamp; safe links and mentions', async ({ browser }) => {
  const page = await open(browser);
  await page.goto('/');
  const card = page.getByTestId('post').filter({ hasText: `Links ${TAG}` });
  await card.getByTestId('post-link').click();
  await expect(page).toHaveURL(new RegExp(`/post/${linkPostId}$`));
  await expect(page.getByRole('heading', { level: 1, name: 'Post' })).toBeFocused();
  await expect(page).toHaveTitle(/^Writer Person: “Links .*” · Kwetter$/);
  const text = page.getByTestId('post-text');
  const link = text.getByRole('link', { name: 'https://example.com/a?b=1', exact: true });
  await expect(link).toHaveAttribute('href', 'https://example.com/a?b=1');
  await expect(link).toHaveAttribute('rel', 'noopener nofollow ugc');
  await expect(link).toHaveAttribute('target', '_blank');
  // The comma after the URL and the javascript: text stay text.
  await expect(text).toContainText('https://example.com/a?b=1, javascript:alert(1) and');
  expect(await text.locator('a[href^="javascript"]').count()).toBe(0);
  await text.getByRole('link', { name: `@${reader.handle}` }).click();
  await expect(page).toHaveURL(new RegExp(`/@${reader.handle}$`));
  await expect(page.getByTestId('profile-name')).toHaveText(reader.name);
  // A post that does not exist says so.
  await page.goto('/post/1');
  await expect(page.getByText('This post does not exist, or it was deleted.')).toBeVisible();
  await page.context().close();
});

test('the image viewer shows the full-size image with its alt text', async ({ browser }) => {
  const page = await open(browser, { phone: true });
  await page.goto(`/post/${imagePostId}`);
  const link = page.getByTestId('post-image-link');
  await expect(link).toHaveAccessibleName('Blue tiles on white');
  await link.click();
  const viewer = page.getByRole('dialog', { name: 'Image: Blue tiles on white' });
  await expect(viewer).toBeVisible();
  const full = viewer.getByTestId('full-image');
  await expect(full).toHaveAttribute('alt', 'Blue tiles on white');
  await expect.poll(() => full.evaluate((el: HTMLImageElement) => (el.complete ? el.naturalWidth : 0))).toBe(640);
  await expect(viewer.getByText('Blue tiles on white')).toBeVisible();
  await shot(page, 'image-viewer-phone');
  await page.keyboard.press('Escape');
  await expect(viewer).toBeHidden();
  await expect(link).toBeFocused();
  await page.context().close();
});

test('keyboard: j / k move between posts, o opens, n composes, ? helps', async ({ browser }) => {
  const page = await open(browser);
  await page.goto('/');
  const posts = page.getByTestId('post');
  await expect(posts.nth(2)).toBeVisible();
  await page.locator('body').press('j');
  await expect(posts.nth(0)).toBeFocused();
  await page.keyboard.press('j');
  await page.keyboard.press('j');
  await expect(posts.nth(2)).toBeFocused();
  await page.keyboard.press('k');
  await expect(posts.nth(1)).toBeFocused();
  const id = await posts.nth(1).getAttribute('data-post-id');
  await page.keyboard.press('o');
  await expect(page).toHaveURL(new RegExp(`/post/${id}$`));
  await page.keyboard.press('n');
  await expect(page).toHaveURL(/\/$/);
  const box = page.getByLabel("What's happening?");
  await expect(box).toBeFocused();
  // Typing is typing: "j" goes into the box, nothing moves.
  await page.keyboard.type('just j and k');
  await expect(box).toHaveValue('just j and k');
  await box.blur();
  await page.keyboard.press('?');
  const help = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
  await expect(help).toBeVisible();
  await expect(help).toContainText('Next post');
  await page.keyboard.press('Escape');
  await expect(help).toBeHidden();
  await page.context().close();
});

test('your own 30-character handle is whole in the phone header', async ({ browser }) => {
  const page = await open(browser, { phone: true });
  await page.goto('/');
  const nav = page.getByTestId('nav-profile');
  await expect(nav).toHaveText(`@${longHandle}`);
  // Not cut: every character laid out inside the link, and the header not wider than the phone.
  const fits = await nav.evaluate((el) => el.scrollWidth <= el.clientWidth && el.scrollHeight <= el.clientHeight + 1);
  expect(fits).toBe(true);
  const r = await nav.boundingBox();
  expect(r!.x + r!.width).toBeLessThanOrEqual(390);
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  await shot(page, 'phone-header-long-handle');
  await page.context().close();
});

test('forgot password: the Auth emulator reset flow, then sign in with the new password', async ({ browser }) => {
  const who = person('fp', 'Forgetful', TAG);
  await account(who);
  const ctx = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const page = await ctx.newPage();
  await page.goto('/signin');
  await page.getByRole('link', { name: 'Forgot password?' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Reset your password' })).toBeFocused();
  await expect(page).toHaveTitle('Reset your password · Kwetter');
  await page.getByLabel('Email').fill(who.email);
  await page.getByRole('button', { name: 'Send reset link' }).click();
  await expect(page.getByTestId('reset-sent')).toContainText(who.email);
  // The emulator "sends" the e-mail by listing it; its link carries the one-time code.
  const codes = (await (await fetch(`${AUTH}/emulator/v1/projects/${PROJECT}/oobCodes`)).json()) as {
    oobCodes: { email: string; requestType: string; oobCode: string }[];
  };
  const mail = codes.oobCodes.filter((c) => c.email === who.email && c.requestType === 'PASSWORD_RESET').pop();
  expect(mail, JSON.stringify(codes).slice(0, 500)).toBeTruthy();
  await page.goto(`/reset-password?mode=resetPassword&oobCode=${encodeURIComponent(mail!.oobCode)}`);
  await expect(page.getByText(`For ${who.email}`)).toBeVisible();
  await page.getByLabel('New password', { exact: true }).fill('a-new-secret-7');
  await page.getByRole('button', { name: 'Save and sign in' }).click();
  await expect(page.getByRole('heading', { name: 'Home', exact: true })).toBeVisible();
  // The old password is refused now; the new one works.
  const old = await fetch(`${AUTH}/identitytoolkit.googleapis.com/v1/accounts:signInWithPassword?key=demo-key`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ email: who.email, password: 'correct-horse-9', returnSecureToken: true }),
  });
  expect(old.status).toBe(400);
  // A used code is refused with a sentence.
  await page.goto(`/reset-password?oobCode=${encodeURIComponent(mail!.oobCode)}`);
  await expect(page.getByRole('alert')).toContainText('reset link');
  await ctx.close();
});

test('new posts wait in an "N new posts" pill while you read further down', async ({ browser }) => {
  const page = await open(browser, { phone: true });
  await page.goto('/');
  const posts = page.getByTestId('post');
  await expect(posts.nth(10)).toBeVisible();
  await posts.nth(8).scrollIntoViewIfNeeded();
  await page.mouse.wheel(0, 200);
  const reading = posts.nth(8);
  const before = (await reading.boundingBox())!.y;
  const id = await post(writerAcc, `Fresh while reading ${TAG}`);
  await inTimeline(readerAcc, id);
  const pill = page.getByTestId('new-posts');
  await expect(pill).toHaveAccessibleName('1 new post', { timeout: 20_000 });
  // Nothing moved under the reader's eyes.
  expect(Math.abs((await reading.boundingBox())!.y - before)).toBeLessThan(1);
  await expect(page.getByTestId('post-text').filter({ hasText: `Fresh while reading ${TAG}` })).toHaveCount(0);
  await shot(page, 'new-posts-pill-phone');
  await pill.click();
  await expect(posts.first()).toContainText(`Fresh while reading ${TAG}`);
  await expect(posts.first()).toBeFocused();
  await expect.poll(() => page.evaluate(() => window.scrollY)).toBeLessThan(5);
  await expect(pill).toBeHidden();
  await page.context().close();
});

test('names are isolated: a bidi override cannot reorder the handle and time next to it', async ({ browser }) => {
  const page = await open(browser);
  // The server refuses such names now (issue 16), so an older record is simulated on the wire:
  // the web app must not rely on that refusal.
  // The post page reads the thread (issue 20): its `post` is the one shown.
  await page.route(`**/v1/posts/${linkPostId}/thread**`, async (route) => {
    const res = await route.fetch();
    const body = (await res.json()) as { post: { author?: { display_name?: string } } };
    body.post.author = { ...body.post.author, display_name: 'Mallory\u202E' };
    await route.fulfill({ response: res, json: body });
  });
  await page.goto(`/post/${linkPostId}`);
  const card = page.getByTestId('post');
  await expect(card.getByTestId('post-author')).toHaveText('Mallory\u202E');
  const name = (await card.getByTestId('post-author').boundingBox())!;
  const handle = (await card.getByText(`@${writer.handle}`).boundingBox())!;
  const time = (await card.getByTestId('post-link').boundingBox())!;
  // Left to right as always: name, then handle, then time.
  expect(handle.x).toBeGreaterThan(name.x + name.width - 1);
  expect(time.x).toBeGreaterThan(handle.x + handle.width - 1);
  expect(await card.getByTestId('post-text').getAttribute('dir')).toBe('auto');
  await page.context().close();
});

test('someone who follows nobody is told so, not that a timeline is being rebuilt', async ({ browser }) => {
  const who = person('nb', 'Nobody Followed', TAG);
  const acc = await account(who);
  expect((await api(acc.token, 'GET', '/v1/timeline')).status).toBeLessThan(300);
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await signInInBrowser(page, who);
  await expect(page.getByTestId('empty-timeline')).toContainText("You're not following anyone yet");
  await expect(page.getByTestId('regenerating')).toHaveCount(0);
  await ctx.close();
});

test('a new account is asked to follow a few people, from cold-start suggestions', async ({ browser }) => {
  const who = person('ob', 'Onboarding Person', TAG);
  const ctx = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const page = await ctx.newPage();
  await page.goto('/signup');
  await page.getByLabel('Email').fill(who.email);
  await page.getByLabel('Password').fill('correct-horse-9');
  await page.getByRole('button', { name: 'Sign up' }).click();
  await page.getByRole('textbox', { name: 'Handle', exact: true }).fill(who.handle);
  await page.getByRole('textbox', { name: 'Display name', exact: true }).fill(who.name);
  await page.getByRole('button', { name: 'Continue' }).click();
  await expect(page).toHaveURL(/\/welcome$/);
  await expect(page.getByRole('heading', { level: 1, name: 'Follow a few people' })).toBeFocused();
  await expect(page).toHaveTitle('Follow a few people · Kwetter');
  // The graph knows nothing about a new account: these are active, popular accounts.
  const rows = page.getByTestId('user-row');
  await expect(rows.first()).toBeVisible();
  await expect(rows.first().getByTestId('mutual')).toHaveText('Popular on Kwetter');
  await expect(rows.filter({ hasText: `@${who.handle}` })).toHaveCount(0);
  await expect(page.getByTestId('welcome-count')).toHaveText('Following nobody yet');
  const answered = page.waitForResponse((r) => r.request().method() === 'PUT' && r.url().endsWith('/follow'));
  await rows.first().getByTestId('follow-button').click();
  expect((await answered).status()).toBe(200);
  await expect(page.getByTestId('welcome-count')).toHaveText('Following 1');
  await shot(page, 'welcome-phone');
  await page.getByRole('link', { name: 'Continue to your timeline' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Home' })).toBeFocused();
  await ctx.close();
});
