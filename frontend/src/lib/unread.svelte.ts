/**
 * The navigation's unread badge: GET /v1/notifications/unread (a few bytes) every
 * UNREAD_POLL_MS while the tab is visible, and at once when it becomes visible again; no reload.
 */
import { config } from './config';
import { session } from './session.svelte';

/**
 * A third of the timeline's rate (15 s in production, 4 requests a minute): a notification
 * may wait a few seconds more than a post in the timeline, and an idle reader's polling cost
 * (docs/frontend.md) grows by a third rather than doubling.
 */
export const UNREAD_POLL_MS = Math.max(3 * config.pollMs, 6000);

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
    // Not in the first timeline page's way (a phone on a slow link): a moment later.
    const first = setTimeout(() => void this.refresh(), 2000);
    const every = UNREAD_POLL_MS;
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible') void this.refresh();
    }, every);
    const onVisible = () => {
      if (document.visibilityState === 'visible') void this.refresh();
    };
    document.addEventListener('visibilitychange', onVisible);
    return () => {
      clearTimeout(first);
      clearInterval(timer);
      document.removeEventListener('visibilitychange', onVisible);
    };
  }
}

export const unread = new Unread();
