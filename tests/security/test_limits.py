"""The abuse limits on the real stack, through the gateway (shared/domain/limits.py).

The stack (tests/faults/harness.py) runs the policy table with every window at most
LIMIT_WINDOW_SECONDS and test-sized numbers (harness.LIMITS); each test client connects from a
loopback address of its own, which the gateway appends to X-Forwarded-For as Google's front end
does, so "one address" here is one source address on the wire. Every 429 carries Retry-After.
"""

from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from devstack import authtools
from devstack.stack import LocalStack
from tests.faults import harness

pytestmark = pytest.mark.integration

L = harness.LIMITS
WINDOW = harness.LIMIT_WINDOW_SECONDS


def _retry_after(r: requests.Response) -> int:
    assert r.status_code == 429, (r.status_code, r.text)
    assert r.json()["error"]["code"]
    wait = int(r.headers["Retry-After"])
    assert 1 <= wait <= WINDOW, wait
    return wait


def _fresh_address() -> str:
    return harness.loopback_address(uuid.uuid4().hex)


def _unverified(stack: LocalStack, source: str) -> harness.Client:
    """A real e-mail/password sign-up (Auth emulator) that has not verified its address."""
    tag = uuid.uuid4().hex[:8]
    who = authtools.sign_up(f"127.0.0.1:{stack.ports.auth}", f"u{tag}@kwetter.test", "pw-123456")
    c = harness.Client(stack.gateway_url, who.uid, who.id_token, source)
    r = c.call("POST", "/v1/users", json={"handle": f"unv_{tag}", "display_name": "Unverified"})
    assert r.status_code == 201, r.text
    return c


def test_registrations_are_limited_per_client_address(stack: LocalStack) -> None:
    address = _fresh_address()
    tag = uuid.uuid4().hex[:6]
    n = L["REGISTER_ADDRESS_HOUR"]
    people = [harness.client(stack, f"reg-{tag}-{i}", address) for i in range(n + 1)]
    codes = []
    t0 = time.monotonic()
    for i, p in enumerate(people):
        r = p.call("POST", "/v1/users", json={"handle": f"reg_{tag}_{i}", "display_name": "x"})
        codes.append(r.status_code)
    assert codes[:-1] == [201] * L["REGISTER_ADDRESS_HOUR"], codes
    assert r.status_code == 429, (codes, f"{time.monotonic() - t0:.1f}s")
    _retry_after(r)
    # Another address is not affected, nor is that user's account (per address, not per user).
    other = harness.client(stack, f"reg-{tag}-x")
    r = other.call("POST", "/v1/users", json={"handle": f"reg_{tag}_x", "display_name": "x"})
    assert r.status_code == 201, r.text


def test_posts_are_limited_per_client_address_across_accounts(stack: LocalStack) -> None:
    address = _fresh_address()
    limit = L["POST_ADDRESS_MINUTE"]
    per_user = harness.RATE_LIMIT - 2  # each account stays under its own limit
    n_users = -(-(limit + 5) // per_user)
    users = harness.register(stack, "addr", n_users, source=address)
    time.sleep(0.1)
    t0 = time.monotonic()
    with ThreadPoolExecutor(4) as pool:
        answers = list(
            pool.map(lambda a: a[0].post(f"from one address {a[1]}"),
                     [(u, i) for u in users for i in range(per_user)])
        )  # fmt: skip
    took = time.monotonic() - t0
    codes = [r.status_code for r in answers]
    assert took < WINDOW, f"{len(codes)} posts took {took:.1f}s: the window slid meanwhile"
    assert codes.count(201) == limit, sorted(codes)
    assert set(codes) == {201, 429}
    for r in answers:
        if r.status_code == 429:
            _retry_after(r)
    # One account of that address posting from elsewhere is fine: the address is what is full.
    (bystander,) = harness.register(stack, "addrok", 1)
    assert bystander.post("another address").status_code == 201


def test_unverified_accounts_get_lower_limits(stack: LocalStack) -> None:
    unverified = _unverified(stack, _fresh_address())
    (verified,) = harness.register(stack, "ver", 1)
    lower = L["POST_USER_MINUTE_UNVERIFIED"]
    assert lower < harness.RATE_LIMIT
    codes = [unverified.post(f"unverified {i}").status_code for i in range(lower)]
    assert codes == [201] * lower
    _retry_after(unverified.post("one too many for an unverified account"))
    codes = [verified.post(f"verified {i}").status_code for i in range(lower + 1)]
    assert codes == [201] * (lower + 1)  # the same number is fine for a verified account
    # Follows too: fewer distinct follows a minute.
    targets = harness.register(stack, "tgt", L["FOLLOW_USER_MINUTE_UNVERIFIED"] + 1)
    codes = [unverified.follow(t.uid).status_code for t in targets]
    assert codes[:-1] == [200] * L["FOLLOW_USER_MINUTE_UNVERIFIED"], codes
    _retry_after(unverified.follow(targets[-1].uid))
    assert [verified.follow(t.uid).status_code for t in targets] == [200] * len(targets)


def test_follow_churn_is_limited_per_pair_and_per_user(stack: LocalStack) -> None:
    churner, *targets = harness.register(stack, "churn", 7)
    pair = L["FOLLOW_PAIR_HOUR"]
    toggles = []
    for i in range(pair):
        method = "PUT" if i % 2 == 0 else "DELETE"
        toggles.append(churner.call(method, f"/v1/users/{targets[0].uid}/follow").status_code)
    assert toggles == [200] * pair
    _retry_after(churner.call("PUT", f"/v1/users/{targets[0].uid}/follow"))
    # Other edges of the same user are still open: the pair is its own window.
    assert churner.follow(targets[1].uid).status_code == 200
    # Per user: toggles spread over many pairs stop at the user's number.
    spent = pair + 1
    budget = L["FOLLOW_USER_MINUTE"]
    codes = []
    for i in range(budget - spent + 1):
        t = targets[1 + i % (len(targets) - 1)]
        codes.append(churner.call("DELETE" if (i // 6) % 2 == 0 else "PUT",
                                  f"/v1/users/{t.uid}/follow"))  # fmt: skip
    assert [c.status_code for c in codes[:-1]] == [200] * (budget - spent)
    _retry_after(codes[-1])
