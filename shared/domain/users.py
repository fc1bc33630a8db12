"""Validation of what a client may say about users: ids, handles, display names. Pure, no I/O."""

from __future__ import annotations

import re
import unicodedata

HANDLE_RE = re.compile(r"^[A-Za-z0-9_]{3,30}$")
# Firebase uids are at most 128 characters; ours (and the auth emulator's) are URL-safe ASCII.
# Anything else in a path segment is a client bug, answered 400 before touching the graph.
USER_ID_RE = re.compile(r"^[A-Za-z0-9_.:@-]{1,128}$")
DISPLAY_NAME_MAX = 50

# Cc: C0/C1 controls (newlines, tabs, escape...); Cs: lone surrogates; Zl/Zp: line and paragraph
# separators, which break one-line rendering just like a newline does.
_FORBIDDEN_CATEGORIES = frozenset({"Cc", "Cs", "Zl", "Zp"})


class InvalidField(ValueError):
    """One field failed validation; ``field`` names it for the client."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def is_valid_user_id(uid: object) -> bool:
    return isinstance(uid, str) and USER_ID_RE.fullmatch(uid) is not None


def validate_user_id(uid: object, field: str = "id") -> str:
    if not is_valid_user_id(uid):
        raise InvalidField(field, "must be 1-128 characters of A-Z a-z 0-9 _ . : @ -")
    assert isinstance(uid, str)
    return uid


def validate_handle(handle: object, field: str = "handle") -> str:
    """The handle as the user typed it (case is kept for display; uniqueness ignores it)."""
    if not isinstance(handle, str):
        raise InvalidField(field, "must be a string")
    if HANDLE_RE.fullmatch(handle) is None:
        raise InvalidField(field, "must be 3-30 characters of A-Z a-z 0-9 _")
    return handle


def handle_key(handle: str) -> str:
    """The case-insensitive identity of a handle, stored under the uniqueness constraint."""
    # Handles are ASCII by construction, so lower() is a complete case fold here.
    return handle.lower()


def validate_display_name(name: object, field: str = "display_name") -> str:
    """The display name trimmed and NFC-normalised, 1-50 characters, without control characters."""
    if not isinstance(name, str):
        raise InvalidField(field, "must be a string")
    # NFC first so that "e" + combining accent counts as the one character a reader sees.
    cleaned = unicodedata.normalize("NFC", name).strip()
    if not cleaned:
        raise InvalidField(field, "must not be empty")
    if len(cleaned) > DISPLAY_NAME_MAX:
        raise InvalidField(field, f"must be at most {DISPLAY_NAME_MAX} characters")
    for ch in cleaned:
        if unicodedata.category(ch) in _FORBIDDEN_CATEGORIES:
            raise InvalidField(field, f"must not contain control characters (U+{ord(ch):04X})")
    return cleaned
