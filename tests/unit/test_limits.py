"""The abuse limits' pure rules, the Router's guard over them, and the contract: every write
route of openapi.yaml declares the action it is limited as."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import flask
import pytest
import yaml

from devstack.gateway import OPENAPI_PATH
from shared.domain import limits
from shared.entrypoints.http import media, notifications, posts, timeline, users
from shared.entrypoints.http.api import WRITE_METHODS, Router, WriteLimits
from tests.identity import identity_headers

app = flask.Flask(__name__)


def _routers() -> list[Router]:
    none: Any = None
    return [users.router(none), posts.router(none), media.router(none), timeline.router(none),
            notifications.router(none)]  # fmt: skip


def test_every_write_route_of_the_contract_declares_its_action() -> None:
    doc = yaml.safe_load(OPENAPI_PATH.read_text())
    writes = {
        (m.upper(), path)
        for path, item in doc["paths"].items()
        for m in item
        if m.upper() in WRITE_METHODS
    }
    declared: dict[tuple[str, str], limits.Action | None] = {}
    for r in _routers():
        declared |= r.actions
    assert writes <= declared.keys(), writes - declared.keys()
    missing = sorted(w for w in writes if declared[w] is None)
    assert not missing, f"write routes without action=: {missing}"
    # and no read is counted as a write
    assert all(a is None for (m, _), a in declared.items() if m not in WRITE_METHODS)


def test_client_address_is_taken_from_the_right_never_the_client_part() -> None:
    xff = "6.6.6.6, 203.0.113.7, 10.0.0.1"
    assert limits.client_address(xff, 1) == "10.0.0.1"
    assert limits.client_address(xff, 2) == "203.0.113.7"
    assert limits.client_address("203.0.113.7", 2) is None  # not through the expected proxies
    assert limits.client_address(None, 1) is None
    assert limits.address_key("2001:db8:1:2:aaaa::1") == limits.address_key("2001:db8:1:2::9")
    assert limits.address_key("2001:db8:1:2::1") == "2001:db8:1:2::/64"
    assert limits.address_key("::ffff:192.0.2.1") == "192.0.2.1"
    assert limits.address_key("not an ip") == limits.address_key(None) == "unknown"


def test_who_counts_as_verified() -> None:
    custom = {"firebase": {"sign_in_provider": "custom"}}
    password = {"firebase": {"sign_in_provider": "password"}, "email": "a@b.c"}
    assert limits.is_verified(custom)  # the seed's and tests' graph-only service users
    assert not limits.is_verified({**password, "email_verified": False})
    assert limits.is_verified({**password, "email_verified": True})
    assert not limits.is_verified({**custom, "email": "x@y.z"})  # a custom token with an e-mail
    assert not limits.is_verified({"firebase": {"sign_in_provider": "anonymous"}})


def test_unverified_numbers_are_lower_and_the_pair_is_its_own_window() -> None:
    for r in limits.RULES:
        if r.verified and r.unverified:
            assert r.unverified <= r.verified, r
    v = limits.checks(limits.RULES, limits.Action.FOLLOW, uid="a", address="1.2.3.4",
                      verified=True, target="b")  # fmt: skip
    n = limits.checks(limits.RULES, limits.Action.FOLLOW, uid="a", address="1.2.3.4",
                      verified=False, target="b")  # fmt: skip
    assert {c.rule for c in v} == {c.rule for c in n} == {
        "FOLLOW_USER_MINUTE", "FOLLOW_USER_DAY", "FOLLOW_PAIR_HOUR", "FOLLOW_ADDRESS_MINUTE",
    }  # fmt: skip
    assert sum(c.limit for c in n) < sum(c.limit for c in v)
    assert [c.key for c in v if c.rule == "FOLLOW_PAIR_HOUR"] == ["follow:pair:3600:a>b"]
    # an address's window is one, whoever (verified or not) uses it
    assert {c.key for c in v if c.rule.endswith("ADDRESS_MINUTE")} == {
        c.key for c in n if c.rule.endswith("ADDRESS_MINUTE")
    }


def test_overrides_and_scaling() -> None:
    rules = limits.with_overrides(
        limits.RULES, {"POST_USER_HOUR": 7, "POST_USER_HOUR_UNVERIFIED": 0}
    )
    hour = next(r for r in rules if r.name == "POST_USER_HOUR")
    assert (hour.verified, hour.limit(False)) == (7, None)
    with pytest.raises(ValueError, match="POST_USER_HOURS"):
        limits.with_overrides(limits.RULES, {"POST_USER_HOURS": 1})
    assert max(r.seconds for r in limits.scaled(limits.RULES, 10)) == 10


class _Windows:
    def __init__(self, answer: int | None = None, fail: bool = False) -> None:
        self.answer, self.fail = answer, fail
        self.taken: list[Sequence[tuple[str, int, int]]] = []

    def take_all(self, windows: Sequence[tuple[str, int, int]]) -> int | None:
        if self.fail:
            raise ConnectionError("redis is down")
        self.taken.append(list(windows))
        return self.answer


def _limited_router(windows: _Windows) -> Router:
    r = Router(WriteLimits(windows, limits.RULES, trusted_proxy_hops=1))

    @r.route("PUT", "/v1/users/{id}/follow", action="follow")
    def follow(req: Any) -> Any:
        return {"by": req.caller().uid}, 200

    @r.route("GET", "/v1/users/{id}")
    def read(req: Any) -> Any:
        return {}, 200

    return r


def _call(r: Router, method: str, path: str, xff: str) -> flask.Response:
    headers = {**identity_headers("alice"), "X-Forwarded-For": xff}
    with app.test_request_context(path, method=method, headers=headers):
        return r.dispatch(flask.request)


def test_the_router_counts_a_declared_write_in_its_windows() -> None:
    w = _Windows()
    resp = _call(_limited_router(w), "PUT", "/v1/users/bob/follow", "6.6.6.6, 198.51.100.4")
    assert resp.status_code == 200
    keys = {k for k, _, _ in w.taken[0]}
    assert "follow:address:60:198.51.100.4" in keys and "follow:pair:3600:alice>bob" in keys
    assert not any("6.6.6.6" in k for k in keys)  # the client-written part is ignored
    _call(_limited_router(w), "GET", "/v1/users/bob", "198.51.100.4")
    assert len(w.taken) == 1  # reads are not counted


def test_a_full_window_is_a_429_with_retry_after() -> None:
    resp = _call(_limited_router(_Windows(answer=7)), "PUT", "/v1/users/bob/follow", "1.2.3.4")
    assert resp.status_code == 429
    assert resp.headers["Retry-After"] == "7"
    assert resp.get_json()["error"]["code"]


def test_limits_fail_open_when_redis_is_down() -> None:
    w = _Windows(fail=True)
    assert _call(_limited_router(w), "PUT", "/v1/users/bob/follow", "1.2.3.4").status_code == 200
