/** The app's URLs. Pure parsing here; navigation state lives in router.svelte.ts. */
export type Route =
  | { name: 'home' }
  | { name: 'profile'; handle: string; tab: 'posts' | 'followers' | 'following' }
  | { name: 'suggestions' }
  | { name: 'signin' }
  | { name: 'signup' }
  | { name: 'notfound'; path: string };

export function parseRoute(pathname: string): Route {
  let path = pathname;
  try {
    path = decodeURIComponent(pathname);
  } catch {
    // A malformed escape: match the raw text, which then finds nothing.
  }
  path = path.replace(/\/+$/, '') || '/';
  if (path === '/' || path === '/home') return { name: 'home' };
  if (path === '/suggestions') return { name: 'suggestions' };
  if (path === '/signin') return { name: 'signin' };
  if (path === '/signup') return { name: 'signup' };
  const m = /^\/@([A-Za-z0-9_]{1,64})(?:\/(followers|following))?$/.exec(path);
  if (m) {
    const tab = (m[2] as 'followers' | 'following' | undefined) ?? 'posts';
    return { name: 'profile', handle: m[1], tab };
  }
  return { name: 'notfound', path: pathname };
}

export function profilePath(handle: string, tab: 'posts' | 'followers' | 'following' = 'posts') {
  return tab === 'posts' ? `/@${handle}` : `/@${handle}/${tab}`;
}

/** Whether a click on a link should stay in the app instead of loading a page. */
export function isInAppClick(
  e: Pick<MouseEvent, 'button' | 'metaKey' | 'ctrlKey' | 'shiftKey' | 'altKey' | 'defaultPrevented'>,
  anchor: { href: string; target: string; hasAttribute(n: string): boolean },
  origin: string,
): boolean {
  if (e.defaultPrevented || e.button !== 0) return false;
  if (e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return false;
  if ((anchor.target && anchor.target !== '_self') || anchor.hasAttribute('download')) return false;
  try {
    return new URL(anchor.href).origin === origin;
  } catch {
    return false;
  }
}
