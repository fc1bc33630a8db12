"""The local gateway in front of a real HTTP backend on loopback."""

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from werkzeug.test import Client

from devstack.gateway import Gateway, load_routes
from shared.entrypoints.http.auth import TokenVerifier
from tests.unit.test_auth import token


class Echo(BaseHTTPRequestHandler):
    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode()
        out = json.dumps(
            {"method": self.command, "path": self.path, "headers": dict(self.headers), "body": body}
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    do_GET = do_POST = do_PUT = do_DELETE = do_OPTIONS = _answer

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def client():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    routes = load_routes()
    gw = Gateway(routes, {r.backend: url for r in routes}, TokenVerifier("demo-kwetter", True))
    yield Client(gw)
    server.shutdown()


def test_forwards_full_path_query_and_identity(client):
    resp = client.get(
        "/v1/timeline?limit=5",
        headers={"Authorization": f"Bearer {token(sub='bob')}", "X-Apigateway-Api-Userinfo": "x"},
    )
    assert resp.status_code == 200
    echoed = resp.get_json()
    assert echoed["path"] == "/v1/timeline?limit=5"
    info = echoed["headers"]["X-Apigateway-Api-Userinfo"]
    assert json.loads(base64.urlsafe_b64decode(info + "=" * (-len(info) % 4)))["sub"] == "bob"
    assert "Authorization" not in echoed["headers"]
    assert "X-Cloud-Trace-Context" in echoed["headers"]


def test_spoofed_identity_without_token_is_401(client):
    resp = client.get("/v1/timeline", headers={"X-Apigateway-Api-Userinfo": "eyJzdWIiOiJ4In0"})
    assert resp.status_code == 401
    assert resp.get_json()["error"]["code"] == "unauthenticated"


def test_expired_and_foreign_tokens_are_401(client):
    for bad in (token(exp=1), token(aud="someone-else")):
        resp = client.get("/v1/timeline", headers={"Authorization": f"Bearer {bad}"})
        assert resp.status_code == 401


def test_unknown_route_404_and_wrong_method_405(client):
    auth = {"Authorization": f"Bearer {token()}"}
    assert client.get("/v1/nowhere", headers=auth).status_code == 404
    assert client.patch("/v1/timeline", headers=auth).status_code == 405


def test_preflight_needs_no_token(client):
    resp = client.options("/v1/posts")
    assert resp.status_code == 200 and resp.get_json()["method"] == "OPTIONS"


def test_body_is_forwarded(client):
    resp = client.post(
        "/v1/posts",
        data='{"text":"hé"}',
        content_type="application/json",
        headers={"Authorization": f"Bearer {token()}"},
    )
    assert resp.get_json()["body"] == '{"text":"hé"}'


def test_hostile_paths_get_json_errors(client):
    auth = {"Authorization": f"Bearer {token()}"}
    resp = client.get("/v1/users/a%0Ab", headers=auth)
    assert resp.status_code == 400 and resp.get_json()["error"]["code"] == "bad_request"
    resp = client.get("/v1/users/x/followers?cursor=" + "a" * 5000, headers=auth)
    assert resp.status_code == 414 and resp.get_json()["error"]["code"] == "uri_too_long"


def test_appends_the_connection_address_to_x_forwarded_for(client):
    # As Google's front end does: what the client sent stays on the left, the address the
    # connection came from is appended, so a function reads the client at a fixed position.
    auth = {"Authorization": f"Bearer {token(sub='bob')}"}
    sent = client.get(
        "/v1/timeline", headers={**auth, "X-Forwarded-For": "6.6.6.6"},
        environ_base={"REMOTE_ADDR": "127.0.0.1"},
    )  # fmt: skip
    assert sent.get_json()["headers"]["X-Forwarded-For"] == "6.6.6.6, 127.0.0.1"
    plain = client.get("/v1/timeline", headers=auth, environ_base={"REMOTE_ADDR": "127.9.9.9"})
    assert plain.get_json()["headers"]["X-Forwarded-For"] == "127.9.9.9"
