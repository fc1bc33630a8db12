/**
 * Firebase Auth, on the local emulator unless VITE_AUTH_EMULATOR_URL is set to empty.
 *
 * `initializeAuth` with local persistence only, not `getAuth`: getAuth also bundles the
 * popup/redirect sign-in machinery and every persistence, which this app never uses — a third of
 * the first load's JavaScript. The sign-in, sign-up and password reset calls live in
 * auth-forms.ts, loaded with those screens.
 */
import { initializeApp } from 'firebase/app';
import {
  connectAuthEmulator,
  browserLocalPersistence,
  indexedDBLocalPersistence,
  initializeAuth,
  onIdTokenChanged,
  signOut as fbSignOut,
  type Auth,
  type User as FirebaseUser,
} from 'firebase/auth';
import { config } from './config';

let auth: Auth | null = null;

export function firebaseAuth(): Auth {
  if (auth) return auth;
  const app = initializeApp({
    apiKey: config.firebaseApiKey,
    authDomain: config.firebaseAuthDomain,
    projectId: config.firebaseProjectId,
  });
  // localStorage first: the app reads it synchronously at startup (lib/persisted.ts), where
  // opening IndexedDB took 0.2–1.1 s on the throttled phone. Firebase moves a session it finds
  // in IndexedDB (how earlier versions kept it) to the first persistence of the list.
  auth = initializeAuth(app, { persistence: [browserLocalPersistence, indexedDBLocalPersistence] });
  if (config.authEmulatorUrl) {
    connectAuthEmulator(auth, config.authEmulatorUrl, { disableWarnings: true });
  }
  return auth;
}

export function watchAuth(cb: (user: FirebaseUser | null) => void): () => void {
  return onIdTokenChanged(firebaseAuth(), cb);
}

export async function signOut(): Promise<void> {
  await fbSignOut(firebaseAuth());
}

export async function idToken(force: boolean): Promise<string | null> {
  const user = firebaseAuth().currentUser;
  return user ? user.getIdToken(force) : null;
}
