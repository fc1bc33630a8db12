/** Who is signed in, their Kwetter profile, and the API client acting for them. */
import { ApiClient, type TimelineResult } from './api';
import { config } from './config';
import { humanMessage } from './errors';
import { readPersistedSession } from './persisted';
import type { User } from './types';

type Firebase = typeof import('./firebase');
let firebase: Promise<Firebase> | null = null;
/** The Firebase SDK, in its own chunk: it is not needed before the first post shows. */
export function loadFirebase(): Promise<Firebase> {
  firebase ??= import('./firebase');
  return firebase;
}

/** What index.html's boot script started (see there). */
interface BootRequests {
  token: string;
  me: Promise<Response>;
  timeline: Promise<Response>;
}

export type Phase = 'starting' | 'signedOut' | 'loadingProfile' | 'needsHandle' | 'ready' | 'error';

class Session {
  phase: Phase = $state('starting');
  uid: string | null = $state(null);
  email: string | null = $state(null);
  me: User | null = $state(null);
  error: string | null = $state(null);
  /** DELETE /v1/me succeeded in this tab: the goodbye page is shown, not the sign-in screen. */
  deleted = $state(false);
  readonly api = new ApiClient(config.apiBase, (force) => this.token(force));
  /** A token read from Firebase's store before the SDK is up (lib/persisted.ts). */
  private early: string | null = null;
  /** The home timeline's first page, asked for together with the profile. */
  private firstPage: Promise<TimelineResult> | null = null;
  private firstMe: Promise<User | null> | null = null;
  /**
   * Read as this module loads, before the app mounts: the two first calls leave while Svelte
   * renders the shell.
   */
  private readonly boot =
    typeof indexedDB === 'undefined'
      ? Promise.resolve(null)
      : readPersistedSession(config.firebaseApiKey).then((p) => {
          if (!p) return null;
          this.early = p.token;
          // index.html's inline script may have asked already, before any module loaded.
          const asked = (window as { __kwetterBoot?: BootRequests }).__kwetterBoot;
          const same = asked && asked.token === p.token;
          this.firstMe = same ? asked.me.then(ApiClient.meOf) : this.api.meOrNull();
          this.firstPage = same ? asked.timeline.then(ApiClient.timelineOf) : this.api.timeline({ limit: 20 });
          // Callers ask again if these failed.
          this.firstMe.catch(() => {});
          this.firstPage.catch(() => {});
          return p;
        });

  /** Firebase has reported who is signed in: from then on its tokens, not the early one. */
  private sdkReady = false;

  private async token(force: boolean): Promise<string | null> {
    if (!this.sdkReady && !force && this.early) return this.early;
    return (await loadFirebase()).idToken(force);
  }

  /**
   * The ID token's roles (Firebase custom claims `moderator`, `admin`, issue 21): only to show
   * the moderation page's link — the server checks the roles itself on every call.
   */
  async roles(force = false): Promise<{ moderator: boolean; admin: boolean }> {
    const none = { moderator: false, admin: false };
    try {
      const token = await this.token(force);
      if (!token) return none;
      const b64 = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
      const claims = JSON.parse(atob(b64.padEnd(Math.ceil(b64.length / 4) * 4, '='))) as Record<string, unknown>;
      return { moderator: claims.moderator === true || claims.admin === true, admin: claims.admin === true };
    } catch {
      return none;
    }
  }

  /** The prefetched first timeline page, once (Home takes it instead of asking again). */
  takeFirstPage(): Promise<TimelineResult> | null {
    const p = this.firstPage;
    this.firstPage = null;
    return p;
  }

  start(): () => void {
    let stopped = false;
    let unwatch = () => {};
    void (async () => {
      const persisted = await this.boot;
      const first = this.firstPage;
      if (persisted && first && !stopped && this.phase === 'starting') {
        this.uid = persisted.uid;
        this.email = persisted.email;
        await this.loadProfile();
        // Starting the SDK costs main-thread time (~0.8 s, 3 s at 4x CPU): after the first
        // timeline page has had its chance to render, not in its way.
        await Promise.race([first.catch(() => {}), new Promise((r) => setTimeout(r, 3000))]);
        await new Promise((r) => setTimeout(r, 50));
      }
      const fb = await loadFirebase();
      if (!stopped) unwatch = this.watch(fb);
    })();
    return () => {
      stopped = true;
      unwatch();
    };
  }

  private watch(fb: Firebase): () => void {
    return fb.watchAuth((user) => {
      this.sdkReady = true;
      // onIdTokenChanged also fires hourly on refresh: only a new account reloads the profile.
      const uid = user?.uid ?? null;
      if (uid !== null && uid === this.uid && this.phase !== 'signedOut') return;
      this.uid = uid;
      this.email = user?.email ?? null;
      this.me = null;
      this.early = null;
      this.firstPage = null;
      this.firstMe = null;
      if (!user) {
        this.phase = 'signedOut';
        return;
      }
      void this.loadProfile();
    });
  }

  async loadProfile(): Promise<void> {
    this.phase = 'loadingProfile';
    this.error = null;
    try {
      const early = this.firstMe;
      this.firstMe = null;
      const got = early ? await early.catch(() => undefined) : undefined;
      const me = got !== undefined ? got : await this.api.meOrNull();
      this.me = me;
      this.phase = me ? 'ready' : 'needsHandle';
    } catch (exc) {
      this.error = humanMessage(exc, 'load');
      this.phase = 'error';
    }
  }

  async signOut(): Promise<void> {
    await (await loadFirebase()).signOut();
  }

  registered(me: User): void {
    this.me = me;
    this.phase = 'ready';
  }

  /** The profile as PATCH /v1/me answered it: the header and own posts show it at once. */
  updated(me: User): void {
    if (this.me && this.me.id === me.id) this.me = { ...this.me, ...me };
  }

  /** Keeps the header's counts right after the person posts, deletes or follows. */
  adjustMe(change: Partial<Pick<User, 'post_count' | 'following_count'>>): void {
    if (!this.me) return;
    this.me = {
      ...this.me,
      post_count: Math.max(0, this.me.post_count + (change.post_count ?? 0)),
      following_count: Math.max(0, this.me.following_count + (change.following_count ?? 0)),
    };
  }
}

export const session = new Session();
