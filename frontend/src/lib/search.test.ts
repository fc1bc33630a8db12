import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from './api';
import { parseRoute } from './routes';
import {
  Typeahead,
  foldTag,
  hashtagPath,
  isTagBody,
  parseSearch,
  prefixOf,
  refusedQuery,
  routeTag,
  searchPath,
  trendNote,
} from './search';

describe('search and hashtag paths', () => {
  it('round-trip through the router', () => {
    expect(searchPath(' coffee  ')).toBe('/search?q=coffee');
    expect(searchPath('a & b', 'newest')).toBe('/search?q=a+%26+b&sort=newest');
    expect(searchPath('')).toBe('/search');
    const url = new URL(searchPath('#Kweet from:ada "good morning"', 'newest'), 'http://x');
    expect(parseRoute(url.pathname, url.search)).toEqual({
      name: 'search',
      q: '#Kweet from:ada "good morning"',
      sort: 'newest',
    });
    expect(parseSearch('?q=x&sort=bogus')).toEqual({ q: 'x', sort: 'relevance' });
    expect(parseRoute('/search')).toEqual({ name: 'search', q: '', sort: 'relevance' });
  });
  it('links a tag by its folded value, any script, and parses it back', () => {
    expect(hashtagPath('#Kweet')).toBe('/hashtag/kweet');
    expect(hashtagPath('＃ＫＷＥＥＴ')).toBe('/hashtag/kweet'); // full width: NFKC
    const path = hashtagPath('Café');
    expect(path).toBe('/hashtag/caf%C3%A9');
    expect(parseRoute(path)).toEqual({ name: 'hashtag', tag: 'café' });
    expect(parseRoute('/hashtag/a/b')).toMatchObject({ name: 'notfound' });
  });
  it('knows a tag as the server does', () => {
    expect(isTagBody('kweet_2026')).toBe(true);
    expect(isTagBody('नमस्ते')).toBe(true); // combining vowel signs are part of the tag
    expect(isTagBody('2026')).toBe(false); // no letter
    expect(isTagBody('a-b')).toBe(false);
    expect(isTagBody('a'.repeat(64))).toBe(true);
    expect(isTagBody('a'.repeat(65))).toBe(false);
    expect(routeTag('#Kweet')).toBe('kweet');
    expect(routeTag('%3Cscript%3E')).toBeNull();
    expect(foldTag('ＡＢＣ')).toBe('abc');
  });
});

describe('prefixOf (what the people typeahead asks for)', () => {
  it('takes the start of a handle or a name, collapsed', () => {
    expect(prefixOf('@Ada')).toBe('Ada');
    expect(prefixOf('  ada   love ')).toBe('ada love');
    expect(prefixOf('')).toBe('');
    expect(prefixOf('   ')).toBe('');
  });
  it('asks nothing for post filters or beyond 30 characters', () => {
    expect(prefixOf('#coffee')).toBe('');
    expect(prefixOf('from:ada')).toBe('');
    expect(prefixOf('"good morning"')).toBe('');
    expect(prefixOf('a'.repeat(31))).toBe('');
    expect(prefixOf('a'.repeat(30))).toBe('a'.repeat(30));
  });
});

describe('Typeahead', () => {
  afterEach(() => vi.useRealTimers());

  function setup(answer: (q: string) => Promise<string[]>) {
    const shown: [string, string[]][] = [];
    const asked: string[] = [];
    const errors: unknown[] = [];
    const t = new Typeahead<string>({
      fetch: (q) => {
        asked.push(q);
        return answer(q);
      },
      show: (q, items) => shown.push([q, items]),
      fail: (e) => errors.push(e),
      delayMs: 100,
    });
    return { t, shown, asked, errors };
  }

  it('sends one request after a pause in typing', async () => {
    vi.useFakeTimers();
    const { t, shown, asked } = setup(async (q) => [`${q}!`]);
    t.input('a');
    t.input('ad');
    t.input('ada');
    await vi.advanceTimersByTimeAsync(99);
    expect(asked).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(asked).toEqual(['ada']);
    expect(shown).toEqual([['ada', ['ada!']]]);
  });

  it('never lets an older answer replace a newer one', async () => {
    vi.useFakeTimers();
    const pending = new Map<string, (v: string[]) => void>();
    const { t, shown } = setup((q) => new Promise((resolve) => pending.set(q, resolve)));
    t.input('ad');
    await vi.advanceTimersByTimeAsync(100);
    t.input('ada');
    await vi.advanceTimersByTimeAsync(100);
    pending.get('ada')!(['ada lovelace']);
    await vi.advanceTimersByTimeAsync(0);
    pending.get('ad')!(['adam', 'ada lovelace']); // late
    await vi.advanceTimersByTimeAsync(0);
    expect(shown).toEqual([['ada', ['ada lovelace']]]);
  });

  it('answers a prefix seen before from memory, and clears at once on empty input', async () => {
    vi.useFakeTimers();
    const { t, shown, asked } = setup(async (q) => [q]);
    t.input('bob');
    await vi.advanceTimersByTimeAsync(100);
    t.input('');
    t.input('BOB');
    expect(shown).toEqual([
      ['bob', ['bob']],
      ['', []],
      ['BOB', ['bob']],
    ]);
    expect(asked).toEqual(['bob']);
  });

  it('reports only the latest failure, and cancel drops what is pending', async () => {
    vi.useFakeTimers();
    const { t, shown, errors } = setup(async () => {
      throw new ApiError(503, 'unavailable', 'busy');
    });
    t.input('zed');
    await vi.advanceTimersByTimeAsync(100);
    expect(errors).toHaveLength(1);
    t.input('zeda');
    t.cancel();
    await vi.advanceTimersByTimeAsync(200);
    expect(errors).toHaveLength(1);
    expect(shown).toEqual([]);
  });
});

describe('refusedQuery', () => {
  const refused = (details: unknown) => new ApiError(400, 'bad_request', 'x', { details });
  it('names what to change for each refusal the server gives', () => {
    expect(refusedQuery(refused({ field: 'q', reason: 'wildcard' }))).toMatch(/Wildcards/);
    expect(refusedQuery(refused({ field: 'q', reason: 'regex' }))).toMatch(/Regular expressions/);
    expect(refusedQuery(refused({ field: 'q', reason: 'too_long' }))).toMatch(/200 characters/);
    expect(refusedQuery(refused({ field: 'tag' }))).toMatch(/not a hashtag/);
    expect(refusedQuery(refused({ field: 'q' }))).toMatch(/can't search/);
  });
  it('leaves other failures to the general messages', () => {
    expect(refusedQuery(new ApiError(503, 'unavailable', 'x'))).toBeNull();
    expect(refusedQuery(new Error('x'))).toBeNull();
    expect(refusedQuery(refused(undefined))).toBeNull();
  });
});

it('trendNote counts people', () => {
  expect(trendNote({ accounts: 1 })).toBe('1 person posting');
  expect(trendNote({ accounts: 1234 })).toBe('1,234 people posting');
});
