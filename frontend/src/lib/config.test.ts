import { describe, expect, it } from 'vitest';
import { resolveConfig } from './config';

describe('resolveConfig', () => {
  it('defaults to the local stack and the Auth emulator', () => {
    expect(resolveConfig({})).toEqual({
      apiBase: 'http://127.0.0.1:8080',
      firebaseProjectId: 'demo-kwetter',
      firebaseApiKey: 'demo-key',
      firebaseAuthDomain: 'demo-kwetter.firebaseapp.com',
      authEmulatorUrl: 'http://127.0.0.1:9099',
      pollMs: 5000,
    });
  });
  it('uses real Firebase Auth when the emulator URL is set empty', () => {
    const c = resolveConfig({
      VITE_AUTH_EMULATOR_URL: '',
      VITE_API_BASE: 'https://gw.example.dev/',
      VITE_FIREBASE_PROJECT_ID: 'kwetter-prod',
      VITE_POLL_MS: '3000',
    });
    expect(c.authEmulatorUrl).toBe('');
    expect(c.apiBase).toBe('https://gw.example.dev');
    expect(c.firebaseAuthDomain).toBe('kwetter-prod.firebaseapp.com');
    expect(c.pollMs).toBe(3000);
  });
  it('ignores a nonsensical poll interval', () => {
    expect(resolveConfig({ VITE_POLL_MS: 'soon' }).pollMs).toBe(5000);
    expect(resolveConfig({ VITE_POLL_MS: '10' }).pollMs).toBe(5000);
  });
});
