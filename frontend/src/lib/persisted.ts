/**
 * The signed-in session Firebase Auth keeps in IndexedDB, read directly at startup.
 *
 * Why: Firebase's own start (load ~50 KB of SDK, probe storage, then validate the account with an
 * accounts:lookup round trip) took 1.3 s unthrottled and 5.6 s on the budget's phone profile
 * before the first API call could even begin. A still-valid ID token from that store lets the
 * app ask for the profile and the timeline at once, while the SDK loads beside it; the SDK then
 * takes over (refreshes, sign-out), and the server checks the token as always. The layout read
 * is Firebase's `indexedDBLocalPersistence` (database firebaseLocalStorageDb, store
 * firebaseLocalStorage, key firebase:authUser:<apiKey>:[DEFAULT]); anything unexpected there
 * simply means "no fast path". Firebase keeps it in localStorage (read synchronously, instant);
 * a session an older version left in IndexedDB (firebaseLocalStorageDb) is read from there.
 */
export interface PersistedSession {
  uid: string;
  email: string | null;
  token: string;
}

const MARGIN_MS = 60_000;

export function parsePersisted(value: unknown, now: number): PersistedSession | null {
  const v = (value as { value?: unknown } | null)?.value ?? value;
  const u = v as {
    uid?: unknown;
    email?: unknown;
    stsTokenManager?: { accessToken?: unknown; expirationTime?: unknown };
  } | null;
  const token = u?.stsTokenManager?.accessToken;
  const exp = u?.stsTokenManager?.expirationTime;
  if (typeof u?.uid !== 'string' || typeof token !== 'string' || typeof exp !== 'number') return null;
  if (exp - now < MARGIN_MS) return null;
  return { uid: u.uid, email: typeof u.email === 'string' ? u.email : null, token };
}

export const storageKey = (apiKey: string) => `firebase:authUser:${apiKey}:[DEFAULT]`;

export function readLocalSession(apiKey: string): PersistedSession | null {
  try {
    const raw = localStorage.getItem(storageKey(apiKey));
    return raw ? parsePersisted(JSON.parse(raw), Date.now()) : null;
  } catch {
    return null;
  }
}

export function readPersistedSession(apiKey: string, timeoutMs = 1000): Promise<PersistedSession | null> {
  const local = readLocalSession(apiKey);
  if (local) return Promise.resolve(local);
  return new Promise((resolve) => {
    const done = (v: PersistedSession | null) => resolve(v);
    setTimeout(() => done(null), timeoutMs);
    try {
      const open = indexedDB.open('firebaseLocalStorageDb');
      open.onerror = () => done(null);
      // No database yet: do not create one here (Firebase creates it with its own schema).
      open.onupgradeneeded = () => {
        open.transaction?.abort();
        done(null);
      };
      open.onsuccess = () => {
        const db = open.result;
        try {
          const get = db
            .transaction('firebaseLocalStorage', 'readonly')
            .objectStore('firebaseLocalStorage')
            .get(storageKey(apiKey));
          get.onsuccess = () => done(parsePersisted(get.result, Date.now()));
          get.onerror = () => done(null);
        } catch {
          done(null);
        } finally {
          db.close();
        }
      };
    } catch {
      done(null);
    }
  });
}
