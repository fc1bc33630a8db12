"""A small router for HTTP Cloud Functions that serve several OpenAPI routes.

API Gateway forwards the whole path (``path_translation: APPEND_PATH_TO_ADDRESS``), the verified
token's claims in ``X-Apigateway-Api-Userinfo`` (base64url JSON) and the caller's own token in
``X-Forwarded-Authorization``. A function does not take the claims header on trust (one
over-broad IAM grant would make anyone anyone): it verifies the forwarded token itself
(shared/entrypoints/http/auth.py) and refuses a request whose claims header names someone else.
The local gateway sends both headers the same way.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import flask

from shared import observability
from shared.domain import errors
from shared.domain import limits as limits_domain
from shared.domain import users as user_rules
from shared.entrypoints.http import errors as http_errors
from shared.entrypoints.http.auth import InvalidToken, TokenVerifier
from shared.ports import RateLimits

log = logging.getLogger(__name__)

USERINFO_HEADER = "X-Apigateway-Api-Userinfo"
FORWARDED_FOR_HEADER = "X-Forwarded-For"
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
FORWARDED_AUTH_HEADER = "X-Forwarded-Authorization"
MAX_BODY_BYTES = 64 * 1024
# No request body of the API nests deeper than 3; 32 leaves room and stays far below the
# recursion limit that a 64 KiB document of brackets would otherwise hit inside json.loads.
MAX_JSON_DEPTH = 32
# An integer query value longer than this is out of range for every parameter of the API; it
# must be refused before int() (Python refuses >4300 digits with an error of its own).
MAX_INT_DIGITS = 20
# Tokens travel in the Authorization header, never in cookies, so any origin may call the API.
CORS_HEADERS = {
    "Access-Control-Allow-Origin": os.environ.get("CORS_ALLOW_ORIGIN", "*"),
    "Access-Control-Allow-Methods": "GET, POST, PUT, PATCH, DELETE, OPTIONS",
    "Access-Control-Allow-Headers": "Authorization, Content-Type, Idempotency-Key",
    "Access-Control-Expose-Headers": "Retry-After",
    "Access-Control-Max-Age": "3600",
}


_verifiers: dict[str, TokenVerifier] = {}


def token_verifier() -> TokenVerifier:
    """The verifier for this process's project (its signing keys cached for the process)."""
    project = os.environ.get("GOOGLE_CLOUD_PROJECT") or "demo-kwetter"
    if project not in _verifiers:
        _verifiers[project] = TokenVerifier.from_env(project)
    return _verifiers[project]


@dataclass(frozen=True)
class Caller:
    uid: str
    email: str | None = None
    claims: dict[str, Any] = field(default_factory=dict)


@dataclass
class Request:
    method: str
    path: str
    params: dict[str, str]
    query: dict[str, str]
    headers: dict[str, str]
    raw: flask.Request
    _caller: Caller | None = field(default=None, repr=False, compare=False)

    def caller(self) -> Caller:
        """The verified caller (verified once per request: the limits guard asks first)."""
        if self._caller is None:
            self._caller = self._verified_caller()
        return self._caller

    def caller_user_id(self) -> str:
        """The verified caller's id as a Kwetter user id: 400 for an account whose id the user
        id rule refuses (a brace in it would break the Redis hash tags, shared.adapters.
        redis_keys), before anything is stored under it."""
        uid = self.caller().uid
        if not user_rules.is_valid_user_id(uid):
            raise errors.InvalidInput("this account's id cannot be used as a Kwetter user id")
        return uid

    def _verified_caller(self) -> Caller:
        forwarded = self.raw.headers.get(FORWARDED_AUTH_HEADER)
        if not forwarded:
            raise http_errors.Unauthenticated("a signed-in user is required")
        try:
            claims = token_verifier().verify(forwarded)
        except InvalidToken as exc:
            raise http_errors.Unauthenticated(f"the caller's token is not valid: {exc}") from exc
        uid = claims["sub"]
        info = self.raw.headers.get(USERINFO_HEADER)
        if info is not None:
            try:
                padded = info + "=" * (-len(info) % 4)
                stated = json.loads(base64.urlsafe_b64decode(padded))
            except (binascii.Error, ValueError) as exc:
                raise http_errors.Unauthenticated("unreadable identity") from exc
            if not isinstance(stated, dict) or stated.get("sub") != uid:
                raise http_errors.Unauthenticated("the identity header and the token disagree")
        return Caller(uid=uid, email=claims.get("email"), claims=claims)

    def json(self) -> dict[str, Any]:
        length = self.raw.content_length
        if length is not None and length > MAX_BODY_BYTES:
            raise errors.TooLarge(f"body over {MAX_BODY_BYTES} bytes")
        data = self.raw.get_data(cache=True)
        if len(data) > MAX_BODY_BYTES:
            raise errors.TooLarge(f"body over {MAX_BODY_BYTES} bytes")
        ctype = (self.raw.mimetype or "").lower()
        if ctype != "application/json":
            raise errors.UnsupportedType("send Content-Type: application/json")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise errors.InvalidInput("body is not valid UTF-8") from exc
        if json_depth(text) > MAX_JSON_DEPTH:
            raise errors.InvalidInput(f"body nests deeper than {MAX_JSON_DEPTH} levels")
        try:
            body = json.loads(text, parse_constant=_refuse_constant)
        except ValueError as exc:  # also int literals over Python's 4300-digit limit
            raise errors.InvalidInput("body is not valid JSON") from exc
        if not isinstance(body, dict):
            raise errors.InvalidInput("body must be a JSON object")
        return body

    def int_query(self, name: str, default: int, *, lo: int, hi: int) -> int:
        raw = self.query.get(name)
        if raw is None or raw == "":
            return default
        digits = raw[1:] if raw.startswith("-") else raw
        if not raw.isascii() or not digits.isdigit() or len(digits) > MAX_INT_DIGITS:
            raise errors.InvalidInput(f"{name} must be an integer")
        value = int(raw)
        if not lo <= value <= hi:
            raise errors.InvalidInput(f"{name} must be between {lo} and {hi}")
        return value


def json_depth(text: str) -> int:
    """How deep brackets nest in a JSON text, ignoring brackets inside strings. Linear, no
    recursion: it runs before the parser, on input nobody has checked yet."""
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    return deepest


def _refuse_constant(name: str) -> Any:
    # NaN and Infinity are not JSON (RFC 8259); Python would accept them and later echo them
    # back as invalid JSON.
    raise ValueError(f"{name} is not a JSON value")


Response = tuple[Any, int] | tuple[Any, int, dict[str, str]]
Handler = Callable[[Request], Response]


@dataclass(frozen=True)
class WriteLimits:
    """What the Router needs to limit the writes routes declare (wired by shared/bootstrap.py):
    the windows (RedisRateLimiter), the policy table and where the client address is."""

    limiter: RateLimits
    rules: tuple[limits_domain.Rule, ...]
    trusted_proxy_hops: int = 1

    def check(self, req: Request, action: limits_domain.Action) -> None:
        """Count the request in its action's windows; RateLimited (429) when one is full.

        Fails open: a Redis outage must not stop posting (docs/faults.md), so when the windows
        cannot be counted the request goes on unlimited.
        """
        caller = req.caller()
        address = limits_domain.address_key(
            limits_domain.client_address(
                req.raw.headers.get(FORWARDED_FOR_HEADER), self.trusted_proxy_hops
            )
        )
        windows = limits_domain.checks(
            self.rules, action, uid=caller.uid, address=address,
            verified=limits_domain.is_verified(caller.claims), target=req.params.get("id"),
        )  # fmt: skip
        try:
            wait = self.limiter.take_all([(w.key, w.limit, w.seconds) for w in windows])
        except Exception:
            log.warning("write limits unavailable; %s accepted unlimited", action, exc_info=True)
            return
        if wait is not None:
            raise errors.RateLimited(
                f"too many {action} requests; retry in {wait} s", retry_after_s=wait,
                details={"action": str(action)},
            )  # fmt: skip


class Router:
    def __init__(self, limits: WriteLimits | None = None) -> None:
        self._routes: list[
            tuple[re.Pattern[str], int, str, Handler, limits_domain.Action | None]
        ] = []
        self.templates: set[tuple[str, str]] = set()
        # (method, template) -> the action it is limited as; None for reads
        self.actions: dict[tuple[str, str], limits_domain.Action | None] = {}
        self.limits = limits

    def route(
        self, method: str, template: str, *, action: str | None = None
    ) -> Callable[[Handler], Handler]:
        """Register ``handler`` for an OpenAPI path template such as ``/v1/users/{id}``.

        A write route names its ``action`` (shared/domain/limits.py): the Router counts each
        request in that action's windows before the handler runs and answers 429 when full.
        """
        act = limits_domain.Action(action) if action is not None else None

        def register(handler: Handler) -> Handler:
            pattern = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template)
            literal_segments = sum(1 for s in template.split("/") if s and "{" not in s)
            self._routes.append(
                (re.compile(f"^{pattern}/?$"), literal_segments, method, handler, act)
            )
            self.templates.add((method, template))
            self.actions[(method, template)] = act
            # Literal segments win over parameters: /v1/users/by-handle/x is not user "by-handle".
            self._routes.sort(key=lambda r: -r[1])
            return handler

        return register

    def dispatch(self, raw: flask.Request) -> flask.Response:
        observability.set_trace(
            observability.trace_from_header(raw.headers.get("X-Cloud-Trace-Context"))
        )
        try:
            return self._dispatch(raw)
        except errors.DomainError as exc:
            return _json(*http_errors.answer(exc))
        except Exception:  # a bug must still answer with JSON, and be logged with its trace
            log.exception("unhandled error on %s %s", raw.method, raw.path)
            return _json(http_errors.INTERNAL, 500)

    def _dispatch(self, raw: flask.Request) -> flask.Response:
        path_matched = False
        for pattern, _, method, handler, action in self._routes:
            m = pattern.match(raw.path)
            if not m:
                continue
            path_matched = True
            if raw.method == "OPTIONS":  # CORS preflight: API Gateway passes it through to us
                return _json(None, 204)
            if method != raw.method:
                continue
            req = Request(
                method=raw.method,
                path=raw.path,
                params=m.groupdict(),
                query={k: v for k, v in raw.args.items()},
                headers={k: v for k, v in raw.headers.items()},
                raw=raw,
            )
            if action is not None and self.limits is not None:
                self.limits.check(req, action)
            result = handler(req)
            body, status = result[0], result[1]
            headers = result[2] if len(result) > 2 else {}  # type: ignore[misc]
            return _json(body, status, headers)
        if path_matched:
            raise http_errors.MethodNotAllowed(f"{raw.method} is not allowed on {raw.path}")
        raise errors.NotFound(f"no route {raw.path}")


def _json(body: Any, status: int, headers: dict[str, str] | None = None) -> flask.Response:
    if status == 204:
        resp = flask.Response(status=204)
        del resp.headers["Content-Type"]  # no body, so no type (Flask would say text/html)
    else:
        resp = flask.Response(
            json.dumps(body, ensure_ascii=False, separators=(",", ":")),
            status=status,
            mimetype="application/json",
        )
    for k, v in {**CORS_HEADERS, **(headers or {})}.items():
        resp.headers[k] = v
    return resp
