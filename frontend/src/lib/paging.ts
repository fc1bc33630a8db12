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

/**
 * Repeats dropped, the first copy kept, in the server's order. Not sorted by id: a home
 * timeline places a repost where it was reposted, so an old post id can sit at the top.
 */
/** The highest id among the first posts shown (a repost on top may carry an old one). */
export function newestId(posts: readonly Post[], scan = 20): string {
  let best: string | null = null;
  for (const p of posts.slice(0, scan)) if (best === null || compareIdsDesc(p.id, best) < 0) best = p.id;
  return best ?? '0';
}

function unique(posts: Post[]): Post[] {
  const seen = new Set<string>();
  return posts.filter((p) => {
    if (seen.has(p.id)) return false;
    seen.add(p.id);
    return true;
  });
}

/** An older page arrived (infinite scroll). */
export function appendPage(feed: Feed, page: PostPage): Feed {
  const cursor = page.next_cursor ?? null;
  return {
    items: unique([...feed.items, ...page.items]),
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
 * posts deleted since disappear; older posts already loaded stay. The span is found by
 * position, not by comparing ids (reposts break id order): it ends at the last post of the page
 * that is already shown. When the page shares no post with what is shown (more new posts than
 * one page), the feed restarts from it rather than keep a gap.
 *
 * `keep` holds ids that must survive although the page lacks them: the person's own fresh posts,
 * which fan out asynchronously and may not be in the timeline yet (kept on top). A partial page
 * (a timeline being regenerated) adds posts but never removes any.
 */
export function mergeHead(
  feed: Feed,
  page: PostPage,
  opts: { keep?: ReadonlySet<string>; partial?: boolean } = {},
): HeadMerge {
  const before = new Set(feed.items.map((p) => p.id));
  const headCursor = page.next_cursor ?? null;
  const count = (items: Post[]) => items.filter((p) => !before.has(p.id)).length;
  const kept = (items: Post[]) => items.filter((p) => opts.keep?.has(p.id));

  if (page.items.length === 0) {
    if (opts.partial || headCursor !== null) return { feed, added: 0 };
    return { feed: { items: kept(feed.items), cursor: null, done: true }, added: 0 };
  }
  const head = unique(page.items);
  const headIds = new Set(head.map((p) => p.id));
  let anchor = -1;
  for (let i = head.length - 1; i >= 0 && anchor < 0; i--) {
    if (before.has(head[i].id)) anchor = feed.items.findIndex((p) => p.id === head[i].id);
  }

  if (anchor < 0 || (headCursor === null && !opts.partial)) {
    if (anchor < 0 && feed.items.length && opts.partial) {
      const items = unique([...head, ...feed.items]);
      return { feed: { ...feed, items }, added: count(items) };
    }
    // A restart, or a last page: the page is the whole timeline's head, own fresh posts on top.
    const items = unique([...kept(feed.items).filter((p) => !headIds.has(p.id)), ...head]);
    return { feed: { items, cursor: headCursor, done: headCursor === null }, added: count(items) };
  }

  const span = feed.items.slice(0, anchor + 1);
  const rest = feed.items.slice(anchor + 1);
  const spanKept = span.filter((p) => !headIds.has(p.id) && (opts.partial || opts.keep?.has(p.id)));
  const own = spanKept.filter((p) => opts.keep?.has(p.id));
  const others = spanKept.filter((p) => !opts.keep?.has(p.id));
  // Prefer the page's copy of a post: it may carry fresher author details and counts.
  const items = unique([...own, ...head, ...others, ...rest]);
  return { feed: { ...feed, items }, added: count(items) };
}

export function prependPost(feed: Feed, post: Post): Feed {
  return { ...feed, items: unique([post, ...feed.items]) };
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
