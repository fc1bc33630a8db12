"""What can go wrong, in the platform's own words: raised by the domain and the use cases.

Nothing here knows HTTP. Each error carries a stable machine-readable ``code`` that clients may
switch on, a human message and optional details; shared/entrypoints/http/errors.py is the one
place that turns them into status codes and JSON bodies.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    code = "error"

    def __init__(self, message: str, *, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class InvalidInput(DomainError):
    """The request is malformed: a missing or mistyped field, an unknown field, a bad id."""

    code = "bad_request"


class ValidationFailed(DomainError):
    """Well-formed, but breaks a rule: text too long, empty after trimming, a limit exceeded."""

    code = "validation_failed"


class TooManyMentions(ValidationFailed):
    """A post names more than MAX_MENTIONS @handles (shared.domain.facets)."""

    code = "too_many_mentions"


class NotFound(DomainError):
    code = "not_found"


class PostNotFound(NotFound):
    """The post a request names (a reply's parent, a like's post) does not exist."""

    code = "post_not_found"


class PermissionDenied(DomainError):
    """The caller may not do this to that thing (someone else's post or media)."""

    code = "forbidden"


class Conflict(DomainError):
    """The thing is in a state that refuses this (a taken handle, media not ready)."""

    code = "conflict"


class Gone(DomainError):
    """The thing existed and is gone for good (a deleted account)."""

    code = "gone"


class PostGone(Conflict):
    """The post a request names was deleted: it takes no replies, likes or reposts."""

    code = "post_deleted"


class TooLarge(DomainError):
    code = "payload_too_large"


class UnsupportedType(DomainError):
    code = "unsupported_media_type"


class RateLimited(DomainError):
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after_s: int, details: Any = None) -> None:
        super().__init__(message, details=details)
        self.retry_after_s = max(1, retry_after_s)


class Unavailable(DomainError):
    """A dependency failed after the work was saved, or a part is not deployed: retry later."""

    code = "unavailable"

    def __init__(
        self, message: str, *, retry_after_s: int | None = None, details: Any = None
    ) -> None:
        super().__init__(message, details=details)
        self.retry_after_s = retry_after_s
