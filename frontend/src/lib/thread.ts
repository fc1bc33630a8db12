/** A conversation around one post: the chain above it and its direct replies, paged. */
import type { Post, Thread, ThreadOrder } from './types';

/**
 * The ancestors in reading order, root first, following `reply_to` up from the post rather
 * than trusting the array's order; posts that are not on the chain are dropped, and a cycle
 * cannot loop. `truncated` says the chain goes on above what was sent (the server bounds it).
 */
export function orderAncestors(post: Post, ancestors: readonly Post[]): { chain: Post[]; truncated: boolean } {
  const byId = new Map(ancestors.map((p) => [p.id, p]));
  const chain: Post[] = [];
  const seen = new Set<string>([post.id]);
  let parent = post.reply_to ?? null;
  while (parent !== null && byId.has(parent) && !seen.has(parent)) {
    const p = byId.get(parent)!;
    seen.add(p.id);
    chain.push(p);
    parent = p.reply_to ?? null;
  }
  chain.reverse();
  return { chain, truncated: parent !== null };
}

export interface Replies {
  items: Post[];
  cursor: string | null;
  done: boolean;
}

export const emptyReplies = (): Replies => ({ items: [], cursor: null, done: false });

/** The first page (`more` false) or the next one: server order kept, repeats dropped. */
export function appendReplies(list: Replies, page: Pick<Thread, 'replies' | 'next_cursor'>, more: boolean): Replies {
  const base = more ? list.items : [];
  const seen = new Set(base.map((p) => p.id));
  const fresh = page.replies.filter((p) => {
    if (seen.has(p.id)) return false;
    seen.add(p.id);
    return true;
  });
  const cursor = page.next_cursor ?? null;
  // A cursor that does not move would make "load more" spin forever: stop instead.
  const stuck = more && cursor !== null && cursor === list.cursor;
  return { items: [...base, ...fresh], cursor, done: cursor === null || stuck };
}

/**
 * The person's own new reply goes where the chosen order puts it: on top for newest first;
 * for oldest first at the end once every page is loaded, else on top (it would otherwise wait
 * behind pages not loaded yet). Shown once even when a later page brings it again.
 */
export function addOwnReply(list: Replies, reply: Post, order: ThreadOrder): Replies {
  const rest = list.items.filter((p) => p.id !== reply.id);
  const items = order === 'oldest' && list.done ? [...rest, reply] : [reply, ...rest];
  return { ...list, items };
}

/** Applies a change to one post wherever it shows in the thread (a count after a reply). */
export function bumpReplyCount(p: Post, by: number): Post {
  return { ...p, reply_count: Math.max(0, (p.reply_count ?? 0) + by) };
}
