/**
 * The composer's @-typeahead (issue 21): which "@prefix" the caret is in, and the text after a
 * person is picked. Pure; offsets are the textarea's (UTF-16), as selectionStart gives them.
 */

/** A handle as the server defines it: 3–30 of [A-Za-z0-9_]; the typeahead starts at 1. */
const PREFIX = /(?:^|[^\w@/])[@＠]([A-Za-z0-9_]{1,30})$/u;

export interface MentionQuery {
  /** Offset of the "@". */
  start: number;
  /** What follows it up to the caret. */
  prefix: string;
}

/** The "@prefix" the caret ends, or null (inside an e-mail address, after a space, …). */
export function mentionAt(text: string, caret: number): MentionQuery | null {
  if (caret < 0 || caret > text.length) return null;
  // A handle continues past the caret ("@ad|a"): not a place to complete.
  if (/^[A-Za-z0-9_]/u.test(text.slice(caret, caret + 1))) return null;
  const m = PREFIX.exec(text.slice(0, caret));
  if (!m) return null;
  const prefix = m[1];
  return { start: caret - prefix.length - 1, prefix };
}

/** The text with "@prefix" replaced by "@handle " and where the caret goes. */
export function insertMention(text: string, q: MentionQuery, handle: string): { text: string; caret: number } {
  const end = q.start + 1 + q.prefix.length;
  const rest = text.slice(end);
  const sep = rest.startsWith(' ') ? '' : ' ';
  const inserted = `@${handle}${sep}`;
  return { text: text.slice(0, q.start) + inserted + rest, caret: q.start + inserted.length + (sep ? 0 : 1) };
}
