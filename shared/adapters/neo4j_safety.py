"""Blocks and mutes in the social graph, beside FOLLOWS: the durable truth (docs/safety.md).

Model: ``(:User)-[:BLOCKS {created_ms, blocked}]->(:User)`` and
``(:User)-[:MUTES {created_ms, muted}]->(:User)``. ``blocked`` / ``muted`` repeat the target's id
so a user's list (``GET /v1/me/blocks``) is a keyset range ordered by (created_ms, id) from the
bound user, never a scan. A block and a follow of the same pair take the same pair lock as a
follow does (Neo4jGraph._lock_pair, lower id first), so a follow racing a block either commits
before it (and the block removes it) or sees the block and is refused.

Redis (shared/adapters/redis_silencing.py) caches each user's relations; this is what a wiped
Redis is refilled from.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, LiteralString

import neo4j

from shared.adapters.neo4j_graph import Neo4jGraph
from shared.domain import safety
from shared.domain.users import MissingUser
from shared.ids import now_ms

Q_BLOCK: LiteralString = """
    MATCH (a:User {id: $a})
    MATCH (b:User {id: $b})
    MERGE (a)-[r:BLOCKS]->(b)
    ON CREATE SET r.created_ms = $now, r.blocked = b.id
    WITH a, b, r
    OPTIONAL MATCH (a)-[f:FOLLOWS]-(b)
    RETURN r.created_ms AS created_ms, count(f) AS follows
"""
Q_MUTE: LiteralString = """
    MATCH (a:User {id: $a})
    MATCH (b:User {id: $b})
    MERGE (a)-[r:MUTES]->(b)
    ON CREATE SET r.created_ms = $now, r.muted = b.id
    RETURN r.created_ms AS created_ms
"""
Q_UNBLOCK: LiteralString = """
    MATCH (:User {id: $a})-[r:BLOCKS]->(:User {id: $b}) DELETE r RETURN count(*) AS n
"""
Q_UNMUTE: LiteralString = """
    MATCH (:User {id: $a})-[r:MUTES]->(:User {id: $b}) DELETE r RETURN count(*) AS n
"""
# Every relation of one user, both directions of BLOCKS, outgoing MUTES: the Redis refill.
Q_RELATIONS: LiteralString = """
    MATCH (u:User {id: $id})
    CALL {
      WITH u MATCH (u)-[:BLOCKS]->(o) RETURN o.id AS other, 'b' AS flag
      UNION ALL
      WITH u MATCH (u)<-[:BLOCKS]-(o) RETURN o.id AS other, 'k' AS flag
      UNION ALL
      WITH u MATCH (u)-[:MUTES]->(o) RETURN o.id AS other, 'm' AS flag
    }
    RETURN other, flag
"""
Q_BLOCKED_EITHER: LiteralString = """
    MATCH (a:User {id: $a})
    MATCH (b:User {id: $b})
    RETURN EXISTS { (a)-[:BLOCKS]-(b) } AS blocked
"""
Q_LIST_BLOCKS: LiteralString = """
    MATCH (:User {id: $id})-[r:BLOCKS]->(o:User)
    WHERE r.created_ms < $ms OR (r.created_ms = $ms AND r.blocked < $other)
    RETURN o.id AS other, r.created_ms AS ms
    ORDER BY r.created_ms DESC, r.blocked DESC LIMIT $limit
"""
Q_LIST_MUTES: LiteralString = """
    MATCH (:User {id: $id})-[r:MUTES]->(o:User)
    WHERE r.created_ms < $ms OR (r.created_ms = $ms AND r.muted < $other)
    RETURN o.id AS other, r.created_ms AS ms
    ORDER BY r.created_ms DESC, r.muted DESC LIMIT $limit
"""
Q_SUSPEND: LiteralString = """
    MATCH (u:User {id: $id}) SET u.suspended_ms = $now RETURN u.suspended_ms AS ms
"""
Q_UNSUSPEND: LiteralString = """
    MATCH (u:User {id: $id}) REMOVE u.suspended_ms RETURN u.id AS id
"""
Q_SUSPENDED_AMONG: LiteralString = """
    UNWIND $ids AS uid MATCH (u:User {id: uid}) WHERE u.suspended_ms IS NOT NULL
    RETURN u.id AS id
"""
MAX_MS = 10**15


class Neo4jSafety:
    """ports.SilenceGraph and ports.SuspensionGraph on the social graph."""

    def __init__(self, graph: Neo4jGraph) -> None:
        self.g = graph

    def _write(self, a: str, b: str, query: LiteralString) -> dict[str, Any] | MissingUser:
        def work(tx: neo4j.ManagedTransaction) -> dict[str, Any] | MissingUser:
            if missing := Neo4jGraph._lock_pair(tx, a, b):
                return missing
            rec = tx.run(query, a=a, b=b, now=now_ms()).single(strict=True)
            return dict(rec)

        with self.g._session() as s:
            return s.execute_write(work)

    def set_relation(self, kind: safety.Kind, a: str, b: str, on: bool) -> MissingUser | int | None:
        """Block/mute (``on``) or lift it; for a new or existing block/mute its created ms."""
        if on:
            res = self._write(a, b, Q_BLOCK if kind == "block" else Q_MUTE)
            return res if isinstance(res, MissingUser) else int(res["created_ms"])
        res = self._write(a, b, Q_UNBLOCK if kind == "block" else Q_UNMUTE)
        return res if isinstance(res, MissingUser) else None

    def relations(self, uid: str) -> dict[str, str]:
        rows: dict[str, set[str]] = {}
        for r in self.g._read(Q_RELATIONS, id=uid):
            rows.setdefault(r["other"], set()).add(r["flag"])
        return safety.flags_of(rows)

    def blocked_either(self, a: str, b: str) -> bool:
        recs = self.g._read(Q_BLOCKED_EITHER, a=a, b=b)
        return bool(recs and recs[0]["blocked"])

    def list_relations(
        self, kind: safety.Kind, uid: str, limit: int, after: tuple[int, str] | None
    ) -> list[tuple[str, int]]:
        ms, other = after if after else (MAX_MS, "")
        q = Q_LIST_BLOCKS if kind == "block" else Q_LIST_MUTES
        return [
            (r["other"], int(r["ms"]))
            for r in self.g._read(q, id=uid, ms=ms, other=other, limit=limit)
        ]

    # ---- suspension ----------------------------------------------------------------------

    def set_suspended(self, uid: str, on: bool) -> bool:
        """Whether the user exists."""
        q = Q_SUSPEND if on else Q_UNSUSPEND
        with self.g._session() as s:
            recs = s.execute_write(lambda tx: list(tx.run(q, id=uid, now=now_ms())))
        return bool(recs)

    def suspended_among(self, ids: Iterable[str]) -> set[str]:
        wanted = list(dict.fromkeys(ids))
        if not wanted:
            return set()
        return {r["id"] for r in self.g._read(Q_SUSPENDED_AMONG, ids=wanted)}
