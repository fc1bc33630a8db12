"""Posts on Firestore: an append-only event log per author, a read model, and the outbox.

Collections (docs/posts.md has the full picture):

- ``users/{author_id}/post_events/{event_id}``: the event log. One doc per PostCreated or
  PostDeleted, never rewritten except for its outbox flag (``published``). ``data`` is the
  event's exact wire JSON, so a republish sends byte-for-byte what the first publish sent.
  With data keys wired (``keys``, issue 23) a PostCreated is written sealed: its text and media
  readable only with the author's data key (shared/sealing.py), in the log and on the wire.
- ``posts/{post_id}``: the read model. Deleting tombstones it (``deleted=True``, text cleared).
- ``author_stats/{author_id}``: each author's live post count, written with every create and
  delete (shared/adapters/firestore_author_stats.py).
- ``post_idempotency/{sha256(author, key)}``: one doc per Idempotency-Key, created in the same
  transaction as the post; ``expires_at`` is meant for a Firestore TTL policy (24 h).

This adapter stores and returns facts; the rules (who may delete, what a key replays) are
shared/domain/posts.py's, applied by the use case (shared/usecases/posts.py).

Every write of the request path is one transaction. The create transaction reads nothing: it
*creates* its three docs, so when 50 identical requests race, the commit's exists=false
precondition on the idempotency doc lets exactly one through, with no read locks to contend on.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from google.api_core import exceptions as gexc
from google.api_core import retry as gretry
from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter

from shared import events, ids, sealing
from shared.adapters.firestore_author_stats import AuthorStats
from shared.domain import errors
from shared.domain.model import Mention, Post
from shared.domain.posts import PostEvent

POSTS = "posts"
USERS = "users"
EVENTS = "post_events"
IDEMPOTENCY = "post_idempotency"
IDEMPOTENCY_TTL = dt.timedelta(hours=24)
BATCH_LIMIT = 500  # Firestore's limit of writes per batch / commit
# The create batch writes the author's counter document, which a backfill transaction may hold
# for a moment (firestore_author_stats): ABORTED then means "nothing written, try again".
_RETRY_CONTENDED = gretry.Retry(
    predicate=gretry.if_exception_type(gexc.Aborted), initial=0.05, maximum=1.0, timeout=15.0
)


def created_event_id(post_id: int) -> str:
    # Deterministic ids: a consumer can dedupe on event_id, and a replayed create cannot
    # ever append a second PostCreated for the same post.
    return f"post-created-{post_id}"


def deleted_event_id(post_id: int) -> str:
    return f"post-deleted-{post_id}"


def _text_digest(text: str, media: Sequence[dict[str, Any]] = ()) -> str:
    """A digest of what an Idempotency-Key was first used for, kept on its doc for audits: the
    text, and the media ids when there are any (digests of posts without media are what they
    were before media existed). The replay check itself compares the first PostCreated."""
    payload = text if not media else "\x00".join([text, *(str(m["id"]) for m in media)])
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _post_doc(post: Post) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "id": post.id,
        "author_id": post.author_id,
        "text": post.text,
        "created_ms": post.created_ms,
        "deleted": post.deleted,
    }
    if post.media:
        doc["media"] = list(post.media)
    if post.reply_to is not None:
        doc["reply_to"] = post.reply_to
        doc["root_id"] = post.root_id
        doc["reply_to_author_id"] = post.reply_to_author_id
    if post.hashtags:
        doc["hashtags"] = list(post.hashtags)
    if post.mentions:
        doc["mentions"] = [m.to_json() for m in post.mentions]
        # who is mentioned, queryable (array-contains): an erased account's mentions are found
        doc["mentioned"] = sorted({m.user_id for m in post.mentions if m.user_id is not None})
    return doc


def _post_of(data: dict[str, Any]) -> Post:
    return Post(
        id=int(data["id"]),
        author_id=str(data["author_id"]),
        text=str(data.get("text", "")),
        created_ms=int(data["created_ms"]),
        deleted=bool(data.get("deleted", False)),
        media=tuple(data.get("media") or ()),
        reply_to=_opt_int(data.get("reply_to")),
        root_id=_opt_int(data.get("root_id")),
        reply_to_author_id=(
            None if data.get("reply_to_author_id") is None else str(data["reply_to_author_id"])
        ),
        hashtags=tuple(data.get("hashtags") or ()),
        mentions=tuple(
            Mention(
                int(m["start"]),
                int(m["end"]),
                None if m.get("user_id") is None else str(m["user_id"]),
            )
            for m in data.get("mentions") or ()
        ),
    )


def _opt_int(v: Any) -> int | None:
    return None if v is None else int(v)


def _event_doc(event: PostEvent) -> dict[str, Any]:
    data, _ = events.encode(event)
    return {
        "type": event.type,
        "version": event.version,
        "event_id": event.event_id,
        "post_id": event.post_id,
        "author_id": event.author_id,
        "occurred_ms": event.occurred_ms,
        "published": False,
        "data": data.decode("utf-8"),
    }


def _event_of(data: dict[str, Any] | None) -> PostEvent:
    if data is None or not isinstance(data.get("data"), str):
        raise events.InvalidEvent("event document has no data")
    event = events.decode(data["data"])
    if not isinstance(event, events.PostCreated | events.PostDeleted):
        raise events.InvalidEvent(f"{event.type} does not belong in the post event log")
    return event


class FirestorePosts:
    """The PostStore port and the write side of posts, on one Firestore client."""

    def __init__(
        self, client: firestore.Client, keys: Callable[[], sealing.DataKeys] | None = None
    ) -> None:
        self._db = client
        # A provider: only a post written or replayed needs the keys (and so the KEK's client).
        self._keys = keys
        self._stats = AuthorStats(client, self._live_posts_of)

    # references -------------------------------------------------------------------------

    def _post_ref(self, post_id: int) -> firestore.DocumentReference:
        return self._db.collection(POSTS).document(str(post_id))

    def _event_ref(self, author_id: str, event_id: str) -> firestore.DocumentReference:
        return self._db.collection(USERS).document(author_id).collection(EVENTS).document(event_id)

    def _idempotency_ref(self, author_id: str, key: str) -> firestore.DocumentReference:
        digest = hashlib.sha256(f"{author_id}\x00{key}".encode()).hexdigest()
        return self._db.collection(IDEMPOTENCY).document(digest)

    # write path -------------------------------------------------------------------------

    def create_post(
        self,
        author_id: str,
        text: str,
        idempotency_key: str | None,
        post_id: int,
        *,
        trace_id: str | None = None,
        media: Sequence[dict[str, Any]] = (),
        reply: tuple[int, int, str] | None = None,
        hashtags: Sequence[str] = (),
        mentions: Sequence[Mention] = (),
    ) -> tuple[Post, events.PostCreated, bool]:
        """Append PostCreated, write the read model and the idempotency doc in one transaction.

        Returns (post, event, created). created is False when the key was used before: then
        post and event are the first request's, whatever its text and media were (the use case
        decides whether this request may replay it). ``media`` (media_json items) goes on the
        read model and the event alike, and so do ``reply`` ((reply_to, root_id,
        reply_to_author_id) of a reply) and ``hashtags`` (shared.domain.facets).
        """
        created_ms = ids.timestamp_ms(post_id)
        reply_to, root_id, reply_author = reply if reply is not None else (None, None, None)
        post = Post(
            id=post_id, author_id=author_id, text=text, created_ms=created_ms, media=tuple(media),
            reply_to=reply_to, root_id=root_id, reply_to_author_id=reply_author,
            hashtags=tuple(hashtags), mentions=tuple(mentions),
        )  # fmt: skip
        event = events.PostCreated(
            event_id=created_event_id(post_id),
            occurred_ms=created_ms,
            post_id=str(post_id),
            author_id=author_id,
            text=text,
            created_ms=created_ms,
            trace_id=trace_id,
            media=list(media),
            reply_to=None if reply_to is None else str(reply_to),
            root_id=None if root_id is None else str(root_id),
            reply_to_author_id=reply_author,
            hashtags=list(hashtags),
            mentions=[events.MentionRef(**m.to_json()) for m in mentions],
        )
        if self._keys is not None:
            event = sealing.seal_event(event, self._keys())
        idem_ref = self._idempotency_ref(author_id, idempotency_key) if idempotency_key else None
        post_ref = self._post_ref(post_id)
        event_ref = self._event_ref(author_id, event.event_id)

        # Creates only, no reads: one atomic batched commit (every create's "must not exist"
        # precondition holds or none is written) instead of a transaction's begin + commit.
        batch = self._db.batch()
        if idem_ref is not None:
            batch.create(
                idem_ref,
                {
                    "author_id": author_id,
                    "post_id": post_id,
                    "text_sha256": _text_digest(text, media),
                    "created_ms": created_ms,
                    "expires_at": dt.datetime.now(dt.UTC) + IDEMPOTENCY_TTL,
                },
            )
        batch.create(post_ref, _post_doc(post))
        batch.create(event_ref, _event_doc(event))
        self._stats.count_in(batch, author_id, +1)

        try:
            batch.commit(retry=_RETRY_CONTENDED)
        except Exception:
            # The loser of a race sees AlreadyExists. Whatever the error, an idempotency doc for
            # this key means an earlier request won: answer with its post. A commit that
            # succeeded but whose answer was lost also lands here, and is answered correctly.
            if idem_ref is None:
                raise
            earlier = self._earlier_create(idem_ref)
            if earlier is None:
                raise
            return earlier[0], earlier[1], False
        return post, event, True

    def _earlier_create(
        self, idem_ref: firestore.DocumentReference
    ) -> tuple[Post, events.PostCreated] | None:
        snap = idem_ref.get()
        if not snap.exists:
            return None
        idem = snap.to_dict() or {}
        post_id = int(idem["post_id"])
        author_id = str(idem["author_id"])
        post_ref = self._post_ref(post_id)
        event_ref = self._event_ref(author_id, created_event_id(post_id))
        docs = {s.reference.path: s.to_dict() for s in self._db.get_all([post_ref, event_ref])}
        event = _event_of(docs.get(event_ref.path))
        assert isinstance(event, events.PostCreated)
        if self._keys is not None:
            # The use case compares the first request's text with this one's.
            opened = sealing.open_event(event, self._keys())
            if isinstance(opened, sealing.Shredded):
                raise errors.PermissionDenied("this account has been deleted")
            event = opened
        return _post_of(docs.get(post_ref.path) or {}), event

    def delete_post_once(
        self, post_id: int, *, trace_id: str | None = None
    ) -> tuple[events.PostDeleted, bool] | None:
        """Tombstone the post and append PostDeleted in one transaction: (event, deleted_now).

        None when the post never existed. A post deleted already is left as it is: its original
        PostDeleted comes back with deleted_now=False, and nothing is appended. Who may delete
        is not decided here (shared.domain.posts.check_can_delete, before this call).
        """
        post_ref = self._post_ref(post_id)

        @firestore.transactional  # type: ignore[untyped-decorator]
        def run(tx: firestore.Transaction) -> tuple[events.PostDeleted, bool] | None:
            snap = post_ref.get(transaction=tx)
            if not snap.exists:
                return None
            post = _post_of(snap.to_dict() or {})
            event_ref = self._event_ref(post.author_id, deleted_event_id(post_id))
            if post.deleted:
                earlier = _event_of(event_ref.get(transaction=tx).to_dict())
                assert isinstance(earlier, events.PostDeleted)
                return earlier, False
            now = ids.now_ms()
            event = events.PostDeleted(
                event_id=deleted_event_id(post_id),
                occurred_ms=now,
                post_id=str(post_id),
                author_id=post.author_id,
                created_ms=post.created_ms,
                trace_id=trace_id,
            )
            # The media stay listed on the tombstone: a DELETE retried after a crash still
            # knows which files to delete (the posts use case does that after the commit).
            tx.update(post_ref, {"deleted": True, "text": "", "deleted_ms": now})
            tx.create(event_ref, _event_doc(event))
            self._stats.count_in(tx, post.author_id, -1)
            return event, True

        result: tuple[events.PostDeleted, bool] | None = run(self._db.transaction())
        return result

    # read model -------------------------------------------------------------------------

    def get_post(self, post_id: int) -> Post | None:
        """The post, tombstones included (deleted=True); None when it never existed."""
        snap = self._post_ref(post_id).get()
        return _post_of(snap.to_dict() or {}) if snap.exists else None

    def get_posts(self, ids_: Sequence[int]) -> dict[int, Post]:
        """Posts by id in one BatchGetDocuments call; tombstones come back with deleted=True."""
        unique = list(dict.fromkeys(ids_))
        if not unique:
            return {}
        found: dict[int, Post] = {}
        for snap in self._db.get_all([self._post_ref(i) for i in unique]):
            if snap.exists:
                post = _post_of(snap.to_dict() or {})
                found[post.id] = post
        return found

    def posts_mentioning(self, user_id: str) -> list[int]:
        """The posts (anyone's) whose mentions link to ``user_id``."""
        query = self._db.collection(POSTS).where(
            filter=FieldFilter("mentioned", "array_contains", user_id)
        )
        return [int(s.get("id")) for s in query.select(["id"]).stream()]

    def forget_mentions_of(self, user_id: str, post_ids: Sequence[int]) -> int:
        """Resolve ``user_id``'s mentions in those posts to "deleted user" (an erased account,
        issue 23): the span stays, marked deleted, with no id; the ``@handle`` the other author
        typed stays in their text (their words), and the app shows it as "deleted user"."""
        done = 0
        for pid in post_ids:
            ref = self._post_ref(pid)
            snap = ref.get()
            if not snap.exists:
                continue
            data = snap.to_dict() or {}
            kept = [
                {"start": m["start"], "end": m["end"], "user_id": None, "deleted": True}
                if m.get("user_id") == user_id else m
                for m in data.get("mentions") or ()
            ]  # fmt: skip
            ref.update({"mentions": kept, "mentioned": sorted(
                {str(m["user_id"]) for m in kept if m.get("user_id") is not None})})  # fmt: skip
            done += 1
        return done

    def list_replies(
        self, post_id: int, limit: int, after: int | None = None, *, newest: bool = False
    ) -> list[Post]:
        """Direct replies of a post (tombstones included), by id: oldest first, or newest
        first with ``newest``; ids past ``after`` in that order."""
        if limit <= 0:
            return []
        query = self._db.collection(POSTS).where(filter=FieldFilter("reply_to", "==", post_id))
        if after is not None:
            query = query.where(filter=FieldFilter("id", "<" if newest else ">", after))
        direction = firestore.Query.DESCENDING if newest else firestore.Query.ASCENDING
        query = query.order_by("id", direction=direction).limit(limit)
        return [_post_of(s.to_dict() or {}) for s in query.stream()]

    def reply_ids(self, post_id: int) -> list[tuple[int, bool]]:
        """(reply id, deleted) of every direct reply of a post (a reply counter rebuild)."""
        query = (
            self._db.collection(POSTS)
            .where(filter=FieldFilter("reply_to", "==", post_id))
            .select(["id", "deleted"])
        )
        out = []
        for snap in query.stream():
            d = snap.to_dict() or {}
            out.append((int(d["id"]), bool(d.get("deleted", False))))
        return out

    def _live_posts_of(self, author_id: str) -> firestore.Query:
        return (
            self._db.collection(POSTS)
            .where(filter=FieldFilter("author_id", "==", author_id))
            .where(filter=FieldFilter("deleted", "==", False))
        )

    def list_user_posts(self, author_id: str, limit: int, before: int | None = None) -> list[Post]:
        """An author's live posts, newest first, with ids below ``before``."""
        if limit <= 0:
            return []
        query = self._live_posts_of(author_id)
        if before is not None:
            query = query.where(filter=FieldFilter("id", "<", before))
        query = query.order_by("id", direction=firestore.Query.DESCENDING).limit(limit)
        return [_post_of(s.to_dict() or {}) for s in query.stream()]

    def count_user_posts(self, author_id: str) -> int:
        """Live posts of the author (the author's counter document, firestore_author_stats)."""
        return self._stats.counts([author_id])[author_id]

    # outbox and event log ---------------------------------------------------------------

    def unpublished_events(self, limit: int, older_than_ms: int | None = None) -> list[PostEvent]:
        """Oldest events not yet marked published, across all authors.

        ``older_than_ms`` lets the relay skip events whose request is probably still publishing
        them itself (it would only make a duplicate, but there is no point).
        """
        query = self._db.collection_group(EVENTS).where(
            filter=FieldFilter("published", "==", False)
        )
        if older_than_ms is not None:
            query = query.where(filter=FieldFilter("occurred_ms", "<", older_than_ms))
        query = query.order_by("occurred_ms").limit(limit)
        return [_event_of(s.to_dict()) for s in query.stream()]

    def mark_published(self, published: Iterable[PostEvent]) -> None:
        """Set published=True on these events' docs, in batched writes."""
        now = ids.now_ms()
        batch = self._db.batch()
        pending = 0
        for event in published:
            batch.update(
                self._event_ref(event.author_id, event.event_id),
                {"published": True, "published_ms": now},
            )
            pending += 1
            if pending == BATCH_LIMIT:
                batch.commit()
                batch, pending = self._db.batch(), 0
        if pending:
            batch.commit()

    def _events_between(self, since_ms: int | None, until_ms: int | None) -> firestore.Query:
        query: firestore.Query = self._db.collection_group(EVENTS)
        if since_ms is not None:
            query = query.where(filter=FieldFilter("occurred_ms", ">=", since_ms))
        if until_ms is not None:
            query = query.where(filter=FieldFilter("occurred_ms", "<", until_ms))
        return query

    def count_events(self, since_ms: int | None = None, until_ms: int | None = None) -> int:
        """How many events iter_events would yield (a count() aggregation, for progress)."""
        result = self._events_between(since_ms, until_ms).count(alias="n").get()
        return int(result[0][0].value) if result and result[0] else 0

    def iter_events(
        self, since_ms: int | None = None, until_ms: int | None = None, page_size: int = 500
    ) -> Iterator[PostEvent]:
        """The whole event log in time order across authors, ``since_ms <= occurred < until``.

        Pages with a cursor on the last document, so memory stays flat on any history size.
        """
        base = self._events_between(since_ms, until_ms).order_by("occurred_ms").order_by("__name__")
        last: firestore.DocumentSnapshot | None = None
        while True:
            query = base.limit(page_size)
            if last is not None:
                query = query.start_after(last)
            page = list(query.stream())
            for snap in page:
                yield _event_of(snap.to_dict())
            if len(page) < page_size:
                return
            last = page[-1]

    def replace_event_data(self, event: PostEvent) -> None:
        """Rewrite the stored wire JSON of an event already in the log (the one-off sealing of
        pre-issue-23 events, shared/usecases/seal_log.py): same id, same outbox flag."""
        data, _ = events.encode(event)
        self._event_ref(event.author_id, event.event_id).update({"data": data.decode("utf-8")})

    def count_user_posts_many(self, author_ids: Sequence[str]) -> dict[str, int]:
        """Live post counts of many authors (a followers page of up to 100), by author id: one
        ``get_all`` of their counter documents (firestore_author_stats says why and how)."""
        return self._stats.counts(author_ids)
