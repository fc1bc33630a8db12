/**
 * Notifications in words (issue 21): "Ada, Bob and 12 others liked your post", each name a
 * separate piece so the page puts it in its own <bdi> and link; the badge's number. Pure.
 */
import type { Notification, NotificationActor } from './types';

export type Piece = { kind: 'actor'; actor: NotificationActor; name: string } | { kind: 'text'; text: string };

const WHAT: Record<Notification['kind'], string> = {
  like: 'liked your post',
  repost: 'reposted your post',
  follow: 'followed you',
  mention: 'mentioned you',
  reply: 'replied to your post',
};

export const actorName = (a: NotificationActor) => a.display_name || (a.handle ? `@${a.handle}` : 'Someone');

/** The sentence of a row: at most two names, then "and N others" (N = everyone else). */
export function notificationPieces(n: Pick<Notification, 'kind' | 'actors' | 'actor_count'>): Piece[] {
  const actors = n.actors.slice(0, n.actor_count > 3 ? 2 : 3);
  const total = Math.max(n.actor_count, actors.length);
  const others = total - actors.length;
  const out: Piece[] = [];
  const name = (a: NotificationActor): Piece => ({ kind: 'actor', actor: a, name: actorName(a) });
  if (actors.length === 0) out.push({ kind: 'text', text: total === 1 ? 'Someone' : `${total} people` });
  actors.forEach((a, i) => {
    if (i > 0) out.push({ kind: 'text', text: i === actors.length - 1 && others === 0 ? ' and ' : ', ' });
    out.push(name(a));
  });
  if (actors.length && others > 0) out.push({ kind: 'text', text: ` and ${others} ${others === 1 ? 'other' : 'others'}` });
  out.push({ kind: 'text', text: ` ${WHAT[n.kind]}` });
  return out;
}

export const notificationText = (n: Parameters<typeof notificationPieces>[0]) =>
  notificationPieces(n)
    .map((p) => (p.kind === 'actor' ? p.name : p.text))
    .join('');

/** The badge: nothing at 0, "99+" past 99 (the server caps the count there). */
export function badgeText(unread: number): string {
  if (!Number.isFinite(unread) || unread <= 0) return '';
  return unread > 99 ? '99+' : String(Math.floor(unread));
}

/** Where a row leads: the post (the reply itself for a reply), or the actor's profile. */
export function notificationHref(n: Pick<Notification, 'kind' | 'post_id' | 'actors'>): string | null {
  if (n.post_id) return `/post/${n.post_id}`;
  const h = n.actors[0]?.handle;
  return h ? `/@${h}` : null;
}
