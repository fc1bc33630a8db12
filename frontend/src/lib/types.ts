/** Shapes of shared/contracts/openapi.yaml's definitions. Ids are strings. */

/** An uploaded, processed image (definitions/Media): `url` is the largest variant. */
export interface Media {
  id: string;
  type?: string;
  url: string;
  width: number;
  height: number;
  alt: string;
  variants: { url: string; width: number; height: number }[];
}
export interface User {
  id: string;
  handle: string;
  display_name: string;
  follower_count: number;
  following_count: number;
  post_count: number;
  created_ms?: number;
  followed_by_me?: boolean;
  avatar?: Media | null;
  /** Issue 23: "" when none. */
  bio?: string;
  // Issue 21, another's profile only.
  blocked_by_me?: boolean;
  blocks_me?: boolean;
  muted_by_me?: boolean;
  suspended?: boolean;
}

/** PATCH /v1/me: any of these (contract 23). */
export interface ProfileChange {
  display_name?: string;
  bio?: string;
  handle?: string;
}

export interface UserList {
  items: User[];
  next_cursor?: string | null;
}

export interface Suggestion {
  user: User;
  degree: number;
  mutual_count: number;
}

export interface SuggestionList {
  items: Suggestion[];
}

export interface FollowState {
  following: boolean;
  changed: boolean;
}

/** A reposter as a home item names them (contract 20). */
export interface UserRef {
  id: string;
  handle: string;
  display_name: string;
}

/** Who among the people the reader follows reposted a home item: up to 3 named, `count` in all. */
export interface RepostedBy {
  users: UserRef[];
  count: number;
}

export interface Post {
  id: string;
  author_id: string;
  text: string;
  created_ms: number;
  /** null for a deleted post's placeholder in a thread. */
  author?: { handle?: string; display_name?: string; avatar?: Media | null } | null;
  media?: Media[] | null;
  // Conversations (contract 20); optional so an older server's posts still render.
  reply_to?: string | null;
  root_id?: string | null;
  like_count?: number;
  reply_count?: number;
  repost_count?: number;
  liked_by_me?: boolean;
  reposted_by_me?: boolean;
  /** A thread placeholder of a deleted post: text "", no media, author null; replies stay. */
  deleted?: boolean;
  /** Its distinct hashtags, normalised (issue 22); absent when none. */
  hashtags?: string[];
  /** Resolved @mentions (issue 21): code-point spans + user id; absent from an older server. */
  mentions?: { start: number; end: number; user_id: string | null; deleted?: boolean }[];
  /** Home timeline items only: the original post's fields, plus who reposted it. */
  reposted_by?: RepostedBy | null;
}

/** GET /v1/posts/{id}/thread. */
export interface Thread {
  post: Post;
  /** Root first, at most 50. */
  ancestors: Post[];
  /** Direct replies of `post`, in the order asked for. */
  replies: Post[];
  next_cursor?: string | null;
}

export type ThreadOrder = 'oldest' | 'newest';

/** PUT/DELETE /v1/posts/{id}/like. */
export interface LikeState {
  post_id: string;
  liked: boolean;
  like_count: number;
}

/** PUT/DELETE /v1/posts/{id}/repost. */
export interface RepostState {
  post_id: string;
  reposted: boolean;
  repost_count: number;
}

export interface PostPage {
  items: Post[];
  next_cursor?: string | null;
  regenerating?: boolean;
  /** Home timeline, first page: the tag GET /v1/timeline/newer answers while nothing changed. */
  head?: string;
}

/** GET /v1/timeline/newer (definitions/TimelineNewer). */
export interface TimelineNewer {
  count: number;
  head: string;
  regenerating: boolean;
}

export type MediaPurpose = 'post' | 'avatar';

/** 201 of POST /v1/media (definitions/MediaUpload): PUT the bytes to `upload_url`. */
export interface MediaUpload {
  media_id: string;
  upload_url: string;
  upload_method?: string;
  upload_headers?: Record<string, string>;
  expires_at: string;
  status?: string;
}

/** GET /v1/media/{id} (definitions/MediaStatus). */
export interface MediaStatus {
  media_id: string;
  status: 'pending' | 'ready' | 'rejected';
  purpose: MediaPurpose;
  created_ms?: number;
  reason?: string | null;
  message?: string | null;
}

// -- search, hashtags, trends (issue 22) --------------------------------------------------------
export type SearchSort = 'relevance' | 'newest';

/** GET /v1/trends items (definitions/Trend). */
export interface Trend {
  tag: string;
  accounts: number;
  expected: number;
  score: number;
}

export interface TrendList {
  items: Trend[];
}

// -- mentions, notifications, safety, moderation (issue 21) -------------------------------------
export type NotificationKind = 'like' | 'repost' | 'follow' | 'mention' | 'reply';

export interface NotificationActor {
  id: string;
  /** null when the account is gone. */
  handle?: string | null;
  display_name?: string | null;
  avatar?: Media | null;
}

/** One grouped row of GET /v1/notifications (definitions/Notification). */
export interface Notification {
  id: string;
  cursor: string;
  kind: NotificationKind;
  post_id?: string | null;
  subject_post_id?: string | null;
  /** The latest actors, newest first (at most 3). */
  actors: NotificationActor[];
  actor_count: number;
  created_ms: number;
  read: boolean;
}

export interface NotificationPage {
  items: Notification[];
  next_cursor?: string | null;
  unread: number;
}

export interface UnreadCount {
  /** Capped at 99 by the server: shown as 99+. */
  unread: number;
}

/** PUT/DELETE /v1/users/{id}/block|mute. */
export interface SafetyState {
  id: string;
  blocking: boolean;
  muting: boolean;
}

export const REPORT_REASONS = ['spam', 'harassment', 'hate', 'violence', 'sexual', 'self_harm', 'illegal', 'other'] as const;
export type ReportReason = (typeof REPORT_REASONS)[number];

export interface Report {
  id: string;
  subject: 'post' | 'user';
  target: string;
  reason: string;
  text?: string;
  status: 'open' | 'closed';
  created_ms: number;
  reporter_id?: string;
  target_author_id?: string | null;
}

export interface ReportList {
  items: Report[];
  next_cursor?: string | null;
}

export interface ModerationResult {
  action: string;
  target: string;
  changed: boolean;
  closed_reports?: number;
}

/** PUT/DELETE /v1/admin/moderators/{id}. */
export interface RoleState {
  id: string;
  role: 'moderator';
  granted: boolean;
}

export interface AuditEntry {
  id: string;
  action: string;
  actor_id: string;
  target: string;
  reason?: string;
  at_ms: number;
}

export interface AuditList {
  items: AuditEntry[];
  next_cursor?: string | null;
}

/** GET/POST /v1/me/export: the last export of everything stored about the caller. */
export type ExportState = 'queued' | 'building' | 'ready' | 'failed';

export interface ExportStatus {
  status: ExportState;
  export_id?: string;
  parts_done?: number;
  parts_total?: number;
  progress?: number;
  created_ms?: number;
  /** failed only: stalled or account_gone. */
  reason?: string;
  /** ready only: the archive's signed URL, valid 15 minutes. */
  url?: string;
  expires_at?: string;
}

/** DELETE /v1/me's 202: the account is gone at once, the erasure of every store follows. */
export interface DeletionStatus {
  status: 'deleting' | 'deleted';
}
