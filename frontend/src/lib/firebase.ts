/** Firebase Auth, on the local emulator unless VITE_AUTH_EMULATOR_URL is set to empty. */
import { initializeApp } from 'firebase/app';
import {
  connectAuthEmulator,
  createUserWithEmailAndPassword,
  getAuth,
  onIdTokenChanged,
  signInWithEmailAndPassword,
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
  auth = getAuth(app);
  if (config.authEmulatorUrl) {
    connectAuthEmulator(auth, config.authEmulatorUrl, { disableWarnings: true });
  }
  return auth;
}

export function watchAuth(cb: (user: FirebaseUser | null) => void): () => void {
  return onIdTokenChanged(firebaseAuth(), cb);
}

export async function signIn(email: string, password: string): Promise<void> {
  await signInWithEmailAndPassword(firebaseAuth(), email.trim(), password);
}

export async function signUp(email: string, password: string): Promise<void> {
  await createUserWithEmailAndPassword(firebaseAuth(), email.trim(), password);
}

export async function signOut(): Promise<void> {
  await fbSignOut(firebaseAuth());
}

export async function idToken(force: boolean): Promise<string | null> {
  const user = firebaseAuth().currentUser;
  return user ? user.getIdToken(force) : null;
}
