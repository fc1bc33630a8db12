import { describe, expect, it } from 'vitest';
import { addOwnReply, appendReplies, emptyReplies, orderAncestors } from './thread';
import type { Post } from './types';

const p = (id: string, reply_to: string | null = null, extra: Partial<Post> = {}): Post => ({
  id,
  author_id: 'a',
  text: `post ${id}`,
  created_ms: Number(id),
  reply_to,
  root_id: reply_to ? '1' : null,
  ...extra,
});

describe('orderAncestors', () => {
  it('puts the root first by following reply_to, whatever order they came in', () => {
    const post = p('4', '3');
    const { chain, truncated } = orderAncestors(post, [p('3', '2'), p('1'), p('2', '1')]);
    expect(chain.map((x) => x.id)).toEqual(['1', '2', '3']);
    expect(truncated).toBe(false);
  });
  it('keeps a deleted placeholder in the chain', () => {
    const gone = p('2', '1', { deleted: true, text: '', author: null });
    const { chain } = orderAncestors(p('3', '2'), [p('1'), gone]);
    expect(chain.map((x) => [x.id, x.deleted === true])).toEqual([
      ['1', false],
      ['2', true],
    ]);
  });
  it('says when the chain goes on above the bounded list', () => {
    const { chain, truncated } = orderAncestors(p('60', '59'), [p('59', '58'), p('58', '57')]);
    expect(chain.map((x) => x.id)).toEqual(['58', '59']);
    expect(truncated).toBe(true);
  });
  it('drops posts off the chain and survives a cycle', () => {
    expect(orderAncestors(p('3', '2'), [p('2', '3'), p('9')]).chain.map((x) => x.id)).toEqual(['2']);
    expect(orderAncestors(p('1'), [p('2')]).chain).toEqual([]);
  });
});

describe('appendReplies', () => {
  it('keeps the server order (oldest or newest first) and drops repeats across pages', () => {
    let r = appendReplies(emptyReplies(), { replies: [p('5', '1'), p('7', '1')], next_cursor: 'c1' }, false);
    expect(r).toMatchObject({ cursor: 'c1', done: false });
    r = appendReplies(r, { replies: [p('7', '1'), p('9', '1')], next_cursor: null }, true);
    expect(r.items.map((x) => x.id)).toEqual(['5', '7', '9']);
    expect(r.done).toBe(true);
  });
  it('a first page replaces what was there (order switched)', () => {
    const r = appendReplies({ items: [p('5', '1')], cursor: 'x', done: false }, { replies: [p('9', '1')] }, false);
    expect(r.items.map((x) => x.id)).toEqual(['9']);
    expect(r.done).toBe(true);
  });
  it('stops when the cursor does not move', () => {
    const r = appendReplies({ items: [p('5', '1')], cursor: 'c', done: false }, { replies: [], next_cursor: 'c' }, true);
    expect(r.done).toBe(true);
  });
});

describe('addOwnReply', () => {
  const list = { items: [p('5', '1'), p('7', '1')], cursor: null, done: true };
  it('newest first: on top', () => {
    expect(addOwnReply(list, p('9', '1'), 'newest').items.map((x) => x.id)).toEqual(['9', '5', '7']);
  });
  it('oldest first: at the end once all pages are in, else on top', () => {
    expect(addOwnReply(list, p('9', '1'), 'oldest').items.map((x) => x.id)).toEqual(['5', '7', '9']);
    const partial = { ...list, cursor: 'c', done: false };
    expect(addOwnReply(partial, p('9', '1'), 'oldest').items.map((x) => x.id)).toEqual(['9', '5', '7']);
  });
  it('shows it once', () => {
    const twice = addOwnReply(addOwnReply(list, p('9', '1'), 'newest'), p('9', '1'), 'newest');
    expect(twice.items.map((x) => x.id)).toEqual(['9', '5', '7']);
  });
});
