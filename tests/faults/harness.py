"""One local stack shared by the fault drills and the security tests, and what they use on it.

The stack is the real platform (LocalStack: Redis, Neo4j, Pub/Sub, Firestore and Auth
emulators, every function, the gateway) on free ports, started once per test session however
many of tests/faults and tests/security run: each folder's session fixture takes a reference and
the last one to let go stops it.
"""

from __future__ import annotations

import base64
import os
import random
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
import requests.adapters
from google.cloud import pubsub_v1

from devstack import pubsub_setup
from devstack.authtools import emulator_token
from devstack.services import Service
from devstack.stack import LocalStack, Ports
from shared import config
from shared.bootstrap import Container

PROJECT = "demo-kwetter-faults"
RATE_LIMIT = 20
RATE_WINDOW_SECONDS = 10
# The abuse limits (shared/domain/limits.py) with every window at most 30 s (long enough for a
# test's requests on a busy machine to fall in one window) and numbers a test reaches in a few
# requests. Each test client has its own loopback
# address (``source_address``), so the per-address windows are on here, unlike on a laptop.
LIMIT_WINDOW_SECONDS = 30
LIMITS = {
    "REGISTER_ADDRESS_HOUR": 5,
    "REGISTER_ADDRESS_HOUR_UNVERIFIED": 5,
    "POST_USER_MINUTE_UNVERIFIED": 5,
    "POST_ADDRESS_MINUTE": 40,
    "POST_ADDRESS_MINUTE_UNVERIFIED": 40,
    "FOLLOW_USER_MINUTE": 30,
    "FOLLOW_USER_MINUTE_UNVERIFIED": 8,
    "FOLLOW_PAIR_HOUR": 6,
    "FOLLOW_PAIR_HOUR_UNVERIFIED": 6,
    "FOLLOW_ADDRESS_MINUTE": 40,
    "FOLLOW_ADDRESS_MINUTE_UNVERIFIED": 40,
    "WRITE_ADDRESS_MINUTE": 80,
    "WRITE_ADDRESS_MINUTE_UNVERIFIED": 80,
}

_stack: LocalStack | None = None
_refs = 0
_saved_env: dict[str, str] = {}


def acquire_stack(workdir: Path) -> LocalStack:
    global _stack, _refs, _saved_env
    if _stack is None:
        _saved_env = dict(os.environ)
        stack = LocalStack(
            workdir, Ports.free(), PROJECT, persist=False, tick_seconds=1.0,
            extra_env={
                # Drills post a few times per author: keep every author in push mode.
                "BURST_POST_THRESHOLD": "1000",
                "POST_RATE_LIMIT": str(RATE_LIMIT),
                "POST_RATE_WINDOW_SECONDS": str(RATE_WINDOW_SECONDS),
                "LIMIT_WINDOW_MAX_SECONDS": str(LIMIT_WINDOW_SECONDS),
                **{f"LIMIT_{k}": str(v) for k, v in LIMITS.items()},
            },
        )  # fmt: skip
        stack.start()
        # LocalStack.start exported its addresses into this process: taken back at once, so
        # the session's fixtures set up while the drills' stack lives (a topic, a subscription)
        # are made on the session's own services; tests using it get them from _emulator_env.
        os.environ.clear()
        os.environ.update(_saved_env)
        _stack = stack
    _refs += 1
    return _stack


def release_stack() -> None:
    global _stack, _refs
    _refs -= 1
    if _refs == 0 and _stack is not None:
        _stack.stop()
        _stack = None
        os.environ.clear()
        os.environ.update(_saved_env)


def service(stack: LocalStack, name: str) -> Service:
    return next(s for s in stack.started if s.name == name)


def restart(stack: LocalStack, name: str, down_seconds: float = 0.0) -> float:
    """Stop a backing service, keep it down a while, start it again; seconds it was down."""
    svc = service(stack, name)
    t0 = time.monotonic()
    svc.stop()
    time.sleep(down_seconds)
    svc.start(timeout=180)
    return time.monotonic() - t0


def recreate_topology(stack: LocalStack) -> None:
    pubsub_setup.create(stack.project_id, {n: stack.function_url(n) for n in stack.ports.functions})


def container(stack: LocalStack, **overrides: Any) -> Container:
    """A Container on the stack's services (the env LocalStack.start exported)."""
    os.environ.update(stack.env())
    return Container(config.Settings(**overrides))


# -- through the gateway ---------------------------------------------------------------------


class _SourceAdapter(requests.adapters.HTTPAdapter):
    """Connects from a given local address: 127.0.0.0/8 is all loopback on Linux, so each test
    client can be a client address of its own, as the gateway (and the limits) see it."""

    def __init__(self, source: str) -> None:
        self._source = source
        super().__init__(pool_maxsize=8)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["source_address"] = (self._source, 0)
        super().init_poolmanager(*args, **kwargs)


_sessions: dict[str, requests.Session] = {}


def session_from(source: str) -> requests.Session:
    if source not in _sessions:
        s = requests.Session()
        s.mount("http://", _SourceAdapter(source))
        _sessions[source] = s
    return _sessions[source]


def loopback_address(seed: str) -> str:
    """A loopback address of its own for ``seed`` (127.x.y.z, never 127.0.0.1)."""
    h = uuid.uuid5(uuid.NAMESPACE_OID, seed).bytes
    return f"127.{1 + h[0] % 254}.{h[1]}.{1 + h[2] % 254}"


@dataclass(frozen=True)
class Client:
    gateway: str
    uid: str
    token: str
    # The address the client connects from (the per-address limits key on it).
    source: str = "127.0.0.1"

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def call(self, method: str, path: str, **kw: Any) -> requests.Response:
        headers = {**self.headers, **kw.pop("headers", {})}
        return session_from(self.source).request(
            method, f"{self.gateway}{path}", headers=headers, timeout=kw.pop("timeout", 60), **kw
        )

    def post(self, text: str) -> requests.Response:
        return self.call("POST", "/v1/posts", json={"text": text})

    def follow(self, other: str) -> requests.Response:
        return self.call("PUT", f"/v1/users/{other}/follow")

    def home_ids(self, limit: int = 100) -> list[int]:
        r = self.call("GET", f"/v1/timeline?limit={limit}")
        assert r.status_code in (200, 206), r.text
        return [int(p["id"]) for p in r.json()["items"]]


def client(stack: LocalStack, uid: str, source: str | None = None) -> Client:
    """A graph-only user's client, from ``source`` or else a loopback address of its own."""
    return Client(
        stack.gateway_url, uid, emulator_token(uid, stack.project_id),
        source or loopback_address(uid),
    )  # fmt: skip


def register(stack: LocalStack, prefix: str, n: int, source: str | None = None) -> list[Client]:
    """n users with profiles, ids ``<prefix>-<tag>-<i>`` (graph-only users, emulator tokens),
    each from its own loopback address unless ``source`` names one for all."""
    tag = uuid.uuid4().hex[:6]
    out = []
    for i in range(n):
        c = client(stack, f"{prefix}-{tag}-{i:02d}", source)
        r = c.call(
            "POST", "/v1/users", json={"handle": f"{prefix}_{tag}_{i}", "display_name": c.uid}
        )
        assert r.status_code == 201, r.text
        out.append(c)
    return out


def random_follows(users: list[Client], rng: random.Random, p: float = 0.5) -> None:
    for a in users:
        for b in users:
            if a is not b and rng.random() < p:
                r = a.follow(b.uid)
                assert r.status_code == 200, r.text


# -- what the sources of truth say -----------------------------------------------------------


def expected_home(c: Container, uid: str, limit: int = 100) -> list[int]:
    """The home timeline the post store and the graph imply: live posts of followees and self."""
    authors = [*c.graph.following_ids(uid), uid]
    posts = [p.id for a in authors for p in c.posts.list_user_posts(a, limit) if not p.deleted]
    return sorted(posts, reverse=True)[:limit]


def wait_until(
    check: Callable[[], bool], timeout: float, what: str, interval: float = 0.5
) -> float:
    """Poll ``check`` until true; seconds it took. AssertionError naming ``what`` on timeout."""
    t0 = time.monotonic()
    while not check():
        if time.monotonic() - t0 > timeout:
            raise AssertionError(f"{what}: not reached within {timeout:.0f}s")
        time.sleep(interval)
    return time.monotonic() - t0


def timelines_match(stack: LocalStack, c: Container, users: Iterable[Client]) -> list[str]:
    """Users whose GET /v1/timeline differs from what the store and graph say (empty: all ok)."""
    bad = []
    for u in users:
        want = expected_home(c, u.uid)
        got = u.home_ids()
        if got != want:
            bad.append(f"{u.uid}: missing {sorted(set(want) - set(got))}, "
                       f"extra {sorted(set(got) - set(want))}")  # fmt: skip
    return bad


# -- Pub/Sub helpers -------------------------------------------------------------------------


def pull_all(
    subscriber: pubsub_v1.SubscriberClient, sub_path: str, *, want: int | None = None,
    timeout: float = 10.0, quiet: float = 1.5, ack: bool = True,
) -> list[pubsub_v1.types.ReceivedMessage]:  # fmt: skip
    """Pull (and ack) until ``want`` messages (or, without it, until ``quiet`` s bring nothing)."""
    got: list[pubsub_v1.types.ReceivedMessage] = []
    deadline = time.monotonic() + timeout
    last_new = time.monotonic()
    while time.monotonic() < deadline:
        if want is not None and len(got) >= want:
            break
        if want is None and time.monotonic() - last_new > quiet:
            break
        resp = subscriber.pull(request={"subscription": sub_path, "max_messages": 100}, timeout=5)
        if resp.received_messages and ack:
            subscriber.acknowledge(
                request={"subscription": sub_path,
                         "ack_ids": [m.ack_id for m in resp.received_messages]}
            )  # fmt: skip
        if resp.received_messages:
            got.extend(resp.received_messages)
            last_new = time.monotonic()
        else:
            time.sleep(0.1)
    return got


def cloud_event(data: bytes, attributes: dict[str, str], message_id: str) -> dict[str, Any]:
    """The CloudEvent shape functions-framework hands a Pub/Sub-triggered function."""
    return {
        "data": {
            "message": {
                "data": base64.b64encode(data).decode(),
                "attributes": attributes,
                "messageId": message_id,
            }
        }
    }
