import { describe, expect, it } from 'vitest';
import { isInAppClick, parseRoute, profilePath, SILENCED_PATH } from './routes';

describe('parseRoute', () => {
  it('knows every screen', () => {
    expect(parseRoute('/')).toEqual({ name: 'home' });
    expect(parseRoute('/suggestions/')).toEqual({ name: 'suggestions' });
    expect(parseRoute('/signin')).toEqual({ name: 'signin' });
    expect(parseRoute('/signup')).toEqual({ name: 'signup' });
    expect(parseRoute('/@ada_99')).toEqual({ name: 'profile', handle: 'ada_99', tab: 'posts' });
    expect(parseRoute('/%40ada/followers')).toEqual({
      name: 'profile',
      handle: 'ada',
      tab: 'followers',
    });
    expect(parseRoute('/@ada/following')).toMatchObject({ tab: 'following' });
    expect(parseRoute('/@ada/likes')).toEqual({ name: 'profile', handle: 'ada', tab: 'likes' });
    expect(parseRoute('/settings/blocked/')).toEqual({ name: 'silenced' });
    expect(parseRoute(SILENCED_PATH)).toEqual({ name: 'silenced' });
  });
  it('sends anything else to not found, even a malformed escape', () => {
    expect(parseRoute('/@ada/replies')).toMatchObject({ name: 'notfound' });
    expect(parseRoute('/%E0%A4%A')).toMatchObject({ name: 'notfound' });
    expect(parseRoute('/@bad-handle')).toMatchObject({ name: 'notfound' });
  });
  it('builds profile paths that parse back', () => {
    for (const tab of ['posts', 'likes', 'followers', 'following'] as const) {
      expect(parseRoute(profilePath('bob', tab))).toEqual({ name: 'profile', handle: 'bob', tab });
    }
  });
});

describe('isInAppClick', () => {
  const click = { button: 0, metaKey: false, ctrlKey: false, shiftKey: false, altKey: false, defaultPrevented: false };
  const a = (href: string, target = '', download = false) => ({
    href,
    target,
    hasAttribute: (n: string) => n === 'download' && download,
  });
  const origin = 'http://127.0.0.1:5173';
  it('keeps plain same-origin clicks in the app', () => {
    expect(isInAppClick(click, a(`${origin}/@ada`), origin)).toBe(true);
  });
  it('lets the browser handle new tabs, other origins and downloads', () => {
    expect(isInAppClick({ ...click, ctrlKey: true }, a(`${origin}/x`), origin)).toBe(false);
    expect(isInAppClick({ ...click, button: 1 }, a(`${origin}/x`), origin)).toBe(false);
    expect(isInAppClick(click, a('https://example.com/x'), origin)).toBe(false);
    expect(isInAppClick(click, a(`${origin}/x`, '_blank'), origin)).toBe(false);
    expect(isInAppClick(click, a(`${origin}/x`, '', true), origin)).toBe(false);
  });
});

describe('new screens', () => {
  it('parses post pages and the password reset pages', () => {
    expect(parseRoute('/post/123456789012')).toEqual({ name: 'post', id: '123456789012' });
    expect(parseRoute('/post/abc')).toMatchObject({ name: 'notfound' });
    expect(parseRoute('/forgot-password')).toEqual({ name: 'forgot' });
    expect(parseRoute('/reset-password', '?mode=resetPassword&oobCode=XYZ')).toEqual({ name: 'reset', code: 'XYZ' });
  });
  it('leaves a same-page fragment (the skip link) to the browser', () => {
    const click = { button: 0, metaKey: false, ctrlKey: false, shiftKey: false, altKey: false, defaultPrevented: false };
    const a = { href: 'http://h/@ada#main', target: '', hasAttribute: () => false };
    expect(isInAppClick(click, a, 'http://h', { pathname: '/@ada', search: '' })).toBe(false);
    expect(isInAppClick(click, a, 'http://h', { pathname: '/', search: '' })).toBe(true);
  });
});

describe('issue 21 routes', () => {
  it('knows notifications, moderation and users by id', () => {
    expect(parseRoute('/notifications')).toEqual({ name: 'notifications' });
    expect(parseRoute('/moderation/')).toEqual({ name: 'moderation' });
    expect(parseRoute('/settings/account')).toEqual({ name: 'account' });
    expect(parseRoute('/goodbye')).toEqual({ name: 'goodbye' });
    expect(parseRoute('/user/AbC123_-x')).toEqual({ name: 'user', id: 'AbC123_-x' });
    expect(parseRoute('/user/a b')).toMatchObject({ name: 'notfound' });
  });
});
