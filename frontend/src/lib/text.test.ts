import { describe, expect, it } from 'vitest';
import { counter, displayNameProblem, handleProblem, normalizePost, postLength } from './text';

describe('postLength counts like the server (NFC, Python strip, code points)', () => {
  it('counts plain ASCII', () => {
    expect(postLength('hello')).toBe(5);
  });
  it('trims surrounding whitespace and newlines', () => {
    expect(postLength('  \n hi there \t\n')).toBe(8);
  });
  it('counts an astral emoji as one code point, not two UTF-16 units', () => {
    expect('😀'.length).toBe(2);
    expect(postLength('😀')).toBe(1);
  });
  it('normalises to NFC: e + combining acute is one character', () => {
    expect(postLength('e\u0301')).toBe(1);
    expect(normalizePost('e\u0301')).toBe('é');
  });
  it('strips what Python strips and keeps what Python keeps', () => {
    // U+001F and U+0085 are whitespace to Python's str.strip(), not to String.trim().
    expect(normalizePost('\u001fa\u0085')).toBe('a');
    // U+FEFF is stripped by String.trim() but not by Python.
    expect(postLength('\ufeffa')).toBe(2);
    expect(normalizePost('\u3000a\u00a0')).toBe('a');
  });
  it('keeps inner whitespace', () => {
    expect(normalizePost(' a \n\n b ')).toBe('a \n\n b');
  });
});

describe('counter', () => {
  it('is invalid when empty or only spaces', () => {
    expect(counter('').valid).toBe(false);
    expect(counter('   \n').valid).toBe(false);
    expect(counter('   \n').remaining).toBe(280);
  });
  it('accepts exactly 280 and rejects 281', () => {
    expect(counter('a'.repeat(280))).toEqual({ length: 280, remaining: 0, valid: true, tone: 'warn' });
    expect(counter('a'.repeat(281))).toMatchObject({ remaining: -1, valid: false, tone: 'over' });
  });
  it('280 emoji fit although they are 560 UTF-16 units', () => {
    expect(counter('😀'.repeat(280)).valid).toBe(true);
  });
  it('warns within the last 20', () => {
    expect(counter('a'.repeat(259)).tone).toBe('ok');
    expect(counter('a'.repeat(260)).tone).toBe('warn');
  });
});

describe('profile validation', () => {
  it('checks handles like the API pattern', () => {
    expect(handleProblem('ab')).toMatch(/at least 3/);
    expect(handleProblem('a'.repeat(31))).toMatch(/at most 30/);
    expect(handleProblem('bad-handle')).toMatch(/letters, digits/);
    expect(handleProblem('good_Handle_1')).toBeNull();
  });
  it('checks display names', () => {
    expect(displayNameProblem('  ')).not.toBeNull();
    expect(displayNameProblem('x'.repeat(51))).toMatch(/50/);
    expect(displayNameProblem('Ada Lovelace')).toBeNull();
  });
});
