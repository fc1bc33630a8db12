/**
 * Issue 20's web app and issue 23's profile form, in the browser on the real stack: like and
 * repost (optimistic, rolled back with a toast when the request is lost), "reposted by" lines,
 * the reply composer, the thread page (ancestors root first, deleted placeholders, replies
 * paged with "Load more", both orders), reply counts linking to it, the likes tab, and the
 * edit-profile form with the server's 409 / 422 shown at their fields.
 * Accounts are made through the API in beforeAll; the reader signs in once.
 */
import { expect, test, type Browser, type BrowserContext, type Page } from '@playwright/test';
import { newTag, person, shot } from './helpers';
import { account, api, axeScan, follow, inTimeline, post, signInInBrowser, type Account } from './measure';

test.describe.configure({ mode: 'serial' });

const TAG = newTag();
const author = person('au', 'Author Person', TAG);
const other = person('ot', 'Other Person', TAG);
const reader = person('rr', 'Reader Person', TAG);
// Three people the reader follows repost a post of someone the reader does not follow.
const reposters = [person('rp1', 'Bee Reposter', TAG), person('rp2', 'Cee Reposter', TAG), person('rp3', 'Dee Reposter', TAG)];
const stranger = person('st', 'Stranger Person', TAG);

let authorAcc: Account;
let otherAcc: Account;
let readerAcc: Account;
let rootId = '';
let midId = '';
let leafId = '';
let likeMeId = '';
let state: Awaited<ReturnType<BrowserContext['storageState']>>;

async function reply(a: Account, parent: string, text: string): Promise<string> {
  const res = await api(a.token, 'POST', '/v1/posts', { text, reply_to: parent });
  expect(res.status, await res.clone().text()).toBe(201);
  return ((await res.json()) as { id: string }).id;
}

test.beforeAll(async ({ browser }) => {
  test.setTimeout(300_000);
  [authorAcc, otherAcc, readerAcc] = [await account(author), await account(other), await account(reader)];

  // A thread: root (author) ← mid (other) ← leaf (author), and 21 more direct replies to root
  // so its replies take two pages (the page asks for 20).
  rootId = await post(authorAcc, `Root of the thread ${TAG}`);
  midId = await reply(otherAcc, rootId, `A reply in the middle ${TAG}`);
  leafId = await reply(authorAcc, midId, `The leaf ${TAG}`);
  for (let i = 1; i <= 21; i++) await reply(i % 2 ? otherAcc : authorAcc, rootId, `Reply ${i} of ${TAG}`);
  likeMeId = await post(authorAcc, `Like me ${TAG}`);
  await follow(readerAcc, authorAcc);
  await inTimeline(readerAcc, likeMeId);

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

/** axe-core on the page as it is now: the new controls must add no violation. */
async function noAxeViolations(page: Page) {
  expect(await axeScan(page)).toEqual([]);
}

const card = (page: Page, text: string) => page.getByTestId('post').filter({ hasText: text });

test('like and unlike: shown at once, kept by the server, counted', async ({ browser }) => {
  const page = await open(browser);
  await page.goto('/');
  const c = card(page, `Like me ${TAG}`);
  const like = c.getByTestId('like-button');
  await expect(like).toHaveAttribute('aria-pressed', 'false');
  await expect(like).toHaveAccessibleName(/^Like/);
  const answered = page.waitForResponse((r) => r.request().method() === 'PUT' && r.url().endsWith(`/posts/${likeMeId}/like`));
  await like.click();
  await expect(like).toHaveAttribute('aria-pressed', 'true');
  await expect(c.getByTestId('like-count')).toHaveText('1');
  const res = await answered;
  expect(res.status()).toBe(200);
  expect(await res.json()).toMatchObject({ post_id: likeMeId, liked: true, like_count: 1 });

  // The server says so too after a reload (counts are derived asynchronously: poll).
  await expect(async () => {
    await page.reload();
    const again = card(page, `Like me ${TAG}`);
    await expect(again.getByTestId('like-button')).toHaveAttribute('aria-pressed', 'true', { timeout: 3000 });
    await expect(again.getByTestId('like-count')).toHaveText('1', { timeout: 1000 });
  }).toPass({ timeout: 30_000 });
  await shot(page, 'conversation-liked');
  await noAxeViolations(page);

  // The post's page says who liked it.
  await card(page, `Like me ${TAG}`).getByTestId('post-link').click();
  await page.getByTestId('liked-by-toggle').click();
  await expect(page.getByTestId('liked-by').getByTestId('user-row')).toHaveText([new RegExp(`Reader Person\\s*@${reader.handle}`)]);
  await page.goBack();

  // The likes tab of the reader's profile lists it.
  await page.getByTestId('nav-profile').click();
  await page.getByRole('link', { name: 'Likes', exact: true }).click();
  await expect(page).toHaveURL(new RegExp(`/@${reader.handle}/likes$`));
  await expect(card(page, `Like me ${TAG}`)).toBeVisible();
  await expect(page).toHaveTitle(`Posts liked by @${reader.handle} · Kwetter`);
  await page.setViewportSize({ width: 390, height: 844 });
  await shot(page, 'profile-likes-phone');
  await noAxeViolations(page);

  // Unlike from the likes tab.
  const unlike = card(page, `Like me ${TAG}`).getByTestId('like-button');
  const gone = page.waitForResponse((r) => r.request().method() === 'DELETE' && r.url().endsWith(`/posts/${likeMeId}/like`));
  await unlike.click();
  await expect(unlike).toHaveAttribute('aria-pressed', 'false');
  expect((await gone).status()).toBe(200);
  await page.context().close();
});

test('a like or repost whose request is lost rolls back with a message', async ({ browser }) => {
  const page = await open(browser);
  await page.goto('/');
  const c = card(page, `Like me ${TAG}`);
  await expect(c).toBeVisible();
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  await page.route(`**/v1/posts/${likeMeId}/like`, async (route) => {
    await held; // the optimistic state must be visible while the request is out
    await route.abort('connectionrefused');
  });
  const like = c.getByTestId('like-button');
  await expect(like).toHaveAttribute('aria-pressed', 'false');
  // Derived counts may lag the unlike of the test before: compare with what is shown now.
  const before = Number((await c.getByTestId('like-count').textContent()) || 0);
  await like.click();
  await expect(like).toHaveAttribute('aria-pressed', 'true');
  await expect(c.getByTestId('like-count')).toHaveText(String(before + 1));
  release();
  await expect(like).toHaveAttribute('aria-pressed', 'false');
  await expect(c.getByTestId('like-count')).toHaveText(before ? String(before) : '');
  await expect(page.getByRole('alert').filter({ hasText: "Can't reach Kwetter" })).toBeVisible();

  await page.route(`**/v1/posts/${likeMeId}/repost`, (route) =>
    route.fulfill({ status: 409, contentType: 'application/json', body: JSON.stringify({ error: { code: 'post_deleted', message: 'deleted' } }) }),
  );
  const repost = c.getByTestId('repost-button');
  await repost.click();
  await expect(page.getByRole('alert').filter({ hasText: "Couldn't repost: that post was deleted." })).toBeVisible();
  await expect(repost).toHaveAttribute('aria-pressed', 'false');
  await page.context().close();
});

test('reposts: "reposted by" on home, and reposting from the card', async ({ browser }) => {
  const strangerAcc = await account(stranger);
  const repostedId = await post(strangerAcc, `Worth sharing ${TAG}`);
  for (const p of reposters) {
    const r = await account(p);
    await follow(readerAcc, r);
    const res = await api(r.token, 'PUT', `/v1/posts/${repostedId}/repost`);
    expect(res.status, await res.clone().text()).toBe(200);
  }
  // Each repost fans out on its own: wait until the reader's home counts all three.
  await expect
    .poll(
      async () => {
        const r = await api(readerAcc.token, 'GET', '/v1/timeline?limit=20');
        if (!r.ok) return null;
        const items = ((await r.json()) as { items: { id: string; reposted_by?: { count: number } | null }[] }).items;
        return items.find((p) => p.id === repostedId)?.reposted_by?.count ?? null;
      },
      { timeout: 45_000, intervals: [250, 500, 1000] },
    )
    .toBe(3);
  const page = await open(browser);
  await page.goto('/');
  const c = card(page, `Worth sharing ${TAG}`);
  // Which of the three is named first is the server's choice.
  await expect(c.getByTestId('reposted-by')).toHaveText(/^Reposted by (Bee|Cee|Dee) Reposter and 2 others$/);
  const named = c.getByTestId('reposted-by').getByRole('link');
  await expect(named).toHaveCount(1);
  const first = await named.textContent();
  const who = reposters.find((p) => p.name === first)!;
  await expect(named).toHaveAttribute('href', `/@${who.handle}`);
  // The item is the original post, shown once, with its repost count.
  await expect(page.getByTestId('post').filter({ hasText: `Worth sharing ${TAG}` })).toHaveCount(1);
  await expect(c.getByTestId('repost-count')).toHaveText('3');
  await expect(c.getByTestId('post-author')).toHaveText('Stranger Person');
  await shot(page, 'conversation-reposted-by');
  await noAxeViolations(page);

  const own = card(page, `Like me ${TAG}`).getByTestId('repost-button');
  const answered = page.waitForResponse((r) => r.request().method() === 'PUT' && r.url().endsWith(`/posts/${likeMeId}/repost`));
  await own.click();
  await expect(own).toHaveAttribute('aria-pressed', 'true');
  expect(await (await answered).json()).toMatchObject({ reposted: true, repost_count: 1 });
  const undone = page.waitForResponse((r) => r.request().method() === 'DELETE' && r.url().endsWith(`/posts/${likeMeId}/repost`));
  await own.click();
  await expect(own).toHaveAttribute('aria-pressed', 'false');
  expect(await (await undone).json()).toMatchObject({ reposted: false, repost_count: 0 });
  await page.context().close();
});

test('thread page: ancestors root first, replies paged, both orders, a reply from the composer', async ({ browser }) => {
  const page = await open(browser);
  // The leaf's page shows the chain above it, root first.
  await page.goto(`/post/${leafId}`);
  await expect(page.getByTestId('thread-post').getByTestId('post-text')).toHaveText(`The leaf ${TAG}`);
  const ancestors = page.getByTestId('ancestors').getByTestId('post-text');
  await expect(ancestors).toHaveText([`Root of the thread ${TAG}`, `A reply in the middle ${TAG}`]);
  await expect(page.getByTestId('no-replies')).toBeVisible();

  // From the home timeline, the root's reply count links to its page.
  await page.goto('/');
  const rootCard = card(page, `Root of the thread ${TAG}`);
  await expect(rootCard.getByTestId('reply-count')).toHaveText('22');
  await expect(rootCard.getByTestId('reply-link')).toHaveAccessibleName('Reply, 22 replies');
  await rootCard.getByTestId('reply-link').click();
  await expect(page).toHaveURL(new RegExp(`/post/${rootId}$`));
  const replies = page.getByTestId('replies').getByTestId('post');
  await expect(replies).toHaveCount(20);
  await expect(replies.first().getByTestId('post-text')).toHaveText(`A reply in the middle ${TAG}`);
  await expect(replies.first().getByTestId('reply-count')).toHaveText('1');
  await page.getByTestId('more-replies').click();
  await expect(replies).toHaveCount(22);
  await expect(page.getByTestId('more-replies')).toHaveCount(0);
  await expect(replies.last().getByTestId('post-text')).toHaveText(`Reply 21 of ${TAG}`);

  await page.getByRole('button', { name: 'Newest first' }).click();
  await expect(page.getByRole('button', { name: 'Newest first' })).toHaveAttribute('aria-pressed', 'true');
  await expect(replies.first().getByTestId('post-text')).toHaveText(`Reply 21 of ${TAG}`);

  // The reply composer: the reply shows at once, the count moves, the server has it.
  await page.getByLabel('Post your reply').fill(`My answer ${TAG}`);
  const sent = page.waitForRequest((r) => r.method() === 'POST' && r.url().endsWith('/v1/posts'));
  await page.getByRole('button', { name: 'Reply', exact: true }).click();
  expect((await sent).postDataJSON()).toMatchObject({ text: `My answer ${TAG}`, reply_to: rootId });
  await expect(replies.first().getByTestId('post-text')).toHaveText(`My answer ${TAG}`);
  await expect(page.getByTestId('thread-post').getByTestId('reply-count')).toHaveText('23');
  await page.getByLabel('Post your reply').fill('');
  await shot(page, 'conversation-thread');
  await noAxeViolations(page);
  await expect(async () => {
    await page.reload();
    await page.getByRole('button', { name: 'Newest first' }).click();
    await expect(page.getByTestId('replies').getByTestId('post').first().getByTestId('post-text')).toHaveText(
      `My answer ${TAG}`,
      { timeout: 3000 },
    );
  }).toPass({ timeout: 30_000 });
  await page.context().close();
});

test('a deleted post in a thread stays as a placeholder; its replies stay readable', async ({ browser }) => {
  const del = await api(otherAcc.token, 'DELETE', `/v1/posts/${midId}`);
  expect([200, 204]).toContain(del.status);
  const page = await open(browser, { phone: true });
  await expect(async () => {
    await page.goto(`/post/${leafId}`);
    await expect(page.getByTestId('ancestors').getByTestId('post-deleted')).toHaveText('This post was deleted.', {
      timeout: 3000,
    });
  }).toPass({ timeout: 30_000 });
  await expect(page.getByTestId('ancestors').getByTestId('post-text')).toHaveText([`Root of the thread ${TAG}`]);
  await expect(page.getByTestId('thread-post').getByTestId('post-text')).toHaveText(`The leaf ${TAG}`);
  await shot(page, 'conversation-deleted-phone');
  await noAxeViolations(page);
  await page.context().close();
});

test('edit profile: name and bio saved, a taken handle and a refused field shown at the field, a new handle', async ({ browser }) => {
  const page = await open(browser);
  await page.goto(`/@${reader.handle}`);
  await page.getByTestId('edit-profile').click();
  const name = page.getByLabel('Display name');
  await expect(name).toBeFocused();
  await expect(name).toHaveValue(reader.name);

  // Checked in the browser first: an empty name and a 161-character bio.
  await name.fill('   ');
  await page.getByLabel('Bio').fill('b'.repeat(161));
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByTestId('error-display_name')).toHaveText('A display name has 1 to 50 characters.');
  await expect(page.getByTestId('error-bio')).toHaveText('A bio has at most 160 characters.');
  await expect(name).toBeFocused();
  await expect(name).toHaveAttribute('aria-invalid', 'true');

  // The server's 409: someone else has the handle.
  await name.fill('Reader Renamed');
  await page.getByLabel('Bio').fill('Reads a lot. Writes a little. <b>not bold</b>');
  await page.getByLabel('Handle').fill(author.handle.toUpperCase());
  const taken = page.waitForResponse((r) => r.request().method() === 'PATCH' && r.url().endsWith('/v1/me'));
  await page.getByRole('button', { name: 'Save' }).click();
  const t = await taken;
  expect(t.status()).toBe(409);
  expect(((await t.json()) as { error: { code: string } }).error.code).toBe('handle_taken');
  await expect(page.getByTestId('error-handle')).toHaveText('That handle is taken. Try another one.');
  await expect(page.getByLabel('Handle')).toBeFocused();

  // The server's 422 (a request the form would not send, altered on the wire): at its field.
  await page.getByLabel('Handle').fill(reader.handle);
  await page.route('**/v1/me', async (route) => {
    if (route.request().method() !== 'PATCH') return route.continue();
    await route.continue({ postData: JSON.stringify({ display_name: 'x'.repeat(51) }) });
  });
  const refused = page.waitForResponse((r) => r.request().method() === 'PATCH' && r.url().endsWith('/v1/me'));
  await page.getByRole('button', { name: 'Save' }).click();
  const r = await refused;
  expect(r.status()).toBe(422);
  expect(((await r.json()) as { error: { details: { field: string } } }).error.details.field).toBe('display_name');
  await expect(page.getByTestId('error-display_name')).toHaveText(
    'Kwetter did not accept this display name: use 1 to 50 characters, without control characters.',
  );
  await shot(page, 'profile-edit-errors');
  await noAxeViolations(page);
  await page.unroute('**/v1/me');

  // Saved: the profile and the header show it at once, and after a reload.
  const saved = page.waitForResponse((r2) => r2.request().method() === 'PATCH' && r2.url().endsWith('/v1/me'));
  await page.getByRole('button', { name: 'Save' }).click();
  expect((await saved).status()).toBe(200);
  await expect(page.getByTestId('profile-name')).toHaveText('Reader Renamed');
  await expect(page.getByTestId('profile-bio')).toHaveText('Reads a lot. Writes a little. <b>not bold</b>');
  await expect(page.getByText('Profile saved.')).toBeVisible();
  await page.reload();
  await expect(page.getByTestId('profile-name')).toHaveText('Reader Renamed');

  // A new handle: the address follows it, the header too.
  const fresh = `nh_${TAG}`;
  await page.getByTestId('edit-profile').click();
  await page.getByLabel('Handle').fill(fresh);
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page).toHaveURL(new RegExp(`/@${fresh}$`));
  await expect(page.getByTestId('nav-profile')).toHaveText(`@${fresh}`);
  await expect(page.getByTestId('profile-name')).toHaveText('Reader Renamed');
  await shot(page, 'profile-edited');
  await page.context().close();
});
