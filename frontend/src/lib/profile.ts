/** The edit-profile form's rules: the same limits as PATCH /v1/me, checked before sending. */
import { ApiError } from './api';
import { HANDLE_RE, normalizePost } from './text';
import type { ProfileChange, User } from './types';

export type ProfileField = 'display_name' | 'bio' | 'handle';
export type FieldErrors = Partial<Record<ProfileField, string>>;

export interface ProfileDraft {
  display_name: string;
  bio: string;
  handle: string;
}

export const MAX_NAME_CHARS = 50;
export const MAX_BIO_CHARS = 160;
export { HANDLE_RE };

export const FIELD_RULES: Record<ProfileField, string> = {
  display_name: `A display name has 1 to ${MAX_NAME_CHARS} characters.`,
  bio: `A bio has at most ${MAX_BIO_CHARS} characters.`,
  handle: 'A handle has 3 to 30 letters, digits or underscores.',
};

// What the server refuses in a name or bio (shared/domain/users.py): controls and line breaks
// (Cc, Zl, Zp, lone surrogates), and format characters (Cf: bidi controls that reorder what a
// reader sees, zero-width spaces and joiners). Both are one line.
const FORBIDDEN = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]|\p{Cs}/u;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** NFC-normalised and stripped as the server strips (Python's str.strip()). */
export const cleaned = (s: string) => normalizePost(s);

/** Code points of the cleaned text, as the server (Python's len) counts them: an emoji is one. */
export const charCount = (s: string) => [...cleaned(s)].length;

const forbidden = (s: string) => FORBIDDEN.test(s) || LONE_SURROGATE.test(s);

export const draftOf = (u: User): ProfileDraft => ({
  display_name: u.display_name,
  bio: u.bio ?? '',
  handle: u.handle,
});

export function validateProfile(d: ProfileDraft): FieldErrors {
  const errors: FieldErrors = {};
  const name = cleaned(d.display_name);
  if (charCount(name) < 1 || charCount(name) > MAX_NAME_CHARS) errors.display_name = FIELD_RULES.display_name;
  else if (forbidden(name)) errors.display_name = 'A display name is one line, without control or invisible characters.';
  const bio = cleaned(d.bio);
  if (charCount(bio) > MAX_BIO_CHARS) errors.bio = FIELD_RULES.bio;
  else if (forbidden(bio)) errors.bio = 'A bio is one line, without control or invisible characters.';
  if (!HANDLE_RE.test(d.handle.trim())) errors.handle = FIELD_RULES.handle;
  return errors;
}

/** Only what changed goes in the PATCH (a handle differing only in case is a change). */
export function changesOf(u: User, d: ProfileDraft): ProfileChange {
  const change: ProfileChange = {};
  const name = cleaned(d.display_name);
  const bio = cleaned(d.bio);
  const handle = d.handle.trim();
  if (name !== u.display_name) change.display_name = name;
  if (bio !== (u.bio ?? '')) change.bio = bio;
  if (handle !== u.handle) change.handle = handle;
  return change;
}

/** A field the server refused although the form's checks passed (control characters, say). */
export const SERVER_REFUSED: Record<ProfileField, string> = {
  display_name: `Kwetter did not accept this display name: use 1 to ${MAX_NAME_CHARS} characters, without control characters.`,
  bio: `Kwetter did not accept this bio: use at most ${MAX_BIO_CHARS} characters, without control characters.`,
  handle: 'Kwetter did not accept this handle: use 3 to 30 letters, digits or underscores.',
};

const isField = (f: unknown): f is ProfileField => f === 'display_name' || f === 'bio' || f === 'handle';

/**
 * The field a refused PATCH names: 409 handle_taken is the handle; 422 validation_failed
 * names it in `error.details.field`. Null when the error is about no field (network, 429…).
 */
export function fieldErrorOf(err: unknown): { field: ProfileField; message: string } | null {
  if (!(err instanceof ApiError)) return null;
  if (err.code === 'handle_taken' || (err.status === 409 && err.code === 'conflict')) {
    const d = err.details as { reason?: unknown; existing?: unknown } | null | undefined;
    if (d?.reason === 'confusable' && typeof d.existing === 'string') {
      return { field: 'handle', message: `That handle looks like @${d.existing}, which is taken. Try another one.` };
    }
    return { field: 'handle', message: 'That handle is taken. Try another one.' };
  }
  if (err.status !== 422 && err.code !== 'validation_failed') return null;
  const details = err.details as { field?: unknown } | Array<{ field?: unknown }> | null | undefined;
  const field = Array.isArray(details) ? details.find((x) => isField(x?.field))?.field : details?.field;
  if (!isField(field)) return null;
  return { field, message: SERVER_REFUSED[field] };
}
