/** Likes and reposts: shown at once, settled by the server's answer, undone when it says no. */
import type { Post } from './types';

export type EngageKind = 'like' | 'repost';

/** What a post card shows of the caller's engagement with a post. */
export interface Engagement {
  liked: boolean;
  likeCount: number;
  reposted: boolean;
  repostCount: number;
}

const count = (n: unknown) => (typeof n === 'number' && Number.isFinite(n) ? Math.max(0, Math.trunc(n)) : 0);

export function engagementOf(post: Post): Engagement {
  return {
    liked: post.liked_by_me === true,
    likeCount: count(post.like_count),
    reposted: post.reposted_by_me === true,
    repostCount: count(post.repost_count),
  };
}

/** The engagement after the caller turns `kind` on or off; unchanged if it already is. */
export function toggled(e: Engagement, kind: EngageKind, on: boolean): Engagement {
  if (kind === 'like') {
    if (e.liked === on) return e;
    return { ...e, liked: on, likeCount: Math.max(0, e.likeCount + (on ? 1 : -1)) };
  }
  if (e.reposted === on) return e;
  return { ...e, reposted: on, repostCount: Math.max(0, e.repostCount + (on ? 1 : -1)) };
}

/** The server's answer to PUT/DELETE …/like or …/repost. */
export type EngageAnswer =
  | { liked: boolean; like_count: number }
  | { reposted: boolean; repost_count: number };

/** The server's word over ours: its state and its exact count (others liked meanwhile). */
export function settled(e: Engagement, answer: EngageAnswer): Engagement {
  if ('liked' in answer) return { ...e, liked: answer.liked, likeCount: count(answer.like_count) };
  return { ...e, reposted: answer.reposted, repostCount: count(answer.repost_count) };
}

/**
 * Applies the change through `set` before `call` answers; on failure puts back what `get` gave
 * before (for this kind only: a like settled meanwhile stays) and rethrows, so the caller can
 * say why in a toast.
 */
export async function optimisticEngage(
  get: () => Engagement,
  set: (e: Engagement) => void,
  kind: EngageKind,
  on: boolean,
  call: (on: boolean) => Promise<EngageAnswer>,
): Promise<Engagement> {
  const previous = get();
  set(toggled(previous, kind, on));
  try {
    const answer = await call(on);
    const next = settled(get(), answer);
    set(next);
    return next;
  } catch (exc) {
    const now = get();
    set(
      kind === 'like'
        ? { ...now, liked: previous.liked, likeCount: previous.likeCount }
        : { ...now, reposted: previous.reposted, repostCount: previous.repostCount },
    );
    throw exc;
  }
}

/** A count as a card shows it: nothing for 0, 1.2K for 1234, 3.4M for 3.4 million. */
export function compactCount(n: number): string {
  if (n <= 0) return '';
  if (n < 1000) return String(n);
  const [div, unit] = n < 1_000_000 ? [1000, 'K'] : [1_000_000, 'M'];
  const v = n / div;
  const s = v >= 100 ? String(Math.floor(v)) : (Math.floor(v * 10) / 10).toFixed(1).replace(/\.0$/, '');
  return `${s}${unit}`;
}
