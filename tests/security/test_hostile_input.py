"""Hostile bodies, encodings and injection strings through the gateway; the per-user rate limit.

Everything is either refused with a JSON 4xx or stored verbatim and harmless: Neo4j and
Firestore are only ever given parameters, never query text built from input, and the graph is
checked to be intact afterwards.
"""

from __future__ import annotations

import time
import uuid

import pytest

from devstack.stack import LocalStack
from tests.faults import harness

pytestmark = pytest.mark.integration

INJECTIONS = [
    "'; DROP TABLE posts; --",
    '" OR 1=1 --',
    "x' }) MATCH (n) DETACH DELETE n //",
    "}) RETURN 1 UNION MATCH (n) DETACH DELETE n //",
    "$where: function() { return true }",
    "<script>alert(1)</script>",
    "../../etc/passwd",
    "${jndi:ldap://x/a}",
]


def _graph_size(stack: LocalStack) -> tuple[int, int]:
    c = harness.container(stack)
    recs, _, _ = c.neo4j_driver.execute_query(
        "MATCH (u:User) OPTIONAL MATCH (u)-[f:FOLLOWS]->() RETURN count(DISTINCT u) AS u, "
        "count(f) AS f",
        database_=c.settings.neo4j_database,
    )
    return int(recs[0]["u"]), int(recs[0]["f"])


def test_oversized_and_undecodable_bodies_are_refused(stack: LocalStack) -> None:
    (u,) = harness.register(stack, "big", 1)
    json_type = {"Content-Type": "application/json"}
    cases = {
        # over the functions' 64 KiB body limit, and a 10 MB text
        "70 KB": ('{"text": "' + "a" * 70_000 + '"}', 413),
        "10 MB": ('{"text": "' + "a" * 10_000_000 + '"}', 413),
        # over the gateway's own 32 MiB limit: refused before any function sees it
        "33 MB": ("x" * (33 * 1024 * 1024), 413),
        "invalid UTF-8": (b'{"text": "\xff\xfe\xc3("}', 400),
        "not JSON": ("text=hello", 400),
        "JSON array": ('["text"]', 400),
        "lone surrogate": ('{"text": "\\ud83d"}', 422),
        "NUL byte": ('{"text": "a\\u0000b"}', 422),
    }
    for why, (body, status) in cases.items():
        r = u.call("POST", "/v1/posts", data=body, headers=json_type)
        assert r.status_code == status, (why, r.status_code, r.text[:200])
        assert r.json()["error"]["code"], why
    r = u.call("POST", "/v1/users", data=b'{"handle": "\xff\xff"}', headers=json_type)
    assert r.status_code in (400, 200), r.text  # 200: already registered, body never matters
    r = u.call("POST", "/v1/posts", data='{"text": "hi"}', headers={"Content-Type": "text/plain"})
    assert r.status_code == 415, r.text


def test_injection_strings_are_refused_or_stored_verbatim(stack: LocalStack) -> None:
    users_before, follows_before = _graph_size(stack)
    tag = uuid.uuid4().hex[:6]
    (writer,) = harness.register(stack, "inj", 1)
    for i, evil in enumerate(INJECTIONS):
        # As a handle: not 3-30 of [A-Za-z0-9_], so 422, before any query runs.
        victim = harness.client(stack, f"inj-{tag}-{i}")
        r = victim.call("POST", "/v1/users", json={"handle": evil, "display_name": "x"})
        assert r.status_code == 422, (evil, r.text)
        # As a display name and a post text: stored and returned exactly.
        r = victim.call(
            "POST", "/v1/users", json={"handle": f"inj_{tag}_{i}", "display_name": evil[:50]}
        )
        assert r.status_code == 201, (evil, r.text)
        assert victim.call("GET", "/v1/me").json()["display_name"] == evil[:50]
        r = writer.post(evil)
        assert r.status_code == 201, (evil, r.text)
        got = writer.call("GET", f"/v1/posts/{r.json()['id']}").json()
        assert got["text"] == evil
        # As a path segment: the user id pattern refuses it, or it matches nobody.
        r = writer.call("PUT", f"/v1/users/{evil.replace('/', '%2F')}/follow")
        assert r.status_code in (400, 404), (evil, r.status_code, r.text)
        r = writer.call("GET", "/v1/users/by-handle/" + evil.replace("/", "%2F"))
        assert r.status_code in (400, 404), (evil, r.status_code, r.text)
    users_after, follows_after = _graph_size(stack)
    assert follows_after == follows_before
    assert users_after == users_before + 1 + len(INJECTIONS)
    assert writer.call("GET", f"/v1/users/{writer.uid}").json()["post_count"] == len(INJECTIONS)


def test_post_rate_limit_is_429_with_retry_after_per_user(stack: LocalStack) -> None:
    spammer, bystander = harness.register(stack, "rate", 2)
    codes = [spammer.post(f"spam {i}").status_code for i in range(harness.RATE_LIMIT)]
    assert codes == [201] * harness.RATE_LIMIT
    r = spammer.post("one too many")
    refused_at = time.monotonic()
    assert r.status_code == 429, r.text
    assert r.json()["error"]["code"]
    wait = int(r.headers["Retry-After"])
    assert 1 <= wait <= harness.RATE_WINDOW_SECONDS
    assert bystander.post("unaffected").status_code == 201  # the limit is per user
    # The window is kept in Redis, shared by every instance of the posts function.
    c = harness.container(stack)
    key = c.post_limiter.key(spammer.uid)
    assert c.redis.zcard(key) == harness.RATE_LIMIT
    assert 0 < c.redis.pttl(key) <= harness.RATE_WINDOW_SECONDS * 1000
    # After Retry-After the user may post again.
    time.sleep(max(0.0, wait - (time.monotonic() - refused_at)) + 0.2)
    r = spammer.post("patient now")
    assert r.status_code == 201, (r.status_code, r.text, r.headers.get("Retry-After"))
