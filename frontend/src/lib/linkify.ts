/**
 * Post text as plain text plus links: http(s) URLs, @handles and #hashtags. Only http: and
 * https: become links (a `javascript:` or `data:` URL stays text), and the rendering puts every
 * piece in a text node — never HTML — so a post can't inject markup.
 */
import { foldTag, isTagBody } from './search';

export type Segment =
  | { kind: 'text'; text: string }
  | { kind: 'url'; text: string; href: string }
  /** `userId` when the server resolved it (a mention facet): the link survives a new handle. */
  | { kind: 'mention'; text: string; handle: string; userId?: string }
  // A mention of an account deleted since (issue 23): shown as "deleted user", linked nowhere.
  | { kind: 'deleted-user'; text: string }
  | { kind: 'hashtag'; text: string; tag: string };

// A URL runs to the next space; a handle is what the server accepts (3–30 of [A-Za-z0-9_]),
// not preceded by a word character (so mail@example.com is not a mention).
// A hashtag as shared/domain/facets.py parses it: "#" or "＃" not glued to a letter, digit,
// mark, "_" or "&" (so a#b and &#39; are not tags), a run of those, not followed by another "#".
const TOKEN =
  /(https?:\/\/[^\s<>"]+)|(?<![\w@/])@([A-Za-z0-9_]{3,30})(?![A-Za-z0-9_])|(?<![\p{L}\p{N}\p{M}_&])[#＃]([\p{L}\p{N}\p{M}_]+)(?![\p{L}\p{N}\p{M}_#＃])/giu;
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

export function linkify(text: string, opts: { mentions?: boolean } = {}): Segment[] {
  const mentions = opts.mentions ?? true;
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
    } else if (m[2]) {
      push(text.slice(last, at));
      if (mentions) out.push({ kind: 'mention', text: token, handle: m[2] });
      else push(token);
    } else {
      push(text.slice(last, at));
      // At least one letter (#1 is a ranking) and at most 64 characters folded, or plain text.
      if (isTagBody(m[3])) out.push({ kind: 'hashtag', text: token, tag: foldTag(m[3]) });
      else push(token);
    }
    last = at + m[0].length;
  }
  push(text.slice(last));
  return out;
}

/** A resolved mention as the server stores it with the post (definitions/Mention). */
export interface MentionFacet {
  start: number;
  end: number;
  /** null (with deleted: true) once the mentioned account was deleted. */
  user_id: string | null;
  deleted?: boolean;
}

/** What the app shows for a mention of a deleted account (docs/privacy.md). */
export const DELETED_USER = 'deleted user';

/**
 * A post's text with its mention facets (issue 21): the spans the server resolved, in code
 * points, link to the user by id; any other "@word" is plain text (an unknown handle). Without
 * facets (a post from before them) handles are found in the text as before.
 */
export function linkifyPost(text: string, facets?: readonly MentionFacet[] | null): Segment[] {
  if (!facets) return linkify(text);
  const cps = Array.from(text);
  const spans = [...facets]
    .filter((f) => Number.isInteger(f.start) && Number.isInteger(f.end) && f.start >= 0 && f.end <= cps.length)
    .filter((f) => f.end > f.start + 1 && (cps[f.start] === '@' || cps[f.start] === '＠'))
    .sort((a, b) => a.start - b.start);
  const out: Segment[] = [];
  const plain = (from: number, to: number) => {
    if (to <= from) return;
    for (const seg of linkify(cps.slice(from, to).join(''), { mentions: false })) {
      const prev = out[out.length - 1];
      if (seg.kind === 'text' && prev?.kind === 'text') prev.text += seg.text;
      else out.push(seg);
    }
  };
  let at = 0;
  for (const f of spans) {
    if (f.start < at) continue; // overlapping facets: the first wins
    plain(at, f.start);
    const t = cps.slice(f.start, f.end).join('');
    // The typed @handle of a deleted account is not shown: it would still name them.
    if (f.deleted || !f.user_id) out.push({ kind: 'deleted-user', text: DELETED_USER });
    else out.push({ kind: 'mention', text: t, handle: t.slice(1), userId: f.user_id });
    at = f.end;
  }
  plain(at, cps.length);
  return out;
}
