"""The abuse limits policy: which writes are limited, per whom, how many, over which window.

A pure table. Every write route of the API declares its action (``@router.route(...,
action="post")``); before the handler runs, the Router counts the request in every window of
that action's rules (shared/adapters/redis_ratelimit.py, one sliding window per key, all
windows of a request taken atomically) and answers 429 with Retry-After when one is full.

Scopes: ``user`` (the token's subject), ``address`` (the client's address as the trusted
proxies saw it, IPv6 by /64 since one host owns a whole /64) and ``pair`` (the user and the
target of the request, so toggling one follow edge is bounded however slowly it is spread).

Tiers: an account whose e-mail address is not verified gets the ``unverified`` numbers. Tokens
without an e-mail whose sign-in provider is ``custom`` are minted by our own service accounts
(the seed's and the tests' graph-only users; the admin SDK is the only way to make one), so
they count as verified; so do phone sign-ins (the number was verified by SMS). Everyone else
with ``email_verified`` not true (e-mail/password sign-ups before the link is clicked,
anonymous accounts) is unverified.

Numbers are defaults a real user never reaches; each can be overridden by an env setting named
after the rule (``LIMIT_<NAME>`` and ``LIMIT_<NAME>_UNVERIFIED``, shared/config.py; 0 switches
a window off). The per-user minute window of posting is the older posts limiter
(``POST_RATE_LIMIT`` per ``POST_RATE_WINDOW_SECONDS``, key ``rl:posts:<uid>``, applied by the
posts use case) for verified accounts; this table adds the rest. docs/faults.md explains the
numbers.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

MINUTE, HOUR, DAY = 60, 3600, 86400


class Action(StrEnum):
    REGISTER = "register"  # POST /v1/users (the sign-up itself is Identity Platform's quota)
    POST = "post"  # POST /v1/posts
    FOLLOW = "follow"  # PUT and DELETE /v1/users/{id}/follow: each toggle is one attempt
    WRITE = "write"  # every other write: deleting a post, media uploads, the avatar
    REPORT = "report"  # POST /v1/reports (issue 21): a report wakes a moderator


class Scope(StrEnum):
    USER = "user"
    ADDRESS = "address"
    PAIR = "pair"


@dataclass(frozen=True)
class Rule:
    """At most ``verified`` (or ``unverified``) attempts per scope key in ``seconds``;
    None (or 0) means no window of this rule for that tier."""

    name: str
    action: Action
    scope: Scope
    seconds: int
    verified: int | None
    unverified: int | None

    def limit(self, verified: bool) -> int | None:
        n = self.verified if verified else self.unverified
        return n if n else None


RULES: tuple[Rule, ...] = (
    # Registering is once per account; retries answer 200. Ten an hour from one address covers
    # a household or an office; carrier-grade NAT is why it is not lower.
    Rule("REGISTER_USER_HOUR", Action.REGISTER, Scope.USER, HOUR, 10, 10),
    Rule("REGISTER_ADDRESS_HOUR", Action.REGISTER, Scope.ADDRESS, HOUR, 10, 10),
    # Posts: the verified minute window is POST_RATE_LIMIT (the posts use case's own limiter).
    Rule("POST_USER_MINUTE", Action.POST, Scope.USER, MINUTE, None, 10),
    Rule("POST_USER_HOUR", Action.POST, Scope.USER, HOUR, 300, 60),
    Rule("POST_ADDRESS_MINUTE", Action.POST, Scope.ADDRESS, MINUTE, 120, 120),
    # Follows and unfollows: each starts a backfill or an unmerge of a home timeline.
    Rule("FOLLOW_USER_MINUTE", Action.FOLLOW, Scope.USER, MINUTE, 60, 20),
    Rule("FOLLOW_USER_DAY", Action.FOLLOW, Scope.USER, DAY, 400, 100),
    Rule("FOLLOW_PAIR_HOUR", Action.FOLLOW, Scope.PAIR, HOUR, 10, 10),
    Rule("FOLLOW_ADDRESS_MINUTE", Action.FOLLOW, Scope.ADDRESS, MINUTE, 120, 120),
    # Reports: enough to report a wave of spam, not to flood the moderators' queue.
    Rule("REPORT_USER_HOUR", Action.REPORT, Scope.USER, HOUR, 30, 10),
    Rule("REPORT_ADDRESS_HOUR", Action.REPORT, Scope.ADDRESS, HOUR, 120, 120),
    # Everything else that writes.
    Rule("WRITE_USER_MINUTE", Action.WRITE, Scope.USER, MINUTE, 60, 20),
    Rule("WRITE_ADDRESS_MINUTE", Action.WRITE, Scope.ADDRESS, MINUTE, 240, 240),
)


def with_overrides(rules: Sequence[Rule], overrides: Mapping[str, int]) -> tuple[Rule, ...]:
    """The table with ``LIMIT_<NAME>`` / ``LIMIT_<NAME>_UNVERIFIED`` numbers applied (the env
    names without their ``LIMIT_`` prefix); unknown names are refused so a typo is loud."""
    names = {r.name for r in rules}
    unknown = sorted(k for k in overrides if k.removesuffix("_UNVERIFIED") not in names)
    if unknown:
        raise ValueError(f"no limit rule named {', '.join(unknown)}")
    out = []
    for r in rules:
        if r.name in overrides:
            r = replace(r, verified=overrides[r.name])
        if f"{r.name}_UNVERIFIED" in overrides:
            r = replace(r, unverified=overrides[f"{r.name}_UNVERIFIED"])
        out.append(r)
    return tuple(out)


def scaled(rules: Sequence[Rule], seconds_per_window: int | None) -> tuple[Rule, ...]:
    """Every window shortened to ``seconds_per_window`` (test stacks: the same table, windows
    short enough that a test can wait one out); None leaves them as they are."""
    if not seconds_per_window:
        return tuple(rules)
    return tuple(replace(r, seconds=min(r.seconds, seconds_per_window)) for r in rules)


@dataclass(frozen=True)
class Check:
    """One window a request is counted in: its key (under the limiter's prefix) and size."""

    key: str
    limit: int
    seconds: int
    rule: str


def is_verified(claims: Mapping[str, Any]) -> bool:
    """Whether a token's account gets the verified numbers (see the module docstring)."""
    if claims.get("email_verified") is True:
        return True
    firebase = claims.get("firebase")
    provider = firebase.get("sign_in_provider") if isinstance(firebase, dict) else None
    if provider == "phone":
        return True
    return provider == "custom" and not claims.get("email")


def address_key(address: str | None) -> str:
    """The key of a client address: IPv4 as is, IPv6 by its /64, anything else ``unknown``."""
    if not address:
        return "unknown"
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return "unknown"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


def client_address(forwarded_for: str | None, trusted_hops: int) -> str | None:
    """The client's address from X-Forwarded-For: the entry ``trusted_hops`` from the right.

    Each trusted proxy (Google's front end, API Gateway, the local gateway) appends the address
    it was connected from; everything left of what they appended was sent by the client and
    proves nothing. With fewer entries than trusted hops the request did not come the expected
    way: None (the caller counts it under ``unknown``).
    """
    if not forwarded_for or trusted_hops < 1:
        return None
    parts = [p.strip() for p in forwarded_for.split(",")]
    if len(parts) < trusted_hops:
        return None
    return parts[-trusted_hops] or None


def checks(
    rules: Sequence[Rule],
    action: Action,
    *,
    uid: str,
    address: str,
    verified: bool,
    target: str | None = None,
) -> list[Check]:
    """The windows one request of ``action`` is counted in, for this caller and address."""
    out = []
    for r in rules:
        if r.action is not action:
            continue
        limit = r.limit(verified)
        if limit is None:
            continue
        if r.scope is Scope.USER:
            who = uid
        elif r.scope is Scope.ADDRESS:
            who = address
        elif target is not None:
            who = f"{uid}>{target}"
        else:
            continue
        # No tier in the key: an address's window is one whoever uses it, and an account that
        # verifies its e-mail keeps what it already spent, under the higher number.
        out.append(Check(f"{action}:{r.scope}:{r.seconds}:{who}", limit, r.seconds, r.name))
    return out
