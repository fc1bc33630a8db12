import { describe, expect, it } from 'vitest';
import { ApiError } from './api';
import { changesOf, draftOf, fieldErrorOf, FIELD_RULES, SERVER_REFUSED, validateProfile } from './profile';
import type { User } from './types';

const ada: User = {
  id: '1',
  handle: 'ada',
  display_name: 'Ada',
  bio: '',
  follower_count: 0,
  following_count: 0,
  post_count: 0,
};

describe('validateProfile', () => {
  it('accepts the limits, counting code points', () => {
    expect(validateProfile({ display_name: '😀'.repeat(50), bio: 'é'.repeat(160), handle: 'a_1' })).toEqual({});
    expect(validateProfile({ display_name: '  Ada  ', bio: '', handle: 'x'.repeat(30) })).toEqual({});
  });
  it('names each field that is out of bounds', () => {
    expect(validateProfile({ display_name: '   ', bio: 'b'.repeat(161), handle: 'ab' })).toEqual({
      display_name: FIELD_RULES.display_name,
      bio: FIELD_RULES.bio,
      handle: FIELD_RULES.handle,
    });
    expect(validateProfile({ display_name: 'a'.repeat(51), bio: '', handle: 'bad-handle' })).toMatchObject({
      display_name: FIELD_RULES.display_name,
      handle: FIELD_RULES.handle,
    });
  });
  it('refuses what the server refuses: controls, line breaks, bidi controls, invisible characters', () => {
    for (const bad of ['A\u0007da', 'two\nlines', 'tab\there', 'evil\u202egpj', 'zero\u200bwidth', 'sep\u2028x', 'lone\ud800']) {
      const e = validateProfile({ display_name: bad, bio: bad, handle: 'ada' });
      expect(e.display_name, JSON.stringify(bad)).toMatch(/one line, without control or invisible/);
      expect(e.bio, JSON.stringify(bad)).toMatch(/one line, without control or invisible/);
    }
    // Edges are stripped as Python strips them; accents and emoji are fine.
    expect(validateProfile({ display_name: '\n Zoë 👩🏽 \t', bio: ' café ☕ ', handle: 'ada' })).toEqual({});
  });
  it('counts after NFC: e + combining accent is one character', () => {
    expect(validateProfile({ display_name: 'e\u0301'.repeat(50), bio: '', handle: 'ada' })).toEqual({});
  });
});

describe('changesOf', () => {
  it('sends only what changed, trimmed', () => {
    expect(changesOf(ada, draftOf(ada))).toEqual({});
    expect(changesOf(ada, { display_name: ' Ada L. ', bio: ' hi ', handle: 'ada' })).toEqual({
      display_name: 'Ada L.',
      bio: 'hi',
    });
    expect(changesOf(ada, { ...draftOf(ada), handle: 'Ada' })).toEqual({ handle: 'Ada' });
  });
  it('treats a missing bio as empty', () => {
    const { bio: _bio, ...noBio } = ada;
    expect(changesOf(noBio, { ...draftOf(noBio), bio: '' })).toEqual({});
  });
});

describe('fieldErrorOf', () => {
  it('puts 409 handle_taken on the handle', () => {
    expect(fieldErrorOf(new ApiError(409, 'handle_taken', 'taken'))).toEqual({
      field: 'handle',
      message: 'That handle is taken. Try another one.',
    });
  });
  it('says which handle a look-alike resembles', () => {
    const err = new ApiError(409, 'handle_taken', 'taken', {
      details: { field: 'handle', reason: 'confusable', existing: 'ada_l' },
    });
    expect(fieldErrorOf(err)?.message).toBe('That handle looks like @ada_l, which is taken. Try another one.');
  });
  it('reads the field of a 422 from error.details', () => {
    const err = new ApiError(422, 'validation_failed', 'bad', { details: { field: 'bio', max: 160 } });
    expect(fieldErrorOf(err)).toEqual({ field: 'bio', message: SERVER_REFUSED.bio });
    const list = new ApiError(422, 'validation_failed', 'bad', { details: [{ field: 'display_name' }] });
    expect(fieldErrorOf(list)?.field).toBe('display_name');
  });
  it('is null for errors about no field', () => {
    expect(fieldErrorOf(new ApiError(422, 'validation_failed', 'bad', { details: { field: 'email' } }))).toBeNull();
    expect(fieldErrorOf(new ApiError(429, 'rate_limited', 'slow'))).toBeNull();
    expect(fieldErrorOf(new Error('x'))).toBeNull();
  });
});
