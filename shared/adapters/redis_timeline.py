"""Timelines in Redis (ports.TimelineStore): capped sorted sets in listpack encoding, written by
Lua scripts (shared/adapters/lua/*.lua), every key named by shared.adapters.redis_keys.

What each key holds (the keys module has the table and the hash tags; docs/timeline.md the why):

- home timeline ``tl:{uid}``: ZSET member = post id (decimal), score = its millisecond timestamp
  (``ids.timestamp_ms``: a small integer packs into a listpack, the 63-bit id would not); ties
  order by member, and same-millisecond ids have equal length, so that is id order. Made of
  bounded pieces (lua/pieces.lua, docs/timeline.md "Pieces"): the head ``tl:{uid}`` takes the
  inserts, older entries live in ``tl:{uid}:1`` ... ``tl:{uid}:n``, each under the server's
  default listpack limit (128 entries); capped at ``timeline_cap`` when a head spills, so it
  holds at most cap + 88 entries between spills; holds pushed posts (and backfills).
- own timeline ``ut:{uid}``: same layout, every live post and repost of the author, capped;
  pieces too (``ut:{uid}:1`` ...), by the same functions, written only by scripts (no plain
  writer path). Pull-mode readers merge it; ``GET /v1/users/{id}/posts`` serves it.
- followee cache ``fw:{uid}``: SET of the reader's followees (sentinel member ``""`` tells
  "loaded" from "absent"), kept in step by follow_sync.
- ``am:{uid}``: present when the author has pull-mode posts: a reader merges the own
  timelines of the followees that have it (it replaced the global ``pullers`` set, issue 19).
- ``pm:{pid}`` the post's fan-out mode, set once (SET NX): redelivery never flips it;
  ``px:{pid}`` tombstone of a deleted post (guards late adds, filters reads); ``pb:{pid}`` post
  body cache (JSON), hydrated with MGET.
- ``pc:{uid}`` profile card (shared.adapters.redis_cards), read by the page round.
- ``act:{uid}`` present while the user read in the last ``inactive_days``; fan-out skips (and
  frees) the home timeline of anyone without it, and their next read regenerates it.
- ``rg:{uid}`` regeneration lock.

Redis Cluster (issue 19): no script or multi-key command spans two slots. Each call groups
its keys by slot (``clients.slot_of``: every key is slot 0 on a single Redis, so one group) and
sends one script or command per group, all in one pipeline: the cluster client splits a
pipeline into one round trip per node. Paths that read one slot and write another (unfollow,
regeneration, the read round's hydration) read first, merge in the client, then write. A
script's SHA unknown to a node (a new or promoted master) is loaded on every master and the
(idempotent) pipeline sent again.
"""

from __future__ import annotations

import hashlib
import heapq
import json
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Iterable, Sequence
from operator import itemgetter
from typing import Any, TypeVar, cast

import redis
from redis.exceptions import NoScriptError

from shared import ids
from shared.adapters import lua
from shared.adapters import redis_keys as keys
from shared.adapters.clients import slot_of
from shared.adapters.redis_cards import card_of
from shared.adapters.redis_engagement import engagement_of, read_fields
from shared.adapters.redis_nodes import Lanes, NodePipelines, unpack
from shared.config import Settings
from shared.domain.fanout import Mode
from shared.domain.model import Mention, Post, User
from shared.domain.reposts import MAX_ATTEMPTS, entry_id, is_repost
from shared.domain.timeline import (
    ReaderState,
    Recorded,
    RepostRound,
    Round,
    Source,
    SourceRun,
    TimelinePost,
    merge_newest,
)

T = TypeVar("T")

POST_CACHE_TTL_S = 3 * 86400
# Longer than post-events retention (31 days): a seek-replay must still see the decision.
MODE_TTL_S = 40 * 86400
REGEN_LOCK_S = 60
HEAD_SLACK = 8  # inserts a home timeline's head may take between spills (lua/pieces.lua)
HEAD_MAX = lua.constant("bounds", "HEAD_MAX")  # a head holding more spills
# A post younger than this is added to the heads with plain commands: no spill moves an entry
# younger than FRESH_KEEP_MS (lua/bounds.lua) out of a head; the 20 s between the two are
# the margin for this process's clock against the server's, and for a stalled process.
FRESH_MS = lua.constant("bounds", "FRESH_KEEP_MS") - 20_000
REPOSTERS_READ = 512  # a post with more reposters is asked for the reader's followees only
REPOSTERS_CARDS = 3  # cards read with a page's reposts, per original (newest reposters first)
SENTINEL = ""  # user ids have min length 1, so "" is never a followee
PULL_FLAG_KEEP_S = 600.0  # how long a known pull-mode author is not asked about again
PULL_FLAGS_HELD = 200_000  # authors whose flag a process remembers (then it starts afresh)
# One plain young insert in CARD_EVERY asks its head's size: a head passes the listpack limit
# (128 = HEAD_MAX + 16) only when the first asked insert past its bound comes late: 16 unasked
# in a row for a reader fed once a round, (1/2) ** 16 ~ 1.5e-5 of its spills; 9 for one fed
# by every post of full rounds (HEAD_SLACK), ~0.2 %. It is then a skiplist until the spill,
# which writes it as a listpack again.
CARD_EVERY = 2
PLAIN_MAX = 3  # a young post's recipients sharing a slot: up to this many get plain ZADDs
HEADS_HELD = 200_000  # users whose packed head key the writer remembers (then it starts afresh)
_ZADD = b"*4\r\n$4\r\nZADD\r\n"
_ZCARD = b"*2\r\n$5\r\nZCARD\r\n"
_slot_of_head = itemgetter(0)  # of a _head tuple
_GOLDEN = 0x9E3779B97F4A7C15  # Fibonacci hashing: a post id's high product bits are well mixed


def _s(v: bytes | str) -> str:
    return v.decode() if isinstance(v, bytes) else v


def _body(p: Post | TimelinePost) -> str:
    body: dict[str, Any] = {"a": p.author_id, "t": p.text, "c": p.created_ms}
    if p.media:  # most posts have none: keep their cached body as small as before
        body["m"] = list(p.media)
    if p.reply_to is not None:  # likewise for replies: parent, root, parent's author
        body["r"], body["o"], body["ra"] = p.reply_to, p.root_id, p.reply_to_author_id
    if p.mentions:  # [start, end, user id (null: an erased account)] each
        body["n"] = [[m.start, m.end, m.user_id] for m in p.mentions]
    return json.dumps(body, separators=(",", ":"))


def _post(pid: int, body: bytes) -> Post:
    d = json.loads(body)
    return Post(
        id=pid, author_id=d["a"], text=d["t"], created_ms=int(d["c"]),
        media=tuple(d.get("m") or ()),
        reply_to=d.get("r"), root_id=d.get("o"), reply_to_author_id=d.get("ra"),
        mentions=tuple(
            Mention(int(m[0]), int(m[1]), None if m[2] is None else str(m[2]))
            for m in d.get("n") or ()
        ),
    )  # fmt: skip


def _pointer(post_id: int, reposter: str, reposted_ms: int) -> str:
    """A repost entry's ``pb``: which post it shows and who reposted it (unique per repost)."""
    return json.dumps({"r": str(post_id), "u": reposter, "t": reposted_ms}, separators=(",", ":"))


def _note_repost(
    entry: int, body: bytes | None, out: dict[int, tuple[int, str]], dead: set[int]
) -> str | None:
    """Record a merged repost entry's original and reposter; its reposter, or None (dead)."""
    d = json.loads(body) if body is not None else None
    if not isinstance(d, dict) or "r" not in d:
        dead.add(entry)  # its pointer is gone: the entry cannot be shown
        return None
    out[entry] = (int(d["r"]), str(d["u"]))
    return str(d["u"])


def _bound(v: bytes | str) -> tuple[int, int]:
    """A ``rs``/``rx`` value "<ms> <entry>" (entry 0 when none)."""
    ms, _, entry = _s(v).partition(" ")
    return int(ms), int(entry or 0)


def _repost_marks(uid: str) -> tuple[str, str]:
    """The keys that describe the reposts in ``home(uid)``: they go when it goes."""
    return keys.home_reposts(uid), keys.held_reposts(uid)


def _key(src: Source) -> str:
    return keys.home(src.owner) if src.home else keys.own(src.owner)


class RedisTimelines:
    SCRIPTS = ("record_post", "record_author", "commit", "write", "free", "delete", "follow",
               "unfollow", "regenerate", "round", "repost_find", "repost_claim", "repost_bind",
               "repost_remove", "repost_original", "write_repost", "pieces_put",
               "pieces_remove", "pieces_read", "pieces_store")  # fmt: skip

    def __init__(self, client: redis.Redis[bytes], settings: Settings) -> None:
        self.r = client
        self.s = settings
        self._slot = slot_of(client)
        self._nodes = NodePipelines(client)
        self._wait = (
            (settings.redis_wait_replicas, settings.redis_wait_ms)
            if settings.redis_wait_replicas > 0
            else None
        )
        # author -> (pull mode?, until when that answer holds): pull_authors_of's cache
        self._pull_flags: dict[str, tuple[bool, float]] = {}
        self._heads: dict[str, tuple[int, bytes, bytes]] = {}  # _head's memory
        self._script = {n: client.register_script(lua.source(n)) for n in self.SCRIPTS}
        self._sha = {n: hashlib.sha1(lua.source(n).encode()).hexdigest() for n in self.SCRIPTS}
        # The read round reads each post's engagement with its body (devstack's benchmark turns
        # it off for its baseline: the page as it was before counts existed).
        self.hydrate_engagement = True

    @property
    def cap(self) -> int:
        return self.s.timeline_cap

    @property
    def pieces(self) -> int:
        """Piece keys per home timeline: a spill turns a head past 112 entries into piece 1 and
        keeps 24, so the pieces of a full timeline hold ~88 each; removals may leave smaller
        ones, and a spill that finds every key in use writes the timeline again in pieces of
        100."""
        return self.cap // 50 + 2

    def _home(self, uid: str) -> list[str]:
        """The home timeline's keys: its head and every piece, newest first."""
        return keys.home_pieces(uid, self.pieces)

    def _own(self, uid: str) -> list[str]:
        """The own timeline's keys: its head and every piece, newest first (as many as a home
        timeline's: the same spills make them)."""
        return keys.own_pieces(uid, self.pieces)

    def _own_entries(self, uid: str, n: int = -1) -> list[tuple[int, int]]:
        """(post id, score) of the newest ``n`` (-1: all) entries of the own timeline."""
        flat = self._run("pieces_read", self._own(uid), [0, n])
        return [(int(flat[i]), int(flat[i + 1])) for i in range(0, len(flat), 2)]

    @property
    def act_ttl(self) -> int:
        return max(1, self.s.inactive_days) * 86400

    def _run(self, name: str, keys_: list[str], args: list[Any]) -> Any:
        return self._script[name](keys=keys_, args=args)

    def _call(self, pipe: Any, name: str, keys_: Sequence[str], args: Sequence[Any]) -> None:
        """Queue script ``name`` on a pipeline as a raw EVALSHA (the cluster pipeline refuses
        Script objects; it routes EVALSHA by its keys). ``_pipelined`` loads missing scripts."""
        pipe.execute_command("EVALSHA", self._sha[name], len(keys_), *keys_, *args)

    def _by_slot(self, items: Iterable[T], key: Callable[[T], str]) -> list[list[T]]:
        """``items`` grouped by the slot of ``key(item)``, first-seen order (one group on a
        single Redis)."""
        groups: dict[int, list[T]] = defaultdict(list)
        for it in items:
            groups[self._slot(key(it))].append(it)
        return list(groups.values())

    def _load_scripts(self) -> None:
        """Every script on every master (SCRIPT LOAD is not replicated: a promoted replica or a
        new node does not know them)."""
        for n in self.SCRIPTS:
            self.r.script_load(lua.source(n))  # type: ignore[no-untyped-call]

    def _pipelined(self, fill: Callable[[Any], object], *, durable: bool = False) -> list[Any]:
        """Queue commands with ``fill(pipe)`` and send them: one plain pipeline per node, all
        nodes at once (``redis_nodes``); their replies. ``durable``: see ``_send``."""
        return self._send(fill, None, durable=durable)[0]

    def _send(
        self, fill: Callable[[Any], object], lanes: Lanes | None, *, durable: bool = False
    ) -> tuple[list[Any], list[list[int]]]:
        """``_pipelined``, with ``lanes`` sent beside: the replies of the queued commands and
        of each lane's reads. On any error (a node moved, failed or is busy, or a script
        unknown to a node) the same commands go through the client's own pipeline, which
        follows redirections and refreshes the slot map; the engine's writes are idempotent.
        ``durable`` writes (those a Pub/Sub message is acked for) return only once
        ``REDIS_WAIT_REPLICAS`` replicas of every node written hold them, else raise
        ``ReplicationLag``; after a fallback they are sent once more the fast way, to wait."""
        rec = self._nodes.recorder()
        fill(rec)
        stack = list(rec.command_stack)
        wait = self._wait if durable else None
        try:
            return self._nodes.execute(stack, lanes, wait)
        except NoScriptError:
            self._load_scripts()
            try:
                return self._nodes.execute(stack, lanes, wait)
            except redis.exceptions.RedisError:
                pass
        except redis.exceptions.RedisError:
            pass
        n = len(stack)
        for w, r in zip(lanes.writes, lanes.reads, strict=True) if lanes is not None else ():
            stack += [(unpack(b), {}) for b in (*w, *r)]
        for attempt in (0, 1):
            pipe = self.r.pipeline(transaction=False)
            for args, options in stack:
                pipe.execute_command(*args, **options)  # type: ignore[no-untyped-call]
            try:
                res: list[Any] = pipe.execute()
            except NoScriptError:
                if attempt:
                    raise
                self._load_scripts()
                continue
            if wait:  # the slot map is fresh now: the same writes again, and the wait
                return self._nodes.execute(stack[:n], lanes, wait)
            asked, at = [], n
            for w, r in zip(lanes.writes, lanes.reads, strict=True) if lanes is not None else ():
                asked.append([int(v) for v in res[at + len(w) : at + len(w) + len(r)]])
                at += len(w) + len(r)
            return res[:n], asked
        raise AssertionError("unreachable")

    def _mget(self, ks: Sequence[str]) -> list[bytes | None]:
        """MGET per slot group, in one pipeline; values in the order of ``ks``."""
        groups = self._by_slot(range(len(ks)), lambda i: ks[i])
        res = self._pipelined(
            lambda p: [p.execute_command("MGET", *(ks[i] for i in g)) for g in groups]
        )
        out: list[bytes | None] = [None] * len(ks)
        for g, vals in zip(groups, res, strict=True):
            for i, v in zip(g, vals, strict=True):
                out[i] = v
        return out

    # ---- planner -------------------------------------------------------------------------

    def record_posts(self, posts: Sequence[TimelinePost]) -> list[Recorded]:
        """Add posts to their authors' timelines and the body cache; report each author's pace.

        Posts are processed in order, so several posts of one author in one call each see the
        ones before them, exactly as if they had arrived one by one. Two pipelines: the posts'
        slots (tombstone, body, recorded mode), then the authors' (own timeline, pace).
        """
        if not posts:
            return []
        pgroups = self._by_slot(range(len(posts)), lambda i: keys.tombstone(posts[i].post_id))

        def post_side(pipe: Any) -> None:
            for g in pgroups:
                ks: list[str] = []
                args: list[Any] = [POST_CACHE_TTL_S]
                for i in g:
                    pid = posts[i].post_id
                    ks += [keys.tombstone(pid), keys.post_body(pid), keys.post_mode(pid)]
                    args.append(_body(posts[i]))
                self._call(pipe, "record_post", ks, args)

        modes: list[str] = [""] * len(posts)
        for g, res in zip(pgroups, self._pipelined(post_side, durable=True), strict=True):
            for i, m in zip(g, res, strict=True):
                modes[i] = _s(m)
        by_author: dict[str, list[int]] = defaultdict(list)
        for i, p in enumerate(posts):
            if modes[i] != "gone":
                by_author[p.author_id].append(i)
        authors = list(by_author)
        win = self.s.burst_window_seconds * 1000

        def author_side(pipe: Any) -> None:
            for a in authors:
                args: list[Any] = [self.cap, win]
                for i in by_author[a]:
                    pid = posts[i].post_id
                    args += [pid, ids.timestamp_ms(pid)]
                self._call(pipe, "record_author", self._own(a), args)

        pace: dict[int, tuple[int, int]] = {}
        if authors:
            for a, res in zip(authors, self._pipelined(author_side, durable=True), strict=True):
                for j, i in enumerate(by_author[a]):
                    pace[i] = (int(res[2 * j]), int(res[2 * j + 1]))
        out = []
        for i, mode in enumerate(modes):
            count, span = pace.get(i, (0, 0))
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
        """Record each (post id, author, mode) unless one is recorded already; the final modes.
        The authors of pull-mode posts get their ``am`` flag (their own slot)."""
        if not decisions:
            return []
        groups = self._by_slot(range(len(decisions)), lambda i: keys.post_mode(decisions[i][0]))

        def fill(pipe: Any) -> None:
            for g in groups:
                ks = [keys.post_mode(decisions[i][0]) for i in g]
                args: list[Any] = [MODE_TTL_S] + [decisions[i][2].value for i in g]
                self._call(pipe, "commit", ks, args)

        final: list[Mode] = [Mode.PUSH] * len(decisions)
        for g, res in zip(groups, self._pipelined(fill, durable=True), strict=True):
            for i, m in zip(g, res, strict=True):
                final[i] = Mode(_s(m))
        pullers = sorted({decisions[i][1] for i, m in enumerate(final) if m == Mode.PULL})
        if pullers:
            self._pipelined(
                lambda p: [p.set(keys.author_mode(a), b"1") for a in pullers], durable=True
            )
            self._note_pullers(pullers)
        return final

    def delete_post(self, post_id: int, author_id: str) -> Mode | None:
        """Tombstone a post, drop it from its author's timeline; its recorded mode, if any.
        One pipeline: the post's slot and the author's (every piece), a script each."""
        ks = [keys.post_mode(post_id), keys.tombstone(post_id), keys.post_body(post_id)]

        def fill(pipe: Any) -> None:
            self._call(pipe, "delete", ks, [MODE_TTL_S])
            self._call(pipe, "pieces_remove", self._own(author_id), [self.pieces, post_id])

        mode = _s(cast(bytes, self._pipelined(fill, durable=True)[0]))
        return Mode(mode) if mode in ("push", "pull") else None

    def active_among(self, uids: Sequence[str]) -> list[str]:
        """The ``uids`` who read within ``inactive_days`` (one MGET per slot group, pipelined):
        fan-out writes only these; inactive ones are freed (``free_inactive``) and regenerated
        on their next read."""
        if not uids:
            return []
        flags = self._mget([keys.active(u) for u in uids])
        return [u for u, f in zip(uids, flags, strict=True) if f is not None]

    def free_inactive(self, uids: Sequence[str]) -> int:
        """Drop the home timelines of ``uids`` that are still inactive (atomically re-checked
        per user)."""
        if not uids:
            return 0
        groups = self._by_slot(uids, keys.home)

        def fill(pipe: Any) -> None:
            for g in groups:
                ks = [k for u in g for k in (keys.active(u), *_repost_marks(u), *self._home(u))]
                self._call(pipe, "free", ks, [self.pieces])

        return sum(int(n) for n in self._pipelined(fill))

    # ---- writer --------------------------------------------------------------------------

    def _queue_write(
        self, pipe: Any, op: str, post_id: int, groups: list[list[str]], young: bool
    ) -> None:
        """Per slot group: adds go to the heads alone (write.lua, the hot path; a young post
        skips its head check, ARGV[4]), removals to every piece (pieces_remove.lua)."""
        if op == "add":
            args = [post_id, ids.timestamp_ms(post_id), self.cap, 1 if young else 0]
            for g in groups:
                self._call(pipe, "write", keys.homes(g), args)
        else:
            for g in groups:
                ks = [k for u in g for k in self._home(u)]
                self._call(pipe, "pieces_remove", ks, [self.pieces, post_id])

    def _head(self, uid: str) -> tuple[int, bytes, bytes]:
        """The slot of ``uid``'s home timeline head, a ZADD to it packed up to its score, and a
        ZCARD of it packed: remembered, as the writer packs a command per recipient on a
        cluster."""
        h = self._heads.get(uid)
        if h is None:
            if len(self._heads) >= HEADS_HELD:
                self._heads.clear()
            k = keys.home(uid)
            kb = k.encode()
            frag = b"$%d\r\n%b\r\n" % (len(kb), kb)
            h = self._heads[uid] = (self._slot(k), _ZADD + frag, _ZCARD + frag)
        return h

    def _young_add(self, post_id: int, recipients: Sequence[str], lanes: Lanes) -> list[list[str]]:
        """A young post (``FRESH_MS``) has its place in the head: a recipient whose slot holds
        at most ``PLAIN_MAX`` of the post's recipients (on a cluster, every one as a rule) gets
        a plain ZADD, packed here into its master's lane (a script run costs a cluster node
        ~3 µs before its first command, worth paying only for a batch; packing through
        redis-py's objects ~10 µs of this client's CPU a recipient). One in ``CARD_EVERY`` of
        them (chosen by post and slot: a redelivery chooses alike) also gets a ZCARD, tagged
        by the recipient, which tells whether the head passed its bound and must spill; every
        one when the cap fits in a head, so a small timeline is cut exactly. Returns the slot
        groups of more recipients (on a single Redis: all of them, one slot), which get
        write.lua, whose head check a young post skips."""
        heads = self._heads
        for u in [u for u in recipients if u not in heads]:
            self._head(u)
        hs = list(map(heads.__getitem__, recipients))
        crowded = {s for s, n in Counter(map(_slot_of_head, hs)).items() if n > PLAIN_MAX}
        ms = ids.timestamp_ms(post_id)
        m, p = b"%d" % ms, b"%d" % post_id
        tail = b"$%d\r\n%b\r\n$%d\r\n%b\r\n" % (len(m), m, len(p), p)
        every = CARD_EVERY if self.cap > HEAD_MAX else 1
        salt = (post_id * _GOLDEN >> 40) & 0xFFFF  # a post's own mix of which slots are asked
        index, writes, reads, tags = lanes.index, lanes.writes, lanes.reads, lanes.tags
        shared: dict[int, list[str]] = {}
        for u, (s, zadd, zcard) in zip(recipients, hs, strict=True):
            if s in crowded:
                shared.setdefault(s, []).append(u)
                continue
            n = index[s]
            if n < 0:
                n = lanes.lane(s)
            writes[n].append(zadd + tail)
            if not (s ^ salt) % every:
                reads[n].append(zcard)
                tags[n].append(u)  # the reader alone: a spill needs no post (no tuple to collect)
        return list(shared.values())

    def _settle(self, done: Sequence[tuple[str, int, list[str], Any]]) -> int:
        """The timelines written by ``done`` (op, post, slot group, what its script returned),
        after the follow-up of the adds (one pipeline): the recipients whose head does not
        cover the post (it is older than the head's lowest entry: it may be in a piece, or
        belong there) get it the slow way, heads past their bound spill into pieces; both by
        pieces_put.lua, one run per slot group, with that group's piece keys."""
        total = 0
        todo: list[tuple[list[str], list[Any]]] = []
        for op, pid, g, res in done:
            if op != "add":
                total += max(0, int(res))
                continue
            if isinstance(res, int):  # every head covered the post, none past its bound
                total += res
                continue
            total += int(res[0])
            slow, full = [g[int(i) - 1] for i in res[1]], [g[int(i) - 1] for i in res[2]]
            if slow:
                todo.append((slow, [self.pieces, self.cap, ids.timestamp_ms(pid), pid]))
            if full:
                todo.append((full, [self.pieces, self.cap]))
        if todo:

            def fill(pipe: Any) -> None:
                for us, args in todo:
                    self._call(pipe, "pieces_put", [k for u in us for k in self._home(u)], args)

            self._pipelined(fill, durable=True)
        return total

    def apply_batch(self, op: str, post_id: int, recipients: Sequence[str]) -> int:
        """Add (or remove) one post in many home timelines: one script run per slot group of
        recipients (one on a single Redis), one pipeline.

        Returns the number of timelines written, or -1 when the post was deleted meanwhile.
        """
        return self.apply_batches([(op, post_id, recipients)], deleted_as=-1)

    def apply_batches(
        self, batches: Iterable[tuple[str, int, Sequence[str]]], *, deleted_as: int = 0
    ) -> int:
        """Several batches: the tombstones of the added posts (one pipeline), then every slot
        group of every batch of a live post in one pipeline (the benchmark uses this)."""
        todo = []
        for op, pid, recipients in batches:
            if op not in ("add", "remove"):
                raise ValueError(f"unknown op {op!r}")
            todo.append((op, pid, recipients))
        adds = [pid for op, pid, _ in todo if op == "add"]
        gone: set[int] = set()
        if adds:
            flags = self._pipelined(lambda p: [p.exists(keys.tombstone(x)) for x in adds])
            gone = {pid for pid, f in zip(adds, flags, strict=True) if f}
        live = [(op, pid, rs) for op, pid, rs in todo if not (op == "add" and pid in gone)]
        n = deleted_as if gone else 0
        # A head checked at every insert takes at most HEAD_SLACK more before its spill (its
        # bound is 112, the listpack limit 128), so many batches go in rounds, each settled
        # before the next.
        for i in range(0, len(live), HEAD_SLACK):
            n += self._write_round(live[i : i + HEAD_SLACK])
        return n

    def _write_round(self, live: Sequence[tuple[str, int, Sequence[str]]]) -> int:
        """Every slot group of every batch in one pipeline (per node), then their follow-up."""
        now = time.time() * 1000
        lanes = Lanes(self._nodes)
        grouped: list[tuple[str, int, list[list[str]], bool]] = []
        for op, pid, rs in live:
            if op == "add" and ids.timestamp_ms(pid) > now - FRESH_MS:
                grouped.append((op, pid, self._young_add(pid, rs, lanes), True))
            else:
                grouped.append((op, pid, self._by_slot(rs, keys.home), False))

        def fill(pipe: Any) -> None:
            for op, pid, groups, young in grouped:
                self._queue_write(pipe, op, pid, groups, young)

        res, asked = self._send(fill, lanes, durable=True)
        scripts = iter(res)
        done: list[tuple[str, int, list[str], Any]] = [
            (op, pid, g, next(scripts)) for op, pid, groups, _ in grouped for g in groups
        ]
        bound = min(HEAD_MAX, self.cap)
        # past the bound (or still, a follow-up having been lost): spill, once per head
        spill = {
            u
            for tags, cards in zip(lanes.tags, asked, strict=True)
            for u, c in zip(tags, cards, strict=True)
            if c > bound
        }
        done += [
            ("add", 0, g, [0, [], list(range(1, len(g) + 1))])
            for g in self._by_slot(spill, keys.home)
        ]
        # each plain ZADD wrote (added, or the post was there already: a redelivery)
        return sum(map(len, lanes.writes)) + self._settle(done)

    # ---- follow graph --------------------------------------------------------------------

    def recent_entries(self, author_id: str, n: int) -> list[tuple[int, int]]:
        """(post id, score) of the author's newest ``n`` posts held in Redis."""
        return self._own_entries(author_id, n) if n > 0 else []

    def follow(self, follower: str, followee: str, entries: Sequence[tuple[int, int]]) -> int:
        """Add ``followee`` to the follower's followee cache and backfill ``entries``."""
        args: list[Any] = [followee, self.cap]
        for pid, score in entries:
            args += [score, pid]
        ks = [keys.followees(follower), keys.active(follower), *self._home(follower)]
        return int(cast(int, self._run("follow", ks, args)))

    def unfollow(self, follower: str, followee: str) -> int:
        """Read the followee's own timeline (its slot), unmerge it from the follower's."""
        members = [m for m, _ in self._own_entries(followee)]
        ks = [keys.followees(follower), *self._home(follower)]
        return int(cast(int, self._run("unfollow", ks, [followee, *members])))

    def clear_author_from_home(self, reader: str, author: str) -> int:
        """Take the author's entries (their own timeline's: posts and reposts) out of the
        reader's home timeline, leaving the followee cache alone: a mute or block (issue 21,
        Mastodon's clear_from_home). Reads still filter, for entries that arrive later."""
        members = [m for m, _ in self._own_entries(author)]
        if not members:
            return 0
        args = [self.pieces, *members]
        return int(cast(int, self._run("pieces_remove", self._home(reader), args)))

    def store_followees(self, uid: str, followees: Iterable[str]) -> None:
        # MULTI over one key: one slot.
        pipe = self.r.pipeline(transaction=True)
        pipe.delete(keys.followees(uid))
        pipe.sadd(keys.followees(uid), SENTINEL, *followees)
        pipe.execute()

    # ---- reads ---------------------------------------------------------------------------

    def reader_state(self, uid: str) -> ReaderState:
        """The reader's slot in one pipeline (followee cache, activity), then the pull-mode
        flags of the followees (one MGET per slot group, pipelined)."""

        def fill(pipe: Any) -> None:
            pipe.sismember(keys.followees(uid), SENTINEL)
            pipe.smembers(keys.followees(uid))
            # Refresh activity only if present: a lapsed reader must first be regenerated.
            pipe.set(keys.active(uid), b"1", ex=self.act_ttl, xx=True, get=True)

        cached, members, active = self._pipelined(fill)
        fl = sorted(_s(m) for m in members if m != b"")
        return ReaderState(
            pull_authors=self.pull_authors_of(fl),
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

        def fill(pipe: Any) -> None:
            for a in authors:
                pipe.hmget(keys.card(a), ["h", "d", "a"])
            if reader is not None:
                pipe.smismember(keys.followees(reader), list(authors))

        res = self._pipelined(fill)
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
        now = time.monotonic()
        known = self._pull_flags
        ask = [a for a in fl if known.get(a, (False, 0.0))[1] <= now]
        if ask:
            flags = self._mget([keys.author_mode(a) for a in ask])
            fresh = now + self.s.pull_flag_cache_ms / 1000
            if len(known) + len(ask) > PULL_FLAGS_HELD:
                known.clear()
            for a, f in zip(ask, flags, strict=True):
                # a pull-mode flag is never unset: a yes is kept; a no only briefly
                known[a] = (True, now + PULL_FLAG_KEEP_S) if f is not None else (False, fresh)
        return [a for a in fl if known.get(a, (False, 0.0))[0]]

    def _note_pullers(self, authors: Iterable[str]) -> None:
        """This process set these authors' pull-mode flags: its own readers see them at once."""
        until = time.monotonic() + PULL_FLAG_KEEP_S
        for a in authors:
            self._pull_flags[a] = (True, until)

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
        viewer: str | None = None,
    ) -> Round:
        """One page round in one script run: the newest ``limit`` distinct ids below ``before``
        across the sources, what each source gave, the cached bodies and tombstones of those
        ids, and the profile cards of their authors (and the ``owner``) with, for a ``home``
        read, whether the owner follows each.

        ``truncate_empty``: treat an absent zset as possibly incomplete (lost with Redis).
        ``viewer``: whose liked/reposted flags the engagement carries (default the owner).
        """
        if not sources:
            return Round([], [])
        maxs = "+inf" if before is None else str(ids.timestamp_ms(before))
        cur = "" if before is None else str(before)
        # 1. the bounded read of each source: one script per slot group, one pipeline
        groups = self._by_slot(range(len(sources)), lambda i: _key(sources[i]))

        def read(pipe: Any) -> None:
            for g in groups:
                per = [self._source_keys(sources[i]) for i in g]
                ks = [k for p in per for k in p]
                self._call(pipe, "round", ks, [maxs, cur, limit, *(len(p) for p in per)])

        got: list[list[int]] = [[] for _ in sources]
        card: list[int] = [0] * len(sources)
        for g, res in zip(groups, self._pipelined(read), strict=True):
            for j, i in enumerate(g):
                card[i] = int(res[2 * j])
                got[i] = [int(m) for m in res[2 * j + 1]]
        runs = [
            SourceRun(
                got=len(got[i]),
                last=got[i][-1] if got[i] else None,
                asked=limit,
                truncated=card[i] >= self.cap or (truncate_empty and card[i] == 0),
                authors=src.authors,
            )
            for i, src in enumerate(sources)
        ]
        # 2. the merge, in the client
        merged = merge_newest(got, limit)
        # 3. the merged posts' bodies and tombstones (single-key reads, one pipeline)
        #    and their engagement for the owner (counts, liked/reposted by the owner): the
        #    same round trip, one HMGET more per post
        bodies: list[Any] = []
        eng_fields = read_fields(viewer or owner or None)
        if merged:

            def hydrate(pipe: Any) -> None:
                for pid in merged:
                    pipe.get(keys.post_body(pid))
                    pipe.get(keys.tombstone(pid))
                    if self.hydrate_engagement:
                        pipe.hmget(keys.engagement(pid), eng_fields)

            bodies = self._pipelined(hydrate)
        live: dict[int, Post] = {}
        dead: set[int] = set()
        missing: list[int] = []
        names, seen = [owner], {owner}
        engagement = {}
        per = 3 if self.hydrate_engagement else 2
        reposts: dict[int, tuple[int, str]] = {}
        for j, pid in enumerate(merged):
            body, tomb = bodies[per * j], bodies[per * j + 1]
            if self.hydrate_engagement:
                engagement[pid] = engagement_of(bodies[per * j + 2])
            if tomb is not None:
                dead.add(pid)
            elif is_repost(pid):
                who = _note_repost(pid, body, reposts, dead)
                if who is not None and who not in seen:
                    seen.add(who)
                    names.append(who)
            elif body is None:
                missing.append(pid)
            else:
                live[pid] = p = _post(pid, body)
                # a reply's parent author too: the home rule asks whether the owner follows them
                for a in (p.author_id, p.reply_to_author_id):
                    if a is not None and a not in seen:
                        seen.add(a)
                        names.append(a)

        # 4. their authors' cards and (home) whether the owner follows each
        def people(pipe: Any) -> None:
            for a in names:
                pipe.hmget(keys.card(a), ["h", "d", "a"])
            if home:
                pipe.smismember(keys.followees(owner), names)

        res = self._pipelined(people)
        found = {}
        for a, fields in zip(names, res[: len(names)], strict=True):
            c = card_of(a, fields)
            if c is not None:
                found[a] = c
        followed = {a for a, f in zip(names, res[len(names)], strict=True) if f} if home else set()
        return Round(
            merged, runs, live, dead, missing, followed, found, frozenset(names),
            engagement=engagement, reposts=reposts,
        )  # fmt: skip

    def _source_keys(self, src: Source) -> list[str]:
        return self._home(src.owner) if src.home else self._own(src.owner)

    def sources(
        self, sources: Sequence[Source], before: int | None, limit: int
    ) -> tuple[list[int], list[SourceRun]]:
        """The merged ids, and what each source gave (tests and the docs use this)."""
        r = self.round(sources, before, limit, "", home=False)
        return r.merged, r.runs

    def cache_posts(self, posts: Iterable[Post]) -> None:
        ps = list(posts)

        def fill(pipe: Any) -> None:
            for p in ps:
                if p.deleted:
                    pipe.set(keys.tombstone(p.id), b"1", ex=MODE_TTL_S)
                else:
                    pipe.set(keys.post_body(p.id), _body(p), ex=POST_CACHE_TTL_S)

        if ps:
            self._pipelined(fill)

    # ---- regeneration and rebuild --------------------------------------------------------

    def try_lock_regeneration(self, uid: str) -> bool:
        return bool(self.r.set(keys.regen_lock(uid), b"1", nx=True, ex=REGEN_LOCK_S))

    def unlock_regeneration(self, uid: str) -> None:
        self.r.delete(keys.regen_lock(uid))

    def regenerate(self, uid: str, followees: Iterable[str]) -> int:
        """Rebuild the home timeline from the followees' own timelines; marks the user active.

        The followees' timelines are read a chunk at a time (pipelined: one round trip per
        node), merged in the client, and only the sources that may still reach the newest
        ``cap`` are read further; at most about cap + sources * chunk entries are read. Then
        one script on the user's slot stores the result: the newest ``cap``, ties by member.
        """
        srcs = list(dict.fromkeys(followees))
        cap = self.cap
        chunk = max(4, min(64, -(-2 * cap // max(1, len(srcs)))))
        got: dict[str, list[tuple[int, int]]] = {a: [] for a in srcs}
        need = list(srcs)
        top: list[tuple[int, int]] = []
        while need:
            asked = [(a, len(got[a])) for a in need]

            def fill(pipe: Any, asked: list[tuple[str, int]] = asked, n: int = chunk) -> None:
                for a, off in asked:  # one own timeline's pieces read as one ranked list
                    self._call(pipe, "pieces_read", self._own(a), [off, n])

            done = set()
            for (a, _), flat in zip(asked, self._pipelined(fill), strict=True):
                got[a] += [(int(flat[i + 1]), int(flat[i])) for i in range(0, len(flat), 2)]
                if len(flat) < 2 * chunk:
                    done.add(a)
            top = heapq.nlargest(cap, {e for es in got.values() for e in es})
            floor = top[-1] if len(top) >= cap else None
            need = [
                k for k in need
                if k not in done and got[k] and (floor is None or got[k][-1] > floor)
            ]  # fmt: skip
            chunk *= 2
        return self.store_home(uid, top)

    def store_home(self, uid: str, entries: Sequence[tuple[int, int]]) -> int:
        """Replace the home timeline by ``entries`` ((score, post id), newest first, at most the
        cap) laid out in fresh pieces, and mark the user active; how many were stored."""
        args: list[Any] = [self.act_ttl]
        for sc, m in entries:
            args += [sc, m]
        ks = [keys.active(uid), *_repost_marks(uid), *self._home(uid)]
        return int(cast(int, self._run("regenerate", ks, args)))

    def restore_author(self, uid: str, posts: Sequence[Post], *, puller: bool) -> None:
        """Replace the author's own timeline with ``posts`` (the live ones; the newest ``cap``
        of them, laid out in fresh pieces), cache their bodies, and flag the author as
        pull-mode (``am``) when ``puller`` (the rebuild runbook)."""
        live = [p for p in posts if not p.deleted]
        newest = sorted({(ids.timestamp_ms(p.id), p.id) for p in live}, reverse=True)[: self.cap]
        entries = [v for e in newest for v in e]

        def fill(pipe: Any) -> None:
            self._call(pipe, "pieces_store", self._own(uid), entries)
            if puller:
                pipe.set(keys.author_mode(uid), b"1")
            for p in live:
                pipe.set(keys.post_body(p.id), _body(p), ex=POST_CACHE_TTL_S)

        self._pipelined(fill)
        if puller:
            self._note_pullers([uid])

    # ---- reposts (issue 20; docs/timeline.md "Reposts") ----------------------------------

    def record_repost(
        self, post_id: int, reposter: str, reposted_ms: int
    ) -> tuple[int, Recorded] | None:
        """Give a repost its entry id (bound once per (post, reposter, repost)) and add it to the
        reposter's own timeline; (entry, what recording saw), or None when the repost is to be
        dropped (the original is deleted, or an un-repost of it was seen already).

        The original's slot first (the bound entry, if any), then the candidates' slots (claim),
        the original's again (bind: two racing deliveries agree on the first), then the
        reposter's (own timeline and pace, as a post's)."""
        post_ks = [keys.reposts(post_id), keys.tombstone(post_id), keys.removed_reposts(post_id)]
        found = _s(self._run("repost_find", post_ks, [reposter, reposted_ms]))
        if found in ("gone", "removed"):
            return None
        if found:
            entry = _bound(found)[1]
        else:
            pointer = _pointer(post_id, reposter, reposted_ms)
            for attempt in range(MAX_ATTEMPTS):
                cand = entry_id(reposted_ms, post_id, reposter, attempt)
                ks = [keys.post_body(cand), keys.tombstone(cand)]
                if int(self._run("repost_claim", ks, [pointer])):
                    break
            else:
                raise RuntimeError(f"no free repost entry id for {post_id}/{reposter}")
            bound = _s(self._run("repost_bind", post_ks, [reposter, reposted_ms, cand]))
            if bound in ("gone", "removed"):
                self.r.delete(keys.post_body(cand))  # claimed for nothing: free it
                return None
            entry = _bound(bound)[1]
            if entry != cand:  # a racing delivery bound its own claim first
                self.r.delete(keys.post_body(cand))
        mode = self.r.get(keys.post_mode(entry))
        win = self.s.burst_window_seconds * 1000
        args: list[Any] = [self.cap, win, entry, ids.timestamp_ms(entry)]
        count, span = (int(x) for x in self._run("record_author", self._own(reposter), args))
        m = _s(mode) if mode is not None else ""
        return entry, Recorded(
            gone=False,
            mode=Mode(m) if m in ("push", "pull") else None,
            posts_in_window=count,
            window_span_ms=span,
        )

    def remove_repost(
        self, post_id: int, reposter: str, reposted_ms: int
    ) -> tuple[int, Mode | None] | None:
        """Un-repost: unbind the reposter's repost (made at or before ``reposted_ms``),
        tombstone its entry and drop it from the reposter's own timeline; (entry, its recorded
        mode), or None when no repost of it is known. A redelivery finds the same entry."""
        ks = [keys.reposts(post_id), keys.removed_reposts(post_id)]
        raw = _s(self._run("repost_remove", ks, [reposter, reposted_ms]))
        if not raw:
            return None
        entry = int(raw)
        return entry, self.delete_post(entry, reposter)

    def reposts_of(self, post_id: int) -> list[tuple[str, int]]:
        """Every (reposter, entry) of the post (its deletion cascades to them); the records are
        kept for the tombstone's lifetime, so a redelivered deletion finds them again."""
        ks = [keys.reposts(post_id), keys.removed_reposts(post_id)]
        pipe = self.r.pipeline(transaction=False)  # one slot: the post's
        pipe.hgetall(ks[0])
        for k in ks:
            pipe.expire(k, MODE_TTL_S)
        raw = pipe.execute()[0]
        return sorted((_s(u), _bound(v)[1]) for u, v in raw.items())

    def apply_repost_batch(
        self, op: str, entry: int, original: int, recipients: Sequence[str]
    ) -> int:
        """Add (Mastodon's de-duplication rule, write_repost.lua) or remove one repost entry in
        many home timelines; -1 when the repost was removed (or its original deleted)
        meanwhile. One script run per slot group of recipients, one pipeline."""
        if op not in ("add", "remove"):
            raise ValueError(f"unknown op {op!r}")
        if op == "add" and self.r.exists(keys.tombstone(entry)):
            return -1
        args = [op, entry, ids.timestamp_ms(entry), self.cap, original, self.pieces]
        groups = self._by_slot(recipients, keys.home)

        def fill(pipe: Any) -> None:
            for g in groups:
                ks = [
                    k
                    for u in g
                    for k in (*self._home(u), keys.home_reposts(u), keys.held_reposts(u))
                ]
                self._call(pipe, "write_repost", ks, args)

        return sum(int(n) for n in self._pipelined(fill, durable=True)) if groups else 0

    def repost_round(
        self, reader: str, originals: Sequence[int], known: Collection[str] = ()
    ) -> RepostRound:
        """The originals of a page's repost entries and who reposted them, in two pipelines:
        each original's body, tombstone and reposters (one script run per slot group) and its
        engagement for the reader (an HMGET, as the page round's),
        then which reposters the reader follows (``SMISMEMBER``, the reader's slot) with the
        profile cards not ``known`` of the originals' authors and of the newest
        ``REPOSTERS_CARDS`` reposters of each. A viral post (more reposters than
        ``REPOSTERS_READ``) is asked for the reader's followees among them instead (one more)."""
        if not originals:
            return RepostRound()

        groups = self._by_slot(originals, keys.tombstone)
        eng_fields = read_fields(reader)

        def fill(pipe: Any) -> None:
            for g in groups:
                ks = [k for p in g for k in (keys.post_body(p), keys.tombstone(p), keys.reposts(p))]
                self._call(pipe, "repost_original", ks, [REPOSTERS_READ])
            for pid in originals:
                pipe.hmget(keys.engagement(pid), eng_fields)

        got: list[tuple[Any, Any, Any]] = []
        order: list[int] = []
        res_all = self._pipelined(fill)
        for g, res in zip(groups, res_all, strict=False):
            order += g
            got += [(res[3 * j], res[3 * j + 1], res[3 * j + 2]) for j in range(len(g))]
        engagement = {
            pid: engagement_of(v) for pid, v in zip(originals, res_all[len(groups) :], strict=True)
        }
        live: dict[int, Post] = {}
        dead: set[int] = set()
        missing: list[int] = []
        reposters: dict[int, list[str]] = {}
        viral: list[int] = []
        for pid, (body, tomb, who) in zip(order, got, strict=True):
            if int(tomb):
                dead.add(pid)
            elif not body:
                missing.append(pid)
            else:
                live[pid] = _post(pid, body)
            if isinstance(who, list):
                pairs = [(_bound(who[i + 1])[0], _s(who[i])) for i in range(0, len(who), 2)]
                reposters[pid] = [u for _, u in sorted(pairs, reverse=True)]
            else:
                viral.append(pid)
        if viral:
            self._viral_reposters(reader, viral, reposters)
        candidates = sorted({u for us in reposters.values() for u in us} - {reader})
        wanted = {p.author_id for p in live.values()}
        for us in reposters.values():
            wanted.update(us[:REPOSTERS_CARDS])
        names = sorted(wanted - set(known))

        def people(pipe: Any) -> None:
            for a in names:
                pipe.hmget(keys.card(a), ["h", "d", "a"])
            if candidates:
                pipe.smismember(keys.followees(reader), candidates)

        res = self._pipelined(people) if names or candidates else []
        cards = {}
        for a, fields in zip(names, res[: len(names)], strict=True):
            c = card_of(a, fields)
            if c is not None:
                cards[a] = c
        followed = (
            frozenset(u for u, f in zip(candidates, res[-1], strict=True) if f)
            if candidates
            else frozenset()
        )
        return RepostRound(live, dead, missing, reposters, followed, cards, engagement)

    def _viral_reposters(
        self, reader: str, viral: Sequence[int], reposters: dict[int, list[str]]
    ) -> None:
        """The reader's followees (and the reader) among a viral post's reposters."""
        asked = sorted(self.followees(reader) | {reader})
        got = self._pipelined(lambda p: [p.hmget(keys.reposts(v), asked) for v in viral])
        for pid, vals in zip(viral, got, strict=True):
            pairs = [(_bound(v)[0], u) for u, v in zip(asked, vals, strict=True) if v]
            reposters[pid] = [u for _, u in sorted(pairs, reverse=True)]

    # ---- introspection (tests, benchmark, docs) ------------------------------------------

    def home_keys(self, uid: str) -> list[str]:
        """The home timeline's keys that exist: the head, then its pieces, newest first."""
        ks = self._home(uid)
        flags = self._pipelined(lambda p: [p.exists(k) for k in ks])
        return [k for k, f in zip(ks, flags, strict=True) if f]

    def home_ids(self, uid: str) -> list[int]:
        ks = self.home_keys(uid)
        got = self._pipelined(lambda p: [p.zrevrange(k, 0, -1) for k in ks])
        return [int(m) for ms in got for m in ms]

    def home_count(self, uid: str) -> int:
        ks = self.home_keys(uid)
        return sum(int(c) for c in self._pipelined(lambda p: [p.zcard(k) for k in ks]))

    def home_encodings(self, uid: str) -> list[str]:
        """OBJECT ENCODING of each key of the home timeline (every one should be listpack)."""
        ks = self.home_keys(uid)
        return [_s(e) for e in self._pipelined(lambda p: [p.object("encoding", k) for k in ks])]

    def bytes_per_entry(self, uid: str) -> float:
        """MEMORY USAGE of all the home timeline's keys per entry."""
        ks = self.home_keys(uid)
        n = self.home_count(uid)
        used = sum(int(self.r.memory_usage(k) or 0) for k in ks)
        return float(used) / n if n else 0.0
