/** "Reposted by Ada and 2 others" on a home item, as pieces the card renders as text nodes. */
import type { RepostedBy, UserRef } from './types';

export type RepostPiece = { kind: 'user'; user: UserRef } | { kind: 'text'; text: string };

/** "you" rather than your own name (the server shows reposters their own repost too). */
const YOU = 'you';

/**
 * Up to two names, then "N others" for the rest of `count` (the reposters the reader follows).
 * Names are user text: they stay pieces, never markup. Null when there is nothing to say.
 */
export function repostedByPieces(rb: RepostedBy | null | undefined, meId?: string | null): RepostPiece[] | null {
  if (!rb) return null;
  const named = (rb.users ?? []).filter((u) => u && typeof u.handle === 'string');
  // You first: "Reposted by you and Ada".
  const users = [...named.filter((u) => u.id === meId), ...named.filter((u) => u.id !== meId)];
  const count = Math.max(rb.count ?? 0, users.length);
  if (count === 0) return null;
  const t = (text: string): RepostPiece => ({ kind: 'text', text });
  const u = (user: UserRef): RepostPiece => (user.id === meId ? t(YOU) : { kind: 'user', user });
  if (users.length === 0) return [t(`Reposted by ${count} ${count === 1 ? 'person' : 'people'} you follow`)];
  if (count === 1) return [t('Reposted by '), u(users[0])];
  if (count === 2 && users.length >= 2) return [t('Reposted by '), u(users[0]), t(' and '), u(users[1])];
  const others = count - 1;
  return [t('Reposted by '), u(users[0]), t(` and ${others} ${others === 1 ? 'other' : 'others'}`)];
}

/** The same line as plain text (the card's accessible summary, and the tests). */
export function repostedByText(rb: RepostedBy | null | undefined, meId?: string | null): string | null {
  const pieces = repostedByPieces(rb, meId);
  if (!pieces) return null;
  return pieces.map((p) => (p.kind === 'text' ? p.text : p.user.display_name || `@${p.user.handle}`)).join('');
}
