/**
 * Post text as plain text plus links: http(s) URLs and @handles. Only http: and https: become
 * links (a `javascript:` or `data:` URL stays text), and the rendering puts every piece in a text
 * node — never HTML — so a post can't inject markup.
 */
export type Segment =
  | { kind: 'text'; text: string }
  | { kind: 'url'; text: string; href: string }
  | { kind: 'mention'; text: string; handle: string };

// A URL runs to the next space; a handle is what the server accepts (3–30 of [A-Za-z0-9_]),
// not preceded by a word character (so mail@example.com is not a mention).
const TOKEN = /(https?:\/\/[^\s<>"]+)|(?<![\w@/])@([A-Za-z0-9_]{3,30})(?![A-Za-z0-9_])/giu;
// Closing punctuation at the end of a URL usually belongs to the sentence.
const TRAILING = /[.,;:!?'")\]}»”’]/u;
const count = (s: string, c: string) => s.split(c).length - 1;

export function safeHttpUrl(raw: string): string | null {
  try {
    const u = new URL(raw);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return null;
    if (!u.hostname) return null;
    return u.href;
  } catch {
    return null;
  }
}

export function linkify(text: string): Segment[] {
  const out: Segment[] = [];
  let last = 0;
  const push = (s: string) => {
    if (!s) return;
    const prev = out[out.length - 1];
    if (prev?.kind === 'text') prev.text += s;
    else out.push({ kind: 'text', text: s });
  };
  for (const m of text.matchAll(TOKEN)) {
    const at = m.index ?? 0;
    let token = m[0];
    if (m[1]) {
      let end = token.length;
      // Strip closing punctuation one character at a time; a ')' stays while it closes a '('
      // inside the URL (Wikipedia's /wiki/Svelte_(software)).
      while (end > 0 && TRAILING.test(token[end - 1])) {
        const head = token.slice(0, end);
        if (token[end - 1] === ')' && count(head, '(') >= count(head, ')')) break;
        end--;
      }
      const tail = token.slice(end);
      token = token.slice(0, end);
      const href = safeHttpUrl(token);
      push(text.slice(last, at));
      if (href) out.push({ kind: 'url', text: token, href });
      else push(token);
      push(tail);
    } else {
      push(text.slice(last, at));
      out.push({ kind: 'mention', text: token, handle: m[2] });
    }
    last = at + m[0].length;
  }
  push(text.slice(last));
  return out;
}
