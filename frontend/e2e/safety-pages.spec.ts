/**
 * Issue 21's remaining web pages, on the real stack: the list of whom I block and mute
 * (/settings/blocked, cursor pages) with unblock/unmute; the moderation page's suspensions
 * (suspend by @handle, lift from the audit log) and its admins' section (grant and revoke the
 * moderator role); the Moderation link on a phone's header too. Roles are granted on the stack's
 * Auth emulator by devstack/grant_role.py, as `make grant-role` does.
 */
import { expect, test, type Browser, type Page } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { newTag, person, shot } from './helpers';
import { account, api, axeScan, signInInBrowser, type Account } from './measure';

test.describe.configure({ mode: 'serial' });

const TAG = newTag();
const me = person('zm', 'Silencing Me', TAG);
// Right-to-left names: the rows isolate them (<bdi>), as every list of people does.
const others = [person('za', 'אבי אחד', TAG), person('zb', 'Bea Two', TAG), person('zc', 'Cy Three', TAG)];
const muted = person('zq', 'Quiet One', TAG);
const admin = person('zx', 'Admin Person', TAG);
const modP = person('zy', 'New Moderator', TAG);
const rude = person('zr', 'Rude Account', TAG);

let meAcc: Account;
let otherAccs: Account[];
let mutedAcc: Account;
let adminAcc: Account;
let modAcc: Account;
let rudeAcc: Account;

function grantRole(uid: string, role: 'moderator' | 'admin') {
  const args = ['-m', 'devstack.grant_role', '--uid', uid, '--role', role];
  if (process.env.E2E_STACK_DIR) args.push('--workdir', process.env.E2E_STACK_DIR);
  const repo = resolve(process.cwd(), '..');
  execFileSync('python3', args, { cwd: repo, env: { ...process.env, PYTHONPATH: repo }, stdio: 'pipe', timeout: 60_000 });
}

test.beforeAll(async () => {
  test.setTimeout(300_000);
  meAcc = await account(me);
  otherAccs = [];
  for (const p of others) otherAccs.push(await account(p));
  [mutedAcc, adminAcc, modAcc, rudeAcc] = [await account(muted), await account(admin), await account(modP), await account(rude)];
  for (const o of otherAccs) expect((await api(meAcc.token, 'PUT', `/v1/users/${o.id}/block`)).status).toBe(200);
  expect((await api(meAcc.token, 'PUT', `/v1/users/${mutedAcc.id}/mute`)).status).toBe(200);
});

async function open(browser: Browser, phone = false): Promise<Page> {
  const ctx = await browser.newContext(phone ? { viewport: { width: 390, height: 844 } } : { viewport: { width: 1280, height: 900 } });
  const page = await ctx.newPage();
  page.on('pageerror', (err) => console.error(`[page error] ${err.message}`));
  return page;
}

test('blocked and muted: listed in cursor pages, undone from the list', async ({ browser }) => {
  const page = await open(browser);
  // Pages of 2 instead of 20, so three blocks take two pages and "Show more" is exercised.
  await page.route(/\/v1\/me\/blocks\?/, (route) => route.continue({ url: route.request().url().replace('limit=20', 'limit=2') }));
  await signInInBrowser(page, me);
  await page.getByTestId('nav-profile').click();
  await page.getByTestId('silenced-link').click();
  await expect(page.getByRole('heading', { name: 'Blocked and muted', level: 1 })).toBeVisible();
  const blocks = page.getByTestId('block-section');
  const mutes = page.getByTestId('mute-section');
  // Newest block first; the third on the next page.
  await expect(blocks.getByTestId('silenced-row')).toHaveCount(2);
  const firstIds = await blocks.getByTestId('silenced-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-user-id')));
  expect(firstIds).toEqual([otherAccs[2].id, otherAccs[1].id]);
  await blocks.getByTestId('block-more').click();
  await expect(blocks.getByTestId('silenced-row')).toHaveCount(3);
  await expect(blocks.getByTestId('block-more')).toHaveCount(0);
  await expect(blocks.locator('bdi').filter({ hasText: others[0].name })).toBeVisible();
  await expect(mutes.getByTestId('silenced-row')).toHaveCount(1);
  await expect(mutes.getByTestId('silenced-row').first()).toContainText(`@${muted.handle}`);
  await shot(page, 'safety-blocked-and-muted');
  expect(await axeScan(page)).toEqual([]);

  // Unblock: the server is told, the row says so and offers to redo it.
  const unblocked = page.waitForResponse((r) => r.request().method() === 'DELETE' && r.url().endsWith(`/users/${otherAccs[1].id}/block`));
  await blocks.getByRole('button', { name: `Unblock @${others[1].handle}` }).click();
  expect((await unblocked).status()).toBe(200);
  await expect(blocks.getByTestId('silenced-row').filter({ hasText: others[1].handle }).getByTestId('silenced-undone')).toHaveText('Unblocked');
  await expect(blocks.getByRole('button', { name: `Block @${others[1].handle}` })).toBeVisible();
  const unmuted = page.waitForResponse((r) => r.request().method() === 'DELETE' && r.url().endsWith(`/users/${mutedAcc.id}/mute`));
  await mutes.getByRole('button', { name: `Unmute @${muted.handle}` }).click();
  expect((await unmuted).status()).toBe(200);
  // After a reload the lists are the server's: one block fewer, no mute.
  await page.reload();
  await expect(blocks.getByTestId('silenced-row')).toHaveCount(2);
  await expect(blocks.getByTestId('silenced-row').filter({ hasText: `@${others[1].handle}` })).toHaveCount(0);
  await expect(mutes.getByTestId('mute-empty')).toHaveText("You don't mute anyone.");
  const left = (await (await api(meAcc.token, 'GET', '/v1/me/blocks?limit=100')).json()) as { items: { id: string }[] };
  expect(left.items.map((u) => u.id)).toEqual([otherAccs[2].id, otherAccs[0].id]);
});

test('moderation on a phone: the link shows, an admin grants the role, suspensions are lifted', async ({ browser }) => {
  grantRole(adminAcc.id, 'admin');
  const a = await open(browser, true);
  await signInInBrowser(a, admin); // a fresh token carries the claim
  // The header's Moderation link on a narrow screen: an icon with the word for screen readers.
  const link = a.getByTestId('nav-moderation');
  await expect(link).toBeVisible();
  await expect(link).toHaveAccessibleName('Moderation');
  await link.click();
  await expect(a.getByRole('heading', { name: 'Moderation', level: 1 })).toBeVisible();
  const roles = a.getByTestId('admin-moderators');
  await expect(roles).toBeVisible();
  await roles.getByTestId('role-input').fill(`@${modP.handle}`);
  const granted = a.waitForResponse((r) => r.request().method() === 'PUT' && r.url().endsWith(`/v1/admin/moderators/${modAcc.id}`));
  await roles.getByRole('button', { name: 'Make moderator' }).click();
  const g = await granted;
  expect(g.status()).toBe(200);
  expect(await g.json()).toMatchObject({ id: modAcc.id, granted: true });
  await expect(a.getByText(`@${modP.handle} is a moderator.`)).toBeVisible();
  await shot(a, 'moderation-admin-phone');
  expect(await axeScan(a)).toEqual([]);

  // The new moderator, on a phone too: the link, the page, no admins' section.
  const m = await open(browser, true);
  await signInInBrowser(m, modP);
  await m.getByTestId('nav-moderation').click();
  await expect(m.getByRole('heading', { name: 'Moderation', level: 1 })).toBeVisible();
  await expect(m.getByTestId('admin-moderators')).toHaveCount(0);
  const sus = m.getByTestId('suspensions');
  await sus.getByTestId('person-input').fill(`@${rude.handle}`);
  await sus.getByRole('button', { name: 'Suspend', exact: true }).click();
  await expect(m.getByText('Say why first: the audit log keeps it.')).toBeVisible();
  await sus.getByLabel('Why (for the audit log)').fill(`spam ${TAG}`);
  const suspended = m.waitForResponse((r) => r.request().method() === 'PUT' && r.url().endsWith(`/v1/moderation/users/${rudeAcc.id}/suspension`));
  await sus.getByRole('button', { name: 'Suspend', exact: true }).click();
  expect((await suspended).status()).toBe(200);
  expect((await api(rudeAcc.token, 'POST', '/v1/posts', { text: 'still here?' })).status).toBe(403);
  // Lifted from the audit log's entry.
  const entry = m.getByTestId('audit-entry').filter({ hasText: `spam ${TAG}` }).first();
  await expect(entry).toContainText('suspend');
  const lifted = m.waitForResponse((r) => r.request().method() === 'DELETE' && r.url().endsWith(`/v1/moderation/users/${rudeAcc.id}/suspension`));
  await entry.getByRole('button', { name: `Lift suspension of ${rudeAcc.id}` }).click();
  const l = await lifted;
  expect(l.status()).toBe(200);
  expect(await l.json()).toMatchObject({ changed: true });
  await expect(m.getByText(`${rudeAcc.id} is no longer suspended.`)).toBeVisible();
  await expect(m.getByTestId('audit-entry').filter({ hasText: 'unsuspend' }).first()).toContainText(rudeAcc.id);
  expect((await api(rudeAcc.token, 'POST', '/v1/posts', { text: `back ${TAG}` })).status).toBe(201);

  // The admin revokes the role: the moderator is refused at once.
  await roles.getByTestId('role-input').fill(modAcc.id);
  const revoked = a.waitForResponse((r) => r.request().method() === 'DELETE' && r.url().endsWith(`/v1/admin/moderators/${modAcc.id}`));
  await roles.getByRole('button', { name: 'Revoke moderator' }).click();
  expect((await revoked).status()).toBe(200);
  await m.reload();
  await expect(m.getByTestId('moderation-error')).toHaveText('This page is for moderators.');
});
