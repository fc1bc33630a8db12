import { describe, expect, it } from 'vitest';
import { linkify, safeHttpUrl } from './linkify';

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
