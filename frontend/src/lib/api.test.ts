import { describe, expect, it } from 'vitest';
import { ApiClient, ApiError } from './api';

interface Call {
  url: string;
  method: string;
  headers: Record<string, string>;
  body?: string;
}

/** A recording fetch answering from a script of responses; no network. */
function scripted(...answers: (Response | Error)[]) {
  const calls: Call[] = [];
  const fetchImpl = (async (input: RequestInfo | URL, init?: RequestInit) => {
    calls.push({
      url: String(input),
      method: init?.method ?? 'GET',
      headers: (init?.headers ?? {}) as Record<string, string>,
      body: init?.body as string | undefined,
    });
    const next = answers.shift();
    if (!next) throw new Error('no more scripted answers');
    if (next instanceof Error) throw next;
    return next;
  }) as typeof fetch;
  return { calls, fetchImpl };
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(status === 204 ? null : JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json', ...headers },
  });

const tokens = () => {
  const asked: boolean[] = [];
  return {
    asked,
    source: async (force: boolean) => {
      asked.push(force);
      return force ? 'fresh-token' : 'cached-token';
    },
  };
};

describe('ApiClient', () => {
  it('sends the bearer token and builds query strings, skipping empty parameters', async () => {
    const t = tokens();
    const { calls, fetchImpl } = scripted(json(200, { items: [], next_cursor: null }));
    const api = new ApiClient('http://gw', t.source, fetchImpl);
    await api.userPosts('u 1', { limit: 20, before: null });
    expect(calls[0].url).toBe('http://gw/v1/users/u%201/posts?limit=20');
    expect(calls[0].headers.Authorization).toBe('Bearer cached-token');
    expect(calls[0].method).toBe('GET');
  });

  it('posts with a JSON body and the Idempotency-Key header', async () => {
    const post = { id: '123', author_id: 'u1', text: 'hi', created_ms: 1 };
    const { calls, fetchImpl } = scripted(json(201, post));
    const api = new ApiClient('http://gw', tokens().source, fetchImpl);
    expect(await api.createPost('hi', 'key-1')).toEqual(post);
    expect(calls[0].method).toBe('POST');
    expect(calls[0].headers['Idempotency-Key']).toBe('key-1');
    expect(calls[0].headers['Content-Type']).toBe('application/json');
    expect(JSON.parse(calls[0].body!)).toEqual({ text: 'hi' });
  });

  it('posts media ids with their alt texts in display order', async () => {
    const { calls, fetchImpl } = scripted(json(201, { id: '1' }));
    const api = new ApiClient('http://gw', tokens().source, fetchImpl);
    await api.createPost('pics', 'k', [
      { id: 'a'.repeat(32), alt: 'A cat' },
      { id: 'b'.repeat(32), alt: null },
    ]);
    expect(JSON.parse(calls[0].body!)).toEqual({
      text: 'pics',
      media_ids: ['a'.repeat(32), 'b'.repeat(32)],
      media_alts: ['A cat', null],
    });
  });

  it('declares uploads, reads their status and sets or clears the avatar', async () => {
    const { calls, fetchImpl } = scripted(
      json(201, { media_id: 'm', upload_url: 'u', expires_at: 'x' }),
      json(200, { media_id: 'm', status: 'pending', purpose: 'avatar' }),
      json(200, { avatar: null }),
    );
    const api = new ApiClient('http://gw', tokens().source, fetchImpl);
    await api.createMedia('image/png', 99, 'avatar');
    expect(calls[0].url).toBe('http://gw/v1/media');
    expect(JSON.parse(calls[0].body!)).toEqual({ content_type: 'image/png', byte_size: 99, purpose: 'avatar' });
    expect((await api.mediaStatus('m')).status).toBe('pending');
    expect(calls[1].url).toBe('http://gw/v1/media/m');
    expect(await api.setAvatar(null)).toEqual({ avatar: null });
    expect(calls[2].method).toBe('PUT');
    expect(calls[2].url).toBe('http://gw/v1/me/avatar');
    expect(JSON.parse(calls[2].body!)).toEqual({ media_id: null });
  });

  it('registers with handle and display_name', async () => {
    const { calls, fetchImpl } = scripted(json(201, { id: 'u1', handle: 'ada' }));
    await new ApiClient('http://gw', tokens().source, fetchImpl).register('ada', 'Ada');
    expect(calls[0].url).toBe('http://gw/v1/users');
    expect(JSON.parse(calls[0].body!)).toEqual({ handle: 'ada', display_name: 'Ada' });
  });

  it('turns the error envelope into an ApiError with code, message and Retry-After', async () => {
    const { fetchImpl } = scripted(
      json(429, { error: { code: 'rate_limited', message: 'slow down' } }, { 'Retry-After': '7' }),
    );
    const api = new ApiClient('http://gw', tokens().source, fetchImpl);
    const err = await api.createPost('x', 'k').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 429, code: 'rate_limited', message: 'slow down', retryAfterS: 7 });
  });

  it('survives an error without a JSON body', async () => {
    const { fetchImpl } = scripted(new Response('<html>bad gateway</html>', { status: 502 }));
    const err = await new ApiClient('http://gw', tokens().source, fetchImpl).me().catch((e) => e);
    expect(err).toMatchObject({ status: 502, code: 'http_502' });
  });

  it('reports an unreachable server as status 0, code network', async () => {
    const { fetchImpl } = scripted(new TypeError('Failed to fetch'));
    const err = await new ApiClient('http://gw', tokens().source, fetchImpl).me().catch((e) => e);
    expect(err).toMatchObject({ status: 0, code: 'network' });
  });

  it('retries once with a refreshed token after a 401', async () => {
    const t = tokens();
    const { calls, fetchImpl } = scripted(
      json(401, { error: { code: 'unauthenticated', message: 'expired' } }),
      json(200, { id: 'u1' }),
    );
    await new ApiClient('http://gw', t.source, fetchImpl).me();
    expect(t.asked).toEqual([false, true]);
    expect(calls[1].headers.Authorization).toBe('Bearer fresh-token');
  });

  it('gives up after the second 401', async () => {
    const unauth = () => json(401, { error: { code: 'unauthenticated', message: 'no' } });
    const { calls, fetchImpl } = scripted(unauth(), unauth());
    const err = await new ApiClient('http://gw', tokens().source, fetchImpl).me().catch((e) => e);
    expect(err).toMatchObject({ status: 401 });
    expect(calls).toHaveLength(2);
  });

  it('meOrNull maps 404 to null (the choose-handle screen) and keeps other errors', async () => {
    const { fetchImpl } = scripted(
      json(404, { error: { code: 'not_found', message: 'no profile' } }),
      json(500, { error: { code: 'internal', message: 'boom' } }),
    );
    const api = new ApiClient('http://gw', tokens().source, fetchImpl);
    expect(await api.meOrNull()).toBeNull();
    await expect(api.meOrNull()).rejects.toMatchObject({ status: 500 });
  });

  it('flags a 206 timeline page as regenerating', async () => {
    const { fetchImpl } = scripted(
      json(206, { items: [], next_cursor: null }),
      json(200, { items: [], next_cursor: '5' }),
    );
    const api = new ApiClient('http://gw', tokens().source, fetchImpl);
    expect((await api.timeline()).regenerating).toBe(true);
    expect(await api.timeline({ before: '9', limit: 5 })).toEqual({
      items: [],
      next_cursor: '5',
      regenerating: false,
    });
  });

  it('uses PUT and DELETE for follow and unfollow, and DELETE for posts', async () => {
    const { calls, fetchImpl } = scripted(
      json(200, { following: true, changed: true }),
      json(200, { following: false, changed: true }),
      json(204, null),
    );
    const api = new ApiClient('http://gw', tokens().source, fetchImpl);
    await api.follow('u2');
    await api.unfollow('u2');
    await api.deletePost('77');
    expect(calls.map((c) => `${c.method} ${c.url}`)).toEqual([
      'PUT http://gw/v1/users/u2/follow',
      'DELETE http://gw/v1/users/u2/follow',
      'DELETE http://gw/v1/posts/77',
    ]);
  });

  it('pages followers by cursor', async () => {
    const { calls, fetchImpl } = scripted(json(200, { items: [], next_cursor: null }));
    await new ApiClient('http://gw', tokens().source, fetchImpl).followers('u1', {
      limit: 10,
      cursor: 'abc==',
    });
    expect(calls[0].url).toBe('http://gw/v1/users/u1/followers?limit=10&cursor=abc%3D%3D');
  });
});
