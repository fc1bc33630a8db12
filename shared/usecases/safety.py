"""Blocks and mutes (issue 21): who silences whom, asked on every page and notification.

Promises (docs/safety.md):
- the graph (Neo4j, beside FOLLOWS) is the truth; each user's relations are cached in one
  Redis hash, refilled from the graph when missing (a Redis wipe loses no block);
- a block removes the follows both ways through the users use case (each unfollow publishes its
  event: the follow sync takes the other's posts out of each home timeline) and, being in the
  graph before those unfollows, makes every later follow of the pair refuse (403 ``blocked``);
- repeating a block, a mute or a lift changes nothing more (idempotent PUT / DELETE).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass

from shared.domain import errors, safety
from shared.domain import users as user_rules
from shared.domain.model import User
from shared.domain.users import MissingUser
from shared.ports import (
    HomeCleaner,
    HomeTimelines,
    SilenceCache,
    SilenceGraph,
    SuspensionCache,
    SuspensionGraph,
)

log = logging.getLogger(__name__)


class SilencingService:
    """ports.Silencing (Container.silencing), and the flags behind it."""

    def __init__(self, graph: SilenceGraph, cache: SilenceCache) -> None:
        self.graph = graph
        self.cache = cache

    def flags(self, uid: str, others: Collection[str]) -> dict[str, str]:
        """The flags of each of ``others`` with any relation to ``uid`` (one HMGET; the graph
        once after a loss of the cache)."""
        wanted = [o for o in dict.fromkeys(others) if o != uid]
        if not wanted:
            return {}
        try:
            found, version = self.cache.flags(uid, wanted)
        except Exception:
            # Redis down: the graph answers (slower, still right)
            log.warning("silencing cache unreadable; asking the graph", exc_info=True)
            rel = self.graph.relations(uid)
            return {o: rel[o] for o in wanted if o in rel}
        if found is not None:
            return found
        rel = self.graph.relations(uid)
        try:
            self.cache.fill(uid, version, rel)
        except Exception:
            log.warning("silencing cache of %s not filled", uid, exc_info=True)
        return {o: rel[o] for o in wanted if o in rel}

    def silenced(self, uid: str, others: Collection[str]) -> set[str]:
        """Which of ``others`` ``uid`` blocks or mutes, or is blocked by (home, notifications)."""
        return {o for o, f in self.flags(uid, others).items() if safety.hidden_from_home(f)}

    def blocked_among(self, uid: str, others: Collection[str]) -> set[str]:
        """Which of ``others`` block ``uid`` or are blocked by them (hidden everywhere)."""
        return {o for o, f in self.flags(uid, others).items() if safety.hidden_everywhere(f)}

    def check_not_blocked(self, uid: str, other: str) -> None:
        if self.blocked_among(uid, [other]):
            raise safety.blocked(other)

    def record(self, kind: safety.Kind, a: str, b: str, on: bool) -> None:
        """Bring the cache in line with a graph write just committed (both sides of a block)."""
        if kind == "block":
            self.cache.apply(a, b, safety.BLOCKS, on)
            self.cache.apply(b, a, safety.BLOCKED_BY, on)
        else:
            self.cache.apply(a, b, safety.MUTES, on)


@dataclass(frozen=True)
class Listed:
    user: User
    since_ms: int


class SafetyService:
    """The block and mute routes: PUT/DELETE /v1/users/{id}/block|mute, GET /v1/me/blocks|mutes."""

    def __init__(
        self,
        silencing: SilencingService,
        unfollow: Callable[[str, str], bool],
        users: Callable[[list[User]], list[User]],
        directory: Callable[[Sequence[str]], dict[str, User]],
        homes: HomeCleaner | None = None,
    ) -> None:
        self._homes = homes
        self.s = silencing
        self._unfollow = unfollow
        self._complete = users
        self._directory = directory

    def set(self, kind: safety.Kind, caller: str, target: str, on: bool) -> None:
        if caller == target:
            raise errors.InvalidInput(f"you cannot {kind} yourself")
        res = self.s.graph.set_relation(kind, caller, target, on)
        if isinstance(res, MissingUser):
            raise user_rules.no_user(res.id, caller=caller)
        if kind == "block" and on:
            # after the block is in the graph: no follow of the pair can come back meanwhile
            self._unfollow(caller, target)
            self._unfollow(target, caller)
        self.s.record(kind, caller, target, on)
        self._tidy_homes(kind, caller, target, on)

    def _tidy_homes(self, kind: safety.Kind, caller: str, target: str, on: bool) -> None:
        """Reads filter anyway; taking the entries out at write too keeps a read from hydrating
        posts it would only drop (a lifted mute brings the followee's posts back)."""
        if self._homes is None:
            return
        try:
            if on:
                self._homes.clear_author_from_home(caller, target)
                if kind == "block":
                    self._homes.clear_author_from_home(target, caller)
            elif kind == "mute":
                self._homes.restore(caller, target)
        except Exception:
            log.warning("home timelines not tidied after a %s; reads filter", kind,
                        exc_info=True)  # fmt: skip

    def list(
        self, kind: safety.Kind, caller: str, limit: int, cursor: str | None
    ) -> tuple[list[Listed], str | None]:
        after = safety.decode_cursor(cursor) if cursor else None
        rows = self.s.graph.list_relations(kind, caller, limit + 1, after)
        more = len(rows) > limit
        rows = rows[:limit]
        found = self._directory([o for o, _ in rows])
        users = self._complete([found[o] for o, _ in rows if o in found])
        by_id = {u.id: u for u in users}
        items = [Listed(by_id[o], ms) for o, ms in rows if o in by_id]
        nxt = safety.encode_cursor(rows[-1][1], rows[-1][0]) if more and rows else None
        return items, nxt


class Suspensions:
    """Who is suspended (Neo4j ``User.suspended_ms``), cached in Redis for a few minutes."""

    def __init__(self, graph: SuspensionGraph, cache: SuspensionCache) -> None:
        self.graph = graph
        self.cache = cache

    def suspended_among(self, ids: Collection[str]) -> set[str]:
        wanted = list(dict.fromkeys(ids))
        if not wanted:
            return set()
        try:
            known = self.cache.states(wanted)
        except Exception:
            log.warning("suspension cache unreadable; asking the graph", exc_info=True)
            known = {}
        miss = [u for u in wanted if u not in known]
        if miss:
            found = self.graph.suspended_among(miss)
            fresh = {u: u in found for u in miss}
            known.update(fresh)
            try:
                self.cache.put(fresh)
            except Exception:
                log.warning("suspension cache not written", exc_info=True)
        return {u for u, s in known.items() if s}

    def check(self, uid: str) -> None:
        """Raise 403 ``account_suspended`` when ``uid`` may not post or follow."""
        if self.suspended_among([uid]):
            raise safety.suspended(uid)

    def set(self, uid: str, on: bool) -> bool:
        ok = self.graph.set_suspended(uid, on)
        if ok:
            self.cache.put({uid: on})
        return ok


class Homes:
    """ports.HomeCleaner on the timeline store and the follow sync (which re-reads the graph:
    a lifted mute of a followee backfills their posts, of anyone else changes nothing)."""

    def __init__(self, timelines: HomeTimelines, sync: Callable[[str, str], None]) -> None:
        self._tl = timelines
        self._sync = sync

    def clear_author_from_home(self, reader: str, author: str) -> int:
        return self._tl.clear_author_from_home(reader, author)

    def restore(self, reader: str, author: str) -> None:
        self._sync(reader, author)
