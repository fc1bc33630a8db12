import { tick } from 'svelte';
import { isInAppClick, parseRoute, type Route } from './routes';

/** Waits (a few frames, then up to `ms`) for the new page's heading and focuses it. */
export async function focusHeading(ms = 3000): Promise<void> {
  await tick();
  const t0 = performance.now();
  for (;;) {
    const h = document.querySelector<HTMLElement>('#main h1');
    if (h) {
      // tabindex -1: focusable by script, not a Tab stop. preventScroll: the router scrolls.
      if (!h.hasAttribute('tabindex')) h.setAttribute('tabindex', '-1');
      h.focus({ preventScroll: true });
      return;
    }
    if (performance.now() - t0 > ms) {
      document.getElementById('main')?.focus({ preventScroll: true });
      return;
    }
    await new Promise((r) => requestAnimationFrame(r));
  }
}

class Router {
  route: Route = $state(parseRoute(location.pathname, location.search));

  navigate(path: string, opts: { replace?: boolean } = {}): void {
    if (path === location.pathname + location.search) return;
    if (opts.replace) history.replaceState(null, '', path);
    else history.pushState(null, '', path);
    this.sync();
    window.scrollTo(0, 0);
    // Focus follows the page, or it stays on the link just clicked (now gone or meaningless)
    // and a screen reader announces nothing.
    void focusHeading();
  }

  sync(): void {
    this.route = parseRoute(location.pathname, location.search);
  }

  /** Call once: makes plain <a href="/..."> links navigate without a reload. */
  install(): () => void {
    const onPop = () => {
      const before = this.route;
      this.sync();
      if (JSON.stringify(before) !== JSON.stringify(this.route)) void focusHeading();
    };
    const onClick = (e: MouseEvent) => {
      const a = (e.target as Element | null)?.closest?.('a');
      if (!a || !isInAppClick(e, a, location.origin, location)) return;
      e.preventDefault();
      const url = new URL(a.href);
      this.navigate(url.pathname + url.search);
    };
    window.addEventListener('popstate', onPop);
    document.addEventListener('click', onClick);
    return () => {
      window.removeEventListener('popstate', onPop);
      document.removeEventListener('click', onClick);
    };
  }
}

export const router = new Router();
