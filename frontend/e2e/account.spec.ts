/**
 * Issue 23's Account page, in the browser on the real stack: a new person posts once, downloads
 * their data (the export followed to "ready", the signed link opened and the archive read), then
 * deletes the account with their handle as confirmation, is signed out to a goodbye page, and can
 * no longer get back in (sign-in refused, or GET /v1/me 410 account_deleted while the Auth
 * account is still being erased).
 */
import { expect, test } from '@playwright/test';
import { API, AUTH, PASSWORD, newTag, person, shot } from './helpers';
import { axeScan } from './measure';

test('account: export your data, then delete the account', async ({ browser }) => {
  const TAG = newTag();
  const me = person('acct', 'Account Person', TAG);
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await ctx.newPage();
  page.on('pageerror', (err) => console.error(`[page error] ${err.message}`));

  // Sign up (the helper's steps, without its screenshots) and post once.
  await page.goto('/signup');
  await page.getByLabel('Email').fill(me.email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign up' }).click();
  await page.getByRole('textbox', { name: 'Handle', exact: true }).fill(me.handle);
  await page.getByRole('textbox', { name: 'Display name', exact: true }).fill(me.name);
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByTestId('welcome-done').click();
  await expect(page.getByRole('heading', { name: 'Home' })).toBeVisible();
  const text = `Take this with you ${TAG}`;
  await page.getByLabel("What's happening?").fill(text);
  const posted = page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/v1/posts'));
  await page.getByRole('button', { name: 'Post', exact: true }).click();
  expect((await posted).status()).toBe(201);

  // The header links to the Account page.
  await page.getByTestId('nav-account').click();
  await expect(page.getByRole('heading', { name: 'Account', exact: true })).toBeVisible();
  await expect(page).toHaveURL(/\/settings\/account$/);
  await expect(page.getByTestId('nav-account')).toHaveAttribute('aria-current', 'page');

  await test.step('download your data: started, followed to ready, the link opens the archive', async () => {
    const started = page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/v1/me/export'));
    await page.getByTestId('export-start').click();
    expect((await started).status()).toBe(202);
    await expect(page.getByTestId('export-start')).toBeDisabled();
    // The page polls GET /v1/me/export until the exporter (an event function) is done.
    const link = page.getByTestId('export-download');
    await expect(link).toBeVisible({ timeout: 120_000 });
    await expect(page.getByTestId('export-status')).toHaveAttribute('data-status', 'ready');
    await shot(page, 'account-export-ready');
    const href = await link.getAttribute('href');
    expect(href).toBeTruthy();
    const res = await page.request.get(href!);
    expect(res.status()).toBe(200);
    expect(res.headers()['content-type']).toContain('application/json');
    const archive = (await res.json()) as { profile: { handle: string }; posts: Array<{ text: string }> };
    expect(archive.profile.handle).toBe(me.handle);
    expect(archive.posts.map((p) => p.text)).toContain(text);

    // A second export within the hour: the 429's Retry-After, said as a time.
    await page.getByTestId('export-start').click();
    await expect(page.getByTestId('export-error')).toHaveText(/one export an hour\. Try again at .+ \(in \d+ min\)\./);
  });

  await test.step('on a phone: reached from your own profile, and the danger zone fits', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    // No room in a phone's header: the handle there leads to your profile, which links here.
    await expect(page.getByTestId('nav-account')).toBeHidden();
    await page.getByTestId('nav-profile').click();
    await page.getByTestId('profile-account-link').click();
    await expect(page.getByRole('heading', { name: 'Account', exact: true })).toBeVisible();
    // The export made above is shown again (GET /v1/me/export on opening the page).
    await expect(page.getByTestId('export-download')).toBeVisible();
    const header = await page.locator('header').boundingBox();
    expect(header && header.height <= 57).toBe(true);
    await page.getByTestId('delete-section').scrollIntoViewIfNeeded();
    const box = await page.getByTestId('delete-section').boundingBox();
    expect(box && box.x >= 0 && box.x + box.width <= 390).toBe(true);
    await shot(page, 'account-phone');
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  await test.step('delete: only your own handle confirms; then signed out to a goodbye', async () => {
    expect(await axeScan(page)).toEqual([]);
    const confirm = page.getByLabel(/Type your handle/);
    const del = page.getByTestId('delete-account');
    await expect(del).toBeDisabled();
    await confirm.fill('someone_else');
    await expect(del).toBeDisabled();
    await confirm.fill(`@${me.handle.toUpperCase()}`);
    await expect(del).toBeEnabled();
    await page.getByTestId('delete-section').scrollIntoViewIfNeeded();
    await shot(page, 'account-delete');
    const deleted = page.waitForResponse((r) => r.request().method() === 'DELETE' && r.url().endsWith('/v1/me'));
    await del.click();
    expect((await deleted).status()).toBe(202);
    await expect(page.getByRole('heading', { name: 'Your account has been deleted' })).toBeVisible();
    await expect(page).toHaveURL(/\/goodbye$/);
    await expect(page.getByTestId('nav-account')).toHaveCount(0);
    await shot(page, 'account-goodbye');
  });

  await test.step('the account is gone: signing in again does not get you back', async () => {
    await page.goto('/signin');
    await page.getByLabel('Email').fill(me.email);
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    // The Auth account is erased within seconds; until then GET /v1/me answers 410.
    await expect(
      page.getByText(/^(Wrong email or password\.|This account has been deleted\.)$/),
    ).toBeVisible();
    await expect(page.getByRole('heading', { name: 'Home' })).toHaveCount(0);

    // Through the API: the password no longer signs in, or the profile answers 410.
    const signIn = await fetch(`${AUTH}/identitytoolkit.googleapis.com/v1/accounts:signInWithPassword?key=demo-key`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ email: me.email, password: PASSWORD, returnSecureToken: true }),
    });
    if (signIn.ok) {
      const { idToken } = (await signIn.json()) as { idToken: string };
      const got = await fetch(`${API}/v1/me`, { headers: { Authorization: `Bearer ${idToken}` } });
      expect(got.status).toBe(410);
      expect(((await got.json()) as { error: { code: string } }).error.code).toBe('account_deleted');
    } else {
      expect(signIn.status).toBe(400);
    }
  });
  await ctx.close();
});
