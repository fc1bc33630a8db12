import { describe, expect, it } from 'vitest';
import { repostedByPieces, repostedByText } from './reposted';

const ada = { id: '1', handle: 'ada', display_name: 'Ada' };
const bob = { id: '2', handle: 'bob', display_name: 'Bob' };
const cy = { id: '3', handle: 'cy', display_name: 'Cy' };

describe('repostedByText', () => {
  it('names one, two, or one and the others', () => {
    expect(repostedByText({ users: [ada], count: 1 })).toBe('Reposted by Ada');
    expect(repostedByText({ users: [ada, bob], count: 2 })).toBe('Reposted by Ada and Bob');
    expect(repostedByText({ users: [ada, bob, cy], count: 3 })).toBe('Reposted by Ada and 2 others');
    expect(repostedByText({ users: [ada], count: 2 })).toBe('Reposted by Ada and 1 other');
    expect(repostedByText({ users: [ada, bob, cy], count: 40 })).toBe('Reposted by Ada and 39 others');
  });
  it('says nothing for a plain post, and counts when no one is named', () => {
    expect(repostedByText(null)).toBeNull();
    expect(repostedByText(undefined)).toBeNull();
    expect(repostedByText({ users: [], count: 0 })).toBeNull();
    expect(repostedByText({ users: [], count: 2 })).toBe('Reposted by 2 people you follow');
  });
  it('never says fewer than it names', () => {
    expect(repostedByText({ users: [ada, bob], count: 1 })).toBe('Reposted by Ada and Bob');
  });
  it('says "you" for your own repost, first', () => {
    expect(repostedByText({ users: [ada], count: 1 }, '1')).toBe('Reposted by you');
    expect(repostedByText({ users: [bob, ada], count: 2 }, '1')).toBe('Reposted by you and Bob');
    expect(repostedByPieces({ users: [ada], count: 1 }, '1')).toEqual([
      { kind: 'text', text: 'Reposted by ' },
      { kind: 'text', text: 'you' },
    ]);
  });
  it('falls back to the handle for an empty display name', () => {
    expect(repostedByText({ users: [{ ...ada, display_name: '' }], count: 1 })).toBe('Reposted by @ada');
  });
});

describe('repostedByPieces', () => {
  it('keeps names as user pieces (rendered as text, never markup)', () => {
    const evil = { id: '9', handle: 'x', display_name: '<img src=x onerror=alert(1)>' };
    const pieces = repostedByPieces({ users: [evil], count: 1 })!;
    expect(pieces).toEqual([
      { kind: 'text', text: 'Reposted by ' },
      { kind: 'user', user: evil },
    ]);
  });
});
