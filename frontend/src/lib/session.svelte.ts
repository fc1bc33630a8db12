/** Who is signed in, their Kwetter profile, and the API client acting for them. */
import { ApiClient } from './api';
import { config } from './config';
import { humanMessage } from './errors';
import { idToken, watchAuth } from './firebase';
import type { User } from './types';

export type Phase = 'starting' | 'signedOut' | 'loadingProfile' | 'needsHandle' | 'ready' | 'error';

class Session {
  phase: Phase = $state('starting');
  uid: string | null = $state(null);
  email: string | null = $state(null);
  me: User | null = $state(null);
  error: string | null = $state(null);
  readonly api = new ApiClient(config.apiBase, idToken);

  start(): () => void {
    return watchAuth((user) => {
      // onIdTokenChanged also fires hourly on refresh: only a new account reloads the profile.
      const uid = user?.uid ?? null;
      if (uid !== null && uid === this.uid && this.phase !== 'signedOut') return;
      this.uid = uid;
      this.email = user?.email ?? null;
      this.me = null;
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
      const me = await this.api.meOrNull();
      this.me = me;
      this.phase = me ? 'ready' : 'needsHandle';
    } catch (exc) {
      this.error = humanMessage(exc, 'load');
      this.phase = 'error';
    }
  }

  registered(me: User): void {
    this.me = me;
    this.phase = 'ready';
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
