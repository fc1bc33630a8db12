/** Shapes of shared/contracts/openapi.yaml's definitions. Ids are strings. */

/** An uploaded, processed image (definitions/Media); shown only, uploads are not in this app. */
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
}
