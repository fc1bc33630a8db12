import { describe, expect, it } from 'vitest';
import { ApiError } from './api';
import { optimisticFollow, withFollow } from './follow';
import type { User } from './types';

const bob: User = {
  id: 'bob',
  handle: 'bob',
  display_name: 'Bob',
  follower_count: 3,
  following_count: 1,
  post_count: 0,
  followed_by_me: false,
};

describe('withFollow', () => {
  it('adjusts the follower count once', () => {
    const f = withFollow(bob, true);
    expect(f).toMatchObject({ followed_by_me: true, follower_count: 4 });
    expect(withFollow(f, true)).toBe(f);
    expect(withFollow(f, false)).toMatchObject({ followed_by_me: false, follower_count: 3 });
  });
  it('never goes below zero', () => {
    expect(withFollow({ ...bob, follower_count: 0, followed_by_me: true }, false).follower_count).toBe(0);
  });
});

describe('optimisticFollow', () => {
  it('shows the change before the server answers, then keeps it', async () => {
    let shown = bob;
    const seen: User[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const p = optimisticFollow(
      () => shown,
      (u) => {
        shown = u;
        seen.push(u);
      },
      true,
      async () => {
        await gate;
        return { following: true };
      },
    );
    expect(shown).toMatchObject({ followed_by_me: true, follower_count: 4 });
    release();
    await p;
    expect(shown).toMatchObject({ followed_by_me: true, follower_count: 4 });
    expect(seen[0]).toMatchObject({ followed_by_me: true });
  });

  it('rolls back and rethrows when the server refuses', async () => {
    let shown = bob;
    const failure = new ApiError(404, 'not_found', 'gone');
    await expect(
      optimisticFollow(
        () => shown,
        (u) => (shown = u),
        true,
        async () => {
          throw failure;
        },
      ),
    ).rejects.toBe(failure);
    expect(shown).toEqual(bob);
  });

  it('lets the server have the last word', async () => {
    let shown: User = { ...bob, followed_by_me: true, follower_count: 4 };
    await optimisticFollow(
      () => shown,
      (u) => (shown = u),
      false,
      async () => ({ following: true }),
    );
    expect(shown).toMatchObject({ followed_by_me: true, follower_count: 4 });
  });
});
