/**
 * Images end to end in Debian's Chromium, on the real local stack (fake-gcs-server, the media
 * processor, Firestore, Pub/Sub): a person sets a profile photo and posts a PNG made in the test
 * through the browser (POST /v1/media, PUT to the upload session, poll until ready, POST
 * /v1/posts with media_ids); a follower sees the picture, loaded, in the home timeline, next to
 * the author's photo. Wrong files are refused with a message before or after the upload.
 */
import { expect, test, type Locator } from '@playwright/test';
import { followOnProfile, newPage, newTag, person, shot, signUpInBrowser } from './helpers';
import { makePng } from './png';

/** Waits until the (lazy) image has really been fetched and decoded. */
async function expectLoaded(img: Locator) {
  await img.scrollIntoViewIfNeeded();
  await expect
    .poll(() => img.evaluate((el: HTMLImageElement) => (el.complete ? el.naturalWidth : 0)), {
      timeout: 20_000,
    })
    .toBeGreaterThan(0);
}

test('upload a photo and an image post; a follower sees both', async ({ browser }) => {
  const TAG = newTag();
  const ada = person('pix', 'Pix Author', TAG);
  const bob = person('fan', 'Fan Follower', TAG);
  const author = await newPage(browser);
  const follower = await newPage(browser);
  await signUpInBrowser(author, ada);
  await signUpInBrowser(follower, bob);
  await followOnProfile(follower, ada);

  await test.step('the author sets a profile photo on their profile page', async () => {
    await author.goto(`/@${ada.handle}`);
    await expect(author.getByTestId('profile-name')).toHaveText(ada.name);
    await author.getByLabel('Add a profile photo').setInputFiles({
      name: 'me.png',
      mimeType: 'image/png',
      buffer: makePng(480, 360, 90),
    });
    await expect(author.getByText('Profile photo updated.')).toBeVisible({ timeout: 60_000 });
    const img = author.getByTestId('profile-avatar').getByTestId('avatar-image');
    await expectLoaded(img);
    // The avatar variants are squares (96 and 400), cropped from the 480 × 360 original.
    expect(await img.getAttribute('srcset')).toMatch(/ 96w, .* 400w$/);
    // It survives a reload: the server has it.
    await author.reload();
    await expectLoaded(author.getByTestId('profile-avatar').getByTestId('avatar-image'));
    await expect(author.getByLabel('Change profile photo')).toBeAttached();
  });

  const picker = author.getByLabel('Add images');
  const text = `A picture from the e2e run ${TAG}`;
  await test.step('files the server would refuse are refused in the browser, with reasons', async () => {
    await author.getByRole('link', { name: 'Home', exact: true }).click();
    await picker.setInputFiles([
      { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('hello') },
      { name: 'huge.png', mimeType: 'image/png', buffer: Buffer.alloc(5 * 1024 * 1024 + 1) },
    ]);
    const notes = author.getByTestId('file-notes');
    await expect(notes).toContainText("notes.txt isn't a JPEG, PNG, WebP or GIF image.");
    await expect(notes).toContainText('huge.png is 5.0 MB; images can be at most 5 MB.');
    await expect(author.getByTestId('attachment')).toHaveCount(0);
  });

  await test.step('a file that only claims to be a PNG is rejected by the processor', async () => {
    await picker.setInputFiles({ name: 'fake.png', mimeType: 'image/png', buffer: Buffer.from('not an image at all') });
    const card = author.getByTestId('attachment');
    await expect(card.getByTestId('attachment-error')).toContainText("fake.png isn't an image Kwetter can read", {
      timeout: 60_000,
    });
    await author.getByLabel("What's happening?").fill(text);
    await expect(author.getByRole('button', { name: 'Post', exact: true })).toBeDisabled();
    await card.getByRole('button', { name: 'Remove fake.png' }).click();
    await expect(card).toHaveCount(0);
  });

  await test.step('the author attaches a real PNG with alt text and posts it', async () => {
    await picker.setInputFiles({ name: 'gradient.png', mimeType: 'image/png', buffer: makePng(800, 450) });
    const card = author.getByTestId('attachment');
    await expect(card.getByRole('img', { name: 'Preview of gradient.png' })).toBeVisible();
    await card.getByLabel('Alt text (image 1)').fill('Coloured tiles in a white grid');
    await expect(card.getByTestId('attachment-ready')).toBeVisible({ timeout: 60_000 });
    await shot(author, '10-composer-with-image');
    await author.getByRole('button', { name: 'Post', exact: true }).click();
    await expect(author.getByLabel("What's happening?")).toHaveValue('');
    await expect(author.getByTestId('attachment')).toHaveCount(0);
    const post = author.getByTestId('post').filter({ hasText: text });
    await expectLoaded(post.getByRole('img', { name: 'Coloured tiles in a white grid' }));
  });

  await test.step('the follower sees the picture and the photo in the home timeline', async () => {
    await follower.getByRole('link', { name: 'Home', exact: true }).click();
    const post = follower.getByTestId('post').filter({ hasText: text });
    await expect(post).toBeVisible({ timeout: 45_000 });
    const img = post.getByTestId('post-image');
    await expect(img).toHaveAttribute('alt', 'Coloured tiles in a white grid');
    // The box is reserved before the bytes arrive (no layout shift), and lazy.
    await expect(img).toHaveAttribute('width', '800');
    await expect(img).toHaveAttribute('height', '450');
    await expect(img).toHaveAttribute('loading', 'lazy');
    // 800 px wide: a 400 px variant and the full size (never upscaled to 1200).
    expect(await img.getAttribute('srcset')).toMatch(/ 400w, .* 800w$/);
    await expectLoaded(img);
    // With `w` descriptors naturalWidth is density-corrected (the slot's width); the bytes
    // came from one of the variants.
    const srcset = (await img.getAttribute('srcset'))!.split(', ').map((c) => c.split(' ')[0]);
    expect(srcset).toContain(await img.evaluate((el: HTMLImageElement) => el.currentSrc));
    await expectLoaded(post.getByTestId('avatar-image'));
    await shot(follower, '09-home-with-image');
    await post.screenshot({ path: 'e2e/screenshots/08-post-with-image.png' });
  });
});
