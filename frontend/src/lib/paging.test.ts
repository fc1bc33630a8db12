import { describe, expect, it } from 'vitest';
import {
  appendCursorPage,
  appendPage,
  compareIdsDesc,
  emptyCursorList,
  newestId,
  emptyFeed,
  mergeHead,
  prependPost,
  removePost,
  type Feed,
} from './paging';
import type { Post } from './types';

const post = (id: string | number): Post => ({
  id: String(id),
  author_id: 'u1',
  text: `post ${id}`,
  created_ms: Number(id),
});
const ids = (f: Feed) => f.items.map((p) => p.id);
const feedOf = (items: number[], cursor: string | null): Feed => ({
  items: items.map(post),
  cursor,
  done: cursor === null,
});

describe('ids', () => {
  it('compares 19-digit snowflakes numerically, not as text', () => {
    const a = '9223372036854775806';
    const b = '999999999999999999'; // shorter, smaller, but sorts after as a string
    expect(compareIdsDesc(a, b)).toBe(-1);
    expect(['5', '10', '9'].sort(compareIdsDesc)).toEqual(['10', '9', '5']);
  });
});

describe('appendPage (infinite scroll with before)', () => {
  it('adds older posts, dedupes an overlap and follows the cursor to the end', () => {
    let f = appendPage(emptyFeed(), { items: [post(30), post(29)], next_cursor: '29' });
    expect(f).toMatchObject({ cursor: '29', done: false });
    f = appendPage(f, { items: [post(29), post(28)], next_cursor: null });
    expect(ids(f)).toEqual(['30', '29', '28']);
    expect(f).toMatchObject({ cursor: null, done: true });
  });
});

describe('mergeHead (polling the newest page)', () => {
  it('prepends new posts and counts them', () => {
    const m = mergeHead(feedOf([10, 9], '9'), { items: [post(12), post(11), post(10)], next_cursor: '10' });
    expect(ids(m.feed)).toEqual(['12', '11', '10', '9']);
    expect(m.added).toBe(2);
    expect(m.feed.cursor).toBe('9');
  });

  it('drops posts deleted since, within the span the page covers', () => {
    const m = mergeHead(feedOf([12, 11, 10, 9, 8], '8'), {
      items: [post(12), post(10), post(9)],
      next_cursor: '9',
    });
    // 11 was deleted; 8 is older than the page, so the page says nothing about it.
    expect(ids(m.feed)).toEqual(['12', '10', '9', '8']);
    expect(m.added).toBe(0);
  });

  it('treats a last page as the whole timeline', () => {
    const m = mergeHead(feedOf([3, 2, 1], null), { items: [post(3), post(1)], next_cursor: null });
    expect(ids(m.feed)).toEqual(['3', '1']);
    const emptied = mergeHead(feedOf([3], null), { items: [], next_cursor: null });
    expect(ids(emptied.feed)).toEqual([]);
  });

  it('keeps own fresh posts that fan-out has not delivered yet', () => {
    const f = prependPost(feedOf([10], null), post(11));
    const m = mergeHead(f, { items: [post(10)], next_cursor: null }, { keep: new Set(['11']) });
    expect(ids(m.feed)).toEqual(['11', '10']);
  });

  it('never removes anything on a partial (regenerating) page', () => {
    const m = mergeHead(
      feedOf([10, 9], '9'),
      { items: [post(11)], next_cursor: null },
      { partial: true },
    );
    expect(ids(m.feed)).toEqual(['11', '10', '9']);
    expect(m.feed.cursor).toBe('9');
    const none = mergeHead(feedOf([10], '10'), { items: [], next_cursor: null }, { partial: true });
    expect(ids(none.feed)).toEqual(['10']);
  });

  it('restarts from the head when more posts arrived than a page holds (no gap)', () => {
    const m = mergeHead(feedOf([5, 4], '4'), { items: [post(30), post(29)], next_cursor: '29' });
    expect(ids(m.feed)).toEqual(['30', '29']);
    expect(m.feed).toMatchObject({ cursor: '29', done: false });
    expect(m.added).toBe(2);
  });

  it('fills an empty feed (first posts after an empty state)', () => {
    const m = mergeHead(emptyFeed(), { items: [post(2), post(1)], next_cursor: null });
    expect(ids(m.feed)).toEqual(['2', '1']);
    expect(m.feed.done).toBe(true);
    expect(m.added).toBe(2);
  });

  it('changes nothing when nothing changed', () => {
    const f = feedOf([3, 2], '2');
    const m = mergeHead(f, { items: [post(3), post(2)], next_cursor: '2' });
    expect(ids(m.feed)).toEqual(['3', '2']);
    expect(m.added).toBe(0);
  });
});

describe('reposts (an old post id at a new place)', () => {
  it('asks the poll for posts newer than the highest id shown, not the first one', () => {
    expect(newestId([post(3), post(20), post(19)])).toBe('20');
    expect(newestId([])).toBe('0');
  });

  it('keeps the server order of pages instead of sorting by id', () => {
    let f = appendPage(emptyFeed(), { items: [post(3), post(20), post(19)], next_cursor: 'c1' });
    f = appendPage(f, { items: [post(18), post(3)], next_cursor: null });
    expect(ids(f)).toEqual(['3', '20', '19', '18']);
  });

  it('a repost arriving on top does not drop the older pages already loaded', () => {
    const f = feedOf([20, 19, 18, 17, 16], 'c2'); // 18..16 came from a second page
    const m = mergeHead(f, { items: [post(3), post(20), post(19)], next_cursor: 'c1' });
    expect(ids(m.feed)).toEqual(['3', '20', '19', '18', '17', '16']);
    expect(m.added).toBe(1);
    expect(m.feed.cursor).toBe('c2');
  });

  it('a repost already on top, with a new post above it, stays in place', () => {
    const f = feedOf([3, 20, 19], 'c1');
    const m = mergeHead(f, { items: [post(21), post(3), post(20)], next_cursor: 'c1' });
    expect(ids(m.feed)).toEqual(['21', '3', '20', '19']);
    expect(m.added).toBe(1);
  });

  it('an un-repost removes it within the span the page covers', () => {
    const m = mergeHead(feedOf([3, 20, 19, 18], 'c2'), { items: [post(20), post(19)], next_cursor: 'c1' });
    expect(ids(m.feed)).toEqual(['20', '19', '18']);
  });
});

describe('local edits', () => {
  it('prepends own posts in order and removes deleted ones', () => {
    let f = prependPost(feedOf([5], null), post(7));
    f = prependPost(f, post(7));
    expect(ids(f)).toEqual(['7', '5']);
    expect(ids(removePost(f, '7'))).toEqual(['5']);
  });
});

describe('appendCursorPage (followers, following)', () => {
  const key = (u: { id: string }) => u.id;
  it('follows next_cursor until null and dedupes', () => {
    let l = appendCursorPage(emptyCursorList<{ id: string }>(), { items: [{ id: 'a' }, { id: 'b' }], next_cursor: 'c1' }, key);
    expect(l).toMatchObject({ cursor: 'c1', done: false });
    l = appendCursorPage(l, { items: [{ id: 'b' }, { id: 'c' }], next_cursor: null }, key);
    expect(l.items.map(key)).toEqual(['a', 'b', 'c']);
    expect(l.done).toBe(true);
  });
  it('stops when the server hands back the same cursor', () => {
    let l = appendCursorPage(emptyCursorList<{ id: string }>(), { items: [{ id: 'a' }], next_cursor: 'x' }, key);
    l = appendCursorPage(l, { items: [], next_cursor: 'x' }, key);
    expect(l.done).toBe(true);
  });
});
