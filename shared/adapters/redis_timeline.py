"""Timelines in Redis: capped sorted sets in listpack encoding, written by Lua scripts.

Keys (docs/timeline.md has the why):

- ``tl:{uid}``  home timeline: ZSET member = post id (decimal), score = its millisecond
  timestamp (``ids.timestamp_ms``: a small integer packs into a listpack, the 63-bit id would
  not); ties order by member, and same-millisecond ids have equal length, so that is id order.
  Capped at ``timeline_cap``: trimmed in bulk on the inserts of one post in
  ``timeline_trim_every`` (``domain.fanout.trims``), so it may hold a few entries over the cap
  between trims (docs/timeline.md bounds how many); holds pushed posts (and backfills).
- ``ut:{uid}``  the author's own timeline, same layout: every live post of the author, capped.
  Pull-mode readers merge it; ``GET /v1/users/{id}/posts`` serves it.
- ``fw:{uid}``  SET of the reader's followees, a cache of the graph (sentinel member ``""``
  tells "loaded" from "absent"), kept in step by follow_sync.
- ``pullers``   SET of authors who have pull-mode posts: a reader merges ``fw ∩ pullers``.
- ``pm:{pid}``  the post's fan-out mode, set once (SET NX): redelivery never flips it.
- ``px:{pid}``  tombstone of a deleted post (guards late adds, filters reads).
- ``pc:{pid}``  post body cache (JSON), hydrated with MGET.
- ``up:{uid}``  author profile cache (handle, display name).
- ``act:{uid}`` present while the user read in the last ``inactive_days``; fan-out skips (and
  frees) the home timeline of anyone without it, and their next read regenerates it.
- ``rg:{uid}``  regeneration lock.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, cast

import redis

from shared import ids
from shared.config import Settings
from shared.domain.fanout import Mode, trims
from shared.domain.model import Post, User
from shared.domain.timeline import SourceRun

POST_CACHE_TTL_S = 3 * 86400
# Longer than post-events retention (31 days): a seek-replay must still see the decision.
MODE_TTL_S = 40 * 86400
PROFILE_TTL_S = 3600
REGEN_LOCK_S = 60
SENTINEL = ""  # user ids have min length 1, so "" is never a followee

_RECORD = """
local cap, win, ttl = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3]
local out = {}
for i = 0, #KEYS / 4 - 1 do
  local ut, pm, px, pc = KEYS[4*i+1], KEYS[4*i+2], KEYS[4*i+3], KEYS[4*i+4]
  local pid, score, body = ARGV[4+3*i], tonumber(ARGV[5+3*i]), ARGV[6+3*i]
  if redis.call('EXISTS', px) == 1 then
    out[#out+1] = 'gone'; out[#out+1] = 0; out[#out+1] = 0
  else
    redis.call('SET', pc, body, 'EX', ttl)
    redis.call('ZADD', ut, score, pid)
    local card = redis.call('ZCARD', ut)
    if card > cap then redis.call('ZREMRANGEBYRANK', ut, 0, card - cap - 1) end
    local lo = string.format('(%d', score - win)
    local count = redis.call('ZCOUNT', ut, lo, score)
    local first = redis.call('ZRANGE', ut, lo, score, 'BYSCORE', 'LIMIT', 0, 1, 'WITHSCORES')
    local span = 0
    if #first == 2 then span = score - tonumber(first[2]) end
    out[#out+1] = redis.call('GET', pm) or ''; out[#out+1] = count; out[#out+1] = span
  end
end
return out
"""

_COMMIT = """
local out = {}
for i = 2, #KEYS do
  local mode, author = ARGV[2*i-2], ARGV[2*i-1]
  local old = redis.call('SET', KEYS[i], mode, 'NX', 'GET', 'EX', ARGV[1])
  local final = old or mode
  if final == 'pull' then redis.call('SADD', KEYS[1], author) end
  out[#out+1] = final
end
return out
"""

# KEYS: px. ARGV: op, pid, score, cap (0 = this post does not trim), the recipients' home
# timeline keys as a JSON array (one argument: the client encodes a batch in one C call instead
# of packing 1000 arguments in Python; prefixed there, as a Lua concatenation per key costs
# ~10 % of the script). Per recipient one ZADD, and, on the posts that trim, a ZREMRANGEBYRANK
# when the ZADD added: a second call on every entry would cost ~60 % more Redis CPU
# (docs/benchmarks.md). Recipients are active readers: the planner filtered them.
_WRITE = """
local op, pid, score = ARGV[1], ARGV[2], ARGV[3]
local keep = -tonumber(ARGV[4]) - 1
local rc = cjson.decode(ARGV[5])
local call = redis.call
local n = 0
if op == 'add' then
  if call('EXISTS', KEYS[1]) == 1 then return -1 end
  if keep == -1 then
    for i = 1, #rc do call('ZADD', rc[i], score, pid) end
  else
    for i = 1, #rc do
      if call('ZADD', rc[i], score, pid) == 1 then call('ZREMRANGEBYRANK', rc[i], 0, keep) end
    end
  end
  n = #rc
else
  for i = 1, #rc do n = n + call('ZREM', rc[i], pid) end
end
return n
"""

# Frees the home timelines of followers found inactive at fan-out, unless they became active
# meanwhile (a read regenerates the timeline, then sets act: an unconditional UNLINK could race
# with it and drop the fresh timeline). ARGV: the user ids.
_FREE = """
local n = 0
for i = 1, #ARGV do
  local tl = 'tl:' .. ARGV[i]
  if redis.call('EXISTS', tl) == 1 and redis.call('EXISTS', 'act:' .. ARGV[i]) == 0 then
    n = n + redis.call('UNLINK', tl)
  end
end
return n
"""

# KEYS: pm, px, pc, ut. ARGV: pid, ttl.
_DELETE = """
local mode = redis.call('GET', KEYS[1]) or ''
redis.call('SET', KEYS[2], '1', 'EX', ARGV[2])
redis.call('DEL', KEYS[3])
redis.call('ZREM', KEYS[4], ARGV[1])
return mode
"""

# KEYS: fw, act, tl. ARGV: followee, cap, then score/member pairs to backfill.
_FOLLOW = """
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('SADD', KEYS[1], ARGV[1]) end
if redis.call('EXISTS', KEYS[2]) == 0 or #ARGV < 4 then return 0 end
local cap = tonumber(ARGV[2])
local args = {}
for i = 3, #ARGV do args[#args+1] = ARGV[i] end
redis.call('ZADD', KEYS[3], unpack(args))
local card = redis.call('ZCARD', KEYS[3])
if card > cap then redis.call('ZREMRANGEBYRANK', KEYS[3], 0, card - cap - 1) end
return #args / 2
"""

# KEYS: fw, tl, ut(followee). ARGV: followee.
_UNFOLLOW = """
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('SREM', KEYS[1], ARGV[1]) end
local members = redis.call('ZRANGE', KEYS[3], 0, -1)
local n = 0
for i = 1, #members, 500 do
  n = n + redis.call('ZREM', KEYS[2], unpack(members, i, math.min(i + 499, #members)))
end
return n
"""

# KEYS: tl, tmp, act, then the followees' ut keys. ARGV: cap, act ttl.
_REGENERATE = """
if #KEYS > 3 then
  local srcs = {}
  for i = 4, #KEYS do srcs[#srcs+1] = KEYS[i] end
  redis.call('ZUNIONSTORE', KEYS[2], #srcs, unpack(srcs))
  -- ZRANGESTORE writes a fresh key sized for its result, so it comes out as a listpack
  redis.call('ZRANGESTORE', KEYS[1], KEYS[2], 0, tonumber(ARGV[1]) - 1, 'REV')
  redis.call('DEL', KEYS[2])
else
  redis.call('DEL', KEYS[1])
end
redis.call('SET', KEYS[3], '1', 'EX', ARGV[2])
return redis.call('ZCARD', KEYS[1])
"""

# One page round, server-side, in one round trip: the bounded merge (newest-first ids below a
# cursor from several zsets, at most `limit` from each, k-way merged and deduplicated), then the
# hydration of the merged ids (bodies, tombstones) and of their authors (profiles, and whether
# the reader follows them). KEYS: the source zsets. ARGV: max score ('+inf' without cursor),
# cursor id ('' without), limit, page owner, '1' to check the owner's followee set.
# Returns {ids, per key (card, count, last id), bodies, tombstones, authors, profiles, follows}.
# Ids compare as strings (length, then bytes): Lua numbers are doubles.
_ROUND = """
local maxs, cur, limit, owner, home = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4], ARGV[5]
local function older(a, b)
  if #a ~= #b then return #a < #b end
  return a < b
end
local lists, pos, meta = {}, {}, {}
for k = 1, #KEYS do
  local got, offset = {}, 0
  while #got < limit do
    local chunk = redis.call('ZRANGE', KEYS[k], maxs, '-inf', 'BYSCORE', 'REV',
                             'LIMIT', offset, limit + 4)
    for _, m in ipairs(chunk) do
      if #got < limit and (cur == '' or older(m, cur)) then got[#got+1] = m end
    end
    if #chunk < limit + 4 then break end
    offset = offset + #chunk
  end
  lists[k] = got; pos[k] = 1
  meta[#meta+1] = redis.call('ZCARD', KEYS[k]); meta[#meta+1] = #got
  meta[#meta+1] = got[#got] or ''
end
-- k-way merge of the sorted runs: limit * #KEYS comparisons, no sort
local out, prev = {}, nil
while #out < limit do
  local best, bk = nil, 0
  for k = 1, #lists do
    local m = lists[k][pos[k]]
    if m and (best == nil or older(best, m)) then best = m; bk = k end
  end
  if best == nil then break end
  pos[bk] = pos[bk] + 1
  if best ~= prev then out[#out+1] = best; prev = best end
end
local bodies, tombs = {}, {}
local authors, seen = {owner}, {[owner] = true}
if #out > 0 then
  local pk, xk = {}, {}
  for i, m in ipairs(out) do pk[i] = 'pc:' .. m; xk[i] = 'px:' .. m end
  bodies = redis.call('MGET', unpack(pk))
  tombs = redis.call('MGET', unpack(xk))
  for i, b in ipairs(bodies) do
    if b and not tombs[i] then
      local ok, d = pcall(cjson.decode, b)
      if ok and type(d) == 'table' and type(d.a) == 'string' and not seen[d.a] then
        seen[d.a] = true; authors[#authors+1] = d.a
      end
    end
  end
end
local uk = {}
for i, a in ipairs(authors) do uk[i] = 'up:' .. a end
local profiles = redis.call('MGET', unpack(uk))
local follows = {}
if home == '1' then follows = redis.call('SMISMEMBER', 'fw:' .. owner, unpack(authors)) end
return {out, meta, bodies, tombs, authors, profiles, follows}
"""


@dataclass(frozen=True)
class NewPost:
    post_id: int
    author_id: str
    text: str
    created_ms: int
    media: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True)
class Recorded:
    """What RECORD saw: a mode already decided (or None), or that the post is deleted."""

    gone: bool
    mode: Mode | None
    posts_in_window: int
    window_span_ms: int


@dataclass(frozen=True)
class ReaderState:
    pull_authors: list[str]
    active: bool
    followees_cached: bool


@dataclass(frozen=True)
class Round:
    """One page round (``RedisTimelines.round``)."""

    merged: list[int]
    runs: list[SourceRun]
    live: dict[int, Post]  # cached bodies of merged ids
    dead: set[int]  # merged ids with a tombstone
    missing: list[int]  # merged ids to fetch from the store
    follows: set[str]  # authors (of ``live``) the reader follows, for home reads
    profiles: dict[str, User]  # cached profiles of those authors and of the page owner
    seen: frozenset[str]  # the authors looked up (owner included)


def tl_key(uid: str) -> str:
    return f"tl:{uid}"


def ut_key(uid: str) -> str:
    return f"ut:{uid}"


def _s(v: bytes | str) -> str:
    return v.decode() if isinstance(v, bytes) else v


def _body(p: Post | NewPost) -> str:
    author = p.author_id
    created = p.created_ms
    body: dict[str, Any] = {"a": author, "t": p.text, "c": created}
    if p.media:  # most posts have none: keep their cached body as small as before
        body["m"] = list(p.media)
    return json.dumps(body, separators=(",", ":"))


def _post(pid: int, body: bytes) -> Post:
    d = json.loads(body)
    return Post(
        id=pid, author_id=d["a"], text=d["t"], created_ms=int(d["c"]),
        media=tuple(d.get("m") or ()),
    )  # fmt: skip


def _split_cached(
    rows: Iterable[tuple[int, bytes | None, bytes | None]],
) -> tuple[dict[int, Post], set[int], list[int]]:
    """(live posts, deleted ids, ids the cache lacks) from (id, cached body, tombstone) rows."""
    live: dict[int, Post] = {}
    dead: set[int] = set()
    missing: list[int] = []
    for pid, body, tomb in rows:
        if tomb is not None:
            dead.add(pid)
        elif body is None:
            missing.append(pid)
        else:
            live[pid] = _post(pid, body)
    return live, dead, missing


def _user(uid: str, raw: bytes) -> User:
    d = json.loads(raw)
    return User(id=uid, handle=d["h"], display_name=d["d"])


class RedisTimelines:
    def __init__(self, client: redis.Redis[bytes], settings: Settings) -> None:
        self.r = client
        self.s = settings
        self._record = client.register_script(_RECORD)
        self._commit = client.register_script(_COMMIT)
        self._write = client.register_script(_WRITE)
        self._free = client.register_script(_FREE)
        self._delete = client.register_script(_DELETE)
        self._follow = client.register_script(_FOLLOW)
        self._unfollow = client.register_script(_UNFOLLOW)
        self._regenerate = client.register_script(_REGENERATE)
        self._round = client.register_script(_ROUND)

    @property
    def cap(self) -> int:
        return self.s.timeline_cap

    @property
    def act_ttl(self) -> int:
        return max(1, self.s.inactive_days) * 86400

    # ---- planner -------------------------------------------------------------------------

    def record_posts(self, posts: Sequence[NewPost]) -> list[Recorded]:
        """Add posts to their authors' timelines and the body cache; report each author's pace.

        Posts are processed in order, so several posts of one author in one call each see the
        ones before them, exactly as if they had arrived one by one.
        """
        keys: list[str] = []
        args: list[Any] = [self.cap, self.s.burst_window_seconds * 1000, POST_CACHE_TTL_S]
        for p in posts:
            keys += [ut_key(p.author_id), f"pm:{p.post_id}", f"px:{p.post_id}", f"pc:{p.post_id}"]
            args += [p.post_id, ids.timestamp_ms(p.post_id), _body(p)]
        raw = cast(list[Any], self._record(keys=keys, args=args))
        out = []
        for i in range(len(posts)):
            mode, count, span = _s(raw[3 * i]), int(raw[3 * i + 1]), int(raw[3 * i + 2])
            out.append(
                Recorded(
                    gone=mode == "gone",
                    mode=Mode(mode) if mode in ("push", "pull") else None,
                    posts_in_window=count,
                    window_span_ms=span,
                )
            )
        return out

    def commit_modes(self, decisions: Sequence[tuple[int, str, Mode]]) -> list[Mode]:
        """Record each (post id, author, mode) unless one is recorded already; the final modes."""
        if not decisions:
            return []
        keys = ["pullers"] + [f"pm:{pid}" for pid, _, _ in decisions]
        args: list[Any] = [MODE_TTL_S]
        for _, author, mode in decisions:
            args += [mode.value, author]
        raw = cast(list[Any], self._commit(keys=keys, args=args))
        return [Mode(_s(m)) for m in raw]

    def delete_post(self, post_id: int, author_id: str) -> Mode | None:
        """Tombstone a post, drop it from its author's timeline; its recorded mode, if any."""
        keys = [f"pm:{post_id}", f"px:{post_id}", f"pc:{post_id}", ut_key(author_id)]
        mode = _s(cast(bytes, self._delete(keys=keys, args=[post_id, MODE_TTL_S])))
        return Mode(mode) if mode in ("push", "pull") else None

    # ---- writer --------------------------------------------------------------------------

    def write_args(
        self, op: str, post_id: int, recipients: Sequence[str]
    ) -> tuple[list[str], list[Any]]:
        if op not in ("add", "remove"):
            raise ValueError(f"unknown op {op!r}")
        rc = json.dumps([f"tl:{u}" for u in recipients], separators=(",", ":"))
        cap = self.cap if trims(post_id, self.s.timeline_trim_every) else 0
        return [f"px:{post_id}"], [op, post_id, ids.timestamp_ms(post_id), cap, rc]

    def apply_batch(self, op: str, post_id: int, recipients: Sequence[str]) -> int:
        """Add (or remove) one post in many home timelines, in one server-side script run.

        Returns the number of timelines written, or -1 when the post was deleted meanwhile.
        """
        keys, args = self.write_args(op, post_id, recipients)
        return int(cast(int, self._write(keys=keys, args=args)))

    def apply_batches(self, batches: Iterable[tuple[str, int, Sequence[str]]]) -> int:
        """Several batches in one pipeline (the benchmark and rebuilds use this)."""
        pipe = self.r.pipeline(transaction=False)
        for op, pid, recipients in batches:
            keys, args = self.write_args(op, pid, recipients)
            self._write(keys=keys, args=args, client=pipe)
        return sum(max(0, int(n)) for n in pipe.execute())

    def active_among(self, uids: Sequence[str]) -> list[str]:
        """The ``uids`` who read within ``inactive_days`` (one MGET): fan-out writes only these;
        inactive ones are freed (``free_inactive``) and regenerated on their next read."""
        if not uids:
            return []
        flags = self.r.mget([f"act:{u}" for u in uids])
        return [u for u, f in zip(uids, flags, strict=True) if f is not None]

    def free_inactive(self, uids: Sequence[str]) -> int:
        """Drop the home timelines of ``uids`` that are still inactive (atomically re-checked)."""
        if not uids:
            return 0
        return int(cast(int, self._free(keys=[], args=list(uids))))

    # ---- follow graph --------------------------------------------------------------------

    def recent_entries(self, author_id: str, n: int) -> list[tuple[int, int]]:
        """(post id, score) of the author's newest ``n`` posts held in Redis."""
        raw = self.r.zrevrange(ut_key(author_id), 0, n - 1, withscores=True)
        return [(int(m), int(sc)) for m, sc in raw]

    def follow(self, follower: str, followee: str, entries: Sequence[tuple[int, int]]) -> int:
        """Add ``followee`` to the follower's followee cache and backfill ``entries``."""
        args: list[Any] = [followee, self.cap]
        for pid, score in entries:
            args += [score, pid]
        keys = [f"fw:{follower}", f"act:{follower}", tl_key(follower)]
        return int(cast(int, self._follow(keys=keys, args=args)))

    def unfollow(self, follower: str, followee: str) -> int:
        keys = [f"fw:{follower}", tl_key(follower), ut_key(followee)]
        return int(cast(int, self._unfollow(keys=keys, args=[followee])))

    def store_followees(self, uid: str, followees: Iterable[str]) -> None:
        pipe = self.r.pipeline(transaction=True)
        pipe.delete(f"fw:{uid}")
        pipe.sadd(f"fw:{uid}", SENTINEL, *followees)
        pipe.execute()

    def add_pullers(self, authors: Iterable[str]) -> None:
        authors = list(authors)
        if authors:
            self.r.sadd("pullers", *authors)

    # ---- reads ---------------------------------------------------------------------------

    def reader_state(self, uid: str) -> ReaderState:
        pipe = self.r.pipeline(transaction=False)
        pipe.sismember(f"fw:{uid}", SENTINEL)
        pipe.sinter(f"fw:{uid}", "pullers")
        # Refresh activity only if present: a lapsed reader must first be regenerated.
        pipe.set(f"act:{uid}", b"1", ex=self.act_ttl, xx=True, get=True)
        cached, pulls, active = pipe.execute()
        return ReaderState(
            pull_authors=sorted(_s(m) for m in pulls if m != b""),
            active=bool(active),
            followees_cached=bool(cached),
        )

    def followees(self, uid: str) -> frozenset[str]:
        return frozenset(_s(m) for m in self.r.smembers(f"fw:{uid}")) - {SENTINEL}

    def author_info(
        self, reader: str | None, authors: Sequence[str]
    ) -> tuple[set[str], dict[str, User]]:
        """(which ``authors`` the reader follows, their cached profiles), one round trip."""
        if not authors:
            return set(), {}
        pipe = self.r.pipeline(transaction=False)
        pipe.mget([f"up:{a}" for a in authors])
        if reader is not None:
            pipe.smismember(f"fw:{reader}", list(authors))  # type: ignore[no-untyped-call]
        res = pipe.execute()
        profiles: dict[str, User] = {}
        for a, raw in zip(authors, res[0], strict=True):
            if raw is not None:
                d = json.loads(raw)
                profiles[a] = User(id=a, handle=d["h"], display_name=d["d"])
        follows = set()
        if reader is not None:
            follows = {a for a, f in zip(authors, res[1], strict=True) if f}
        return follows, profiles

    def pull_authors_of(self, followees: Iterable[str]) -> list[str]:
        fl = list(followees)
        if not fl:
            return []
        flags = self.r.smismember("pullers", fl)  # type: ignore[no-untyped-call]
        return [a for a, f in zip(fl, flags, strict=True) if f]

    def touch(self, uid: str) -> None:
        """The user just read: keep them in fan-out for ``inactive_days`` more."""
        self.r.set(f"act:{uid}", b"1", ex=self.act_ttl)

    def round(
        self,
        keyed: Sequence[tuple[str, frozenset[str] | None]],
        before: int | None,
        limit: int,
        owner: str,
        *,
        home: bool,
        truncate_empty: bool = False,
    ) -> Round:
        """One page round in one script run: the newest ``limit`` distinct ids below ``before``
        across the (zset key, authors it holds) sources, what each source gave, the cached
        bodies and tombstones of those ids, and the profiles of their authors (and the
        ``owner``) with, for a ``home`` read, whether the owner follows each.

        ``truncate_empty``: treat an absent zset as possibly incomplete (lost with Redis).
        """
        if not keyed:
            return Round([], [], {}, set(), [], set(), {}, frozenset())
        maxs = "+inf" if before is None else str(ids.timestamp_ms(before))
        cur = "" if before is None else str(before)
        args = [maxs, cur, limit, owner, "1" if home else "0"]
        raw = cast(list[Any], self._round(keys=[k for k, _ in keyed], args=args))
        out, meta, bodies, tombs, authors, profs, follows = raw
        merged = [int(m) for m in out]
        runs = []
        for i, (_, held) in enumerate(keyed):
            card, got, last = int(meta[3 * i]), int(meta[3 * i + 1]), _s(meta[3 * i + 2])
            runs.append(
                SourceRun(
                    got=got,
                    last=int(last) if last else None,
                    asked=limit,
                    truncated=card >= self.cap or (truncate_empty and card == 0),
                    authors=held,
                )
            )
        live, dead, missing = _split_cached(zip(merged, bodies, tombs, strict=False))
        names = [_s(a) for a in authors]
        profiles = {a: _user(a, v) for a, v in zip(names, profs, strict=True) if v is not None}
        followed = {a for a, f in zip(names, follows, strict=False) if f}
        return Round(merged, runs, live, dead, missing, followed, profiles, frozenset(names))

    def sources(
        self,
        keyed: Sequence[tuple[str, frozenset[str] | None]],
        before: int | None,
        limit: int,
        *,
        truncate_empty: bool = False,
    ) -> tuple[list[int], list[SourceRun]]:
        """The merged ids, and what each (zset key, authors it holds) source gave."""
        r = self.round(keyed, before, limit, "", home=False, truncate_empty=truncate_empty)
        return r.merged, r.runs

    def cached_posts(self, post_ids: Sequence[int]) -> tuple[dict[int, Post], set[int], list[int]]:
        """(cached live posts, deleted ids, ids to fetch from the store), one round trip."""
        if not post_ids:
            return {}, set(), []
        pipe = self.r.pipeline(transaction=False)
        pipe.mget([f"pc:{p}" for p in post_ids])
        pipe.mget([f"px:{p}" for p in post_ids])
        bodies, tombs = pipe.execute()
        return _split_cached(zip(post_ids, bodies, tombs, strict=True))

    def cache_posts(self, posts: Iterable[Post]) -> None:
        pipe = self.r.pipeline(transaction=False)
        n = 0
        for p in posts:
            n += 1
            if p.deleted:
                pipe.set(f"px:{p.id}", b"1", ex=MODE_TTL_S)
            else:
                pipe.set(f"pc:{p.id}", _body(p), ex=POST_CACHE_TTL_S)
        if n:
            pipe.execute()

    def cached_profiles(self, uids: Sequence[str]) -> dict[str, User]:
        if not uids:
            return {}
        out: dict[str, User] = {}
        for uid, raw in zip(uids, self.r.mget([f"up:{u}" for u in uids]), strict=True):
            if raw is not None:
                d = json.loads(raw)
                out[uid] = User(id=uid, handle=d["h"], display_name=d["d"])
        return out

    def cache_profiles(self, users: Iterable[User]) -> None:
        pipe = self.r.pipeline(transaction=False)
        n = 0
        for u in users:
            n += 1
            body = json.dumps({"h": u.handle, "d": u.display_name}, separators=(",", ":"))
            pipe.set(f"up:{u.id}", body, ex=PROFILE_TTL_S)
        if n:
            pipe.execute()

    # ---- regeneration --------------------------------------------------------------------

    def try_lock_regeneration(self, uid: str) -> bool:
        return bool(self.r.set(f"rg:{uid}", b"1", nx=True, ex=REGEN_LOCK_S))

    def unlock_regeneration(self, uid: str) -> None:
        self.r.delete(f"rg:{uid}")

    def regenerate(self, uid: str, followees: Iterable[str]) -> int:
        """Rebuild the home timeline from the followees' own timelines; marks the user active."""
        keys = [tl_key(uid), f"tmp:rg:{uid}", f"act:{uid}"] + [ut_key(a) for a in followees]
        return int(cast(int, self._regenerate(keys=keys, args=[self.cap, self.act_ttl])))

    # ---- introspection (tests, benchmark, docs) ------------------------------------------

    def home_ids(self, uid: str) -> list[int]:
        return [int(m) for m in self.r.zrevrange(tl_key(uid), 0, -1)]

    def bytes_per_entry(self, uid: str) -> float:
        n = self.r.zcard(tl_key(uid))
        used = self.r.memory_usage(tl_key(uid)) or 0
        return float(used) / n if n else 0.0
