"""The safety rules (issue 21): blocks, mutes, reports, moderator roles, suspension. No I/O.

A relation between two people is a set of flags, seen from one side (``uid``'s):
``b`` uid blocks the other, ``k`` the other blocks uid ("kept out"), ``m`` uid mutes the other.
A block hides both sides from each other everywhere; a mute only takes the muted person out of
the muter's home timeline and notifications (they are not told, nothing else changes).
See docs/safety.md.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from shared.domain import errors

BLOCKS, BLOCKED_BY, MUTES = "b", "k", "m"
FLAGS = frozenset({BLOCKS, BLOCKED_BY, MUTES})
Kind = Literal["block", "mute"]

# ---- errors, with their stable codes ---------------------------------------------------------


class Blocked(errors.PermissionDenied):
    """One of the two blocks the other: no follow, no profile posts, no reply."""

    code = "blocked"


class Suspended(errors.PermissionDenied):
    """A moderator suspended this account: it cannot post or follow."""

    code = "account_suspended"


class ModeratorOnly(errors.PermissionDenied):
    code = "moderator_only"


class AdminOnly(errors.PermissionDenied):
    code = "admin_only"


def blocked(other: str) -> Blocked:
    # The same words whichever side blocked: a blocked person learns no more than that.
    return Blocked("you and this user have blocked each other or one of you blocked the other",
                   details={"id": other})  # fmt: skip


def suspended(uid: str) -> Suspended:
    return Suspended("this account is suspended", details={"id": uid})


@dataclass(frozen=True)
class BlockedPair:
    """A graph write refused because one of the two blocks the other (follow)."""

    a: str
    b: str


def hidden_everywhere(flags: str) -> bool:
    """Blocked either way: the two see nothing of each other."""
    return BLOCKS in flags or BLOCKED_BY in flags


def hidden_from_home(flags: str) -> bool:
    """Blocked either way, or muted by the reader: kept out of home and notifications."""
    return bool(flags) and any(f in FLAGS for f in flags)


def with_flag(flags: str, flag: str, on: bool) -> str:
    """``flags`` with ``flag`` switched; always sorted (a stable stored value)."""
    got = set(flags) - {flag}
    if on:
        got.add(flag)
    return "".join(sorted(got))


def flags_of(rows: Mapping[str, set[str]]) -> dict[str, str]:
    return {other: "".join(sorted(fs)) for other, fs in rows.items() if fs}


# ---- lists: keyset cursors (created ms, other id) --------------------------------------------


MAX_CURSOR_MS = 10**15  # past the year 33,000: no list position is later


def encode_cursor(created_ms: int, other: str) -> str:
    raw = json.dumps([created_ms, other], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[int, str]:
    try:
        pad = "=" * (-len(cursor) % 4)
        ms, other = json.loads(base64.urlsafe_b64decode(cursor + pad))
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError) as exc:
        raise errors.InvalidInput("bad cursor", details={"field": "cursor"}) from exc
    if not isinstance(ms, int) or isinstance(ms, bool) or not isinstance(other, str):
        raise errors.InvalidInput("bad cursor", details={"field": "cursor"})
    # a time in ms that Neo4j's 64-bit integers hold (a crafted 2**70 was a 500 there)
    if not 0 <= ms <= MAX_CURSOR_MS:
        raise errors.InvalidInput("bad cursor", details={"field": "cursor"})
    return ms, other


# ---- reports ---------------------------------------------------------------------------------

REASONS = ("spam", "harassment", "hate", "violence", "sexual", "self_harm", "illegal", "other")
REPORT_TEXT_MAX = 1000
REMOVAL_REASON_MAX = 500


@dataclass(frozen=True)
class ReportDraft:
    subject: Literal["post", "user"]
    target: str  # a post id (decimal) or a user id
    reason: str
    text: str


def _text(body: Mapping[str, Any], name: str, most: int, required: bool = False) -> str:
    v = body.get(name)
    if v is None:
        if required:
            raise errors.InvalidInput(f"{name} is required", details={"field": name})
        return ""
    if not isinstance(v, str):
        raise errors.InvalidInput(f"{name} must be a string", details={"field": name})
    v = v.strip()
    if any(ord(c) < 32 and c not in "\n\t" for c in v):
        raise errors.ValidationFailed(f"{name} has control characters", details={"field": name})
    if len(v) > most:
        raise errors.ValidationFailed(f"{name} is over {most} characters", details={"field": name})
    if required and not v:
        raise errors.ValidationFailed(f"{name} is empty", details={"field": name})
    return v


def parse_report(body: Mapping[str, Any], valid_user: Any, valid_post: Any) -> ReportDraft:
    """``{"post_id": "...", "reason": ..., "text"?}`` or ``{"user_id": ...}``; exactly one."""
    unknown = sorted(set(body) - {"post_id", "user_id", "reason", "text"})
    if unknown:
        raise errors.InvalidInput(f"unknown field {unknown[0]}", details={"field": unknown[0]})
    has_post, has_user = body.get("post_id") is not None, body.get("user_id") is not None
    if has_post == has_user:
        raise errors.InvalidInput("give exactly one of post_id and user_id")
    reason = body.get("reason")
    if not isinstance(reason, str) or reason not in REASONS:
        raise errors.InvalidInput(
            f"reason must be one of {', '.join(REASONS)}",
            details={"field": "reason", "allowed": list(REASONS)},
        )
    text = _text(body, "text", REPORT_TEXT_MAX)
    if has_post:
        pid = body["post_id"]
        if not isinstance(pid, str) or not valid_post(pid):
            raise errors.InvalidInput("post_id must be a post id string",
                                      details={"field": "post_id"})  # fmt: skip
        return ReportDraft("post", pid, reason, text)
    target = body["user_id"]
    if not isinstance(target, str) or not valid_user(target):
        raise errors.InvalidInput("user_id is not a user id", details={"field": "user_id"})
    return ReportDraft("user", target, reason, text)


def parse_reason(body: Mapping[str, Any]) -> str:
    """A moderator's why (removal, suspension): required, for the audit log."""
    unknown = sorted(set(body) - {"reason"})
    if unknown:
        raise errors.InvalidInput(f"unknown field {unknown[0]}", details={"field": unknown[0]})
    return _text(body, "reason", REMOVAL_REASON_MAX, required=True)


# ---- roles (Firebase Auth custom claims) -----------------------------------------------------

MODERATOR, ADMIN = "moderator", "admin"
ROLES = (MODERATOR, ADMIN)


def roles_of(claims: Mapping[str, Any]) -> frozenset[str]:
    """The roles a verified token carries: a custom claim set to true (``{"moderator": true}``);
    an admin may do what a moderator may."""
    got = {r for r in ROLES if claims.get(r) is True}
    if ADMIN in got:
        got.add(MODERATOR)
    return frozenset(got)


def require_moderator(roles: frozenset[str]) -> None:
    if MODERATOR not in roles:
        raise ModeratorOnly("moderators only")


def require_admin(roles: frozenset[str]) -> None:
    if ADMIN not in roles:
        raise AdminOnly("admins only")
