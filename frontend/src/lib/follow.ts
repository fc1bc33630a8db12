/** Follow and unfollow, shown at once and undone when the server says no. */
import type { User } from './types';

/** The user as seen after the caller (un)follows them. */
export function withFollow(user: User, following: boolean): User {
  if (Boolean(user.followed_by_me) === following) return user;
  return {
    ...user,
    followed_by_me: following,
    follower_count: Math.max(0, user.follower_count + (following ? 1 : -1)),
  };
}

/**
 * Applies the change through `set` before `call` answers; on failure restores what `get` gave
 * before and rethrows, so the caller can show why.
 */
export async function optimisticFollow(
  get: () => User,
  set: (u: User) => void,
  following: boolean,
  call: (id: string, following: boolean) => Promise<{ following: boolean }>,
): Promise<User> {
  const previous = get();
  set(withFollow(previous, following));
  try {
    const state = await call(previous.id, following);
    // The server's answer wins: it may say we were following already.
    const settled = withFollow(get(), state.following);
    set(settled);
    return settled;
  } catch (exc) {
    set(previous);
    throw exc;
  }
}
