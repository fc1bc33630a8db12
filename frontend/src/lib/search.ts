/**
 * Search, hashtags and trends in the app (issue 22): the URLs of the results and hashtag pages,
 * hashtags as the server parses them (shared/domain/facets.py), the people typeahead's
 * "latest answer wins" sequencing, and the sentences for refused queries. Pure: no DOM.
 */
import { ApiError } from './api';
import type { SearchSort, Trend } from './types';

/** As shared/domain/search.py: q of /v1/search/posts; /v1/search/users takes 30. */
export const MAX_QUERY_CHARS = 200;
export const MAX_PREFIX_CHARS = 30;
/** shared/domain/facets.py MAX_TAG_CHARS. */
export const MAX_TAG_CHARS = 64;

export const SORTS: readonly SearchSort[] = ['relevance', 'newest'];

export function searchPath(q: string, sort: SearchSort = 'relevance'): string {
  const p = new URLSearchParams();
  const t = q.trim();
  if (t) p.set('q', t);
  if (sort !== 'relevance') p.set('sort', sort);
  const s = p.toString();
  return s ? `/search?${s}` : '/search';
}

export function parseSearch(search: string): { q: string; sort: SearchSort } {
  const p = new URLSearchParams(search);
  const sort = p.get('sort') === 'newest' ? 'newest' : 'relevance';
  return { q: (p.get('q') ?? '').trim(), sort };
}

/**
 * A tag as the server stores it: NFKC, case-folded, NFKC. JavaScript has no full case folding;
 * lower-casing differs from it for a few letters (ß stays ß), which only matters for display
 * and links — the server folds the route's tag itself.
 */
export function foldTag(raw: string): string {
  const body = raw.replace(/^[#＃]/u, '');
  return body.normalize('NFKC').toLowerCase().normalize('NFKC');
}

export const hashtagPath = (tag: string) => `/hashtag/${encodeURIComponent(foldTag(tag))}`;

const TAG_CHAR = /[\p{L}\p{N}\p{M}_]/u;
const HAS_LETTER = /\p{L}/u;

/** Whether `body` (the run after "#") is a hashtag by the server's rules. */
export function isTagBody(body: string): boolean {
  if (!body || !HAS_LETTER.test(body)) return false;
  for (const ch of body) if (!TAG_CHAR.test(ch)) return false;
  return [...foldTag(body)].length <= MAX_TAG_CHARS;
}

/**
 * The route's tag, or null when it could not be a hashtag (the page then says so instead of
 * asking the server).
 */
export function routeTag(raw: string): string | null {
  const body = raw.replace(/^[#＃]/u, '');
  return isTagBody(body) ? foldTag(body) : null;
}

/** What a typeahead box asks /v1/search/users for: "" means ask nothing. */
export function prefixOf(input: string): string {
  const q = input.split(/\s+/u).filter(Boolean).join(' ').replace(/^@/u, '');
  if (!q || [...q].length > MAX_PREFIX_CHARS) return '';
  // A post filter (#tag, from:x, a phrase) is not the start of a name.
  if (/^[#＃"]/u.test(q) || /^from:/iu.test(q)) return '';
  return q;
}

export interface TypeaheadOptions<T> {
  fetch: (prefix: string) => Promise<T[]>;
  show: (prefix: string, items: T[]) => void;
  fail?: (err: unknown) => void;
  delayMs?: number;
  /** Answers kept per prefix: typing back over a prefix shows it at once. */
  cacheSize?: number;
}

/**
 * Debounced, latest-wins lookups: typing "ad", "ada" sends one request after a pause, and an
 * answer to an older input never replaces a newer one's (answers can arrive out of order).
 */
export class Typeahead<T> {
  private timer: ReturnType<typeof setTimeout> | null = null;
  private seq = 0;
  private readonly cache = new Map<string, T[]>();

  constructor(private readonly opts: TypeaheadOptions<T>) {}

  input(raw: string): void {
    const prefix = prefixOf(raw);
    const mine = ++this.seq;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (!prefix) {
      this.opts.show('', []);
      return;
    }
    const key = prefix.toLowerCase();
    const hit = this.cache.get(key);
    if (hit) {
      this.opts.show(prefix, hit);
      return;
    }
    this.timer = setTimeout(() => {
      this.timer = null;
      this.opts.fetch(prefix).then(
        (items) => {
          this.remember(key, items);
          if (mine === this.seq) this.opts.show(prefix, items);
        },
        (err) => {
          if (mine === this.seq) this.opts.fail?.(err);
        },
      );
    }, this.opts.delayMs ?? 150);
  }

  /** Forget what is pending (the box closed or the page left). */
  cancel(): void {
    this.seq++;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private remember(key: string, items: T[]) {
    this.cache.set(key, items);
    const max = this.opts.cacheSize ?? 50;
    while (this.cache.size > max) this.cache.delete(this.cache.keys().next().value as string);
  }
}

const REFUSED: Record<string, string> = {
  wildcard: 'Wildcards (*) are not supported: search for whole words.',
  regex: 'Regular expressions are not supported: search for words.',
  pattern: 'That looks like a pattern. Search for words instead.',
  too_long: `A search has at most ${MAX_QUERY_CHARS} characters.`,
  control: 'A search cannot contain control characters.',
  from: 'from: takes one handle, like from:ada.',
  too_many_words: 'That is too many words for one search.',
  too_many_phrases: 'A search has at most 3 "quoted phrases".',
  too_many_tags: 'A search has at most 3 hashtags.',
};

/** A refused search (400) as a sentence naming what to change; null for any other failure. */
export function refusedQuery(err: unknown): string | null {
  if (!(err instanceof ApiError) || err.status !== 400) return null;
  const d = err.details as { field?: unknown; reason?: unknown } | undefined;
  if (typeof d?.reason === 'string' && REFUSED[d.reason]) return REFUSED[d.reason];
  if (d?.field === 'tag') return 'That is not a hashtag: letters, digits and _ with at least one letter.';
  if (d?.field === 'q') return "Kwetter can't search for that. Try other words.";
  return null;
}

/** "12 people" under a trend: distinct accounts, as the trend is counted. */
export function trendNote(t: Pick<Trend, 'accounts'>): string {
  const n = Math.max(0, Math.round(t.accounts));
  return `${n.toLocaleString('en')} ${n === 1 ? 'person' : 'people'} posting`;
}
