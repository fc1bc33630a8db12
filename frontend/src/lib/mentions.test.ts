import { describe, expect, it } from 'vitest';
import { insertMention, mentionAt } from './mentions';

describe('mentionAt', () => {
  it('finds the @prefix that ends at the caret', () => {
    expect(mentionAt('hi @ad', 6)).toEqual({ start: 3, prefix: 'ad' });
    expect(mentionAt('@a', 2)).toEqual({ start: 0, prefix: 'a' });
    expect(mentionAt('(@bob_', 6)).toEqual({ start: 1, prefix: 'bob_' });
    expect(mentionAt('hi @ad and more', 6)).toEqual({ start: 3, prefix: 'ad' });
  });
  it('stays quiet elsewhere', () => {
    expect(mentionAt('mail ada@ex', 11)).toBeNull(); // an e-mail address
    expect(mentionAt('hi @', 4)).toBeNull(); // nothing typed yet
    expect(mentionAt('hi @ada ', 8)).toBeNull(); // after the space
    expect(mentionAt('hi @ada', 5)).toBeNull(); // the handle goes on past the caret
    expect(mentionAt('hi @ada-x', 9)).toBeNull();
    expect(mentionAt(`@${'a'.repeat(31)}`, 32)).toBeNull();
    expect(mentionAt('x', 9)).toBeNull();
  });
});

describe('insertMention', () => {
  it('replaces the prefix by the handle and a space, caret after it', () => {
    expect(insertMention('hi @ad', { start: 3, prefix: 'ad' }, 'ada_l')).toEqual({ text: 'hi @ada_l ', caret: 10 });
  });
  it('keeps the text after the caret, without doubling a space', () => {
    const r = insertMention('hi @ad see', { start: 3, prefix: 'ad' }, 'ada');
    expect(r).toEqual({ text: 'hi @ada see', caret: 8 });
  });
});
