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
