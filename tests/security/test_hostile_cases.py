"""Hostile cases against every operation of the OpenAPI document, through the gateway.

Schemathesis (tests/e2e/test_fuzz.py) generates inputs that fit the document's types; the
server errors an attacker found were in what it never generates: structurally valid but
pathological JSON (deep nesting, integers past any range, NaN), cursors that decode to numbers
no store can hold, and values of the wrong type in every field. This suite sends those classes
to every operation the document lists (path, query, body and header values alike) and asserts
the goal of issue 16: no answer >= 500 and none slower than 2 s. The per-operation counts are
written to .local/reports/hostile_cases.json (docs/faults.md quotes them).
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import yaml

from devstack.gateway import OPENAPI_PATH
from devstack.services import REPO
from devstack.stack import LocalStack
from tests.faults import harness

pytestmark = pytest.mark.integration

SLOW_SECONDS = 2.0
_JSON = {"Content-Type": "application/json"}
REPORT = REPO / ".local" / "reports" / "hostile_cases.json"


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _cursor(value: Any) -> str:
    return _b64(json.dumps(value).encode())


# Values for any string slot of a URL (path segment or query value), quoted when sent.
URL_VALUES: dict[str, str] = {
    "empty": "",
    "space": " ",
    "long 10k": "a" * 10_000,
    "digits 40": "9" * 40,
    "digits 5000": "1" + "0" * 5000,
    "negative": "-1",
    "minus zero": "-0",
    "float": "1.5",
    "exponent": "1e999",
    "nan": "NaN",
    "hex": "0x7fffffffffffffff",
    "int64 max": str(2**63 - 1),
    "int64 overflow": str(2**63),
    "uint64 overflow": str(2**64),
    "unicode digits": "١٢٣",
    "bidi override": "\u202eevil",
    "zero width": "a\u200bb",
    "emoji": "🦜" * 20,
    "nul": "a\x00b",
    "control": "a\x01\x1fb",
    "dot dot": "..",
    "slash": "a/b",
    "percent": "%",
    "json": '{"$gt": ""}',
    "cypher": "x' }) MATCH (n) DETACH DELETE n //",
    "cursor int overflow": _cursor([2**70, "u"]),
    "cursor uint64": _cursor([2**64 - 1, "u"]),
    "cursor negative": _cursor([-(2**63) - 1, "u"]),
    "cursor float": _cursor([1e308, "u"]),
    "cursor huge digits": _b64(b"[1" + b"0" * 5000 + b',"u"]'),
    "cursor inf": _b64(b'[Infinity,"u"]'),
    "cursor types": _cursor(["x", 1]),
    "cursor short": _cursor([1]),
    "cursor object": _cursor({"a": 1}),
    "cursor long uid": _cursor([1, "u" * 5000]),
    "cursor deep": _b64(b"[" * 5000 + b"]" * 5000),
    "cursor not base64": "!!!",
    "cursor not json": _b64(b"\xff\xfe"),
}

STRAY_VALUES = ("digits 5000", "cursor int overflow", "cursor deep", "nul", "long 10k")


def _deep(n: int, open_: str, close: str) -> str:
    return open_ * n + close * n


# Whole bodies (raw bytes, sent as application/json unless the case says otherwise).
BODIES: dict[str, bytes] = {
    "deep arrays 20k": _deep(20_000, "[", "]").encode(),
    "deep objects 6k": ('{"a":' * 6_000 + "1" + "}" * 6_000).encode(),
    "deep in a field": ('{"text":' + _deep(10_000, "[", "]") + "}").encode(),
    "integer 5000 digits": b'{"text": 1' + b"0" * 5000 + b"}",
    "float overflow": b'{"text": 1e400, "byte_size": 1e400}',
    "nan": b'{"text": NaN, "byte_size": NaN}',
    "infinity": b'{"byte_size": -Infinity}',
    "duplicate keys": b'{"text": "a", "text": {"x": 1}}',
    "empty object": b"{}",
    "null": b"null",
    "array": b"[]",
    "string": b'"text"',
    "number": b"1",
    "invalid utf-8": b'{"text": "\xff\xfe"}',
    "overlong utf-8": b'{"text": "\xc0\xaf"}',
    "utf-16 bom": '{"text": "x"}'.encode("utf-16"),
    "utf-8 bom": b'\xef\xbb\xbf{"text": "x"}',
    "lone surrogate": b'{"text": "\\ud800", "handle": "\\udfff", "display_name": "\\ud83d"}',
    "nul": b'{"text": "a\\u0000", "handle": "a\\u0000", "display_name": "\\u0000"}',
    "truncated": b'{"text": "a',
    "trailing garbage": b'{"text": "a"} x',
    "64 KiB of spaces": b"{" + b" " * (64 * 1024 - 2) + b"}",
}

# Values put, one at a time, into every field of an operation's body schema.
FIELD_VALUES: dict[str, Any] = {
    "null": None,
    "true": True,
    "zero": 0,
    "negative": -1,
    "int64 overflow": 2**63,
    "huge int": 10**300,
    "float": 1.5,
    "huge float": 1e308,
    "empty string": "",
    "long string": "x" * 20_000,
    "bidi": "\u202e\u2066x",
    "zero width": "\u200b\u200c\u200d",
    "object": {"$ne": None},
    "array": [1, "a", None],
    "nested": [[[[[[[[[[]]]]]]]]]],
    "array of 5000": list(range(5000)),
}

HEADERS: dict[str, dict[str, str]] = {
    "idempotency key long": {"Idempotency-Key": "k" * 5000},
    "idempotency key control": {"Idempotency-Key": "a\tb"},
    "idempotency key unicode": {"Idempotency-Key": "ключ"},
    "content-type charset utf-16": {"Content-Type": "application/json; charset=utf-16"},
    "content-type garbage": {"Content-Type": ";;;/;"},
    "content-type text": {"Content-Type": "text/plain"},
    "forwarded-for garbage": {"X-Forwarded-For": "not-an-ip, 999.1.1.1, ::zz"},
    "userinfo spoof": {"X-Apigateway-Api-Userinfo": _b64(b'{"sub": "someone-else"}')},
    "forwarded authorization spoof": {"X-Forwarded-Authorization": "Bearer a.b.c"},
    "cloud trace garbage": {"X-Cloud-Trace-Context": "zz/" + "9" * 100 + ";o=9"},
}


# A body each operation accepts, so that a case changing one field reaches that field's own
# checks (and the code behind them) instead of stopping at another field's.
VALID_BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/v1/users"): {"handle": "hostile_case", "display_name": "Hostile Case"},
    ("POST", "/v1/posts"): {"text": "a hostile case"},
    ("POST", "/v1/media"): {"content_type": "image/png", "byte_size": 1000, "purpose": "post"},
    ("PUT", "/v1/me/avatar"): {"media_id": None},
    # issue 23's account routes; the confirmation names nobody, so no case deletes an account
    ("PATCH", "/v1/me"): {"bio": "a hostile case"},
    ("DELETE", "/v1/me"): {"confirm": "not_the_callers_handle"},
    # issue 21's: a report of a post that does not exist; moderation as a caller who is none
    ("POST", "/v1/reports"): {"post_id": "1", "reason": "spam"},
    ("POST", "/v1/moderation/reports/{id}/dismiss"): {"reason": "a hostile case"},
    ("POST", "/v1/moderation/posts/{id}/remove"): {"reason": "a hostile case"},
    ("PUT", "/v1/moderation/users/{id}/suspension"): {"reason": "a hostile case"},
    ("POST", "/v1/notifications/read"): {"cursor": "1"},
}


@dataclass(frozen=True)
class Operation:
    method: str
    template: str
    path_params: tuple[str, ...]
    query_params: tuple[str, ...]
    body_fields: tuple[str, ...]
    has_body: bool


def _resolve(doc: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        *_, section, name = node["$ref"].split("/")
        node = doc[section][name]
    return node


def operations() -> list[Operation]:
    doc = yaml.safe_load(OPENAPI_PATH.read_text())
    ops = []
    for template, item in doc["paths"].items():
        for method, op in item.items():
            if method == "options":
                continue
            params = [_resolve(doc, p) for p in op.get("parameters", [])]
            fields: list[str] = []
            for p in params:
                if p["in"] == "body":
                    schema = _resolve(doc, p["schema"])
                    fields += list(schema.get("properties", {}))
            ops.append(
                Operation(
                    method=method.upper(),
                    template=template,
                    path_params=tuple(p["name"] for p in params if p["in"] == "path"),
                    query_params=tuple(p["name"] for p in params if p["in"] == "query"),
                    body_fields=tuple(fields),
                    has_body=any(p["in"] == "body" for p in params),
                )
            )
    return ops


@dataclass
class Case:
    op: Operation
    label: str
    path: str
    query: str = ""
    body: bytes | None = None
    headers: dict[str, str] | None = None


def _cases(op: Operation, valid: dict[str, str]) -> Iterator[Case]:
    def path_with(**over: str) -> str:
        path = op.template
        for name in op.path_params:
            value = over.get(name, valid[name])
            path = path.replace("{" + name + "}", quote(value, safe=""))
        return path

    valid_body = VALID_BODIES.get((op.method, op.template), {})
    ok_body = json.dumps(valid_body).encode() if op.has_body else None
    yield Case(op, "baseline", path_with(), body=ok_body)
    for name in op.path_params:
        for label, value in URL_VALUES.items():
            yield Case(op, f"path {name}: {label}", path_with(**{name: value}), body=ok_body)
    for name in op.query_params:
        for label, value in URL_VALUES.items():
            q = f"?{name}={quote(value, safe='')}"
            yield Case(op, f"query {name}: {label}", path_with(), q, body=ok_body)
    # Parameters other operations take: a stray one must be ignored, never crash.
    for name in sorted({"limit", "before", "cursor"} - set(op.query_params)):
        for label in STRAY_VALUES:
            q = f"?{name}={quote(URL_VALUES[label], safe='')}"
            yield Case(op, f"query {name} (stray): {label}", path_with(), q, body=ok_body)
    yield Case(op, "query repeated", path_with(), "?limit=1&limit=x&cursor=a&cursor=b")
    if op.has_body:
        for label, raw in BODIES.items():
            yield Case(op, f"body: {label}", path_with(), body=raw)
        for field in op.body_fields:
            for label, value in FIELD_VALUES.items():
                body = json.dumps(valid_body | {field: value}).encode()
                yield Case(op, f"field {field}: {label}", path_with(), body=body)
    for label, headers in HEADERS.items():
        yield Case(op, f"header: {label}", path_with(), body=ok_body, headers=headers)


@pytest.fixture(scope="module")
def world(stack: LocalStack) -> dict[str, Any]:
    """Real ids for the path parameters, so every case reaches the function behind a route."""
    author, other = harness.register(stack, "hw", 2)
    r = author.post("a post to aim at")
    assert r.status_code == 201, r.text
    handle = other.call("GET", "/v1/me").json()["handle"]
    return {"author": author, "other": other, "post_id": r.json()["id"], "handle": handle}


def _valid_params(op: Operation, world: dict[str, Any]) -> dict[str, str]:
    if op.template.startswith("/v1/posts/"):
        return {"id": world["post_id"]}
    if op.template.startswith("/v1/media/"):
        return {"id": uuid.uuid4().hex}
    # {tag}: GET /v1/hashtags/{tag}/posts (issue 22), a hashtag without its "#"
    return {"id": world["other"].uid, "handle": world["handle"], "tag": "kwetter"}


def test_no_input_gets_a_server_error_or_a_slow_answer(
    stack: LocalStack, world: dict[str, Any]
) -> None:
    # Fresh accounts per operation, so the per-user write limits do not turn later cases into
    # 429s that would hide what the function itself answers.
    ops = operations()
    assert len(ops) >= 16, "the document lists every operation"
    callers = harness.register(stack, "hc", len(ops))
    bad: list[str] = []
    slow: list[str] = []
    per_op: dict[str, Counter[int]] = {}
    # Bounded: the limits of the test stack allow a handful of writes per account and address.
    fresh_callers, renewed = 400, 0
    for op, caller in zip(ops, callers, strict=True):
        statuses: Counter[int] = Counter()
        cases = list(_cases(op, _valid_params(op, world)))
        # One untimed valid request first: a function's first call of a route opens its
        # clients (Neo4j, Pub/Sub, Cloud Storage) — a cold start, whatever the input.
        warm = cases[0]
        caller.call(op.method, warm.path, data=warm.body, headers=_JSON if warm.body else {})
        for case in cases:
            headers: dict[str, str | bytes] = (
                {"Content-Type": "application/json"} if case.body is not None else {}
            )
            # as raw UTF-8 bytes on the wire: what a hostile client sends, not what http.client
            # is willing to encode
            headers |= {k: v.encode() for k, v in (case.headers or {}).items()}
            t0 = time.perf_counter()
            r = caller.call(
                op.method, case.path + case.query, data=case.body, headers=headers, timeout=30
            )
            took = time.perf_counter() - t0
            if r.status_code == 429 and fresh_callers > 0:
                # The write limits did their job; the case is about what the function does
                # with the input, so it goes again from a fresh account and address.
                fresh_callers -= 1
                (caller,) = harness.register(stack, "hf", 1)
                t0 = time.perf_counter()
                r = caller.call(
                    op.method, case.path + case.query, data=case.body, headers=headers, timeout=30
                )
                took = time.perf_counter() - t0
                renewed += 1
            statuses[r.status_code] += 1
            where = f"{op.method} {op.template} [{case.label}]"
            if r.status_code >= 500:
                bad.append(f"{where} -> {r.status_code} {r.text[:160]}")
            elif took > SLOW_SECONDS:
                slow.append(f"{where} took {took:.2f}s")
            if r.status_code >= 400:
                # every refusal is the API's JSON error with a stable code, never an HTML page
                assert r.headers.get("Content-Type", "").startswith("application/json"), where
                assert r.json()["error"]["code"], where
        per_op[f"{op.method} {op.template}"] = statuses
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(
        json.dumps(
            {
                "operations": len(per_op),
                "cases": sum(sum(c.values()) for c in per_op.values()),
                "server_errors": len(bad),
                "slower_than_2s": len(slow),
                "resent_after_429_from_a_fresh_account": renewed,
                "per_operation": {
                    k: {"cases": sum(c.values()), "statuses": dict(sorted(c.items()))}
                    for k, c in per_op.items()
                },
            },
            indent=2,
        )
    )
    assert not bad, "server errors:\n" + "\n".join(bad[:40])
    assert not slow, "slow answers:\n" + "\n".join(slow[:40])


def test_the_suite_reaches_every_operation_of_the_document() -> None:
    """The operations come from the document itself, so a new route is covered the day it is
    added; here, that each kind of slot actually gets cases."""
    ops = operations()
    valid = {"id": "u", "handle": "h", "tag": "t"}
    kinds = Counter(c.label.split(":")[0].split(" ")[0] for op in ops for c in _cases(op, valid))
    assert {"baseline", "path", "query", "body", "field", "header"} <= set(kinds)
    with_body = [op for op in ops if op.has_body]
    assert with_body and all(op.body_fields for op in with_body)
    # every operation with a body has a valid one, naming only fields the document declares
    for op in with_body:
        assert set(VALID_BODIES[(op.method, op.template)]) <= set(op.body_fields), op
    assert Path(OPENAPI_PATH).exists()
