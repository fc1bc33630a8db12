import { render } from 'svelte/server';
import { describe, expect, it } from 'vitest';
import type { Post } from '../lib/types';
import PostCard from './PostCard.svelte';

/** The card as the browser gets it, rendered by Svelte's own server renderer (no DOM needed). */
function html(post: Post): string {
  return render(PostCard, { props: { post } }).body;
}

const base: Post = {
  id: '7', author_id: 'u-bob', text: 'welcome @alice_del and @carol!', created_ms: 1_700_000_000_000,
  author: { handle: 'bob', display_name: 'Bob', avatar: null }, media: [],
};

describe('PostCard: mentions (issues 21 and 23)', () => {
  it('links a live mention to the user by id', () => {
    const out = html({ ...base, mentions: [{ start: 23, end: 29, user_id: 'u-carol' }] });
    expect(out).toMatch(/<a[^>]*href="[^"]*u-carol[^"]*"[^>]*data-testid="post-mention"[^>]*>@carol<\/a>/);
  });
  it('renders a mention of a deleted account as "deleted user": no link, no handle', () => {
    const out = html({
      ...base,
      mentions: [
        { start: 8, end: 18, user_id: null, deleted: true },
        { start: 23, end: 29, user_id: 'u-carol' },
      ],
    });
    expect(out).toMatch(/<span[^>]*data-testid="post-mention-deleted"[^>]*>deleted user<\/span>/);
    const text = out.slice(out.indexOf('data-testid="post-text"'));
    expect(text).not.toContain('alice_del');
    expect(out).toContain('>@carol</a>');
  });
});
