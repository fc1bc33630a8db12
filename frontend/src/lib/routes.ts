/** The app's URLs. Pure parsing here; navigation state lives in router.svelte.ts. */
import { parseSearch } from './search';
import type { SearchSort } from './types';

export type ProfileTab = 'posts' | 'likes' | 'followers' | 'following';

export type Route =
  | { name: 'home' }
  | { name: 'profile'; handle: string; tab: ProfileTab }
  | { name: 'post'; id: string }
  | { name: 'suggestions' }
  | { name: 'search'; q: string; sort: SearchSort }
  | { name: 'hashtag'; tag: string }
  | { name: 'notifications' }
  | { name: 'moderation' }
  | { name: 'account' }
  | { name: 'goodbye' }
  | { name: 'silenced' }
  | { name: 'user'; id: string }
  | { name: 'welcome' }
  | { name: 'signin' }
  | { name: 'signup' }
  | { name: 'forgot' }
  | { name: 'reset'; code: string }
  | { name: 'notfound'; path: string };

export function parseRoute(pathname: string, search = ''): Route {
  let path = pathname;
  try {
    path = decodeURIComponent(pathname);
  } catch {
    // A malformed escape: match the raw text, which then finds nothing.
  }
  path = path.replace(/\/+$/, '') || '/';
  if (path === '/' || path === '/home') return { name: 'home' };
  if (path === '/suggestions') return { name: 'suggestions' };
  if (path === '/welcome') return { name: 'welcome' };
  if (path === '/notifications') return { name: 'notifications' };
  if (path === '/moderation') return { name: 'moderation' };
  if (path === '/settings/account') return { name: 'account' };
  // After DELETE /v1/me: shown signed out, so it is not behind the sign-in screen.
  if (path === '/goodbye') return { name: 'goodbye' };
  if (path === '/settings/blocked') return { name: 'silenced' };
  // A mention links by user id (a handle may change): this page finds the handle.
  const uid = /^\/user\/([A-Za-z0-9_-]{1,128})$/u.exec(path);
  if (uid) return { name: 'user', id: uid[1] };
  if (path === '/search') return { name: 'search', ...parseSearch(search) };
  // Any text after /hashtag/: the page checks it is a tag (and says so when it is not).
  const tag = /^\/hashtag\/([^/]{1,200})$/u.exec(path);
  if (tag) return { name: 'hashtag', tag: tag[1] };
  if (path === '/signin') return { name: 'signin' };
  if (path === '/signup') return { name: 'signup' };
  if (path === '/forgot-password') return { name: 'forgot' };
  if (path === '/reset-password') {
    // Firebase's action link: ?mode=resetPassword&oobCode=… (the email template's action URL).
    return { name: 'reset', code: new URLSearchParams(search).get('oobCode') ?? '' };
  }
  const post = /^\/post\/([0-9]{1,20})$/.exec(path);
  if (post) return { name: 'post', id: post[1] };
  const m = /^\/@([A-Za-z0-9_]{1,64})(?:\/(likes|followers|following))?$/.exec(path);
  if (m) {
    const tab = (m[2] as ProfileTab | undefined) ?? 'posts';
    return { name: 'profile', handle: m[1], tab };
  }
  return { name: 'notfound', path: pathname };
}

export function profilePath(handle: string, tab: ProfileTab = 'posts') {
  return tab === 'posts' ? `/@${handle}` : `/@${handle}/${tab}`;
}

export const postPath = (id: string) => `/post/${id}`;

/** The people I block and mute, with a way to undo each. */
export const SILENCED_PATH = '/settings/blocked';

export const userPath = (id: string) => `/user/${encodeURIComponent(id)}`;

/** Routes a signed-out visitor may see as themselves (everything else shows sign-in). */
export const PUBLIC_ROUTES: ReadonlySet<Route['name']> = new Set(['signin', 'signup', 'forgot', 'reset']);

/** Whether a click on a link should stay in the app instead of loading a page. */
export function isInAppClick(
  e: Pick<MouseEvent, 'button' | 'metaKey' | 'ctrlKey' | 'shiftKey' | 'altKey' | 'defaultPrevented'>,
  anchor: { href: string; target: string; hasAttribute(n: string): boolean },
  origin: string,
  here?: { pathname: string; search: string },
): boolean {
  if (e.defaultPrevented || e.button !== 0) return false;
  if (e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return false;
  if ((anchor.target && anchor.target !== '_self') || anchor.hasAttribute('download')) return false;
  try {
    const url = new URL(anchor.href);
    if (url.origin !== origin) return false;
    // A fragment of this very page (the skip link's #main) is the browser's to follow.
    if (here && url.hash && url.pathname === here.pathname && url.search === here.search) return false;
    return true;
  } catch {
    return false;
  }
}
