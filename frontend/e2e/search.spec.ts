/**
 * Issue 22's web app on the real stack (OpenSearch behind functions/search): the search box in
 * the navigation with its people typeahead, the results page (Top / Latest, cursor pages,
 * refused queries said in words), hashtags in posts as links to their page, and the trends
 * panel. Posts are made through the API and waited for in the index before the browser looks.
 */
import { expect, test, type Browser, type BrowserContext, type Page } from '@playwright/test';
import { newTag, person, shot } from './helpers';
import { account, api, axeScan, post, signInInBrowser, type Account } from './measure';

test.describe.configure({ mode: 'serial' });

const TAG = newTag();
// A word no other run's posts contain, so the result counts are this run's.
const WORD = `zq${TAG}`;
const BREW = `Brew${TAG}`; // a hashtag as typed; its page is the folded /hashtag/brew…
const SPIKE = `spike${TAG}`; // used by 6 accounts at once: a trend (floor 5, baseline 0)
const author = person('sa', `Quill ${TAG}`, TAG);
const reader = person('sr', 'Search Reader', TAG);
const spikers = Array.from({ length: 6 }, (_, i) => person(`sk${i}`, `Spiker ${i}`, TAG));

let authorAcc: Account;
let readerAcc: Account;
const wordPosts: string[] = [];
let state: Awaited<ReturnType<BrowserContext['storageState']>>;

async function searchIds(a: Account, path: string): Promise<string[]> {
  const r = await api(a.token, 'GET', path);
  if (!r.ok) return [];
  return ((await r.json()) as { items: { id: string }[] }).items.map((p) => p.id);
}

test.beforeAll(async ({ browser }) => {
  test.setTimeout(300_000);
  [authorAcc, readerAcc] = [await account(author), await account(reader)];
  // 23 posts with the word: one page of 20 and a second of 3.
  for (let i = 1; i <= 23; i++) wordPosts.push(await post(authorAcc, `Searchable ${WORD} number ${i}`));
  await post(authorAcc, `Morning coffee #${BREW} <img src=x onerror="document.title='owned'"> a#b &#39; #1`);
  await post(authorAcc, `Second cup #${BREW.toUpperCase()}`);
  for (const s of spikers) await post(await account(s), `Look up! #${SPIKE}`);

  // Indexing is asynchronous (Pub/Sub push → search_indexer → a 1 s refresh): wait for the
  // index, and for the trends (cached 30 s by each search instance), before the browser looks.
  await expect
    .poll(async () => (await searchIds(readerAcc, `/v1/search/posts?q=${WORD}&limit=50`)).length, {
      timeout: 90_000,
      intervals: [500, 1000, 2000],
    })
    .toBe(23);
  await expect
    .poll(async () => (await searchIds(readerAcc, `/v1/hashtags/${BREW.toLowerCase()}/posts`)).length, { timeout: 60_000 })
    .toBe(2);
  await expect
    .poll(
      async () => {
        const r = await api(readerAcc.token, 'GET', '/v1/trends');
        return r.ok ? ((await r.json()) as { items: { tag: string }[] }).items.map((t) => t.tag) : [];
      },
      { timeout: 90_000, intervals: [2000, 5000] },
    )
    .toContain(SPIKE);

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

async function noAxeViolations(page: Page) {
  expect(await axeScan(page)).toEqual([]);
}

test('people typeahead in the navigation: arrows and Enter open a profile', async ({ browser }) => {
  const page = await open(browser);
  await page.goto('/');
  const box = page.locator('#nav-search');
  await expect(box).toHaveAttribute('role', 'combobox');
  await expect(box).toHaveAttribute('aria-expanded', 'false');
  // The start of the handle, with an @ as people type it.
  await box.fill(`@${author.handle.slice(0, -2)}`);
  const list = page.getByTestId('search-form-nav-search').getByRole('listbox');
  const user = list.getByRole('option', { name: new RegExp(`@${author.handle}`) });
  await expect(user).toBeVisible();
  await expect(box).toHaveAttribute('aria-expanded', 'true');
  // First option: search the posts for what was typed.
  await expect(list.getByRole('option').first()).toHaveText(/Search posts for/);
  await shot(page, 'search-typeahead');
  await noAxeViolations(page);

  await box.press('ArrowDown');
  await box.press('ArrowDown');
  await expect(user).toHaveAttribute('aria-selected', 'true');
  await expect(box).toHaveAttribute('aria-activedescendant', (await user.getAttribute('id'))!);
  await box.press('Enter');
  await expect(page).toHaveURL(new RegExp(`/@${author.handle}$`));
  await expect(page.getByTestId('profile-name')).toHaveText(author.name);

  // A word of the display name finds them too; Escape closes the list.
  await box.fill(`quill ${TAG.slice(0, 4)}`);
  await expect(list.getByRole('option', { name: new RegExp(`@${author.handle}`) })).toBeVisible();
  await box.press('Escape');
  await expect(box).toHaveAttribute('aria-expanded', 'false');
});

test('results page: relevance and newest, cursor pages, a refused query said in words', async ({ browser }) => {
  const page = await open(browser);
  await page.goto('/');
  const box = page.locator('#nav-search');
  await box.fill(WORD);
  await box.press('Enter');
  await expect(page).toHaveURL(new RegExp(`/search\\?q=${WORD}$`));
  await expect(page).toHaveTitle(`Search: ${WORD} · Kwetter`);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(`Search results for “${WORD}”`);
  await expect(page.getByTestId('sort-relevance')).toHaveAttribute('aria-current', 'page');
  const results = page.getByTestId('feed').getByTestId('post');
  await expect(results).toHaveCount(20);
  await shot(page, 'search-results');
  await noAxeViolations(page);

  // The second page by cursor (the button or the scroll), then the end.
  const more = page.waitForResponse((r) => r.url().includes('/v1/search/posts') && r.url().includes('cursor='));
  // Scrolling near the end asks for it (the button is there for keyboards).
  await page.getByRole('button', { name: 'Load more results' }).scrollIntoViewIfNeeded();
  expect((await more).status()).toBe(200);
  await expect(results).toHaveCount(23);
  await expect(page.getByText("That's every post that matches.")).toBeVisible();
  const ids = await results.evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.postId));
  expect(new Set(ids).size).toBe(23);

  // Latest: newest first, the address says so (back and forward work, links can be shared).
  await page.getByTestId('sort-newest').click();
  await expect(page).toHaveURL(new RegExp(`/search\\?q=${WORD}&sort=newest$`));
  await expect(page.getByTestId('sort-newest')).toHaveAttribute('aria-current', 'page');
  await expect(results.first()).toHaveAttribute('data-post-id', wordPosts[22]);
  await expect(results.first()).toContainText(`number 23`);
  await page.goBack();
  await expect(page.getByTestId('sort-relevance')).toHaveAttribute('aria-current', 'page');

  // A typo is forgiven (one edit).
  await page.goto(`/search?q=${encodeURIComponent(`Serchable ${WORD}`)}`);
  await expect(results).toHaveCount(20);

  // A wildcard is refused by the server (400 reason wildcard): a sentence, no results, no crash.
  await page.goto(`/search?q=${encodeURIComponent(`${WORD.slice(0, 4)}*`)}`);
  await expect(page.getByText('Wildcards (*) are not supported')).toBeVisible();

  // Nothing found.
  await page.goto(`/search?q=nothing${TAG}here`);
  await expect(page.getByTestId('no-results')).toBeVisible();
});

test('hashtags in posts link to their page; user text stays text', async ({ browser }) => {
  const page = await open(browser);
  await page.goto(`/search?q=${encodeURIComponent(`#${BREW}`)}`);
  const c = page.getByTestId('post').filter({ hasText: 'Morning coffee' });
  await expect(c).toBeVisible();
  // The markup in the post is text: no image element, the title untouched.
  await expect(c.getByTestId('post-text')).toContainText('<img src=x onerror=');
  await expect(c.getByTestId('post-text').locator('img')).toHaveCount(0);
  // Only the real tag is a link (a#b, &#39; and #1 are not tags).
  const tags = c.getByTestId('post-hashtag');
  await expect(tags).toHaveText([`#${BREW}`]);
  await expect(tags.first()).toHaveAttribute('href', `/hashtag/${BREW.toLowerCase()}`);
  await tags.first().click();

  await expect(page).toHaveURL(new RegExp(`/hashtag/${BREW.toLowerCase()}$`));
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(`#${BREW.toLowerCase()}`);
  await expect(page).toHaveTitle(`#${BREW.toLowerCase()} · Kwetter`);
  const posts = page.getByTestId('feed').getByTestId('post');
  // Newest first; both spellings are one tag.
  await expect(posts).toHaveCount(2);
  await expect(posts.first()).toContainText('Second cup');
  await expect(page.title()).resolves.not.toBe('owned');
  await shot(page, 'search-hashtag');
  await noAxeViolations(page);

  // An address that is not a tag says so without asking the server.
  await page.goto('/hashtag/1234');
  await expect(page.getByTestId('not-a-tag')).toBeVisible();
});

test('trends: the panel beside Home, the list on the phone search page', async ({ browser }) => {
  const page = await open(browser);
  await page.goto('/');
  const panel = page.getByRole('complementary').getByTestId('trends');
  await expect(panel.getByRole('heading', { name: 'Trending' })).toBeVisible();
  // The panel shows the server's first five, in its order (on a stack other runs used, their
  // tags may trend too: the full list on the search page always has this run's).
  const server = ((await (await api(readerAcc.token, 'GET', '/v1/trends')).json()) as { items: { tag: string }[] }).items;
  const rows = panel.getByTestId('trend');
  await expect(rows.first()).toContainText(/\d+ people posting/);
  const shown = await rows.locator('bdi').allTextContents();
  expect(shown.length).toBe(Math.min(5, server.length));
  // (Its 30 s cache may have turned over between the two reads: same tags, not the same order.)
  for (const t of shown) expect(server.map((x) => `#${x.tag}`)).toContain(t);
  await shot(page, 'search-trends');
  await noAxeViolations(page);
  await page.goto('/search');
  const trend = page.getByRole('main').getByTestId('trend').filter({ hasText: `#${SPIKE}` });
  await expect(trend).toBeVisible();
  await trend.click();
  await expect(page).toHaveURL(new RegExp(`/hashtag/${SPIKE}$`));
  await expect(page.getByTestId('feed').getByTestId('post')).toHaveCount(6);

  // A phone has no sidebar and no box in the header: the Search icon leads to the page.
  const phone = await open(browser, { phone: true, dark: true });
  await phone.goto('/');
  await phone.getByTestId('nav-search-link').click();
  await expect(phone).toHaveURL(/\/search$/);
  await expect(phone.getByRole('heading', { level: 1 })).toHaveText('Search');
  await expect(phone.getByTestId('trends').getByTestId('trend').filter({ hasText: `#${SPIKE}` })).toBeVisible();
  await phone.locator('#search-page').fill(WORD);
  await phone.locator('#search-page').press('Enter');
  await expect(phone.getByTestId('feed').getByTestId('post')).toHaveCount(20);
  await phone.goto('/search');
  await expect(phone.getByTestId('trends').getByTestId('trend').first()).toBeVisible();
  await shot(phone, 'search-phone-dark');
  await noAxeViolations(phone);
});
