"""The users' rules: valid ids, handles and display names, one registration per person, no
following yourself, and the follower-list cursor. Pure, no I/O.

Also the value types the social graph answers with (shared/ports.py, users section), so that the
use cases and the Neo4j adapter speak the same words without knowing each other.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import unicodedata
from dataclasses import dataclass

from shared.domain import errors
from shared.domain.model import User

HANDLE_RE = re.compile(r"^[A-Za-z0-9_]{3,30}$")
HANDLE_RULE = "must be 3-30 characters of A-Z a-z 0-9 _"
# Firebase uids are at most 128 characters; ours (and the auth emulator's) are URL-safe ASCII.
# Anything else in a path segment is a client bug, answered 400 before touching the graph.
USER_ID_RE = re.compile(r"^[A-Za-z0-9_.:@-]{1,128}$")
USER_ID_RULE = "must be 1-128 characters of A-Z a-z 0-9 _ . : @ -"
DISPLAY_NAME_MAX = 50
BIO_MAX = 160
# Longer than any cursor encode_cursor makes (a 128-character id encodes to < 200), so a client
# cannot make us base64-decode megabytes.
MAX_CURSOR_LEN = 512
BAD_CURSOR = "cursor is not one this API returned"

# Cc: C0/C1 controls (newlines, tabs, escape...); Cs: lone surrogates; Zl/Zp: line and paragraph
# separators, which break one-line rendering just like a newline does.
_FORBIDDEN_CATEGORIES = frozenset({"Cc", "Cs", "Zl", "Zp"})


class InvalidField(errors.ValidationFailed):
    """One field failed validation; ``field`` names it for the client (details.field)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message, details={"field": field})
        self.field = field


# ---- ids, handles, names ------------------------------------------------------------------


def is_valid_user_id(uid: object) -> bool:
    return isinstance(uid, str) and USER_ID_RE.fullmatch(uid) is not None


def validate_user_id(uid: object, field: str = "id") -> str:
    if not is_valid_user_id(uid):
        raise InvalidField(field, USER_ID_RULE)
    assert isinstance(uid, str)
    return uid


def is_valid_handle(handle: object) -> bool:
    return isinstance(handle, str) and HANDLE_RE.fullmatch(handle) is not None


def validate_handle(handle: object, field: str = "handle") -> str:
    """The handle as the user typed it (case is kept for display; uniqueness ignores it)."""
    if not isinstance(handle, str):
        raise InvalidField(field, "must be a string")
    if not is_valid_handle(handle):
        raise InvalidField(field, HANDLE_RULE)
    return handle


def handle_key(handle: str) -> str:
    """The case-insensitive identity of a handle, stored under the uniqueness constraint."""
    # Handles are ASCII by construction, so lower() is a complete case fold here.
    return handle.lower()


def handle_skeleton(handle: str) -> str:
    """The confusable-safe identity of a handle: two handles a reader could take for one another
    have the same skeleton, and only one of them may exist (a uniqueness constraint on the user
    node, next to the case-insensitive ``handle_key``).

    Unicode TR39 skeletons, computed by ICU's SpoofChecker (PyICU): a maintained confusables
    table, not ours. skeleton(casefold(skeleton(handle))): the inner skeleton maps what the typed
    case looks like (``I`` -> ``l``, so ``paypaI`` ~ ``paypal``, ``1`` -> ``l``, ``rn`` ~ ``m``),
    the case fold makes it case-insensitive (``PayPal`` ~ ``paypal``), the outer skeleton maps
    what the folded letters look like (``M`` -> ``m`` -> ``rn``). Folding first would lose
    ``paypaI``: its fold is ``paypai``, which is not confusable with ``paypal``.
    """
    import icu  # PyICU, a dependency of the users function only (lazy: other functions import us)

    checker = icu.SpoofChecker()
    inner = checker.getSkeleton(0, handle)
    return str(checker.getSkeleton(0, str(icu.UnicodeString(inner).foldCase())))


def handle_looks_taken(handle: str, existing: str) -> errors.Conflict:
    return errors.Conflict(
        f"handle @{handle} looks like an existing handle (@{existing}); choose another",
        details={"field": "handle", "reason": "confusable", "existing": existing},
    )


# Bidi controls (ALM, LRM, RLM, embeddings/overrides LRE..RLO, isolates LRI..PDI): they reorder
# what a reader sees ("evil\u202egpj.exe" shows as "evilexe.jpg").
BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f"
    + "".join(map(chr, range(0x202A, 0x202F)))
    + "".join(map(chr, range(0x2066, 0x206A)))
)
# Variation selectors 15/16 choose text or emoji presentation ("\u2764\ufe0f" is the red heart):
# allowed right after an emoji, where they change how it looks, never anywhere else.
_PRESENTATION_SELECTORS = frozenset("\ufe0e\ufe0f")


def _invisible(ch: str, previous: str | None) -> bool:
    """Format characters (Cf: zero-width space/joiners, word joiner, BOM, tags, ...) and every
    other default-ignorable code point (ICU's property: Hangul fillers, Mongolian selectors,
    combining grapheme joiner, variation selectors, reserved ones), which render as nothing."""
    import icu

    if ch in _PRESENTATION_SELECTORS:
        return previous is None or not icu.Char.hasBinaryProperty(previous, icu.UProperty.EMOJI)
    return unicodedata.category(ch) == "Cf" or bool(
        icu.Char.hasBinaryProperty(ch, icu.UProperty.DEFAULT_IGNORABLE_CODE_POINT)
    )


def validate_display_name(name: object, field: str = "display_name") -> str:
    """The display name trimmed and NFC-normalised, 1-50 characters, without control, bidi
    control or invisible characters (the name a reader sees is the name there is: no reordering,
    no hidden difference between two names that look the same).

    All of them are refused, including the zero-width joiner of emoji sequences (a family emoji
    is refused, its single emoji are not) and Arabic/Indic ZWNJ: a name is a short label, and
    the joiners are exactly what lets two equal-looking names differ. The one exception is the
    emoji presentation selector (U+FE0F/U+FE0E) right after an emoji ("\u2764\ufe0f")."""
    cleaned = _clean_label(name, field, DISPLAY_NAME_MAX)
    if not cleaned:
        raise InvalidField(field, "must not be empty")
    return cleaned


def validate_bio(bio: object, field: str = "bio") -> str:
    """The bio: 0-160 characters after NFC and trimming, by the display name's rules (one line,
    no control, bidi control or invisible characters). "" clears it."""
    return _clean_label(bio, field, BIO_MAX)


def _clean_label(text: object, field: str, max_chars: int) -> str:
    if not isinstance(text, str):
        raise InvalidField(field, "must be a string")
    # NFC first so that "e" + combining accent counts as the one character a reader sees.
    cleaned = unicodedata.normalize("NFC", text).strip()
    if len(cleaned) > max_chars:
        raise InvalidField(field, f"must be at most {max_chars} characters")
    previous: str | None = None
    for ch in cleaned:
        if unicodedata.category(ch) in _FORBIDDEN_CATEGORIES:
            raise InvalidField(field, f"must not contain control characters (U+{ord(ch):04X})")
        if ch in BIDI_CONTROLS:
            raise InvalidField(
                field, f"must not contain bidirectional control characters (U+{ord(ch):04X})"
            )
        if _invisible(ch, previous):
            raise InvalidField(field, f"must not contain invisible characters (U+{ord(ch):04X})")
        previous = ch
    return cleaned


# ---- profile edits ------------------------------------------------------------------------

PROFILE_FIELDS = ("display_name", "bio", "handle")


@dataclass(frozen=True)
class ProfileChange:
    """What PATCH /v1/me asks to change; None: left as it is."""

    display_name: str | None = None
    bio: str | None = None
    handle: str | None = None

    def is_empty(self) -> bool:
        return self.display_name is None and self.bio is None and self.handle is None


def parse_profile_change(body: object) -> ProfileChange:
    """A PATCH /v1/me body as the validated change: unknown fields and non-strings are a bad
    request (400), a string breaking a rule 422 (details.field names it)."""
    if not isinstance(body, dict):
        raise errors.InvalidInput("body must be a JSON object")
    unknown = sorted(k for k in body if k not in PROFILE_FIELDS)
    if unknown:
        raise errors.InvalidInput(f"unknown field {unknown[0]}", details={"field": unknown[0]})
    for name, value in body.items():
        if value is not None and not isinstance(value, str):
            raise errors.InvalidInput(f"{name} must be a string", details={"field": name})
    change = ProfileChange(
        display_name=None if body.get("display_name") is None
        else validate_display_name(body["display_name"]),
        bio=None if body.get("bio") is None else validate_bio(body["bio"]),
        handle=None if body.get("handle") is None else validate_handle(body["handle"]),
    )  # fmt: skip
    if change.is_empty():
        raise errors.InvalidInput(
            f"nothing to change: send any of {', '.join(PROFILE_FIELDS)}", details={"field": None}
        )
    return change


class HandleTaken(errors.Conflict):
    """A profile edit asked for a handle that is someone else's (or looks like theirs)."""

    code = "handle_taken"


def handle_taken_by(handle: str, refused: HandleRefused) -> HandleTaken:
    details: dict[str, str] = {"field": "handle"}
    if refused.lookalike:
        details |= {"reason": "confusable", "existing": refused.existing}
    return HandleTaken(f"handle @{handle} is taken", details=details)


# ---- registration and follows -------------------------------------------------------------


def check_registration(existing: User, handle: str) -> None:
    """A person registers once: the same handle again (in any case) is a repeat, not a change."""
    if handle_key(existing.handle) != handle_key(handle):
        raise errors.Conflict(
            f"already registered as @{existing.handle}", details={"field": "handle"}
        )


def handle_taken(handle: str) -> errors.Conflict:
    return errors.Conflict(f"handle @{handle} is taken", details={"field": "handle"})


def check_not_self(caller: str, target: str, verb: str = "follow") -> None:
    """Nobody follows (or unfollows) themselves: a self-follow would put every post of theirs
    in their own home timeline twice and count them among their followers."""
    if caller == target:
        raise errors.InvalidInput(f"you cannot {verb} yourself")


def no_user(uid: str, caller: str | None = None) -> errors.NotFound:
    """The caller gets told what to do about it; anybody else that there is no such user."""
    if uid == caller:
        return errors.NotFound("register your profile first (POST /v1/users)", details={"id": uid})
    return errors.NotFound(f"no user {uid}", details={"id": uid})


# ---- follower lists -----------------------------------------------------------------------

# Where a follower/following page ends: (created_ms of the follow edge, the other user's id).
# Lists are newest follow first, ties broken by id descending; the next page starts after it.
Position = tuple[int, str]


def encode_cursor(edge_ms: int, uid: str) -> str:
    """Opaque to clients (base64url JSON), so the order it encodes may change without notice."""
    raw = json.dumps([edge_ms, uid], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


MAX_EDGE_MS = 2**63 - 1
MAX_ID_CHARS = 128


def decode_cursor(cursor: str) -> Position:
    """The position a cursor of ours names; InvalidInput for anything we did not hand out."""
    if len(cursor) > MAX_CURSOR_LEN:
        raise errors.InvalidInput(BAD_CURSOR)
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        edge_ms, uid = json.loads(raw)
    except (binascii.Error, ValueError, TypeError) as exc:
        raise errors.InvalidInput(BAD_CURSOR) from exc
    if not isinstance(edge_ms, int) or isinstance(edge_ms, bool) or not isinstance(uid, str):
        raise errors.InvalidInput(BAD_CURSOR)
    # Valid JSON, but outside what the graph can hold (Neo4j integers are 64-bit signed): a
    # number we never handed out must be a 400 here, not an overflow inside the driver.
    if not 0 <= edge_ms <= MAX_EDGE_MS or not 0 < len(uid) <= MAX_ID_CHARS:
        raise errors.InvalidInput(BAD_CURSOR)
    return edge_ms, uid


# ---- what the graph answers ---------------------------------------------------------------


@dataclass(frozen=True)
class HandleRefused:
    """Registration refused: ``existing`` is someone else's handle, the same case-insensitively
    (``lookalike`` False) or confusable with the one asked for (``lookalike`` True)."""

    existing: str
    lookalike: bool


@dataclass(frozen=True)
class MissingUser:
    """A follow or unfollow named a user the graph does not have; nothing was written."""

    id: str


@dataclass(frozen=True)
class FollowResult:
    changed: bool
    created_ms: int
    announced: bool


@dataclass(frozen=True)
class UnfollowResult:
    changed: bool
    # Set while a tombstone waits for its UserUnfollowed to be published.
    pending_at_ms: int | None

    @property
    def announced(self) -> bool:
        return self.pending_at_ms is None


@dataclass(frozen=True)
class PendingAnnouncement:
    kind: str  # "follow" or "unfollow"
    follower_id: str
    followee_id: str
    at_ms: int


@dataclass(frozen=True)
class UserPage:
    users: list[User]
    # Where this page ended when there is more after it; None on the last page.
    next: Position | None
