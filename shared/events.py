"""Versioned event schema: every message on every topic is one of these, validated both ways.

Wire format: the Pub/Sub message data is the JSON of one event (``type`` and ``version`` inside);
the same two travel as message attributes so a consumer can route without parsing. Ids are
strings in JSON (64-bit ints do not survive JavaScript).
"""

from __future__ import annotations

import json
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, model_validator

UserId = Annotated[str, Field(min_length=1, max_length=128)]
PostIdStr = Annotated[str, Field(pattern=r"^[0-9]{1,19}$")]


class InvalidEvent(ValueError):
    """A message that can never be processed: bad JSON, unknown type/version, bad fields."""


class _Event(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    event_id: Annotated[str, Field(min_length=1, max_length=64)]
    occurred_ms: Annotated[int, Field(ge=0)]
    trace_id: str | None = None

    # Crypto-shredding (issue 23, docs/privacy.md): the personal fields of an event travel
    # sealed with the author's data key, in ``sealed``, and are "" / [] on the wire. Read them
    # only after ``shared.sealing.open_event`` (consumers: ``consume`` does it for them). A new
    # personal field of an event is added to its SEALED tuple, nothing else.
    SEALED: ClassVar[tuple[str, ...]] = ()
    SEALED_BY: ClassVar[str] = ""  # the field naming whose key seals it


class MentionRef(BaseModel):
    """One resolved @mention of a post: code-point span of the text and the user's id."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    start: Annotated[int, Field(ge=0, le=280)]
    end: Annotated[int, Field(ge=1, le=280)]
    user_id: UserId


class PostCreated(_Event):
    type: Literal["PostCreated"] = "PostCreated"
    version: Literal[1] = 1
    # mentions are sealed too: offsets into the sealed text and whom the author addressed are
    # the author's personal data as much as the text is (erasing them must leave nothing).
    SEALED = ("text", "media", "hashtags", "mentions")
    SEALED_BY = "author_id"

    post_id: PostIdStr
    author_id: UserId
    # Required unless sealed (then "" on the wire, and absent from the JSON).
    text: Annotated[str, Field(max_length=280)] = ""
    created_ms: Annotated[int, Field(ge=0)]
    # Optional and additive, so version 1 still: messages without it stay valid. Each item is
    # the post's media as the API shows it (shared.domain.media.media_json), at most four.
    media: Annotated[list[dict[str, Any]], Field(max_length=4)] = Field(default_factory=list)
    # A reply's refs (Bluesky's parent and root): optional and additive like media, and left
    # out of the JSON when absent, so a post that is not a reply is the message it always was.
    reply_to: PostIdStr | None = None
    root_id: PostIdStr | None = None
    reply_to_author_id: UserId | None = None
    # Optional and additive too (issue 22): the post's distinct hashtags as parsed at create
    # time (shared.domain.facets.hashtags: NFKC, case-folded, without "#"), first use first.
    hashtags: Annotated[
        list[Annotated[str, Field(min_length=1, max_length=64)]], Field(max_length=10)
    ] = Field(default_factory=list)
    # Optional and additive too (issue 21): the resolved @mentions (shared.domain.facets),
    # in text order, at most 10; left out of the JSON when none.
    mentions: Annotated[list[MentionRef], Field(max_length=10)] = Field(default_factory=list)
    # The SEALED fields, encrypted (shared.sealing); absent on an unsealed (pre-issue-23) event.
    sealed: Annotated[str, Field(min_length=1, max_length=8192)] | None = None

    @model_validator(mode="after")
    def _text_or_sealed(self) -> PostCreated:
        if self.sealed is None and not self.text:
            raise ValueError("text is required (at least 1 character) unless sealed")
        if self.sealed is not None and (self.text or self.media or self.mentions):
            raise ValueError("a sealed event carries no plaintext text or media")
        return self


class PostDeleted(_Event):
    type: Literal["PostDeleted"] = "PostDeleted"
    version: Literal[1] = 1
    post_id: PostIdStr
    author_id: UserId
    created_ms: Annotated[int, Field(ge=0)]


class UserFollowed(_Event):
    type: Literal["UserFollowed"] = "UserFollowed"
    version: Literal[1] = 1
    follower_id: UserId
    followee_id: UserId


class UserUnfollowed(_Event):
    type: Literal["UserUnfollowed"] = "UserUnfollowed"
    version: Literal[1] = 1
    follower_id: UserId
    followee_id: UserId


class FanoutBatch(_Event):
    """One slice of a push fan-out: add (or remove) one post in up to ~1,000 home timelines."""

    type: Literal["FanoutBatch"] = "FanoutBatch"
    version: Literal[1] = 1
    op: Literal["add", "remove"]
    post_id: PostIdStr
    author_id: UserId
    created_ms: Annotated[int, Field(ge=0)]
    recipients: Annotated[list[UserId], Field(max_length=5000)]
    batch_no: Annotated[int, Field(ge=0)]
    # A repost's timeline entry: post_id is then the entry's id (shared.domain.reposts) and
    # author_id the reposter; this is the original post. Optional and additive (version 1 still):
    # left out of the JSON when absent, so a post's batches stay byte-identical.
    repost_of: PostIdStr | None = None


class AccountDeleted(_Event):
    """A person asked to be erased (DELETE /v1/me): the account eraser removes them from every
    store and destroys their data key (docs/privacy.md). Carries nothing but the id."""

    type: Literal["AccountDeleted"] = "AccountDeleted"
    version: Literal[1] = 1
    user_id: UserId
    requested_ms: Annotated[int, Field(ge=0)]


class ExportRequested(_Event):
    """A person asked for their data (POST /v1/me/export, export-requests): the account
    exporter builds the archive of export ``export_id`` (shared/domain/exports.py)."""

    type: Literal["ExportRequested"] = "ExportRequested"
    version: Literal[1] = 1
    user_id: UserId
    export_id: Annotated[str, Field(pattern=r"^[0-9]{1,19}$")]
    requested_ms: Annotated[int, Field(ge=0)]


class PostLiked(_Event):
    """A user liked a post (engagement-events). ``author_id`` is the post's author."""

    type: Literal["PostLiked"] = "PostLiked"
    version: Literal[1] = 1
    post_id: PostIdStr
    author_id: UserId
    user_id: UserId
    liked_ms: Annotated[int, Field(ge=0)]


class PostUnliked(_Event):
    type: Literal["PostUnliked"] = "PostUnliked"
    version: Literal[1] = 1
    post_id: PostIdStr
    author_id: UserId
    user_id: UserId
    liked_ms: Annotated[int, Field(ge=0)]


class PostReposted(_Event):
    """A user reposted a post (post-events: the fan-out planner sends it to the REPOSTER's
    followers). ``post_id``/``author_id``/``created_ms`` are the original's."""

    type: Literal["PostReposted"] = "PostReposted"
    version: Literal[1] = 1
    post_id: PostIdStr
    author_id: UserId
    reposter_id: UserId
    created_ms: Annotated[int, Field(ge=0)]
    reposted_ms: Annotated[int, Field(ge=0)]


class RepostRemoved(_Event):
    type: Literal["RepostRemoved"] = "RepostRemoved"
    version: Literal[1] = 1
    post_id: PostIdStr
    author_id: UserId
    reposter_id: UserId
    created_ms: Annotated[int, Field(ge=0)]
    reposted_ms: Annotated[int, Field(ge=0)]


EngagementEvent = PostLiked | PostUnliked | PostReposted | RepostRemoved

Event = Annotated[
    PostCreated
    | PostDeleted
    | UserFollowed
    | UserUnfollowed
    | FanoutBatch
    | PostLiked
    | PostUnliked
    | PostReposted
    | RepostRemoved
    | AccountDeleted
    | ExportRequested,
    Field(discriminator="type"),
]
_adapter: TypeAdapter[Event] = TypeAdapter(Event)
KNOWN_VERSIONS = {
    "PostCreated": 1,
    "PostDeleted": 1,
    "UserFollowed": 1,
    "UserUnfollowed": 1,
    "FanoutBatch": 1,
    "PostLiked": 1,
    "PostUnliked": 1,
    "PostReposted": 1,
    "RepostRemoved": 1,
    "AccountDeleted": 1,
    "ExportRequested": 1,
}
# Optional fields left out of the JSON when empty (None or []): old messages stay byte-identical.
_OMIT_WHEN_EMPTY = (
    "media", "hashtags", "mentions", "reply_to", "root_id", "reply_to_author_id", "repost_of",
    "sealed",
)  # fmt: skip


def encode(event: _Event) -> tuple[bytes, dict[str, str]]:
    """Message data and attributes for ``event``."""
    # An empty optional list is left out: a post without media is byte-for-byte the message
    # it was before the field existed (and older consumers, extra="forbid", still accept it).
    # Likewise ``sealed`` when absent, and the emptied plaintext fields when present.
    empty = {f for f in _OMIT_WHEN_EMPTY if f in type(event).model_fields
             and getattr(event, f) in (None, [])}  # fmt: skip
    if getattr(event, "sealed", None) is not None:
        empty |= set(event.SEALED)
    body = event.model_dump(mode="json", exclude=empty or None)
    data = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    attrs = {"type": str(body["type"]), "version": str(body["version"])}
    if event.trace_id:
        attrs["trace_id"] = event.trace_id
    return data, attrs


def decode(data: bytes | str) -> Event:
    """Parse and validate one message; InvalidEvent for anything that is not a known event."""
    try:
        raw: Any = json.loads(data)
    except (UnicodeDecodeError, ValueError) as exc:
        raise InvalidEvent(f"not JSON: {exc}") from exc
    if not isinstance(raw, dict):
        raise InvalidEvent("event must be a JSON object")
    etype, version = raw.get("type"), raw.get("version")
    if etype not in KNOWN_VERSIONS:
        raise InvalidEvent(f"unknown event type {etype!r}")
    if version != KNOWN_VERSIONS[etype]:
        raise InvalidEvent(f"unsupported {etype} version {version!r}")
    try:
        return _adapter.validate_python(raw)
    except ValidationError as exc:
        raise InvalidEvent(f"invalid {etype}: {exc.errors(include_url=False)}") from exc
