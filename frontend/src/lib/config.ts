/** Where the app finds the API and Firebase Auth; baked in at build time from VITE_* variables. */
export interface AppConfig {
  apiBase: string;
  firebaseProjectId: string;
  firebaseApiKey: string;
  firebaseAuthDomain: string;
  /** Empty: real Firebase Auth. Otherwise the Auth emulator's URL. */
  authEmulatorUrl: string;
  /** How often the home timeline's head is polled for new posts. */
  pollMs: number;
}

type Env = Partial<Record<string, string | undefined>>;

export const DEFAULTS = {
  apiBase: 'http://127.0.0.1:8080',
  firebaseProjectId: 'demo-kwetter',
  firebaseApiKey: 'demo-key',
  authEmulatorUrl: 'http://127.0.0.1:9099',
  pollMs: 5000,
} as const;

export function resolveConfig(env: Env): AppConfig {
  const projectId = env.VITE_FIREBASE_PROJECT_ID || DEFAULTS.firebaseProjectId;
  const poll = Number(env.VITE_POLL_MS);
  return {
    apiBase: (env.VITE_API_BASE || DEFAULTS.apiBase).replace(/\/+$/, ''),
    firebaseProjectId: projectId,
    firebaseApiKey: env.VITE_FIREBASE_API_KEY || DEFAULTS.firebaseApiKey,
    firebaseAuthDomain: env.VITE_FIREBASE_AUTH_DOMAIN || `${projectId}.firebaseapp.com`,
    // Unset means "local": the emulator. Set to the empty string means production Firebase Auth,
    // so `??` and not `||` here.
    authEmulatorUrl: (env.VITE_AUTH_EMULATOR_URL ?? DEFAULTS.authEmulatorUrl).trim(),
    pollMs: Number.isFinite(poll) && poll >= 500 ? poll : DEFAULTS.pollMs,
  };
}

// `?? {}`: vite.config.ts imports this module in Node, where import.meta.env is not set.
export const config: AppConfig = resolveConfig((import.meta.env ?? {}) as Env);
