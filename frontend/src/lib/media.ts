/** Choosing which rendition of an image to load. */
import type { Media } from './types';

/**
 * The smallest rendition at least `cssWidth × dpr` pixels wide, else the largest there is; the
 * original only when no variant is listed.
 */
export function pickVariant(media: Media, cssWidth: number, dpr = 1): string {
  const want = cssWidth * dpr;
  const all = [...(media.variants ?? []), { url: media.url, width: media.width, height: media.height }]
    .filter((v) => v.url && v.width > 0)
    .sort((a, b) => a.width - b.width);
  if (all.length === 0) return media.url;
  return (all.find((v) => v.width >= want) ?? all[all.length - 1]).url;
}

/** `srcset` from the variants ("url 400w, url 1200w"), so the browser picks by slot and DPR. */
export function srcsetOf(media: Media): string {
  const seen = new Set<string>();
  return [...(media.variants ?? []), { url: media.url, width: media.width, height: media.height }]
    .filter((v) => v.url && v.width > 0 && !seen.has(v.url) && seen.add(v.url))
    .sort((a, b) => a.width - b.width)
    .map((v) => `${v.url} ${v.width}w`)
    .join(', ');
}

/** Whether an API media object can be shown with a reserved box (no layout shift). */
export function showable(m: Media | null | undefined): m is Media {
  return !!m && !!m.url && m.width > 0 && m.height > 0;
}
