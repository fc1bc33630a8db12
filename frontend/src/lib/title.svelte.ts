/**
 * The tab title of every screen ("Home · Kwetter"), so history, tabs and screen readers tell
 * screens apart. App.svelte sets a default per route; a screen that loads what it shows (a
 * profile, a post) gives the precise one for its route key.
 */
class PageTitle {
  detail: { key: string; text: string } | null = $state(null);

  set(key: string, text: string): void {
    this.detail = { key, text };
  }
}

export const pageTitle = new PageTitle();

export const routeKey = (r: { name: string; handle?: string; tab?: string; id?: string }) =>
  [r.name, r.handle?.toLowerCase() ?? '', r.tab ?? '', r.id ?? ''].join(':');
