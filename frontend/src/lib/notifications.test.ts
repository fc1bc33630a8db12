import { describe, expect, it } from 'vitest';
import { badgeText, notificationHref, notificationPieces, notificationText } from './notifications';

const a = (n: string) => ({ id: n, handle: n.toLowerCase(), display_name: n });

describe('notificationText', () => {
  it('names one, two or three people', () => {
    expect(notificationText({ kind: 'like', actors: [a('Ada')], actor_count: 1 })).toBe('Ada liked your post');
    expect(notificationText({ kind: 'repost', actors: [a('Ada'), a('Bob')], actor_count: 2 })).toBe(
      'Ada and Bob reposted your post',
    );
    expect(notificationText({ kind: 'follow', actors: [a('Ada'), a('Bob'), a('Cy')], actor_count: 3 })).toBe(
      'Ada, Bob and Cy followed you',
    );
  });
  it('says "and N others" past three, counting everyone not named', () => {
    expect(notificationText({ kind: 'like', actors: [a('Ada'), a('Bob'), a('Cy')], actor_count: 14 })).toBe(
      'Ada, Bob and 12 others liked your post',
    );
    expect(notificationText({ kind: 'like', actors: [a('Ada'), a('Bob'), a('Cy')], actor_count: 4 })).toBe(
      'Ada, Bob and 2 others liked your post',
    );
  });
  it('copes with gone accounts and missing actors', () => {
    expect(notificationText({ kind: 'mention', actors: [{ id: 'x', handle: null, display_name: null }], actor_count: 1 })).toBe(
      'Someone mentioned you',
    );
    expect(notificationText({ kind: 'like', actors: [], actor_count: 5 })).toBe('5 people liked your post');
    expect(notificationText({ kind: 'reply', actors: [{ id: 'x', handle: 'zed' }], actor_count: 1 })).toBe(
      '@zed replied to your post',
    );
  });
  it('keeps names as separate pieces (each in its own <bdi>)', () => {
    const pieces = notificationPieces({ kind: 'like', actors: [a('\u202Eevil'), a('Bob')], actor_count: 2 });
    expect(pieces.filter((p) => p.kind === 'actor').map((p) => (p.kind === 'actor' ? p.name : ''))).toEqual([
      '\u202Eevil',
      'Bob',
    ]);
  });
});

describe('badgeText and notificationHref', () => {
  it('shows nothing at 0 and 99+ past 99', () => {
    expect(badgeText(0)).toBe('');
    expect(badgeText(-1)).toBe('');
    expect(badgeText(7)).toBe('7');
    expect(badgeText(99)).toBe('99');
    expect(badgeText(100)).toBe('99+');
  });
  it('leads to the post, or to the follower', () => {
    expect(notificationHref({ kind: 'like', post_id: '12', actors: [] })).toBe('/post/12');
    expect(notificationHref({ kind: 'follow', post_id: null, actors: [a('Ada')] })).toBe('/@ada');
    expect(notificationHref({ kind: 'follow', post_id: null, actors: [] })).toBeNull();
  });
});
