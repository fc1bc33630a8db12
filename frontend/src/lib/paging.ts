/** Paged lists: a post feed paged by `before` (post ids) and user lists paged by opaque cursors. */
import type { Post, PostPage } from './types';

export interface Feed {
  items: Post[];
  /** The `before` of the next older page; null when there is none. */
  cursor: string | null;
  done: boolean;
}

export const emptyFeed = (): Feed => ({ items: [], cursor: null, done: false });

/** Snowflake ids grow with time; compare them as integers, not as strings. */
export function compareIdsDesc(a: string, b: string): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x === y ? 0 : x > y ? -1 : 1;
}

function sortedUnique(posts: Post[]): Post[] {
  const seen = new Map<string, Post>();
  for (const p of posts) if (!seen.has(p.id)) seen.set(p.id, p);
  return [...seen.values()].sort((a, b) => compareIdsDesc(a.id, b.id));
}

/** An older page arrived (infinite scroll). */
export function appendPage(feed: Feed, page: PostPage): Feed {
  const cursor = page.next_cursor ?? null;
  return {
    items: sortedUnique([...feed.items, ...page.items]),
    cursor,
    done: cursor === null,
  };
}

export interface HeadMerge {
  feed: Feed;
  /** How many posts are new to the person. */
  added: number;
}

/**
 * The newest page, fetched again by the poller. Within the span it covers it is the truth, so
 * posts deleted since disappear; older posts already loaded stay. When it does not reach the
 * posts shown (more new posts than one page), the feed restarts from it rather than keep a gap.
 *
 * `keep` holds ids that must survive although the page lacks them: the person's own fresh posts,
 * which fan out asynchronously and may not be in the timeline yet. A partial page (a timeline
 * being regenerated) adds posts but never removes any.
 */
export function mergeHead(
  feed: Feed,
  page: PostPage,
  opts: { keep?: ReadonlySet<string>; partial?: boolean } = {},
): HeadMerge {
  const before = new Set(feed.items.map((p) => p.id));
  const headCursor = page.next_cursor ?? null;
  const count = (items: Post[]) => items.filter((p) => !before.has(p.id)).length;

  if (page.items.length === 0) {
    if (opts.partial || headCursor !== null) return { feed, added: 0 };
    const kept = feed.items.filter((p) => opts.keep?.has(p.id));
    return { feed: { items: kept, cursor: null, done: true }, added: 0 };
  }
  const headItems = sortedUnique(page.items);
  const oldestHead = BigInt(headItems[headItems.length - 1].id);
  const newestShown = feed.items.length ? BigInt(feed.items[0].id) : null;

  if (newestShown === null || (headCursor !== null && oldestHead > newestShown)) {
    if (feed.items.length && opts.partial) {
      const items = sortedUnique([...headItems, ...feed.items]);
      return { feed: { ...feed, items }, added: count(items) };
    }
    const keptOwn = feed.items.filter((p) => opts.keep?.has(p.id));
    const items = sortedUnique([...headItems, ...keptOwn]);
    return { feed: { items, cursor: headCursor, done: headCursor === null }, added: count(items) };
  }

  const covered = (p: Post) => headCursor === null || BigInt(p.id) >= oldestHead;
  const pageIds = new Set(headItems.map((p) => p.id));
  const survivors = feed.items.filter(
    (p) => !covered(p) || pageIds.has(p.id) || opts.partial || opts.keep?.has(p.id),
  );
  // Prefer the page's copy of a post: it may carry fresher author details.
  const items = sortedUnique([...headItems, ...survivors]);
  const cursor = headCursor === null && !opts.partial ? null : feed.cursor;
  return { feed: { items, cursor, done: cursor === null }, added: count(items) };
}

export function prependPost(feed: Feed, post: Post): Feed {
  return { ...feed, items: sortedUnique([post, ...feed.items]) };
}

export function removePost(feed: Feed, id: string): Feed {
  return { ...feed, items: feed.items.filter((p) => p.id !== id) };
}

/** A list paged by an opaque cursor (followers, following). */
export interface CursorList<T> {
  items: T[];
  cursor: string | null;
  done: boolean;
}

export const emptyCursorList = <T>(): CursorList<T> => ({ items: [], cursor: null, done: false });

export function appendCursorPage<T>(
  list: CursorList<T>,
  page: { items: T[]; next_cursor?: string | null },
  key: (item: T) => string,
): CursorList<T> {
  const seen = new Set(list.items.map(key));
  const fresh = page.items.filter((it) => !seen.has(key(it)));
  const cursor = page.next_cursor ?? null;
  // A server that repeats a cursor would make infinite scroll spin forever; stop instead.
  const stuck = cursor !== null && cursor === list.cursor;
  return { items: [...list.items, ...fresh], cursor, done: cursor === null || stuck };
}
