"""The rules of leaving: confirming a deletion, what its status says. Pure, no I/O.

Deleting an account (DELETE /v1/me) is confirmed by typing your own handle; the request hides
the account at once and the account eraser removes it from every store (docs/privacy.md).
"""

from __future__ import annotations

import hashlib

from shared.domain import errors
from shared.domain.users import InvalidField, handle_key

DELETING, DELETED = "deleting", "deleted"


class AccountDeleted(errors.Gone):
    code = "account_deleted"


def check_confirmation(body: object, handle: str) -> None:
    """``{"confirm": "<your handle>"}``, in any case: a deletion nobody can trigger by accident."""
    if not isinstance(body, dict):
        raise errors.InvalidInput("body must be a JSON object")
    unknown = sorted(k for k in body if k != "confirm")
    if unknown:
        raise errors.InvalidInput(f"unknown field {unknown[0]}", details={"field": unknown[0]})
    confirm = body.get("confirm")
    if not isinstance(confirm, str):
        raise errors.InvalidInput("confirm (your handle) is required", details={"field": "confirm"})
    if handle_key(confirm.strip().lstrip("@")) != handle_key(handle):
        raise InvalidField("confirm", "type your own handle to confirm the deletion")


def subject_key(uid: str) -> str:
    """The id of what outlives an erasure (its status): a digest, so it names nobody."""
    return hashlib.sha256(f"kwetter-erasure\x00{uid}".encode()).hexdigest()


def deletion_event_id(uid: str) -> str:
    # One per account: every re-publish of a deletion is the same event for the consumer.
    return f"account-deleted-{subject_key(uid)[:40]}"


def gone(status: str, done_ms: int | None) -> AccountDeleted:
    details: dict[str, object] = {"status": status}
    if done_ms is not None:
        details["done_ms"] = done_ms
    return AccountDeleted("this account has been deleted", details=details)
