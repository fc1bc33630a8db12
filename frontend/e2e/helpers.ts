/** Shared steps of the end-to-end specs: people, pages, screenshots, API shortcuts. */
import { expect, type Browser, type Page } from '@playwright/test';
import { mkdirSync } from 'node:fs';

export const API = process.env.E2E_API_URL || 'http://127.0.0.1:8080';
export const AUTH = process.env.E2E_AUTH_EMULATOR_URL || 'http://127.0.0.1:9099';
export const SHOTS = 'e2e/screenshots';
// Unique per test run and retry: the emulator and the database keep earlier runs' accounts.
export const newTag = () => `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 5)}`;
export const PASSWORD = 'correct-horse-9';

export interface Person {
  email: string;
  handle: string;
  name: string;
}

export const person = (who: string, name: string, tag: string): Person => ({
  email: `${who}-${tag}@kwetter.test`,
  handle: `${who}_${tag}`,
  name,
});

export async function shot(page: Page, name: string) {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: `${SHOTS}/${name}.png` });
}

export async function newPage(browser: Browser, phone = false): Promise<Page> {
  const context = await browser.newContext(
    phone ? { viewport: { width: 390, height: 844 }, deviceScaleFactor: 1 } : { viewport: { width: 1280, height: 800 } },
  );
  const page = await context.newPage();
  page.on('pageerror', (err) => console.error(`[page error] ${err.message}`));
  return page;
}

export async function signUpInBrowser(page: Page, p: Person, screenshots = false) {
  await page.goto('/signup');
  await page.getByLabel('Email').fill(p.email);
  await page.getByLabel('Password').fill(PASSWORD);
  if (screenshots) await shot(page, '01-sign-up');
  await page.getByRole('button', { name: 'Sign up' }).click();
  await expect(page.getByRole('heading', { name: 'Pick your handle' })).toBeVisible();
  await page.getByRole('textbox', { name: 'Handle', exact: true }).fill(p.handle);
  await page.getByRole('textbox', { name: 'Display name', exact: true }).fill(p.name);
  if (screenshots) await shot(page, '02-choose-handle');
  await page.getByRole('button', { name: 'Continue' }).click();
  // The onboarding step: follow a few people, or skip it.
  await expect(page.getByRole('heading', { name: 'Follow a few people' })).toBeVisible();
  await page.getByTestId('welcome-done').click();
  await expect(page.getByRole('heading', { name: 'Home' })).toBeVisible();
  await expect(page.getByTestId('nav-profile')).toHaveText(`@${p.handle}`);
}

const PROJECT = process.env.E2E_PROJECT_ID || 'demo-kwetter-e2e';

/**
 * An Auth emulator account whose e-mail address is verified (the emulator's admin call), and a
 * token that says so: unverified accounts have lower write limits (10 posts a minute), and the
 * specs' authors post more than that to fill pages.
 */
export async function verifiedToken(email: string): Promise<string> {
  const base = `${AUTH}/identitytoolkit.googleapis.com/v1`;
  const json = { 'Content-Type': 'application/json' };
  const up = await fetch(`${base}/accounts:signUp?key=demo-key`, {
    method: 'POST',
    headers: json,
    body: JSON.stringify({ email, password: PASSWORD, returnSecureToken: true }),
  });
  expect(up.status).toBe(200);
  const { localId } = (await up.json()) as { localId: string };
  const verify = await fetch(`${base}/projects/${PROJECT}/accounts:update`, {
    method: 'POST',
    headers: { ...json, Authorization: 'Bearer owner' },
    body: JSON.stringify({ localId, emailVerified: true }),
  });
  expect(verify.status, await verify.clone().text()).toBe(200);
  const signIn = await fetch(`${base}/accounts:signInWithPassword?key=demo-key`, {
    method: 'POST',
    headers: json,
    body: JSON.stringify({ email, password: PASSWORD, returnSecureToken: true }),
  });
  expect(signIn.status).toBe(200);
  return ((await signIn.json()) as { idToken: string }).idToken;
}

/** A third person made straight through the Auth emulator and the API, as a script would. */
export async function registerViaApi(p: Person): Promise<string> {
  const idToken = await verifiedToken(p.email);
  const reg = await fetch(`${API}/v1/users`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${idToken}` },
    body: JSON.stringify({ handle: p.handle, display_name: p.name }),
  });
  expect(reg.status, await reg.clone().text()).toBe(201);
  return idToken;
}

export async function postViaApi(token: string, text: string): Promise<void> {
  const res = await fetch(`${API}/v1/posts`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      Authorization: `Bearer ${token}`,
      'Idempotency-Key': crypto.randomUUID(),
    },
    body: JSON.stringify({ text }),
  });
  expect(res.status, await res.clone().text()).toBe(201);
}

export async function followOnProfile(page: Page, p: Person) {
  await page.goto(`/@${p.handle}`);
  await expect(page.getByTestId('profile-name')).toHaveText(p.name);
  const follow = page.getByRole('button', { name: `Follow @${p.handle}`, exact: true });
  // The button flips at once (optimistic); wait for the server's answer before moving on.
  const answered = page.waitForResponse(
    (r) => r.request().method() === 'PUT' && r.url().endsWith('/follow'),
  );
  await follow.click();
  expect((await answered).status()).toBe(200);
  await expect(page.getByRole('button', { name: `Following @${p.handle}`, exact: true })).toHaveAttribute(
    'aria-pressed',
    'true',
  );
}
