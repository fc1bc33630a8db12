"""Timelines in Redis (ports.TimelineStore): capped sorted sets in listpack encoding, written by
Lua scripts (shared/adapters/lua/*.lua), every key named by shared.adapters.redis_keys.

What each key holds (the keys module has the table and the hash tags; docs/timeline.md the why):

- home timeline ``tl:{uid}``: ZSET member = post id (decimal), score = its millisecond timestamp
  (``ids.timestamp_ms``: a small integer packs into a listpack, the 63-bit id would not); ties
  order by member, and same-millisecond ids have equal length, so that is id order. Capped at
  ``timeline_cap``: trimmed in bulk on the inserts of one post in ``timeline_trim_every``
  (``domain.fanout.trims``), so it may hold a few entries over the cap between trims
  (docs/timeline.md bounds how many); holds pushed posts (and backfills).
- own timeline ``ut:{uid}``: same layout, every live post of the author, capped. Pull-mode
  readers merge it; ``GET /v1/users/{id}/posts`` serves it.
- followee cache ``fw:{uid}``: SET of the reader's followees (sentinel member ``""`` tells
  "loaded" from "absent"), kept in step by follow_sync.
- ``pullers``: SET of authors who have pull-mode posts: a reader merges ``fw ∩ pullers``.
- ``pm:{pid}`` the post's fan-out mode, set once (SET NX): redelivery never flips it;
  ``px:{pid}`` tombstone of a deleted post (guards late adds, filters reads); ``pb:{pid}`` post
  body cache (JSON), hydrated with MGET.
- ``pc:{uid}`` profile card (shared.adapters.redis_cards), read by the page round.
- ``act:{uid}`` present while the user read in the last ``inactive_days``; fan-out skips (and
  frees) the home timeline of anyone without it, and their next read regenerates it.
- ``rg:{uid}`` regeneration lock.

Cross-slot accesses left for Redis Cluster (issue 19); on one Redis they are one round trip each,
which is why they are shaped so:

- ``record_posts``: the author's ``ut`` and the post's ``pm/px/pb`` (two slots per post, more
  per batch); ``delete_post``: the post's keys and the author's ``ut``.
- ``commit_modes``: the global hot ``pullers`` set and each post's ``pm``.
- ``apply_batch(es)``: the post's ``px`` and up to a batch of readers' ``tl``.
- ``active_among`` (MGET) and ``free_inactive``: many users' ``act``/``tl``.
- ``unfollow`` and ``regenerate``: the followees' ``ut`` and the reader's keys.
- ``reader_state``: SINTER of the reader's ``fw`` with the global ``pullers``.
- ``pull_authors_of``: the global ``pullers``.
- ``round``: every source's slot, every merged post's and every author's card (see round.lua);
  ``author_info``: many users' cards (a pipeline of single-key reads: fine on a cluster) and
  one SMISMEMBER.
- ``restore_author`` (the rebuild): the author's ``ut`` and ``pullers`` in one pipeline.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any, cast

import redis

from shared import ids
from shared.adapters import lua
from shared.adapters import redis_keys as keys
from shared.adapters.redis_cards import card_of
from shared.config import Settings
from shared.domain.fanout import Mode, trims
from shared.domain.model import Post, User
from shared.domain.timeline import (
    ReaderState,
    Recorded,
    Round,
    Source,
    SourceRun,
    TimelinePost,
)

POST_CACHE_TTL_S = 3 * 86400
# Longer than post-events retention (31 days): a seek-replay must still see the decision.
MODE_TTL_S = 40 * 86400
REGEN_LOCK_S = 60
SENTINEL = ""  # user ids have min length 1, so "" is never a followee


def _s(v: bytes | str) -> str:
    return v.decode() if isinstance(v, bytes) else v


def _body(p: Post | TimelinePost) -> str:
    body: dict[str, Any] = {"a": p.author_id, "t": p.text, "c": p.created_ms}
    if p.media:  # most posts have none: keep their cached body as small as before
        body["m"] = list(p.media)
    return json.dumps(body, separators=(",", ":"))


def _post(pid: int, body: bytes) -> Post:
    d = json.loads(body)
    return Post(
        id=pid, author_id=d["a"], text=d["t"], created_ms=int(d["c"]),
        media=tuple(d.get("m") or ()),
    )  # fmt: skip


def _key(src: Source) -> str:
    return keys.home(src.owner) if src.home else keys.own(src.owner)


class RedisTimelines:
    def __init__(self, client: redis.Redis[bytes], settings: Settings) -> None:
        self.r = client
        self.s = settings
        scripts = ("record", "commit", "write", "free", "delete", "follow", "unfollow")
        self._script = {n: client.register_script(lua.source(n)) for n in scripts}
        self._regenerate = client.register_script(lua.source("regenerate"))
        self._round = client.register_script(lua.source("round"))

    @property
    def cap(self) -> int:
        return self.s.timeline_cap

    @property
    def act_ttl(self) -> int:
        return max(1, self.s.inactive_days) * 86400

    def _run(self, name: str, keys_: list[str], args: list[Any]) -> Any:
        return self._script[name](keys=keys_, args=args)

    # ---- planner -------------------------------------------------------------------------

    def record_posts(self, posts: Sequence[TimelinePost]) -> list[Recorded]:
        """Add posts to their authors' timelines and the body cache; report each author's pace.

        Posts are processed in order, so several posts of one author in one call each see the
        ones before them, exactly as if they had arrived one by one.
        """
        ks: list[str] = []
        args: list[Any] = [self.cap, self.s.burst_window_seconds * 1000, POST_CACHE_TTL_S]
        for p in posts:
            pid = p.post_id
            ks += [keys.own(p.author_id), keys.post_mode(pid), keys.tombstone(pid)]
            ks.append(keys.post_body(pid))
            args += [pid, ids.timestamp_ms(pid), _body(p)]
        raw = cast(list[Any], self._run("record", ks, args))
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
        ks = [keys.PULLERS] + [keys.post_mode(pid) for pid, _, _ in decisions]
        args: list[Any] = [MODE_TTL_S]
        for _, author, mode in decisions:
            args += [mode.value, author]
        raw = cast(list[Any], self._run("commit", ks, args))
        return [Mode(_s(m)) for m in raw]

    def delete_post(self, post_id: int, author_id: str) -> Mode | None:
        """Tombstone a post, drop it from its author's timeline; its recorded mode, if any."""
        ks = [keys.post_mode(post_id), keys.tombstone(post_id), keys.post_body(post_id)]
        ks.append(keys.own(author_id))
        mode = _s(cast(bytes, self._run("delete", ks, [post_id, MODE_TTL_S])))
        return Mode(mode) if mode in ("push", "pull") else None

    def active_among(self, uids: Sequence[str]) -> list[str]:
        """The ``uids`` who read within ``inactive_days`` (one MGET): fan-out writes only these;
        inactive ones are freed (``free_inactive``) and regenerated on their next read."""
        if not uids:
            return []
        flags = self.r.mget([keys.active(u) for u in uids])
        return [u for u, f in zip(uids, flags, strict=True) if f is not None]

    def free_inactive(self, uids: Sequence[str]) -> int:
        """Drop the home timelines of ``uids`` that are still inactive (atomically re-checked)."""
        if not uids:
            return 0
        ks = [k for u in uids for k in (keys.home(u), keys.active(u))]
        return int(cast(int, self._run("free", ks, [])))

    # ---- writer --------------------------------------------------------------------------

    def _write_args(
        self, op: str, post_id: int, recipients: Sequence[str]
    ) -> tuple[list[str], list[Any]]:
        if op not in ("add", "remove"):
            raise ValueError(f"unknown op {op!r}")
        ks = [keys.tombstone(post_id), *keys.homes(recipients)]
        cap = self.cap if trims(post_id, self.s.timeline_trim_every) else 0
        return ks, [op, post_id, ids.timestamp_ms(post_id), cap]

    def apply_batch(self, op: str, post_id: int, recipients: Sequence[str]) -> int:
        """Add (or remove) one post in many home timelines, in one server-side script run.

        Returns the number of timelines written, or -1 when the post was deleted meanwhile.
        """
        ks, args = self._write_args(op, post_id, recipients)
        return int(cast(int, self._run("write", ks, args)))

    def apply_batches(self, batches: Iterable[tuple[str, int, Sequence[str]]]) -> int:
        """Several batches in one pipeline (the benchmark uses this)."""
        pipe = self.r.pipeline(transaction=False)
        for op, pid, recipients in batches:
            ks, args = self._write_args(op, pid, recipients)
            self._script["write"](keys=ks, args=args, client=pipe)
        return sum(max(0, int(n)) for n in pipe.execute())

    # ---- follow graph --------------------------------------------------------------------

    def recent_entries(self, author_id: str, n: int) -> list[tuple[int, int]]:
        """(post id, score) of the author's newest ``n`` posts held in Redis."""
        raw = self.r.zrevrange(keys.own(author_id), 0, n - 1, withscores=True)
        return [(int(m), int(sc)) for m, sc in raw]

    def follow(self, follower: str, followee: str, entries: Sequence[tuple[int, int]]) -> int:
        """Add ``followee`` to the follower's followee cache and backfill ``entries``."""
        args: list[Any] = [followee, self.cap]
        for pid, score in entries:
            args += [score, pid]
        ks = [keys.followees(follower), keys.active(follower), keys.home(follower)]
        return int(cast(int, self._run("follow", ks, args)))

    def unfollow(self, follower: str, followee: str) -> int:
        ks = [keys.followees(follower), keys.home(follower), keys.own(followee)]
        return int(cast(int, self._run("unfollow", ks, [followee])))

    def store_followees(self, uid: str, followees: Iterable[str]) -> None:
        # MULTI over one key: one slot.
        pipe = self.r.pipeline(transaction=True)
        pipe.delete(keys.followees(uid))
        pipe.sadd(keys.followees(uid), SENTINEL, *followees)
        pipe.execute()

    # ---- reads ---------------------------------------------------------------------------

    def reader_state(self, uid: str) -> ReaderState:
        pipe = self.r.pipeline(transaction=False)
        pipe.sismember(keys.followees(uid), SENTINEL)
        pipe.sinter(keys.followees(uid), keys.PULLERS)
        # Refresh activity only if present: a lapsed reader must first be regenerated.
        pipe.set(keys.active(uid), b"1", ex=self.act_ttl, xx=True, get=True)
        cached, pulls, active = pipe.execute()
        return ReaderState(
            pull_authors=sorted(_s(m) for m in pulls if m != b""),
            active=bool(active),
            followees_cached=bool(cached),
        )

    def followees(self, uid: str) -> frozenset[str]:
        return frozenset(_s(m) for m in self.r.smembers(keys.followees(uid))) - {SENTINEL}

    def author_info(
        self, reader: str | None, authors: Sequence[str]
    ) -> tuple[set[str], dict[str, User]]:
        """(which ``authors`` the reader follows, their profile cards), one round trip."""
        if not authors:
            return set(), {}
        pipe = self.r.pipeline(transaction=False)
        for a in authors:
            pipe.hmget(keys.card(a), ["h", "d", "a"])
        if reader is not None:
            pipe.smismember(keys.followees(reader), list(authors))  # type: ignore[no-untyped-call]
        res = pipe.execute()
        cards = {}
        for a, fields in zip(authors, res[: len(authors)], strict=True):
            c = card_of(a, fields)
            if c is not None:
                cards[a] = c
        follows = set()
        if reader is not None:
            follows = {a for a, f in zip(authors, res[-1], strict=True) if f}
        return follows, cards

    def pull_authors_of(self, followees: Iterable[str]) -> list[str]:
        fl = list(followees)
        if not fl:
            return []
        flags = self.r.smismember(keys.PULLERS, fl)  # type: ignore[no-untyped-call]
        return [a for a, f in zip(fl, flags, strict=True) if f]

    def touch(self, uid: str) -> None:
        """The user just read: keep them in fan-out for ``inactive_days`` more."""
        self.r.set(keys.active(uid), b"1", ex=self.act_ttl)

    def round(
        self,
        sources: Sequence[Source],
        before: int | None,
        limit: int,
        owner: str,
        *,
        home: bool,
        truncate_empty: bool = False,
    ) -> Round:
        """One page round in one script run: the newest ``limit`` distinct ids below ``before``
        across the sources, what each source gave, the cached bodies and tombstones of those
        ids, and the profile cards of their authors (and the ``owner``) with, for a ``home``
        read, whether the owner follows each.

        ``truncate_empty``: treat an absent zset as possibly incomplete (lost with Redis).
        """
        if not sources:
            return Round([], [])
        maxs = "+inf" if before is None else str(ids.timestamp_ms(before))
        cur = "" if before is None else str(before)
        ks = [_key(s) for s in sources] + [keys.card(owner), keys.followees(owner)]
        args = [maxs, cur, limit, owner, "1" if home else "0", len(sources)]
        args += [keys.POST_BODY, keys.TOMBSTONE, keys.CARD]
        raw = cast(list[Any], self._round(keys=ks, args=args))
        out, meta, bodies, tombs, authors, cards, follows = raw
        merged = [int(m) for m in out]
        runs = []
        for i, src in enumerate(sources):
            card, got, last = int(meta[3 * i]), int(meta[3 * i + 1]), _s(meta[3 * i + 2])
            runs.append(
                SourceRun(
                    got=got,
                    last=int(last) if last else None,
                    asked=limit,
                    truncated=card >= self.cap or (truncate_empty and card == 0),
                    authors=src.authors,
                )
            )
        live: dict[int, Post] = {}
        dead: set[int] = set()
        missing: list[int] = []
        for pid, body, tomb in zip(merged, bodies, tombs, strict=False):
            if tomb is not None:
                dead.add(pid)
            elif body is None:
                missing.append(pid)
            else:
                live[pid] = _post(pid, body)
        names = [_s(a) for a in authors]
        found = {}
        for a, fields in zip(names, cards, strict=True):
            c = card_of(a, fields)
            if c is not None:
                found[a] = c
        followed = {a for a, f in zip(names, follows, strict=False) if f}
        return Round(merged, runs, live, dead, missing, followed, found, frozenset(names))

    def sources(
        self, sources: Sequence[Source], before: int | None, limit: int
    ) -> tuple[list[int], list[SourceRun]]:
        """The merged ids, and what each source gave (tests and the docs use this)."""
        r = self.round(sources, before, limit, "", home=False)
        return r.merged, r.runs

    def cache_posts(self, posts: Iterable[Post]) -> None:
        pipe = self.r.pipeline(transaction=False)
        n = 0
        for p in posts:
            n += 1
            if p.deleted:
                pipe.set(keys.tombstone(p.id), b"1", ex=MODE_TTL_S)
            else:
                pipe.set(keys.post_body(p.id), _body(p), ex=POST_CACHE_TTL_S)
        if n:
            pipe.execute()

    # ---- regeneration and rebuild --------------------------------------------------------

    def try_lock_regeneration(self, uid: str) -> bool:
        return bool(self.r.set(keys.regen_lock(uid), b"1", nx=True, ex=REGEN_LOCK_S))

    def unlock_regeneration(self, uid: str) -> None:
        self.r.delete(keys.regen_lock(uid))

    def regenerate(self, uid: str, followees: Iterable[str]) -> int:
        """Rebuild the home timeline from the followees' own timelines; marks the user active."""
        ks = [keys.home(uid), keys.active(uid)] + [keys.own(a) for a in followees]
        # Entries read per source at a time: the merge reads at most cap + sources * chunk.
        chunk = max(4, min(64, -(-2 * self.cap // max(1, len(ks) - 2))))
        return int(cast(int, self._regenerate(keys=ks, args=[self.cap, self.act_ttl, chunk])))

    def restore_author(self, uid: str, posts: Sequence[Post], *, puller: bool) -> None:
        """Replace the author's own timeline with ``posts`` (the live ones), cache their bodies,
        and list the author among the pullers when ``puller`` (the rebuild runbook)."""
        live = [p for p in posts if not p.deleted]
        pipe = self.r.pipeline(transaction=False)
        pipe.delete(keys.own(uid))
        if live:
            pipe.zadd(keys.own(uid), {str(p.id): ids.timestamp_ms(p.id) for p in live})
        if puller:
            pipe.sadd(keys.PULLERS, uid)
        for p in live:
            pipe.set(keys.post_body(p.id), _body(p), ex=POST_CACHE_TTL_S)
        pipe.execute()

    # ---- introspection (tests, benchmark, docs) ------------------------------------------

    def home_ids(self, uid: str) -> list[int]:
        return [int(m) for m in self.r.zrevrange(keys.home(uid), 0, -1)]

    def bytes_per_entry(self, uid: str) -> float:
        n = self.r.zcard(keys.home(uid))
        used = self.r.memory_usage(keys.home(uid)) or 0
        return float(used) / n if n else 0.0
