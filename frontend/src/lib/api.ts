/** The API client: every route of shared/contracts/openapi.yaml the app uses, nothing else. */
import type {
  AuditList,
  FollowState,
  ModerationResult,
  NotificationPage,
  Report,
  ReportList,
  RoleState,
  ReportReason,
  SafetyState,
  UnreadCount,
  LikeState,
  Media,
  MediaPurpose,
  MediaStatus,
  MediaUpload,
  Post,
  PostPage,
  DeletionStatus,
  ExportStatus,
  ProfileChange,
  RepostState,
  SearchSort,
  SuggestionList,
  Thread,
  ThreadOrder,
  TimelineNewer,
  TrendList,
  User,
  UserList,
} from './types';

/** An API answer that was not a success, or no answer at all (status 0). */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly retryAfterS: number | null;
  readonly details: unknown;

  constructor(
    status: number,
    code: string,
    message: string,
    opts: { retryAfterS?: number | null; details?: unknown } = {},
  ) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.retryAfterS = opts.retryAfterS ?? null;
    this.details = opts.details;
  }
}

/** Gives the caller's Firebase ID token; `force` asks Firebase for a fresh one. */
export type TokenSource = (force: boolean) => Promise<string | null>;

export interface TimelineResult extends PostPage {
  /** 206: a returning user's timeline is being rebuilt and this page is partial. */
  regenerating: boolean;
}

export interface PageQuery {
  limit?: number;
  before?: string | null;
}

export interface CursorQuery {
  limit?: number;
  cursor?: string | null;
}

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

function query(params: Record<string, string | number | null | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== null && v !== undefined && v !== '') q.set(k, String(v));
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}

function parseRetryAfter(value: string | null): number | null {
  if (!value) return null;
  const n = Number(value);
  if (Number.isFinite(n)) return Math.max(0, Math.ceil(n));
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, Math.ceil((at - Date.now()) / 1000));
}

/** Turns any non-2xx response into an ApiError, whatever its body looks like. */
export async function errorFrom(res: Response): Promise<ApiError> {
  const retryAfterS = parseRetryAfter(res.headers.get('Retry-After'));
  let code = `http_${res.status}`;
  let message = res.statusText || `HTTP ${res.status}`;
  let details: unknown;
  try {
    const body: unknown = await res.json();
    const err = (body as { error?: { code?: unknown; message?: unknown; details?: unknown } })
      ?.error;
    if (err && typeof err.code === 'string') code = err.code;
    if (err && typeof err.message === 'string') message = err.message;
    details = err?.details;
  } catch {
    // Not JSON (a proxy's HTML page, an empty 502): the status alone must do.
  }
  return new ApiError(res.status, code, message, { retryAfterS, details });
}

export class ApiClient {
  constructor(
    private readonly base: string,
    private readonly token: TokenSource,
    private readonly fetchImpl: typeof fetch = (...args) => globalThis.fetch(...args),
  ) {}

  /** One call; on 401 the token is refreshed once, since an ID token lives only an hour. */
  async raw(
    method: Method,
    path: string,
    opts: { body?: unknown; headers?: Record<string, string> } = {},
  ): Promise<Response> {
    const send = async (force: boolean): Promise<Response> => {
      const headers: Record<string, string> = { Accept: 'application/json', ...opts.headers };
      const token = await this.token(force);
      if (token) headers.Authorization = `Bearer ${token}`;
      let body: string | undefined;
      if (opts.body !== undefined) {
        headers['Content-Type'] = 'application/json';
        body = JSON.stringify(opts.body);
      }
      try {
        return await this.fetchImpl(`${this.base}${path}`, { method, headers, body });
      } catch (exc) {
        throw new ApiError(0, 'network', exc instanceof Error ? exc.message : String(exc));
      }
    };
    let res = await send(false);
    if (res.status === 401) res = await send(true);
    if (!res.ok) throw await errorFrom(res);
    return res;
  }

  async json<T>(
    method: Method,
    path: string,
    opts: { body?: unknown; headers?: Record<string, string> } = {},
  ): Promise<T> {
    const res = await this.raw(method, path, opts);
    try {
      return (await res.json()) as T;
    } catch {
      throw new ApiError(res.status, 'bad_response', 'The server sent an unreadable answer.');
    }
  }

  // -- users ---------------------------------------------------------------------------------
  me(): Promise<User> {
    return this.json('GET', '/v1/me');
  }

  /** Returns null while the signed-in account has no profile yet (404). */
  async meOrNull(): Promise<User | null> {
    try {
      return await this.me();
    } catch (exc) {
      if (exc instanceof ApiError && exc.status === 404) return null;
      throw exc;
    }
  }

  /** PATCH /v1/me: 409 handle_taken, 422 validation_failed with details.field. */
  updateMe(change: ProfileChange): Promise<User> {
    return this.json('PATCH', '/v1/me', { body: change });
  }

  /** POST /v1/me/export: 202 queued (or the export still running); 429 with Retry-After. */
  startExport(): Promise<ExportStatus> {
    return this.json('POST', '/v1/me/export');
  }

  /** GET /v1/me/export: the last export's progress; ready carries a signed URL (15 min). */
  exportStatus(): Promise<ExportStatus> {
    return this.json('GET', '/v1/me/export');
  }

  /** GET /v1/me/export, null when no export was ever asked for (404). */
  async exportStatusOrNull(): Promise<ExportStatus | null> {
    try {
      return await this.exportStatus();
    } catch (exc) {
      if (exc instanceof ApiError && exc.status === 404) return null;
      throw exc;
    }
  }

  /** DELETE /v1/me, confirmed by the caller's own handle (422 details.field confirm if not). */
  deleteMe(confirm: string): Promise<DeletionStatus> {
    return this.json('DELETE', '/v1/me', { body: { confirm } });
  }

  register(handle: string, displayName: string): Promise<User> {
    return this.json('POST', '/v1/users', { body: { handle, display_name: displayName } });
  }

  suggestions(limit = 20): Promise<SuggestionList> {
    return this.json('GET', `/v1/me/suggestions${query({ limit })}`);
  }

  userByHandle(handle: string): Promise<User> {
    return this.json('GET', `/v1/users/by-handle/${encodeURIComponent(handle)}`);
  }

  user(id: string): Promise<User> {
    return this.json('GET', `/v1/users/${encodeURIComponent(id)}`);
  }

  follow(id: string): Promise<FollowState> {
    return this.json('PUT', `/v1/users/${encodeURIComponent(id)}/follow`);
  }

  unfollow(id: string): Promise<FollowState> {
    return this.json('DELETE', `/v1/users/${encodeURIComponent(id)}/follow`);
  }

  followers(id: string, q: CursorQuery = {}): Promise<UserList> {
    return this.json('GET', `/v1/users/${encodeURIComponent(id)}/followers${query({ ...q })}`);
  }

  following(id: string, q: CursorQuery = {}): Promise<UserList> {
    return this.json('GET', `/v1/users/${encodeURIComponent(id)}/following${query({ ...q })}`);
  }

  // -- posts and timelines --------------------------------------------------------------------
  userPosts(id: string, q: PageQuery = {}): Promise<PostPage> {
    return this.json('GET', `/v1/users/${encodeURIComponent(id)}/posts${query({ ...q })}`);
  }

  async timeline(q: PageQuery = {}): Promise<TimelineResult> {
    return ApiClient.timelineOf(await this.raw('GET', `/v1/timeline${query({ ...q })}`));
  }

  /** The cheap poll: how many head posts are newer than `after`, and the head's tag. */
  timelineNewer(after: string): Promise<TimelineNewer> {
    return this.json('GET', `/v1/timeline/newer${query({ after })}`);
  }

  static async timelineOf(res: Response): Promise<TimelineResult> {
    if (!res.ok) throw await errorFrom(res);
    const page = (await res.json()) as PostPage;
    return { ...page, regenerating: res.status === 206 || page.regenerating === true };
  }

  /** GET /v1/me's answer as meOrNull gives it (requests index.html's boot script made). */
  static async meOf(res: Response): Promise<User | null> {
    if (res.status === 404) return null;
    if (!res.ok) throw await errorFrom(res);
    return (await res.json()) as User;
  }

  /**
   * The key makes a retried submit of the same composition return the first post (200).
   * `media` are ready post uploads in display order, each with its alt text (null keeps the
   * alt text given at upload). `replyTo` makes it a reply (404 unknown, 409 deleted parent).
   */
  createPost(
    text: string,
    idempotencyKey: string,
    media: { id: string; alt: string | null }[] = [],
    replyTo: string | null = null,
  ): Promise<Post> {
    const body: Record<string, unknown> = { text };
    if (replyTo) body.reply_to = replyTo;
    if (media.length) {
      body.media_ids = media.map((m) => m.id);
      body.media_alts = media.map((m) => m.alt);
    }
    return this.json('POST', '/v1/posts', {
      body,
      headers: { 'Idempotency-Key': idempotencyKey },
    });
  }

  post(id: string): Promise<Post> {
    return this.json('GET', `/v1/posts/${encodeURIComponent(id)}`);
  }

  async deletePost(id: string): Promise<void> {
    await this.raw('DELETE', `/v1/posts/${encodeURIComponent(id)}`);
  }

  // -- conversations --------------------------------------------------------------------------
  thread(id: string, q: CursorQuery & { order?: ThreadOrder } = {}): Promise<Thread> {
    return this.json('GET', `/v1/posts/${encodeURIComponent(id)}/thread${query({ ...q })}`);
  }

  /** PUT (like) or DELETE (unlike); idempotent either way. */
  like(id: string, on: boolean): Promise<LikeState> {
    return this.json(on ? 'PUT' : 'DELETE', `/v1/posts/${encodeURIComponent(id)}/like`);
  }

  repost(id: string, on: boolean): Promise<RepostState> {
    return this.json(on ? 'PUT' : 'DELETE', `/v1/posts/${encodeURIComponent(id)}/repost`);
  }

  postLikes(id: string, q: CursorQuery = {}): Promise<UserList> {
    return this.json('GET', `/v1/posts/${encodeURIComponent(id)}/likes${query({ ...q })}`);
  }

  /** The posts a user liked, newest like first (a cursor, not post ids, pages it). */
  userLikes(id: string, q: CursorQuery = {}): Promise<PostPage> {
    return this.json('GET', `/v1/users/${encodeURIComponent(id)}/likes${query({ ...q })}`);
  }

  // -- media ----------------------------------------------------------------------------------
  /** Declares an upload; the answer's `upload_url` takes the bytes (not through the API). */
  createMedia(
    contentType: string,
    byteSize: number,
    purpose: MediaPurpose,
    alt?: string,
  ): Promise<MediaUpload> {
    const body: Record<string, unknown> = { content_type: contentType, byte_size: byteSize, purpose };
    if (alt) body.alt = alt;
    return this.json('POST', '/v1/media', { body });
  }

  mediaStatus(id: string): Promise<MediaStatus> {
    return this.json('GET', `/v1/media/${encodeURIComponent(id)}`);
  }

  /** Sets (a ready avatar upload) or clears (null) the caller's avatar. */
  setAvatar(mediaId: string | null): Promise<{ avatar: Media | null }> {
    return this.json('PUT', '/v1/me/avatar', { body: { media_id: mediaId } });
  }

  // -- search, hashtags, trends (issue 22) ------------------------------------------------------
  /** 400 with details.reason for a refused query (wildcards, patterns, too long). */
  searchPosts(q: string, opts: CursorQuery & { sort?: SearchSort } = {}): Promise<PostPage> {
    return this.json('GET', `/v1/search/posts${query({ q, ...opts })}`);
  }

  /** The people typeahead: a handle prefix or a word prefix of the name (q at most 30). */
  searchUsers(q: string, limit = 8): Promise<UserList> {
    return this.json('GET', `/v1/search/users${query({ q, limit })}`);
  }

  hashtagPosts(tag: string, q: CursorQuery = {}): Promise<PostPage> {
    return this.json('GET', `/v1/hashtags/${encodeURIComponent(tag)}/posts${query({ ...q })}`);
  }

  trends(): Promise<TrendList> {
    return this.json('GET', '/v1/trends');
  }

  // -- notifications, safety, moderation (issue 21) ---------------------------------------------
  notifications(q: CursorQuery = {}): Promise<NotificationPage> {
    return this.json('GET', `/v1/notifications${query({ ...q })}`);
  }

  /** The cheap poll behind the badge. */
  unreadNotifications(): Promise<UnreadCount> {
    return this.json('GET', '/v1/notifications/unread');
  }

  /** Marks read up to and including the row with this cursor (the mark only moves forward). */
  markNotificationsRead(cursor: string): Promise<UnreadCount> {
    return this.json('POST', '/v1/notifications/read', { body: { cursor } });
  }

  block(id: string, on: boolean): Promise<SafetyState> {
    return this.json(on ? 'PUT' : 'DELETE', `/v1/users/${encodeURIComponent(id)}/block`);
  }

  mute(id: string, on: boolean): Promise<SafetyState> {
    return this.json(on ? 'PUT' : 'DELETE', `/v1/users/${encodeURIComponent(id)}/mute`);
  }

  /** Whom I block / mute, newest first (cursor pages). */
  blocks(q: CursorQuery = {}): Promise<UserList> {
    return this.json('GET', `/v1/me/blocks${query({ ...q })}`);
  }

  mutes(q: CursorQuery = {}): Promise<UserList> {
    return this.json('GET', `/v1/me/mutes${query({ ...q })}`);
  }

  /** Admins: grant (on) or revoke the moderator role; 403 admin_only otherwise. */
  setModerator(id: string, on: boolean): Promise<RoleState> {
    return this.json(on ? 'PUT' : 'DELETE', `/v1/admin/moderators/${encodeURIComponent(id)}`);
  }

  /** A post or a user (exactly one), a reason from the fixed list, optional text. */
  report(target: { post_id: string } | { user_id: string }, reason: ReportReason, text = ''): Promise<Report> {
    const body: Record<string, unknown> = { ...target, reason };
    if (text.trim()) body.text = text.trim();
    return this.json('POST', '/v1/reports', { body });
  }

  openReports(q: CursorQuery = {}): Promise<ReportList> {
    return this.json('GET', `/v1/moderation/reports${query({ ...q })}`);
  }

  dismissReport(id: string, reason: string): Promise<ModerationResult> {
    return this.json('POST', `/v1/moderation/reports/${encodeURIComponent(id)}/dismiss`, { body: { reason } });
  }

  removePost(id: string, reason: string): Promise<ModerationResult> {
    return this.json('POST', `/v1/moderation/posts/${encodeURIComponent(id)}/remove`, { body: { reason } });
  }

  suspend(id: string, on: boolean, reason = ''): Promise<ModerationResult> {
    const path = `/v1/moderation/users/${encodeURIComponent(id)}/suspension`;
    return on ? this.json('PUT', path, { body: { reason } }) : this.json('DELETE', path);
  }

  audit(q: CursorQuery = {}): Promise<AuditList> {
    return this.json('GET', `/v1/moderation/audit${query({ ...q })}`);
  }
}
