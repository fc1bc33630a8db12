"""The one place that turns errors into HTTP answers: a status, a stable JSON body, headers.

Domain errors (shared/domain/errors.py) are mapped by type; the few errors that only HTTP has
(no identity, a method a route does not serve) are defined here. Every error body has the shape
``{"error": {"code", "message", "details"?}}`` (openapi.yaml's Error schema).
"""

from __future__ import annotations

from typing import Any

from shared.domain import errors as domain

STATUS: dict[type[domain.DomainError], int] = {
    domain.InvalidInput: 400,
    domain.PermissionDenied: 403,
    domain.NotFound: 404,
    domain.Conflict: 409,
    domain.Gone: 410,
    domain.TooLarge: 413,
    domain.UnsupportedType: 415,
    domain.ValidationFailed: 422,
    domain.RateLimited: 429,
    domain.Unavailable: 503,
}


class HttpError(domain.DomainError):
    """An error only the HTTP layer knows about."""

    status = 500


class Unauthenticated(HttpError):
    status, code = 401, "unauthenticated"


class MethodNotAllowed(HttpError):
    status, code = 405, "method_not_allowed"


def body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    err: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        err["details"] = details
    return {"error": err}


def status_of(exc: domain.DomainError) -> int:
    if isinstance(exc, HttpError):
        return exc.status
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 500


def answer(exc: domain.DomainError) -> tuple[dict[str, Any], int, dict[str, str]]:
    """(JSON body, status, headers) for an error; 429 and 503 say when to come back."""
    headers: dict[str, str] = {}
    retry = getattr(exc, "retry_after_s", None)
    if retry is not None:
        headers["Retry-After"] = str(retry)
    return body(exc.code, exc.message, exc.details), status_of(exc), headers


INTERNAL = body("internal", "internal error")
