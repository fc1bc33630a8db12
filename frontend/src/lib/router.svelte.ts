import { isInAppClick, parseRoute, type Route } from './routes';

class Router {
  route: Route = $state(parseRoute(location.pathname));

  navigate(path: string, opts: { replace?: boolean } = {}): void {
    if (path === location.pathname + location.search) return;
    if (opts.replace) history.replaceState(null, '', path);
    else history.pushState(null, '', path);
    this.sync();
    window.scrollTo(0, 0);
  }

  sync(): void {
    this.route = parseRoute(location.pathname);
  }

  /** Call once: makes plain <a href="/..."> links navigate without a reload. */
  install(): () => void {
    const onPop = () => this.sync();
    const onClick = (e: MouseEvent) => {
      const a = (e.target as Element | null)?.closest?.('a');
      if (!a || !isInAppClick(e, a, location.origin)) return;
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
