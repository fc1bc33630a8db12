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

export interface Post {
  id: string;
  author_id: string;
  text: string;
  created_ms: number;
  author?: { handle?: string; display_name?: string; avatar?: Media | null };
  media?: Media[] | null;
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
