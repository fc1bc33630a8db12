import { describe, expect, it } from 'vitest';
import { linkify, linkifyPost, safeHttpUrl } from './linkify';

describe('linkify', () => {
  it('finds URLs and handles and keeps the rest as text', () => {
    expect(linkify('see https://example.com/a?b=1, ask @ada_99.')).toEqual([
      { kind: 'text', text: 'see ' },
      { kind: 'url', text: 'https://example.com/a?b=1', href: 'https://example.com/a?b=1' },
      { kind: 'text', text: ', ask ' },
      { kind: 'mention', text: '@ada_99', handle: 'ada_99' },
      { kind: 'text', text: '.' },
    ]);
  });
  it('never links other schemes', () => {
    for (const t of ['javascript:alert(1)', 'JaVaScRiPt:alert(1)', 'data:text/html,<b>x</b>', 'vbscript:x']) {
      expect(linkify(t)).toEqual([{ kind: 'text', text: t }]);
    }
    expect(safeHttpUrl('javascript:alert(1)')).toBeNull();
    expect(safeHttpUrl('http://')).toBeNull();
  });
  it('does not take e-mail addresses or too-short names for mentions', () => {
    expect(linkify('mail ada@example.com or @ab')).toEqual([{ kind: 'text', text: 'mail ada@example.com or @ab' }]);
  });
  it('keeps markup as text and balanced brackets in URLs', () => {
    expect(linkify('<img src=x onerror=alert(1)>')).toEqual([{ kind: 'text', text: '<img src=x onerror=alert(1)>' }]);
    const [, url] = linkify('(https://en.wikipedia.org/wiki/Svelte_(software))');
    expect(url).toMatchObject({ kind: 'url', text: 'https://en.wikipedia.org/wiki/Svelte_(software)' });
  });
  it('puts the pieces back together to the original text', () => {
    const t = 'a @bob_1 b https://x.org/y). c';
    expect(linkify(t).map((s) => s.text).join('')).toBe(t);
  });
});

describe('linkify: hashtags (as shared/domain/facets.py)', () => {
  const tags = (t: string) => linkify(t).filter((s) => s.kind === 'hashtag');
  it('links tags by their folded value, the text as written', () => {
    expect(linkify('good #Morning, #kweet_2026!')).toEqual([
      { kind: 'text', text: 'good ' },
      { kind: 'hashtag', text: '#Morning', tag: 'morning' },
      { kind: 'text', text: ', ' },
      { kind: 'hashtag', text: '#kweet_2026', tag: 'kweet_2026' },
      { kind: 'text', text: '!' },
    ]);
    expect(tags('＃ＫＷＥＥＴ and #नमस्ते')).toEqual([
      { kind: 'hashtag', text: '＃ＫＷＥＥＴ', tag: 'kweet' },
      { kind: 'hashtag', text: '#नमस्ते', tag: 'नमस्ते' },
    ]);
  });
  it('leaves non-tags as text', () => {
    for (const t of ['a#b', '&#39;', '#1', '#a#b', `#${'x'.repeat(65)}`, '#', '# space']) {
      expect(tags(t), t).toEqual([]);
      expect(linkify(t).map((s) => s.text).join('')).toBe(t);
    }
  });
  it('does not take a URL fragment for a tag', () => {
    expect(linkify('https://example.com/#top')).toEqual([
      { kind: 'url', text: 'https://example.com/#top', href: 'https://example.com/#top' },
    ]);
  });
});

describe('linkifyPost: mention facets (issue 21)', () => {
  it('links the resolved spans by user id, in code points, and leaves unknown handles as text', () => {
    // "🙂 " is 2 code points but 3 UTF-16 units: offsets are code points, as the server counts.
    const text = '🙂 hi @Ada and @nobody_here, see #tea';
    expect(linkifyPost(text, [{ start: 5, end: 9, user_id: 'u-ada' }])).toEqual([
      { kind: 'text', text: '🙂 hi ' },
      { kind: 'mention', text: '@Ada', handle: 'Ada', userId: 'u-ada' },
      { kind: 'text', text: ' and @nobody_here, see ' },
      { kind: 'hashtag', text: '#tea', tag: 'tea' },
    ]);
  });
  it('shows a mention of a deleted account as "deleted user", linked nowhere (issue 23)', () => {
    const text = 'welcome @alice_del and @bob!';
    const segs = linkifyPost(text, [
      { start: 8, end: 18, user_id: null, deleted: true },
      { start: 23, end: 27, user_id: 'u-bob' },
    ]);
    expect(segs).toEqual([
      { kind: 'text', text: 'welcome ' },
      { kind: 'deleted-user', text: 'deleted user' },
      { kind: 'text', text: ' and ' },
      { kind: 'mention', text: '@bob', handle: 'bob', userId: 'u-bob' },
      { kind: 'text', text: '!' },
    ]);
    expect(segs.map((s) => s.text).join('')).not.toContain('alice_del');
  });
  it('keeps the typed text when the handle changed since (the id is the link)', () => {
    const segs = linkifyPost('cc @old_name', [{ start: 3, end: 12, user_id: 'u1' }]);
    expect(segs[1]).toEqual({ kind: 'mention', text: '@old_name', handle: 'old_name', userId: 'u1' });
  });
  it('ignores facets that do not fit the text, and overlaps', () => {
    const text = 'hello @bob';
    for (const bad of [
      [{ start: 0, end: 5, user_id: 'x' }], // not at an @
      [{ start: 6, end: 99, user_id: 'x' }], // past the end
      [{ start: -1, end: 3, user_id: 'x' }],
    ]) {
      expect(linkifyPost(text, bad)).toEqual([{ kind: 'text', text }]);
    }
    const two = linkifyPost(text, [
      { start: 6, end: 10, user_id: 'a' },
      { start: 7, end: 10, user_id: 'b' },
    ]);
    expect(two.filter((s) => s.kind === 'mention')).toHaveLength(1);
    expect(two.map((s) => s.text).join('')).toBe(text);
  });
  it('finds handles in the text for a post without facets (an older server)', () => {
    expect(linkifyPost('hi @ada_1', undefined)[1]).toEqual({ kind: 'mention', text: '@ada_1', handle: 'ada_1' });
    expect(linkifyPost('hi @ada_1', [])).toEqual([{ kind: 'text', text: 'hi @ada_1' }]);
  });
});
