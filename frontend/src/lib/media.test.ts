import { describe, expect, it } from 'vitest';
import { pickVariant, showable, srcsetOf } from './media';
import type { Media } from './types';

const photo: Media = {
  id: 'm1',
  url: 'https://cdn/m1/orig.jpg',
  width: 4000,
  height: 3000,
  alt: 'a cat',
  variants: [
    { url: 'https://cdn/m1/1080.webp', width: 1080, height: 810 },
    { url: 'https://cdn/m1/320.webp', width: 320, height: 240 },
    { url: 'https://cdn/m1/640.webp', width: 640, height: 480 },
  ],
};

describe('pickVariant', () => {
  it('takes the smallest variant wide enough for the slot and the screen density', () => {
    expect(pickVariant(photo, 40)).toBe('https://cdn/m1/320.webp');
    expect(pickVariant(photo, 560)).toBe('https://cdn/m1/640.webp');
    expect(pickVariant(photo, 560, 2)).toBe('https://cdn/m1/orig.jpg');
    expect(pickVariant(photo, 500, 2)).toBe('https://cdn/m1/1080.webp');
  });
  it('falls back on the original without variants', () => {
    expect(pickVariant({ ...photo, variants: [] }, 100)).toBe('https://cdn/m1/orig.jpg');
  });
});

describe('srcsetOf / showable', () => {
  it('lists every rendition once, smallest first, with its width', () => {
    expect(srcsetOf(photo)).toBe(
      'https://cdn/m1/320.webp 320w, https://cdn/m1/640.webp 640w, https://cdn/m1/1080.webp 1080w, https://cdn/m1/orig.jpg 4000w',
    );
    // The API's url is its largest variant: not listed twice.
    const api: Media = { ...photo, url: 'https://cdn/m1/1080.webp', width: 1080, height: 810 };
    expect(srcsetOf(api).split(', ')).toHaveLength(3);
  });
  it('shows only media whose box can be reserved', () => {
    expect(showable(photo)).toBe(true);
    expect(showable({ ...photo, width: 0 })).toBe(false);
    expect(showable(null)).toBe(false);
  });
});
