import { describe, expect, it } from 'vitest';
import { parsePersisted } from './persisted';

describe('parsePersisted', () => {
  const rec = (exp: number) => ({
    fbase_key: 'firebase:authUser:k:[DEFAULT]',
    value: { uid: 'u1', email: 'a@b.c', stsTokenManager: { accessToken: 'tok', expirationTime: exp } },
  });
  it('takes a token that is valid for more than a minute', () => {
    expect(parsePersisted(rec(200_000), 100_000)).toEqual({ uid: 'u1', email: 'a@b.c', token: 'tok' });
  });
  it('refuses one about to expire, and anything malformed', () => {
    expect(parsePersisted(rec(120_000), 100_000)).toBeNull();
    expect(parsePersisted(undefined, 0)).toBeNull();
    expect(parsePersisted({ value: { uid: 1 } }, 0)).toBeNull();
  });
});
