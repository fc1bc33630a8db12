import { describe, expect, it } from 'vitest';
import { ApiError } from './api';
import { compactCount, engagementOf, optimisticEngage, toggled, type Engagement } from './engage';
import type { Post } from './types';

const post: Post = {
  id: '10',
  author_id: 'ada',
  text: 'hi',
  created_ms: 1,
  like_count: 4,
  repost_count: 1,
  liked_by_me: false,
  reposted_by_me: false,
};

describe('engagementOf', () => {
  it('reads the counts and flags', () => {
    expect(engagementOf(post)).toEqual({ liked: false, likeCount: 4, reposted: false, repostCount: 1 });
  });
  it('treats an older server (no fields) or junk as zero', () => {
    expect(engagementOf({ id: '1', author_id: 'a', text: '', created_ms: 0 })).toEqual({
      liked: false,
      likeCount: 0,
      reposted: false,
      repostCount: 0,
    });
    expect(engagementOf({ ...post, like_count: -3, repost_count: Number.NaN }).likeCount).toBe(0);
  });
});

describe('toggled', () => {
  it('moves the count once and never below zero', () => {
    const e = engagementOf(post);
    const liked = toggled(e, 'like', true);
    expect(liked).toMatchObject({ liked: true, likeCount: 5, repostCount: 1 });
    expect(toggled(liked, 'like', true)).toBe(liked);
    expect(toggled({ ...e, liked: true, likeCount: 0 }, 'like', false).likeCount).toBe(0);
    expect(toggled(e, 'repost', true)).toMatchObject({ reposted: true, repostCount: 2, likeCount: 4 });
  });
});

describe('optimisticEngage', () => {
  function harness(start: Engagement) {
    let shown = start;
    const seen: Engagement[] = [];
    return {
      get: () => shown,
      set: (e: Engagement) => {
        shown = e;
        seen.push(e);
      },
      seen,
      now: () => shown,
    };
  }

  it('shows the like before the answer, then takes the server count', async () => {
    const h = harness(engagementOf(post));
    let release!: (v: { liked: boolean; like_count: number }) => void;
    const p = optimisticEngage(h.get, h.set, 'like', true, () => new Promise((r) => (release = r)));
    expect(h.now()).toMatchObject({ liked: true, likeCount: 5 });
    release({ liked: true, like_count: 9 }); // others liked meanwhile
    await expect(p).resolves.toMatchObject({ liked: true, likeCount: 9 });
    expect(h.now().likeCount).toBe(9);
  });

  it('rolls back and rethrows when the request fails', async () => {
    const h = harness(engagementOf({ ...post, reposted_by_me: true, repost_count: 3 }));
    const err = new ApiError(409, 'post_deleted', 'gone');
    await expect(
      optimisticEngage(h.get, h.set, 'repost', false, () => Promise.reject(err)),
    ).rejects.toBe(err);
    expect(h.seen[0]).toMatchObject({ reposted: false, repostCount: 2 });
    expect(h.now()).toMatchObject({ reposted: true, repostCount: 3 });
  });

  it('rolls back only its own kind: a like settled meanwhile stays', async () => {
    const h = harness(engagementOf(post));
    let fail!: (e: unknown) => void;
    const repost = optimisticEngage(h.get, h.set, 'repost', true, () => new Promise((_, rej) => (fail = rej)));
    await optimisticEngage(h.get, h.set, 'like', true, async () => ({ liked: true, like_count: 5 }));
    fail(new ApiError(0, 'network', 'down'));
    await expect(repost).rejects.toBeInstanceOf(ApiError);
    expect(h.now()).toEqual({ liked: true, likeCount: 5, reposted: false, repostCount: 1 });
  });

  it('believes the server when it says the state differs', async () => {
    const h = harness(engagementOf(post));
    await optimisticEngage(h.get, h.set, 'like', false, async () => ({ liked: true, like_count: 4 }));
    expect(h.now()).toMatchObject({ liked: true, likeCount: 4 });
  });
});

describe('compactCount', () => {
  it('shortens big numbers and hides zero', () => {
    expect(compactCount(0)).toBe('');
    expect(compactCount(7)).toBe('7');
    expect(compactCount(999)).toBe('999');
    expect(compactCount(1000)).toBe('1K');
    expect(compactCount(1234)).toBe('1.2K');
    expect(compactCount(123_456)).toBe('123K');
    expect(compactCount(3_450_000)).toBe('3.4M');
  });
});
