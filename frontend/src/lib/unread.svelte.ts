/**
 * The navigation's unread badge: GET /v1/notifications/unread (a few bytes) every poll
 * interval while the tab is visible, and at once when it becomes visible again; no reload.
 */
import { config } from './config';
import { session } from './session.svelte';

class Unread {
  count = $state(0);
  private seq = 0;

  set(n: number): void {
    this.seq++; // an answer already under way must not undo what the page just learnt
    this.count = n;
  }

  async refresh(): Promise<void> {
    const mine = ++this.seq;
    try {
      const { unread } = await session.api.unreadNotifications();
      if (mine === this.seq) this.count = unread;
    } catch {
      // A missed poll is retried by the next one; the badge keeps its number meanwhile.
    }
  }

  start(): () => void {
    void this.refresh();
    const every = Math.max(config.pollMs, 2000);
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible') void this.refresh();
    }, every);
    const onVisible = () => {
      if (document.visibilityState === 'visible') void this.refresh();
    };
    document.addEventListener('visibilitychange', onVisible);
    return () => {
      clearInterval(timer);
      document.removeEventListener('visibilitychange', onVisible);
    };
  }
}

export const unread = new Unread();
