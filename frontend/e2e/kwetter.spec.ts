/**
 * The web app in Debian's Chromium against the full local stack: two people sign up, one follows
 * the other, the other posts, the follower sees it arrive without reloading, the author deletes
 * it and it disappears for both. Screenshots of the main screens go to e2e/screenshots/.
 */
import { expect, test } from '@playwright/test';
import {
  followOnProfile,
  newPage,
  newTag,
  person,
  postViaApi,
  registerViaApi,
  shot,
  signUpInBrowser,
  PASSWORD,
} from './helpers';

test('sign up, follow, post, see it arrive, delete it, see it go', async ({ browser }) => {
  const TAG = newTag();
  const ada = person('ada', 'Ada Lovelace', TAG);
  const bob = person('bob', 'Bob Follower', TAG);
  const cy = person('cy', 'Cy Suggested', TAG);
  let cyToken = '';
  const author = await newPage(browser);
  const follower = await newPage(browser, true);

  await test.step('signed-out visitors get the sign-in screen', async () => {
    await author.goto('/');
    await expect(author.getByRole('heading', { name: 'Sign in to Kwetter' })).toBeVisible();
    await author.getByLabel('Email').fill(`nobody-${TAG}@kwetter.test`);
    await author.getByLabel('Password').fill('wrong-password');
    await author.getByRole('button', { name: 'Sign in' }).click();
    await expect(author.getByRole('alert').filter({ hasText: 'Wrong email or password.' })).toBeVisible();
    await shot(author, '00-sign-in-error');
  });

  await test.step('two people sign up and choose handles', async () => {
    await signUpInBrowser(author, ada, true);
    await expect(author.getByTestId('empty-timeline')).toBeVisible();
    await expect(author.getByRole('link', { name: 'Find people to follow' })).toBeVisible();
    await shot(author, '03-home-empty');
    await signUpInBrowser(follower, bob);
  });

  await test.step('a taken handle is refused with a human message', async () => {
    const page = await newPage(browser);
    await page.goto('/signup');
    await page.getByLabel('Email').fill(`dup-${TAG}@kwetter.test`);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign up' }).click();
    await page.getByRole('textbox', { name: 'Handle', exact: true }).fill(ada.handle);
    await page.getByRole('textbox', { name: 'Display name', exact: true }).fill('Impostor');
    await page.getByRole('button', { name: 'Continue' }).click();
    await expect(page.getByRole('alert').filter({ hasText: 'That handle is taken' })).toBeVisible();
    await page.context().close();
  });

  await test.step('the author follows a third person (for suggestions later)', async () => {
    cyToken = await registerViaApi(cy);
    for (let i = 1; i <= 25; i++) await postViaApi(cyToken, `Cy's post number ${i}`);
    await followOnProfile(author, cy);
  });

  await test.step('the follower follows the author from the profile page', async () => {
    await followOnProfile(follower, ada);
    await expect(follower.getByTestId('follower-count')).toHaveText('1');
    // The server kept it: a fresh load shows the same.
    await follower.reload();
    await expect(follower.getByRole('button', { name: `Following @${ada.handle}`, exact: true })).toBeVisible();
    await expect(follower.getByTestId('follower-count')).toHaveText('1');
    await expect(follower.getByTestId('following-count')).toHaveText('1');
    await shot(follower, '04-profile-phone');
    await follower.getByRole('link', { name: '1 follower' }).click();
    await expect(follower).toHaveURL(new RegExp(`/@${ada.handle}/followers$`));
    await expect(follower.getByTestId('user-row').filter({ hasText: `@${bob.handle}` })).toBeVisible();
  });

  await test.step('suggestions show the author’s follow with a mutual count; one click follows', async () => {
    await follower.goto('/suggestions');
    const row = follower.getByTestId('user-row').filter({ hasText: `@${cy.handle}` });
    await expect(async () => {
      await follower.reload();
      await expect(row).toBeVisible({ timeout: 3000 });
    }).toPass({ timeout: 30_000 });
    await expect(row.getByTestId('mutual')).toHaveText('1 mutual follow');
    await shot(follower, '07-suggestions-phone');
    const answered = follower.waitForResponse(
      (r) => r.request().method() === 'PUT' && r.url().endsWith('/follow'),
    );
    await row.getByRole('button', { name: `Follow @${cy.handle}`, exact: true }).click();
    expect((await answered).status()).toBe(200);
    await expect(row.getByRole('button', { name: `Following @${cy.handle}`, exact: true })).toBeVisible();
  });

  await test.step('a profile pages older posts in as one scrolls (before cursor)', async () => {
    await follower.goto(`/@${cy.handle}`);
    const posts = follower.getByTestId('post');
    await expect(posts).toHaveCount(20);
    await expect(posts.first()).toContainText("Cy's post number 25");
    await posts.last().scrollIntoViewIfNeeded();
    await follower.mouse.wheel(0, 4000);
    await expect(posts).toHaveCount(25);
    await expect(posts.last()).toContainText("Cy's post number 1");
    await expect(follower.getByText("You're all caught up.")).toBeVisible();
    await expect(follower.getByTestId('post-count')).toHaveText('25');
  });

  const text = `Hello from the e2e run ${TAG}, first post!`;
  await test.step('the composer counts code points and blocks an over-long post', async () => {
    await author.getByRole('link', { name: 'Home', exact: true }).click();
    const box = author.getByLabel("What's happening?");
    await box.fill('x'.repeat(290));
    await expect(author.getByTestId('char-counter')).toHaveText('-10');
    await expect(author.getByRole('button', { name: 'Post', exact: true })).toBeDisabled();
    await box.fill('😀'.repeat(280));
    await expect(author.getByTestId('char-counter')).toHaveText('0');
    await expect(author.getByRole('button', { name: 'Post', exact: true })).toBeEnabled();
  });

  await test.step('the author posts by keyboard; it shows at once', async () => {
    await follower.getByRole('link', { name: 'Home', exact: true }).click();
    await expect(follower.getByRole('heading', { name: 'Home' })).toBeVisible();
    const box = author.getByLabel("What's happening?");
    await box.fill(text);
    await box.press('Control+Enter');
    await expect(box).toHaveValue('');
    await expect(author.getByTestId('post-text').filter({ hasText: text })).toBeVisible();
  });

  await test.step('the follower sees it arrive without reloading', async () => {
    await expect(follower.getByTestId('post-text').filter({ hasText: text })).toBeVisible({
      timeout: 45_000,
    });
    await expect(follower.getByTestId('post').first()).toContainText(`@${ada.handle}`);
    await shot(follower, '05-home-timeline-phone');
    await shot(author, '06-home-timeline');
  });

  await test.step('the author deletes the post; it disappears for both', async () => {
    const card = author.getByTestId('post').filter({ hasText: text });
    await card.getByRole('button', { name: 'Delete post' }).click();
    await card.getByRole('button', { name: 'Delete', exact: true }).click();
    await expect(author.getByTestId('post-text').filter({ hasText: text })).toHaveCount(0);

    // The follower's open timeline drops it on its next poll, without a reload.
    await expect(follower.getByTestId('post-text').filter({ hasText: text })).toHaveCount(0, {
      timeout: 45_000,
    });
    await follower.reload();
    await expect(follower.getByRole('heading', { name: 'Home' })).toBeVisible();
    await expect(follower.getByTestId('post-text').filter({ hasText: text })).toHaveCount(0);
  });
});

test('lost answers: a retried post is not doubled, a failed follow rolls back', async ({ browser }) => {
  const TAG = newTag();
  const dan = person('dan', 'Dan Retry', TAG);
  const page = await newPage(browser);
  await signUpInBrowser(page, dan);

  // Keyboard users land on the skip link first.
  await page.reload();
  await expect(page.getByRole('heading', { name: 'Home' })).toBeVisible();
  await page.keyboard.press('Tab');
  await expect(page.getByRole('link', { name: 'Skip to content' })).toBeFocused();

  let lost = false;
  await page.route('**/v1/posts', async (route) => {
    if (route.request().method() !== 'POST' || lost) return route.continue();
    lost = true;
    await route.fetch(); // the real server creates the post…
    await route.abort('connectionreset'); // …but its answer never reaches the browser
  });
  const text = `Only once, please ${TAG}`;
  const box = page.getByLabel("What's happening?");
  await box.fill(text);
  await page.getByRole('button', { name: 'Post', exact: true }).click();
  await expect(page.getByRole('alert').filter({ hasText: "Can't reach Kwetter" })).toBeVisible();
  await expect(box).toHaveValue(text);
  await page.getByRole('button', { name: 'Post', exact: true }).click();
  await expect(box).toHaveValue('');
  expect(lost).toBe(true);

  await page.goto(`/@${dan.handle}`);
  await expect(page.getByTestId('post-count')).toHaveText('1');
  await expect(page.getByTestId('post-text').filter({ hasText: text })).toHaveCount(1);

  // A follow the server never gets is rolled back, with a message.
  const eve = person('eve', 'Eve Unreachable', TAG);
  await registerViaApi(eve);
  await page.goto(`/@${eve.handle}`);
  await page.route('**/follow', (route) =>
    route.request().method() === 'PUT' ? route.abort('connectionrefused') : route.continue(),
  );
  await page.getByRole('button', { name: `Follow @${eve.handle}`, exact: true }).click();
  await expect(page.getByRole('alert').filter({ hasText: "Can't reach Kwetter" })).toBeVisible();
  await expect(page.getByRole('button', { name: `Follow @${eve.handle}`, exact: true })).toHaveAttribute(
    'aria-pressed',
    'false',
  );
  await expect(page.getByTestId('follower-count')).toHaveText('0');
});
