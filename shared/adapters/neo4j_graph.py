"""The social graph on Neo4j: users, follows, follower streams and people-you-may-know.

Model: ``(:User {id, handle, handle_key, handle_skeleton, display_name, bio, created_ms})`` and
``(:User)-[:FOLLOWS {created_ms, followee, fkey}]->(:User)``, where ``followee`` is the
followee's id and ``fkey`` the edge's sort key ``<created_ms, 13 digits>|<follower id>``: with the
composite index on (followee, fkey), a follower page is an ordered index range, not a scan of
every follower (see docs/graph.md for the measurements that chose this).

A follow whose event has not been published yet carries ``unannounced: true`` (removed once
Pub/Sub acked it); an unfollow whose event is not yet published leaves a
``(:User)-[:UNFOLLOWED {at_ms}]->(:User)`` tombstone, deleted once acked. See docs/graph.md.

Driver use follows the Neo4j manual: one driver per process (shared/bootstrap.py), managed
transactions (``execute_read``/``execute_write``, retried by the driver on transient errors)
in sessions that always name the database, parameters never spliced into Cypher, and every query
anchored on an index: a ``:User`` through the ``id`` uniqueness constraint, or (follower pages)
the (followee, fkey) relationship index.

The adapter answers with data: an absent user is None / MissingUser, a refused handle None; the
use cases (shared/usecases/users.py) turn those into the platform's errors. The schema is made
by ``ensure_schema``, a deploy step (``python3 -m shared.migrate``), never on a request path.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, LiteralString

import neo4j
from neo4j.exceptions import ClientError, ConstraintError, ResultFailedError

from shared.domain.model import User
from shared.domain.safety import BlockedPair
from shared.domain.users import (
    FollowResult,
    HandleRefused,
    MissingUser,
    PendingAnnouncement,
    Position,
    ProfileChange,
    UnfollowResult,
    UserPage,
    handle_key,
    handle_skeleton,
)
from shared.ids import now_ms

log = logging.getLogger(__name__)

SCHEMA: tuple[LiteralString, ...] = (
    "CREATE CONSTRAINT user_id_unique IF NOT EXISTS FOR (u:User) REQUIRE u.id IS UNIQUE",
    "CREATE CONSTRAINT user_handle_unique IF NOT EXISTS"
    " FOR (u:User) REQUIRE u.handle_key IS UNIQUE",
    # Confusable handles (``paypaI`` for ``paypal``): created after the backfill of skeletons,
    # see ensure_schema.
    "CREATE CONSTRAINT user_handle_skeleton_unique IF NOT EXISTS"
    " FOR (u:User) REQUIRE u.handle_skeleton IS UNIQUE",
    "CREATE INDEX follows_by_followee IF NOT EXISTS FOR ()-[r:FOLLOWS]-() ON (r.followee, r.fkey)",
    # Only pending follows carry the property, so this index holds just the relay's backlog.
    "CREATE INDEX follows_unannounced IF NOT EXISTS FOR ()-[r:FOLLOWS]-() ON (r.unannounced)",
    "CREATE CONSTRAINT handle_lock_unique IF NOT EXISTS"
    " FOR (l:HandleLock) REQUIRE l.stripe IS UNIQUE",
)

# Claiming a handle takes one lock first: the HandleLock node of the handle's stripe (its
# skeleton's hash, so a handle and every look-alike share one). Without it, twelve concurrent
# registrations of one handle each locked the id, handle_key and handle_skeleton index entries
# themselves, and about one round in twenty-five waited on a lock that Neo4j's deadlock
# detection never broke (60 s, the lock timeout, then again on the driver's retry; forever
# without a timeout: the CI hang of stop 25). With the stripe lock taken first, contenders queue
# on one lock and whoever holds it is the only one touching those entries. 1,024 stripes:
# unrelated handles rarely share one, and the nodes are made once (ensure_schema).
HANDLE_LOCK_STRIPES = 1024
Q_LOCK_HANDLE: LiteralString = "MERGE (l:HandleLock {stripe: $stripe}) SET l.claims = 1"
Q_MAKE_HANDLE_LOCKS: LiteralString = (
    "UNWIND range(0, $n - 1) AS stripe MERGE (:HandleLock {stripe: stripe})"
)


def handle_stripe(skeleton: str) -> int:
    return int.from_bytes(hashlib.blake2b(skeleton.encode(), digest_size=8).digest()) % (
        HANDLE_LOCK_STRIPES
    )


# The user's public fields plus its degrees. COUNT { } on a bare pattern from a bound node is
# planned as a degree lookup (no relationship is visited), so counts stay O(1) per user.
_USER_FIELDS: LiteralString = """
    u.id AS id, u.handle AS handle, u.display_name AS display_name,
    coalesce(u.created_ms, 0) AS created_ms, coalesce(u.bio, '') AS bio,
    COUNT { (u)<-[:FOLLOWS]-() } AS follower_count,
    COUNT { (u)-[:FOLLOWS]->() } AS following_count
"""

Q_CREATE_USER: LiteralString = (
    """
    MERGE (u:User {id: $id})
    ON CREATE SET u.handle = $handle, u.handle_key = $handle_key,
                  u.handle_skeleton = $skeleton,
                  u.display_name = $display_name, u.created_ms = $now
    RETURN """
    + _USER_FIELDS
)
# A profile edit: a null parameter leaves its field as it is. A new handle moves handle_key and
# handle_skeleton with it, under their uniqueness constraints, so the old handle stops resolving
# in the same commit (ids, and so links by id, never change).
Q_UPDATE_PROFILE: LiteralString = (
    """
    MATCH (u:User {id: $id})
    SET u.display_name = coalesce($display_name, u.display_name),
        u.bio = coalesce($bio, u.bio, ''),
        u.handle = coalesce($handle, u.handle),
        u.handle_key = coalesce($handle_key, u.handle_key),
        u.handle_skeleton = coalesce($skeleton, u.handle_skeleton)
    RETURN """
    + _USER_FIELDS
)
# A user whose deletion was asked for (``deleted_ms``, set by the request) is gone for every
# lookup at once; the account eraser removes the node (and so its edges) soon after.
_LIVE: LiteralString = " WHERE u.deleted_ms IS NULL "
Q_USER_BY_ID: LiteralString = "MATCH (u:User {id: $id})" + _LIVE + "RETURN " + _USER_FIELDS
Q_USER_BY_HANDLE: LiteralString = (
    "MATCH (u:User {handle_key: $key})" + _LIVE + "RETURN " + _USER_FIELDS
)
Q_USER_BY_SKELETON: LiteralString = (
    "MATCH (u:User {handle_skeleton: $skeleton}) RETURN " + _USER_FIELDS
)
Q_IDS_BY_HANDLES: LiteralString = (
    "UNWIND $keys AS k MATCH (u:User {handle_key: k})" + _LIVE + "RETURN k AS key, u.id AS id"
)
Q_USERS_BY_IDS: LiteralString = (
    "UNWIND $ids AS uid MATCH (u:User {id: uid})" + _LIVE + "RETURN " + _USER_FIELDS
)
Q_MARK_DELETED: LiteralString = """
    MATCH (u:User {id: $id})
    SET u.deleted_ms = coalesce(u.deleted_ms, $now)
    RETURN u.handle AS handle
"""
# DETACH DELETE: the node and every edge (follows both ways, unfollow tombstones). Follower and
# following counts are degree lookups (_USER_FIELDS), so everyone else's are right at once.
Q_ERASE_USER: LiteralString = """
    MATCH (u:User {id: $id})
    DETACH DELETE u
    RETURN count(*) AS n
"""
Q_EXISTING_IDS: LiteralString = "UNWIND $ids AS uid MATCH (u:User {id: uid}) RETURN u.id AS id"

# A follow or unfollow first takes the write locks of BOTH users, in ascending id order, before
# it reads or writes anything else. Creating or deleting a relationship locks both end nodes
# anyway (node and relationship-group locks, at commit at the latest); taking them up front in one
# canonical order means two transactions sharing a user queue on the lower id instead of each
# holding one of the pair and waiting for the other: A->B and B->A made at the same moment used
# to deadlock (Neo.TransientError.Transaction.DeadlockDetected, retried by the driver, 179
# retries in 1,000 follows; see docs/graph.md). The lock also serialises follow/unfollow of one
# pair, which MERGE alone does not (it can create a duplicate relationship under concurrency).
# UNWIND keeps the list's order row by row, so the sorted $ids are locked in that order.
Q_LOCK_PAIR: LiteralString = """
    UNWIND $ids AS uid
    MATCH (u:User {id: uid})
    SET u._lock = true REMOVE u._lock
    RETURN u.id AS id
"""
# The keys every FOLLOWS edge carries (also set by the bulk import, Q_IMPORT_FOLLOWS).
EDGE_KEYS: LiteralString = """
    r.created_ms = $now, r.followee = b.id,
    r.fkey = right('0000000000000' + toString($now), 13) + '|' + a.id
"""
FKEY_ID_OFFSET = 14  # len("<13 digits>|")
Q_FOLLOW: LiteralString = (
    """
    MATCH (a:User {id: $a})
    MATCH (b:User {id: $b})
    MERGE (a)-[r:FOLLOWS]->(b)
    ON CREATE SET r.unannounced = true, """
    + EDGE_KEYS
    + """
    WITH a, b, r
    OPTIONAL MATCH (a)-[t:UNFOLLOWED]->(b)
    DELETE t
    RETURN r.created_ms AS created_ms, coalesce(r.unannounced, false) AS unannounced
"""
)
Q_DELETE_FOLLOW: LiteralString = """
    MATCH (a:User {id: $a})-[r:FOLLOWS]->(b:User {id: $b})
    DELETE r
    RETURN count(*) AS deleted
"""
Q_TOMBSTONE: LiteralString = """
    MATCH (a:User {id: $a})
    MATCH (b:User {id: $b})
    MERGE (a)-[t:UNFOLLOWED]->(b)
    SET t.at_ms = $now
    RETURN t.at_ms AS at_ms
"""
Q_PENDING_TOMBSTONE: LiteralString = """
    MATCH (a:User {id: $a})-[t:UNFOLLOWED]->(b:User {id: $b})
    RETURN t.at_ms AS at_ms
"""
Q_FOLLOW_ANNOUNCED: LiteralString = """
    MATCH (a:User {id: $a})-[r:FOLLOWS]->(b:User {id: $b})
    WHERE r.created_ms = $created_ms
    REMOVE r.unannounced
"""
Q_UNFOLLOW_ANNOUNCED: LiteralString = """
    MATCH (a:User {id: $a})-[t:UNFOLLOWED]->(b:User {id: $b})
    WHERE t.at_ms = $at_ms
    DELETE t
"""
Q_PENDING_FOLLOWS: LiteralString = """
    MATCH (a:User)-[r:FOLLOWS]->(b:User)
    WHERE r.unannounced = true AND r.created_ms < $before
    RETURN a.id AS a, b.id AS b, r.created_ms AS ms
    LIMIT $limit
"""
Q_PENDING_UNFOLLOWS: LiteralString = """
    MATCH (a:User)-[t:UNFOLLOWED]->(b:User)
    WHERE t.at_ms < $before
    RETURN a.id AS a, b.id AS b, t.at_ms AS ms
    LIMIT $limit
"""
# A block either way refuses a follow (issue 21): asked under the pair lock, like the block.
Q_BLOCK_BETWEEN: LiteralString = """
    MATCH (a:User {id: $a})
    MATCH (b:User {id: $b})
    RETURN EXISTS { (a)-[:BLOCKS]-(b) } AS blocked
"""
Q_IS_FOLLOWING: LiteralString = """
    MATCH (a:User {id: $a})
    MATCH (b:User {id: $b})
    RETURN EXISTS { (a)-[:FOLLOWS]->(b) } AS following
"""

# Cold-start suggestions: the most-followed accounts. A scan of every user's in-degree (a degree
# lookup each, no relationship visited): callers bound it and cache the answer.
Q_POPULAR: LiteralString = (
    """
    MATCH (u:User)
    WITH u, COUNT { (u)<-[:FOLLOWS]-() } AS popularity
    ORDER BY popularity DESC, u.id ASC
    LIMIT $limit
    RETURN """
    + _USER_FIELDS
)

Q_FOLLOWED_AMONG: LiteralString = """
    MATCH (a:User {id: $id})-[:FOLLOWS]->(b:User)
    WHERE b.id IN $ids
    RETURN b.id AS id
"""

# Which of $ids follow $id (a reply's push goes only to those who follow the replied-to person).
Q_FOLLOWERS_AMONG: LiteralString = """
    MATCH (a:User)-[:FOLLOWS]->(b:User {id: $id})
    WHERE a.id IN $ids
    RETURN a.id AS id
"""

# Keyset pages, newest follow first, ordered by (created_ms, id) of the edge/other user: a follow
# made while a client pages gets a newer created_ms, so it lands before the cursor and never
# shifts the pages still to come (no gaps, no repeats). Followers come from an ordered range of
# the (followee, fkey) index, so a page costs O(limit) even for an author with millions.
Q_FOLLOWERS_PAGE: LiteralString = (
    """
    MATCH (u:User)-[r:FOLLOWS]->()
    WHERE r.followee = $id AND r.fkey < $before
    WITH u, r ORDER BY r.followee DESC, r.fkey DESC LIMIT $limit
    RETURN r.created_ms AS edge_ms, """
    + _USER_FIELDS
    + " ORDER BY edge_ms DESC, id DESC"
)
# Following lists are short (people follow hundreds, not millions): walk them from the user.
Q_FOLLOWING_PAGE: LiteralString = (
    """
    MATCH (me:User {id: $id})-[r:FOLLOWS]->(u:User)
    WHERE $after_ms IS NULL OR r.created_ms < $after_ms
       OR (r.created_ms = $after_ms AND u.id < $after_id)
    WITH u, r.created_ms AS edge_ms
    ORDER BY edge_ms DESC, u.id DESC
    LIMIT $limit
    RETURN edge_ms, """
    + _USER_FIELDS
    + " ORDER BY edge_ms DESC, id DESC"
)
Q_FOLLOWER_COUNT: LiteralString = (
    "MATCH (u:User {id: $id}) RETURN COUNT { (u)<-[:FOLLOWS]-() } AS n"
)
# The fan-out stream: one ordered index range per round trip, returned as one list (one Bolt
# record instead of thousands: per-record decoding is what limits the Python driver).
Q_FOLLOWER_KEYS: LiteralString = """
    MATCH ()-[r:FOLLOWS]->()
    WHERE r.followee = $id AND r.fkey > $after
    WITH r ORDER BY r.followee, r.fkey LIMIT $n
    RETURN collect(r.fkey) AS keys
"""
Q_FOLLOWING_IDS: LiteralString = "MATCH (:User {id: $id})-[:FOLLOWS]->(f) RETURN f.id AS id"

# Bulk import (devstack/import_graph.py): MERGE, so a second run changes nothing. Imported follows
# carry no ``unannounced`` flag: a seed must not replay history as events.
Q_IMPORT_USERS: LiteralString = """
    UNWIND $rows AS row
    MERGE (u:User {id: row.id})
    ON CREATE SET u.handle = row.handle, u.handle_key = row.handle_key,
                  u.handle_skeleton = row.skeleton,
                  u.display_name = row.name, u.created_ms = $now
"""
# The migration's backfill of handle skeletons (users made before they existed), keyset by id.
Q_MISSING_SKELETONS: LiteralString = """
    MATCH (u:User) WHERE u.id > $after AND u.handle IS NOT NULL AND u.handle_skeleton IS NULL
    WITH u ORDER BY u.id LIMIT $n
    RETURN u.id AS id, u.handle AS handle
"""
Q_SET_SKELETONS: LiteralString = """
    UNWIND $rows AS row
    MATCH (u:User {id: row.id})
    WHERE NOT EXISTS { MATCH (o:User) WHERE o.handle_skeleton = row.skeleton }
    SET u.handle_skeleton = row.skeleton
    RETURN u.id AS id
"""
Q_IMPORT_FOLLOWS: LiteralString = (
    """
    UNWIND $pairs AS pair
    MATCH (a:User {id: pair[0]})
    MATCH (b:User {id: pair[1]})
    MERGE (a)-[r:FOLLOWS]->(b)
    ON CREATE SET """
    + EDGE_KEYS
)

# People you may know. The cost is bounded by construction: at most $k_follows of the caller's
# follows (the most recent) are expanded, each to at most $k_per of its own follows, so the
# 2nd-degree step visits <= k_follows * k_per relationships whatever the caller's degree.
Q_SUGGEST_2ND: LiteralString = """
    MATCH (me:User {id: $id})
    CALL (me) {
        MATCH (me)-[r:FOLLOWS]->(f:User)
        RETURN f ORDER BY r.created_ms DESC LIMIT $k_follows
    }
    CALL (f) {
        MATCH (f)-[:FOLLOWS]->(c:User)
        RETURN c LIMIT $k_per
    }
    WITH me, c, count(*) AS mutual
    WHERE c <> me AND NOT EXISTS { (me)-[:FOLLOWS]->(c) }
    RETURN c.id AS id, mutual
    ORDER BY mutual DESC, id ASC
    LIMIT $cap
"""
# 3rd degree, only when the 2nd runs short: expand the best 2nd-degree users (<= $k_seeds of
# them, each to <= $k_per follows). mutual_count here is how many of those seeds follow the user.
Q_SUGGEST_3RD: LiteralString = """
    MATCH (me:User {id: $id})
    UNWIND $seeds AS sid
    MATCH (s:User {id: sid})
    CALL (s) {
        MATCH (s)-[:FOLLOWS]->(c:User)
        RETURN c LIMIT $k_per
    }
    WITH me, c, count(*) AS via
    WHERE c <> me AND NOT c.id IN $exclude AND NOT EXISTS { (me)-[:FOLLOWS]->(c) }
    RETURN c.id AS id, via AS mutual
    ORDER BY mutual DESC, id ASC
    LIMIT $limit
"""


def _user(rec: neo4j.Record) -> User:
    """The one decoding of a ``_USER_FIELDS`` record (every query returning users uses it)."""
    return User(
        id=rec["id"],
        handle=rec["handle"],
        display_name=rec["display_name"],
        created_ms=int(rec["created_ms"]),
        follower_count=int(rec["follower_count"]),
        following_count=int(rec["following_count"]),
        bio=rec.get("bio") or "",
    )


def fkey(created_ms: int, uid: str) -> str:
    """The sort key of a follow edge, as EDGE_KEYS computes it in Cypher."""
    return f"{created_ms:013d}|{uid}"


def _follower_keys(tx: neo4j.ManagedTransaction, uid: str, after: str, n: int) -> list[str]:
    rec = tx.run(Q_FOLLOWER_KEYS, id=uid, after=after, n=n).single(strict=True)
    return list(rec["keys"])


def _set_skeletons(tx: neo4j.ManagedTransaction, rows: list[dict[str, str]]) -> set[str]:
    return {r["id"] for r in tx.run(Q_SET_SKELETONS, rows=rows)}


def constraint_refused(exc: BaseException) -> bool:
    """Whether a uniqueness constraint refused the write. When the driver retried the
    transaction (e.g. after a connection timed out under load), the attempt's ConstraintError
    can surface as the ResultFailedError raised from it while the driver rolls back."""
    seen: BaseException | None = exc
    for _ in range(8):  # exception chains are short; a cycle must not hang a request
        if seen is None:
            return False
        if isinstance(seen, ConstraintError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


class Neo4jGraph:
    """The FollowerSource of the timeline engine and the SocialGraph of the users use cases."""

    def __init__(
        self,
        driver: neo4j.Driver,
        database: str,
        *,
        suggest_follows_cap: int = 200,
        suggest_per_follow_cap: int = 200,
        suggest_seed_cap: int = 50,
        stream_window: int = 5000,
    ) -> None:
        self.driver = driver
        self.database = database
        self.suggest_follows_cap = suggest_follows_cap
        self.suggest_per_follow_cap = suggest_per_follow_cap
        self.suggest_seed_cap = suggest_seed_cap
        self.stream_window = stream_window

    # -- plumbing ---------------------------------------------------------------------------

    def _session(self, **config: Any) -> neo4j.Session:
        # UNRECOGNIZED: "relationship type UNFOLLOWED does not exist" on a young database is
        # expected, not worth a warning in every function log.
        return self.driver.session(
            database=self.database,
            notifications_disabled_classifications=[
                neo4j.NotificationDisabledClassification.UNRECOGNIZED
            ],
            **config,
        )

    def _read(self, query: LiteralString, **params: Any) -> list[neo4j.Record]:
        def work(tx: neo4j.ManagedTransaction) -> list[neo4j.Record]:
            return list(tx.run(query, params))

        with self._session() as s:
            return s.execute_read(work)

    def ensure_schema(self) -> None:
        """Create the constraints and indexes if missing; safe from many processes at once."""

        def run(tx: neo4j.ManagedTransaction, stmt: LiteralString) -> None:
            tx.run(stmt).consume()

        for stmt in SCHEMA:
            if "handle_skeleton" in stmt:
                self.backfill_handle_skeletons()
            try:
                with self._session() as s:
                    s.execute_write(run, stmt)
            except ClientError as exc:
                # Two cold starts racing: the loser sees the rule the winner just created.
                if "AlreadyExists" not in (exc.code or ""):
                    raise
        with self._session() as s:
            s.execute_write(lambda tx: tx.run(Q_MAKE_HANDLE_LOCKS, n=HANDLE_LOCK_STRIPES).consume())
        # An index added to a populated database fills in the background; until it is online
        # the planner cannot use it and follower pages would scan every relationship.
        with self._session() as s:
            s.execute_read(run, "CALL db.awaitIndexes(300)")

    def backfill_handle_skeletons(self, batch: int = 5000) -> list[str]:
        """Give every user made before handle skeletons existed its skeleton; returns the ids of
        those left without one because their handle looks like one met earlier (in id order).

        Those keep their handle (renaming someone is not a migration's call) and are logged: a
        node without the property is outside the uniqueness constraint, so their look-alike
        pair stays, while every new registration is still checked against the stored skeleton.
        """
        after, clashing = "", list[str]()
        while True:
            recs = self._read(Q_MISSING_SKELETONS, after=after, n=batch)
            if not recs:
                if clashing:
                    log.warning("%d users' handles look like an earlier one's; left without a"
                                " skeleton: %s", len(clashing), clashing[:50])  # fmt: skip
                return clashing
            rows, seen = [], set()
            for r in recs:
                sk = handle_skeleton(r["handle"])
                if sk in seen:
                    clashing.append(r["id"])
                    continue
                seen.add(sk)
                rows.append({"id": r["id"], "skeleton": sk})
            with self._session() as s:
                done = s.execute_write(_set_skeletons, rows)
            clashing += [row["id"] for row in rows if row["id"] not in done]
            after = recs[-1]["id"]

    # -- users ------------------------------------------------------------------------------

    def create_user(
        self, uid: str, handle: str, display_name: str
    ) -> tuple[User, bool] | HandleRefused:
        """(user, created): the user as stored, which keeps its own handle when ``uid`` existed
        already. HandleRefused when a uniqueness constraint says the handle, or one it looks
        like, is someone else's."""
        key, skeleton = handle_key(handle), handle_skeleton(handle)

        def work(tx: neo4j.ManagedTransaction) -> tuple[User, bool]:
            tx.run(Q_LOCK_HANDLE, stripe=handle_stripe(skeleton)).consume()
            result = tx.run(
                Q_CREATE_USER,
                id=uid,
                handle=handle,
                handle_key=key,
                skeleton=skeleton,
                display_name=display_name,
                now=now_ms(),
            )
            rec = result.single(strict=True)
            created = result.consume().counters.nodes_created > 0
            return _user(rec), created

        try:
            with self._session() as s:
                return s.execute_write(work)
        except (ConstraintError, ResultFailedError) as exc:
            if not constraint_refused(exc):
                raise
            # The uniqueness constraint on handle_key refused it: the handle is someone else's,
            # unless a concurrent registration of this very user won the race.
            owner = self.get_user_by_handle(handle)
            if owner is not None and owner.id == uid:
                return owner, False
            if owner is not None:
                return HandleRefused(owner.handle, lookalike=False)
            recs = self._read(Q_USER_BY_SKELETON, skeleton=skeleton)
            if recs and recs[0]["id"] == uid:  # a concurrent registration of this user won
                return _user(recs[0]), False
            return HandleRefused(recs[0]["handle"] if recs else handle, lookalike=bool(recs))

    def update_profile(self, uid: str, change: ProfileChange) -> User | HandleRefused | None:
        """The user as changed; None when there is no such user; HandleRefused when the new
        handle (or one it looks like) is someone else's."""
        handle = change.handle
        params = {
            "id": uid,
            "display_name": change.display_name,
            "bio": change.bio,
            "handle": handle,
            "handle_key": handle_key(handle) if handle else None,
            "skeleton": handle_skeleton(handle) if handle else None,
        }

        def work(tx: neo4j.ManagedTransaction) -> User | None:
            if params["skeleton"] is not None:  # a handle change claims like a registration
                tx.run(Q_LOCK_HANDLE, stripe=handle_stripe(params["skeleton"])).consume()
            rec = tx.run(Q_UPDATE_PROFILE, params).single()
            return _user(rec) if rec is not None else None

        try:
            with self._session() as s:
                return s.execute_write(work)
        except (ConstraintError, ResultFailedError) as exc:
            if not constraint_refused(exc) or handle is None:
                raise
            owner = self.get_user_by_handle(handle)
            if owner is not None and owner.id != uid:
                return HandleRefused(owner.handle, lookalike=False)
            recs = self._read(Q_USER_BY_SKELETON, skeleton=params["skeleton"])
            return HandleRefused(recs[0]["handle"] if recs else handle, lookalike=bool(recs))

    def mark_deleted(self, uid: str) -> bool:
        """Hide the user from every lookup now (their deletion was asked); False: no such user."""

        def work(tx: neo4j.ManagedTransaction) -> bool:
            return tx.run(Q_MARK_DELETED, id=uid, now=now_ms()).single() is not None

        with self._session() as s:
            return s.execute_write(work)

    def erase_user(self, uid: str) -> int:
        """Delete the user's node and all its edges; 0 when already gone (idempotent)."""

        def work(tx: neo4j.ManagedTransaction) -> int:
            return int(tx.run(Q_ERASE_USER, id=uid).single(strict=True)["n"])

        with self._session() as s:
            return s.execute_write(work)

    def get_user(self, uid: str) -> User | None:
        recs = self._read(Q_USER_BY_ID, id=uid)
        return _user(recs[0]) if recs else None

    def get_user_by_handle(self, handle: str) -> User | None:
        recs = self._read(Q_USER_BY_HANDLE, key=handle_key(handle))
        return _user(recs[0]) if recs else None

    def user_ids_by_handles(self, handles: Sequence[str]) -> dict[str, str]:
        """handle key -> id of the live users among ``handles`` (any case), in one query."""
        wanted = list(dict.fromkeys(handle_key(h) for h in handles))
        if not wanted:
            return {}
        return {str(r["key"]): str(r["id"]) for r in self._read(Q_IDS_BY_HANDLES, keys=wanted)}

    def get_users(self, ids: Iterable[str]) -> dict[str, User]:
        unique = list(dict.fromkeys(ids))
        if not unique:
            return {}
        return {u.id: u for u in map(_user, self._read(Q_USERS_BY_IDS, ids=unique))}

    # -- follows ----------------------------------------------------------------------------

    @staticmethod
    def _lock_pair(tx: neo4j.ManagedTransaction, a: str, b: str) -> MissingUser | None:
        """Lock both users for this transaction, lower id first (see Q_LOCK_PAIR); which of
        the two is missing, if one is (then nothing was locked that matters: nothing is written)."""
        found = {r["id"] for r in tx.run(Q_LOCK_PAIR, ids=sorted({a, b}))}
        if a not in found:
            return MissingUser(a)
        if b not in found:
            return MissingUser(b)
        return None

    def follow_with_state(
        self, follower_id: str, followee_id: str
    ) -> FollowResult | MissingUser | BlockedPair:
        """Create the follow if missing; says whether its event still has to be published.
        BlockedPair (nothing written) when one of the two blocks the other."""

        def work(tx: neo4j.ManagedTransaction) -> FollowResult | MissingUser | BlockedPair:
            if missing := self._lock_pair(tx, follower_id, followee_id):
                return missing
            if tx.run(Q_BLOCK_BETWEEN, a=follower_id, b=followee_id).single(strict=True)[0]:
                return BlockedPair(follower_id, followee_id)
            result = tx.run(Q_FOLLOW, a=follower_id, b=followee_id, now=now_ms())
            rec = result.single(strict=True)
            changed = result.consume().counters.relationships_created > 0
            return FollowResult(changed, int(rec["created_ms"]), not rec["unannounced"])

        with self._session() as s:
            return s.execute_write(work)

    def unfollow_with_state(
        self, follower_id: str, followee_id: str
    ) -> UnfollowResult | MissingUser:
        """Delete the follow if present, leaving a tombstone until its event is published."""

        def work(tx: neo4j.ManagedTransaction) -> UnfollowResult | MissingUser:
            if missing := self._lock_pair(tx, follower_id, followee_id):
                return missing
            deleted = tx.run(Q_DELETE_FOLLOW, a=follower_id, b=followee_id).single(strict=True)
            if deleted["deleted"]:
                rec = tx.run(Q_TOMBSTONE, a=follower_id, b=followee_id, now=now_ms()).single(
                    strict=True
                )
                return UnfollowResult(True, int(rec["at_ms"]))
            pending = tx.run(Q_PENDING_TOMBSTONE, a=follower_id, b=followee_id).single()
            return UnfollowResult(False, int(pending["at_ms"]) if pending else None)

        with self._session() as s:
            return s.execute_write(work)

    # Tools and tests set up graphs with these; requests go through the use cases.
    def follow(self, follower_id: str, followee_id: str) -> bool:
        """Whether the edge was created (False: it existed, or a user is missing)."""
        res = self.follow_with_state(follower_id, followee_id)
        return isinstance(res, FollowResult) and res.changed

    def unfollow(self, follower_id: str, followee_id: str) -> bool:
        res = self.unfollow_with_state(follower_id, followee_id)
        return isinstance(res, UnfollowResult) and res.changed

    def mark_follow_announced(self, follower_id: str, followee_id: str, created_ms: int) -> None:
        with self._session() as s:
            s.execute_write(
                lambda tx: tx.run(
                    Q_FOLLOW_ANNOUNCED, a=follower_id, b=followee_id, created_ms=created_ms
                ).consume()
            )

    def mark_unfollow_announced(self, follower_id: str, followee_id: str, at_ms: int) -> None:
        with self._session() as s:
            s.execute_write(
                lambda tx: tx.run(
                    Q_UNFOLLOW_ANNOUNCED, a=follower_id, b=followee_id, at_ms=at_ms
                ).consume()
            )

    def pending_announcements(
        self, limit: int = 500, older_than_ms: int | None = None
    ) -> list[PendingAnnouncement]:
        """Follows and unfollows whose events were never acked, for a relay to re-publish."""
        before = older_than_ms if older_than_ms is not None else now_ms() + 1
        out = [
            PendingAnnouncement("follow", r["a"], r["b"], int(r["ms"]))
            for r in self._read(Q_PENDING_FOLLOWS, limit=limit, before=before)
        ]
        out += [
            PendingAnnouncement("unfollow", r["a"], r["b"], int(r["ms"]))
            for r in self._read(Q_PENDING_UNFOLLOWS, limit=limit, before=before)
        ]
        return out

    def popular(self, limit: int) -> list[User]:
        return [_user(r) for r in self._read(Q_POPULAR, limit=limit)]

    def followed_among(self, uid: str, ids: Iterable[str]) -> set[str]:
        return {r["id"] for r in self._read(Q_FOLLOWED_AMONG, id=uid, ids=list(ids))}

    def followers_among(self, uid: str, ids: Iterable[str]) -> set[str]:
        """Which of ``ids`` follow ``uid``."""
        wanted = list(ids)
        if not wanted:
            return set()
        return {r["id"] for r in self._read(Q_FOLLOWERS_AMONG, id=uid, ids=wanted)}

    def is_following(self, a: str, b: str) -> bool:
        recs = self._read(Q_IS_FOLLOWING, a=a, b=b)
        return bool(recs and recs[0]["following"])

    # -- lists ------------------------------------------------------------------------------

    def _page(
        self, query: LiteralString, uid: str, limit: int, after: Position | None
    ) -> UserPage | None:
        after_ms, after_id = after if after else (None, None)
        before = fkey(after_ms, after_id) if after_ms is not None and after_id else "~"

        def work(tx: neo4j.ManagedTransaction) -> tuple[list[neo4j.Record], bool]:
            if tx.run(Q_EXISTING_IDS, ids=[uid]).single() is None:
                return [], False
            # One extra row tells whether a next page exists without a second query.
            params: dict[str, Any] = {
                "id": uid,
                "limit": limit + 1,
                "after_ms": after_ms,
                "after_id": after_id,
                "before": before,
            }
            recs = list(tx.run(query, params))
            return recs, True

        with self._session() as s:
            recs, exists = s.execute_read(work)
        if not exists:
            return None
        page = recs[:limit]
        nxt: Position | None = None
        if len(recs) > limit and page:
            nxt = (int(page[-1]["edge_ms"]), page[-1]["id"])
        return UserPage([_user(r) for r in page], nxt)

    def followers(self, uid: str, limit: int, after: Position | None = None) -> UserPage | None:
        return self._page(Q_FOLLOWERS_PAGE, uid, limit, after)

    def following(self, uid: str, limit: int, after: Position | None = None) -> UserPage | None:
        return self._page(Q_FOLLOWING_PAGE, uid, limit, after)

    def follower_count(self, uid: str) -> int:
        recs = self._read(Q_FOLLOWER_COUNT, id=uid)
        return int(recs[0]["n"]) if recs else 0

    def following_ids(self, uid: str) -> list[str]:
        return [r["id"] for r in self._read(Q_FOLLOWING_IDS, id=uid)]

    def iter_follower_pages(self, uid: str, page_size: int = 1000) -> Iterator[list[str]]:
        """Every follower id of ``uid``, ``page_size`` at a time, in follow order.

        Each round trip reads the next window of the (followee, fkey) index after the last key
        seen, in its own managed read transaction: memory stays at one window however many
        followers there are, a transient failure retries just that window, and a follow made
        meanwhile lands after the cursor (included) instead of shifting what is left.
        """
        window = max(page_size, self.stream_window)
        after, buf = "", []
        while True:
            with self._session(default_access_mode=neo4j.READ_ACCESS) as s:
                keys: list[str] = s.execute_read(_follower_keys, uid, after, window)
            buf += [k[FKEY_ID_OFFSET:] for k in keys]
            while len(buf) >= page_size:
                yield buf[:page_size]
                buf = buf[page_size:]
            if len(keys) < window:
                break
            after = keys[-1]
        if buf:
            yield buf

    # -- bulk import ------------------------------------------------------------------------

    def import_users(self, rows: Sequence[tuple[str, str, str]], now: int) -> int:
        """MERGE (id, handle, display name) rows in one transaction; how many were new."""
        params = [
            {
                "id": uid,
                "handle": handle,
                "handle_key": handle_key(handle),
                "skeleton": handle_skeleton(handle),
                "name": name,
            }
            for uid, handle, name in rows
        ]

        def work(tx: neo4j.ManagedTransaction) -> int:
            return tx.run(Q_IMPORT_USERS, rows=params, now=now).consume().counters.nodes_created

        with self._session() as s:
            return s.execute_write(work)

    def import_follows(self, pairs: Sequence[tuple[str, str]], now: int) -> int:
        """MERGE (follower, followee) follows, already announced, in one transaction; how many
        were new. Both users must exist (import them first)."""
        params = [[a, b] for a, b in pairs]

        def work(tx: neo4j.ManagedTransaction) -> int:
            result = tx.run(Q_IMPORT_FOLLOWS, pairs=params, now=now)
            return result.consume().counters.relationships_created

        with self._session() as s:
            return s.execute_write(work)

    # -- people you may know ----------------------------------------------------------------

    def suggestions(self, uid: str, limit: int) -> list[tuple[User, int, int]] | None:
        """(user, degree, mutual_count), 2nd degree by mutual count, then 3rd degree; None
        when ``uid`` is not in the graph."""

        def work(tx: neo4j.ManagedTransaction) -> list[tuple[str, int, int]] | None:
            if tx.run(Q_EXISTING_IDS, ids=[uid]).single() is None:
                return None
            # Fetch more than asked so the 3rd-degree step can exclude every 2nd-degree user.
            cap = max(limit, self.suggest_seed_cap)
            second = [
                (r["id"], 2, int(r["mutual"]))
                for r in tx.run(
                    Q_SUGGEST_2ND,
                    id=uid,
                    k_follows=self.suggest_follows_cap,
                    k_per=self.suggest_per_follow_cap,
                    cap=cap,
                )
            ]
            if len(second) >= limit:
                return second[:limit]
            # No 2nd degree means every follow of a follow is already followed, so nothing lies
            # at 3rd degree either; otherwise expand from the best 2nd-degree users.
            seeds = [i for i, _, _ in second[: self.suggest_seed_cap]]
            third = self._third(tx, uid, seeds, {i for i, _, _ in second}, limit - len(second))
            return second + third

        with self._session() as s:
            ranked = s.execute_read(work)
        if ranked is None:
            return None
        users = self.get_users(i for i, _, _ in ranked)
        return [(users[i], deg, mutual) for i, deg, mutual in ranked if i in users]

    def _third(
        self,
        tx: neo4j.ManagedTransaction,
        uid: str,
        seeds: list[str],
        exclude: set[str],
        limit: int,
    ) -> list[tuple[str, int, int]]:
        if not seeds or limit <= 0:
            return []
        return [
            (r["id"], 3, int(r["mutual"]))
            for r in tx.run(
                Q_SUGGEST_3RD,
                id=uid,
                seeds=seeds,
                exclude=sorted(exclude),
                k_per=self.suggest_per_follow_cap,
                limit=limit,
            )
        ]
