/** The post length rule, counted exactly as the server counts it. */
export const MAX_POST_CHARS = 280;

// Python's str.strip() (the server's) removes exactly the characters str.isspace() accepts, which
// differs from JavaScript's trim(): it also strips U+001C..U+001F and U+0085 but keeps U+FEFF.
const PY_SPACE =
  '\\t\\n\\u000b\\u000c\\r\\u001c\\u001d\\u001e\\u001f \\u0085\\u00a0\\u1680' +
  '\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const EDGES = new RegExp(`^[${PY_SPACE}]+|[${PY_SPACE}]+$`, 'g');

/** NFC-normalised and stripped: the text the server stores. */
export function normalizePost(text: string): string {
  return text.normalize('NFC').replace(EDGES, '');
}

/** Length in code points (an emoji outside the BMP counts 1, like Python's len()). */
export function postLength(text: string): number {
  let n = 0;
  for (const _ of normalizePost(text)) n++;
  return n;
}

export interface CounterState {
  length: number;
  remaining: number;
  valid: boolean;
  /** 'ok' far from the limit, 'warn' within 20, 'over' past it. */
  tone: 'ok' | 'warn' | 'over';
}

export function counter(text: string, max: number = MAX_POST_CHARS): CounterState {
  const length = postLength(text);
  const remaining = max - length;
  return {
    length,
    remaining,
    valid: length >= 1 && length <= max,
    tone: remaining < 0 ? 'over' : remaining <= 20 ? 'warn' : 'ok',
  };
}

export const HANDLE_RE = /^[A-Za-z0-9_]{3,30}$/;

export function handleProblem(handle: string): string | null {
  if (handle.length < 3) return 'A handle needs at least 3 characters.';
  if (handle.length > 30) return 'A handle can be at most 30 characters.';
  if (!HANDLE_RE.test(handle)) return 'Use only letters, digits and underscores.';
  return null;
}

export function displayNameProblem(name: string): string | null {
  const n = [...name.trim()].length;
  if (n < 1) return 'Tell people what to call you.';
  if (n > 50) return 'A display name can be at most 50 characters.';
  return null;
}
