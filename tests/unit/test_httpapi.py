import base64
import json

import flask
import pytest

from devstack.authtools import emulator_token
from shared.domain import errors
from shared.entrypoints.http.api import FORWARDED_AUTH_HEADER, USERINFO_HEADER, Router
from tests.identity import identity_headers

app = flask.Flask(__name__)


def _router() -> Router:
    r = Router()

    @r.route("GET", "/v1/users/{id}")
    def get_user(req):
        return {"id": req.params["id"], "by": req.caller().uid}, 200

    @r.route("GET", "/v1/users/by-handle/{handle}")
    def by_handle(req):
        return {"handle": req.params["handle"]}, 200

    @r.route("POST", "/v1/things")
    def create(req):
        body = req.json()
        if "name" not in body:
            raise errors.ValidationFailed("name is required")
        return body, 201, {"Location": "/v1/things/1"}

    @r.route("GET", "/v1/boom")
    def boom(req):
        raise RuntimeError("bug")

    return r


def _userinfo(sub: str) -> str:
    return base64.urlsafe_b64encode(json.dumps({"sub": sub}).encode()).decode().rstrip("=")


def call(method, path, **kw):
    with app.test_request_context(path, method=method, **kw):
        resp = _router().dispatch(flask.request)
        return resp.status_code, (resp.get_json() if resp.data else None), resp.headers


def test_identity_comes_from_the_gateway_header():
    status, body, headers = call("GET", "/v1/users/u1", headers=identity_headers("me"))
    assert (status, body) == (200, {"id": "u1", "by": "me"})
    assert headers["Access-Control-Allow-Origin"] == "*"


def test_missing_identity_is_401_with_a_stable_code():
    status, body, _ = call("GET", "/v1/users/u1")
    assert status == 401 and body["error"]["code"] == "unauthenticated"


def test_the_identity_header_alone_is_not_trusted():
    # What one over-broad run.invoker grant would let anyone send straight to the function.
    status, body, _ = call("GET", "/v1/users/u1", headers={USERINFO_HEADER: _userinfo("me")})
    assert status == 401 and body["error"]["code"] == "unauthenticated"


def test_an_identity_header_that_disagrees_with_the_token_is_refused():
    headers = identity_headers("me") | {USERINFO_HEADER: _userinfo("someone-else")}
    status, body, _ = call("GET", "/v1/users/u1", headers=headers)
    assert status == 401 and "disagree" in body["error"]["message"]


def test_a_token_of_another_project_is_refused():
    headers = {FORWARDED_AUTH_HEADER: f"Bearer {emulator_token('me', 'another-project')}"}
    status, _, _ = call("GET", "/v1/users/u1", headers=headers)
    assert status == 401


def test_the_token_alone_identifies_the_caller():
    headers = {FORWARDED_AUTH_HEADER: identity_headers("me")[FORWARDED_AUTH_HEADER]}
    status, body, _ = call("GET", "/v1/users/u1", headers=headers)
    assert (status, body) == (200, {"id": "u1", "by": "me"})


@pytest.mark.parametrize(
    "body",
    [
        "[" * 20_000 + "]" * 20_000,
        '{"name":' + "[" * 40 + "]" * 40 + "}",
        '{"name": 1' + "0" * 5000 + "}",
        '{"name": NaN}',
        '{"name": -Infinity}',
    ],
    ids=["deep 20k", "deep 40 in a field", "5000-digit int", "NaN", "Infinity"],
)
def test_pathological_json_is_a_400_not_a_server_error(body):
    status, err, _ = call("POST", "/v1/things", data=body, content_type="application/json")
    assert status == 400 and err["error"]["code"] == "bad_request"


def test_json_nesting_within_the_limit_is_accepted():
    body = '{"name": ' + "[" * 30 + "]" * 30 + "}"
    status, _, _ = call("POST", "/v1/things", data=body, content_type="application/json")
    assert status == 201


@pytest.mark.parametrize("limit", ["1" + "0" * 5000, "9" * 21, "-" + "9" * 30])
def test_integer_query_values_past_any_range_are_a_400(limit):
    r = Router()

    @r.route("GET", "/v1/list")
    def listing(req):
        return {"limit": req.int_query("limit", 20, lo=1, hi=100)}, 200

    with app.test_request_context(f"/v1/list?limit={limit}"):
        resp = r.dispatch(flask.request)
    assert resp.status_code == 400


def test_literal_segments_win_over_parameters():
    status, body, _ = call("GET", "/v1/users/by-handle/alice")
    assert (status, body) == (200, {"handle": "alice"})


@pytest.mark.parametrize(
    "kw, status, code",
    [
        ({"data": "{", "content_type": "application/json"}, 400, "bad_request"),
        ({"data": b"\xff\xfe", "content_type": "application/json"}, 400, "bad_request"),
        ({"data": "[]", "content_type": "application/json"}, 400, "bad_request"),
        ({"data": "{}", "content_type": "text/plain"}, 415, "unsupported_media_type"),
        ({"data": "{}", "content_type": "application/json"}, 422, "validation_failed"),
        ({"data": "x" * 70_000, "content_type": "application/json"}, 413, "payload_too_large"),
    ],
)
def test_bad_bodies_get_clear_4xx(kw, status, code):
    got, body, _ = call("POST", "/v1/things", **kw)
    assert (got, body["error"]["code"]) == (status, code)


def test_created_with_headers():
    status, body, headers = call(
        "POST", "/v1/things", data='{"name":"x"}', content_type="application/json"
    )
    assert (status, body, headers["Location"]) == (201, {"name": "x"}, "/v1/things/1")


def test_unknown_route_404_wrong_method_405_preflight_204():
    assert call("GET", "/v1/nope")[0] == 404
    assert call("DELETE", "/v1/things")[0] == 405
    status, _, headers = call("OPTIONS", "/v1/things")
    assert status == 204 and "Idempotency-Key" in headers["Access-Control-Allow-Headers"]
    assert "Content-Type" not in headers


def test_a_bug_is_a_json_500_not_a_traceback():
    status, body, _ = call("GET", "/v1/boom")
    assert status == 500 and body == {"error": {"code": "internal", "message": "internal error"}}
