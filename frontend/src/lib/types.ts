/** Shapes of shared/contracts/openapi.yaml's definitions. Ids are strings. */
export interface User {
  id: string;
  handle: string;
  display_name: string;
  follower_count: number;
  following_count: number;
  post_count: number;
  created_ms?: number;
  followed_by_me?: boolean;
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
  author?: { handle?: string; display_name?: string };
}

export interface PostPage {
  items: Post[];
  next_cursor?: string | null;
  regenerating?: boolean;
}
