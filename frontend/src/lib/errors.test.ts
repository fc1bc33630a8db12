import { describe, expect, it } from 'vitest';
import { ApiError } from './api';
import { humanMessage, needsSignIn } from './errors';

const err = (status: number, code: string, retryAfterS: number | null = null) =>
  new ApiError(status, code, 'raw server text', { retryAfterS });

describe('humanMessage', () => {
  it('has a sentence for every code the API can return, never the raw text', () => {
    const codes: [number, string][] = [
      [0, 'network'],
      [400, 'bad_request'],
      [401, 'unauthenticated'],
      [403, 'forbidden'],
      [404, 'not_found'],
      [405, 'method_not_allowed'],
      [409, 'conflict'],
      [413, 'payload_too_large'],
      [415, 'unsupported_media_type'],
      [422, 'validation_failed'],
      [429, 'rate_limited'],
      [500, 'internal'],
      [503, 'unavailable'],
      [503, 'backend_unavailable'],
    ];
    const seen = new Set<string>();
    for (const [status, code] of codes) {
      const msg = humanMessage(err(status, code));
      expect(msg).not.toContain('raw server text');
      expect(msg.length).toBeGreaterThan(10);
      seen.add(msg);
    }
    expect(seen.size).toBeGreaterThanOrEqual(12);
  });

  it('reads right for what the person was doing', () => {
    expect(humanMessage(err(409, 'conflict'), 'register')).toBe('That handle is taken. Try another one.');
    expect(humanMessage(err(403, 'forbidden'), 'delete')).toBe('You can only delete your own posts.');
    expect(humanMessage(err(422, 'validation_failed'), 'post')).toBe('A post needs 1 to 280 characters and at most 4 images.');
    expect(humanMessage(err(404, 'not_found'), 'profile')).toBe('No one has that handle.');
  });

  it('says how long to wait when the server tells', () => {
    expect(humanMessage(err(429, 'rate_limited', 12), 'post')).toContain('12 s');
  });

  it('falls back on the status for unknown codes', () => {
    expect(humanMessage(err(502, 'http_502'))).toMatch(/wrong on our side/);
    expect(humanMessage(err(418, 'teapot'))).toMatch(/could not understand/);
    expect(humanMessage(err(404, 'weird'))).toMatch(/isn't here/);
  });

  it('translates Firebase Auth errors', () => {
    expect(humanMessage({ code: 'auth/invalid-credential' }, 'signin')).toBe('Wrong email or password.');
    expect(humanMessage({ code: 'auth/email-already-in-use' }, 'signup')).toMatch(/exists already/);
    expect(humanMessage({ code: 'auth/weak-password' }, 'signup')).toMatch(/6 characters/);
    expect(humanMessage({ code: 'auth/something-new' }, 'signin')).toMatch(/Signing in failed/);
  });

  it('has something to say for anything else', () => {
    expect(humanMessage(new TypeError('Failed to fetch'))).toMatch(/Can't reach/);
    expect(humanMessage('???')).toMatch(/unexpected/);
  });

  it('knows when only signing in again helps', () => {
    expect(needsSignIn(err(401, 'unauthenticated'))).toBe(true);
    expect(needsSignIn(err(403, 'forbidden'))).toBe(false);
  });
});
