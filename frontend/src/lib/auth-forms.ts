/** The Firebase Auth calls of the signed-out screens (their own chunk, see firebase.ts). */
import {
  confirmPasswordReset,
  createUserWithEmailAndPassword,
  sendPasswordResetEmail,
  signInWithEmailAndPassword,
  verifyPasswordResetCode,
} from 'firebase/auth';
import { firebaseAuth } from './firebase';

export async function signIn(email: string, password: string): Promise<void> {
  await signInWithEmailAndPassword(firebaseAuth(), email.trim(), password);
}

export async function signUp(email: string, password: string): Promise<void> {
  await createUserWithEmailAndPassword(firebaseAuth(), email.trim(), password);
}

/**
 * Sends Firebase's reset e-mail. Its link comes back to this app's /reset-password (the e-mail
 * template's action URL is set to it in production; the emulator lists the link instead).
 */
export async function sendReset(email: string): Promise<void> {
  await sendPasswordResetEmail(firebaseAuth(), email.trim(), {
    url: `${location.origin}/signin`,
    handleCodeInApp: false,
  });
}

/** The account the reset code is for (also proves the code is still valid). */
export function checkResetCode(code: string): Promise<string> {
  return verifyPasswordResetCode(firebaseAuth(), code);
}

export async function resetPassword(code: string, password: string): Promise<void> {
  await confirmPasswordReset(firebaseAuth(), code, password);
}
