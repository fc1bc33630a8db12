/** Every failure a person can meet, as a sentence they can act on. */
import { ApiError } from './api';
import { UploadError } from './upload';

/** What the person was doing, so one code can read right in each place. */
export type Action =
  | 'load'
  | 'post'
  | 'delete'
  | 'follow'
  | 'unfollow'
  | 'register'
  | 'signin'
  | 'signup'
  | 'profile'
  | 'upload'
  | 'avatar'
  | 'reset'
  | 'post-page'
  | 'like'
  | 'unlike'
  | 'repost'
  | 'unrepost'
  | 'reply'
  | 'likes'
  | 'edit-profile'
  | 'export'
  | 'delete-account';

const BY_CODE: Record<string, string> = {
  network: "Can't reach Kwetter. Check your connection and try again.",
  bad_request: 'Kwetter could not understand that request.',
  unauthenticated: 'Your session has expired. Please sign in again.',
  forbidden: "You're not allowed to do that.",
  not_found: "That isn't here (anymore).",
  method_not_allowed: "That action isn't supported.",
  conflict: 'That clashes with something that already exists.',
  payload_too_large: "That's too big to send.",
  unsupported_media_type: 'The app sent something the server could not read. Reload the page.',
  validation_failed: "Some of that isn't valid.",
  rate_limited: "You're going a bit fast. Wait a moment and try again.",
  unavailable: 'Kwetter is busy right now. Try again in a moment.',
  backend_unavailable: 'Kwetter is busy right now. Try again in a moment.',
  internal: 'Something went wrong on our side. Try again in a moment.',
  bad_response: 'The server sent an answer the app could not read. Try again.',
  post_not_found: 'That post does not exist (anymore).',
  post_deleted: 'That post was deleted.',
  handle_taken: 'That handle is taken. Try another one.',
  account_deleted: 'This account has been deleted.',
};

const BY_ACTION: Partial<Record<Action, Partial<Record<string, string>>>> = {
  register: {
    conflict: 'That handle is taken. Try another one.',
    validation_failed:
      'Handles use 3–30 letters, digits or underscores; display names 1–50 characters.',
    bad_request:
      'Handles use 3–30 letters, digits or underscores; display names 1–50 characters.',
  },
  post: {
    validation_failed: 'A post needs 1 to 280 characters and at most 4 images.',
    payload_too_large: 'A post needs 1 to 280 characters.',
    not_found: 'Choose a handle before posting, or attach missing images again.',
    forbidden: 'One of the images is not yours. Remove it and try again.',
    conflict: 'An image is still being processed. Try again in a moment.',
  },
  upload: {
    unsupported_media_type: 'Only JPEG, PNG, WebP and GIF images can be uploaded.',
    payload_too_large: 'Images can be at most 5 MB.',
    validation_failed: 'Alt text can be at most 1000 characters.',
    rate_limited: "You've uploaded a lot of images in the last hour. Try again later.",
    http_403: 'The upload link was refused. Attach the image again.',
    http_404: 'The upload link has expired. Attach the image again.',
    http_410: 'The upload link has expired. Attach the image again.',
  },
  avatar: {
    not_found: 'That image is gone. Upload it again.',
    conflict: 'The image is still being processed. Try again in a moment.',
    forbidden: 'That image is not yours.',
    validation_failed: "That upload can't be used as a profile photo. Upload it again.",
  },
  delete: {
    forbidden: 'You can only delete your own posts.',
    not_found: 'That post was already deleted.',
  },
  follow: {
    not_found: 'That account no longer exists.',
    bad_request: "You can't follow yourself.",
    validation_failed: "You can't follow yourself.",
  },
  unfollow: { not_found: 'That account no longer exists.' },
  profile: { not_found: 'No one has that handle.' },
  'post-page': {
    not_found: 'This post does not exist, or it was deleted.',
    post_not_found: 'This post does not exist, or it was deleted.',
  },
  like: {
    not_found: "Couldn't like: that post was deleted.",
    post_not_found: "Couldn't like: that post was deleted.",
    post_deleted: "Couldn't like: that post was deleted.",
  },
  unlike: { not_found: "Couldn't unlike: that post was deleted.", post_deleted: "Couldn't unlike: that post was deleted." },
  repost: {
    not_found: "Couldn't repost: that post was deleted.",
    post_not_found: "Couldn't repost: that post was deleted.",
    post_deleted: "Couldn't repost: that post was deleted.",
  },
  unrepost: {
    not_found: "Couldn't undo the repost: that post was deleted.",
    post_deleted: "Couldn't undo the repost: that post was deleted.",
  },
  reply: {
    validation_failed: 'A reply needs 1 to 280 characters and at most 4 images.',
    payload_too_large: 'A reply needs 1 to 280 characters.',
    not_found: 'The post you are replying to no longer exists.',
    post_not_found: 'The post you are replying to no longer exists.',
    post_deleted: 'The post you are replying to was deleted.',
    forbidden: 'One of the images is not yours. Remove it and try again.',
    conflict: 'An image is still being processed. Try again in a moment.',
  },
  export: {
    not_found: 'Choose a handle before exporting your data.',
    unavailable: 'Data export is not available right now. Try again later.',
  },
  'delete-account': {
    validation_failed: 'Type your own handle, exactly, to confirm.',
    bad_request: 'Type your own handle, exactly, to confirm.',
    not_found: 'This account does not exist (anymore).',
    unavailable: 'Kwetter could not delete your account just now. Try again in a moment.',
  },
  'edit-profile': {
    conflict: 'That handle is taken. Try another one.',
    validation_failed: 'Some of that isn\'t valid. Check the fields marked below.',
  },
};

// Firebase Auth's codes (FirebaseError.code), for the sign-in and sign-up screens.
const AUTH: Record<string, string> = {
  'auth/invalid-email': "That doesn't look like an email address.",
  'auth/missing-email': 'Enter your email address.',
  'auth/missing-password': 'Enter your password.',
  'auth/invalid-credential': 'Wrong email or password.',
  'auth/invalid-login-credentials': 'Wrong email or password.',
  'auth/wrong-password': 'Wrong email or password.',
  'auth/user-not-found': 'Wrong email or password.',
  'auth/user-disabled': 'This account has been disabled.',
  'auth/email-already-in-use': 'An account with this email exists already. Sign in instead.',
  'auth/weak-password': 'Choose a password of at least 6 characters.',
  'auth/too-many-requests': 'Too many attempts. Wait a minute and try again.',
  'auth/network-request-failed': "Can't reach the sign-in service. Check your connection.",
  'auth/operation-not-allowed': 'Email sign-in is not enabled for this project.',
  'auth/expired-action-code': 'This reset link has expired. Ask for a new one.',
  'auth/invalid-action-code': 'This reset link is not valid (anymore). Ask for a new one.',
};

function byStatus(status: number): string {
  if (status === 0) return BY_CODE.network;
  if (status === 401) return BY_CODE.unauthenticated;
  if (status === 403) return BY_CODE.forbidden;
  if (status === 404) return BY_CODE.not_found;
  if (status === 409) return BY_CODE.conflict;
  if (status === 413) return BY_CODE.payload_too_large;
  if (status === 429) return BY_CODE.rate_limited;
  if (status >= 500) return BY_CODE.internal;
  return BY_CODE.bad_request;
}

export function humanMessage(err: unknown, action?: Action): string {
  if (err instanceof ApiError) {
    const specific = action ? BY_ACTION[action]?.[err.code] : undefined;
    let msg = specific ?? BY_CODE[err.code] ?? byStatus(err.status);
    if (err.code === 'rate_limited' && action === 'upload' && err.retryAfterS) {
      msg = `You've uploaded a lot of images in the last hour. Try again in ${Math.ceil(err.retryAfterS / 60)} min.`;
    } else if (err.code === 'rate_limited' && err.retryAfterS) {
      msg = `You're going a bit fast. Try again in ${err.retryAfterS} s.`;
    }
    return msg;
  }
  if (err instanceof UploadError) {
    // Rejections and local checks carry their own sentence; failed calls map like any other.
    if (err.kind === 'failed' && err.origin !== undefined) return humanMessage(err.origin, action ?? 'upload');
    return err.message;
  }
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && code.startsWith('auth/')) {
    return AUTH[code] ?? 'Signing in failed. Try again.';
  }
  if (err instanceof TypeError) return BY_CODE.network;
  return 'Something unexpected went wrong. Try again.';
}

/** Whether the person must sign in again: no retry will help. */
export function needsSignIn(err: unknown): boolean {
  return err instanceof ApiError && err.status === 401;
}
