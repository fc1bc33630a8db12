"""The local API gateway: routes by contracts/openapi.yaml, authenticates like API Gateway.

For each request: match the path template and method of the OpenAPI document (unknown → 404,
wrong method → 405), verify the Firebase ID token (shared/entrypoints/http/auth.py), then
forward to the function behind ``x-google-backend`` with the whole path appended
(APPEND_PATH_TO_ADDRESS), the token's claims in ``X-Apigateway-Api-Userinfo`` and the token in
``X-Forwarded-Authorization`` — the headers API Gateway sends. A client-sent copy of
that header is dropped, so nobody can claim another identity. Like Google's front end, it
appends the connection's address to ``X-Forwarded-For`` (the functions' per-address
limits). Served by gunicorn (gthread).

Backends come from the environment: KWETTER_BACKEND_<NAME>=http://127.0.0.1:PORT per function.
"""

from __future__ import annotations

import json
import os
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import urllib3
import yaml
from werkzeug.wrappers import Request, Response

from shared import topology
from shared.entrypoints.http.api import CORS_HEADERS
from shared.entrypoints.http.auth import InvalidToken, TokenVerifier, userinfo_header

# The contract ships inside the package (beside shared/topology.py's topology.yaml).
OPENAPI_PATH = Path(topology.__file__).resolve().parent / "contracts" / "openapi.yaml"
METHODS = ("get", "put", "post", "delete", "patch", "options")
MAX_BODY_BYTES = 32 * 1024 * 1024  # API Gateway's own request size limit
# No documented route needs more (ids ≤ 128, cursors ≤ 512); the functions' gunicorn would
# answer a longer one with an HTML page.
MAX_URL_CHARS = 4000
HOP_BY_HOP = {
    "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailers",
    "transfer-encoding", "upgrade", "host", "content-length", "authorization",
    "x-apigateway-api-userinfo",
}  # fmt: skip


@dataclass(frozen=True)
class Route:
    template: str
    pattern: re.Pattern[str]
    literal_segments: int
    method: str
    backend: str
    secured: bool


def load_routes(path: Path = OPENAPI_PATH) -> list[Route]:
    doc = yaml.safe_load(path.read_text())
    global_security = bool(doc.get("security"))
    routes = []
    for template, item in doc["paths"].items():
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            address = op["x-google-backend"]["address"]
            m = re.fullmatch(r"\$\{(\w+)_url\}", address)
            if not m:
                raise ValueError(f"{method} {template}: backend {address!r} is not ${{<fn>_url}}")
            secured = bool(op["security"]) if "security" in op else global_security
            regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template)
            routes.append(
                Route(
                    template=template,
                    pattern=re.compile(f"^{regex}$"),
                    literal_segments=sum(1 for s in template.split("/") if s and "{" not in s),
                    method=method.upper(),
                    backend=m.group(1),
                    secured=secured,
                )
            )
    # ESPv2 prefers literal segments over templated ones; so do we.
    routes.sort(key=lambda r: -r.literal_segments)
    return routes


def _error(status: int, code: str, message: str) -> Response:
    # The gateway's own errors carry CORS headers so a browser can read them; the functions'
    # responses carry their own (shared.entrypoints.http.api), as they must behind API Gateway.
    body = json.dumps({"error": {"code": code, "message": message}})
    return Response(body, status=status, mimetype="application/json", headers=CORS_HEADERS)


class Gateway:
    def __init__(
        self,
        routes: list[Route],
        backends: dict[str, str],
        verifier: TokenVerifier,
    ) -> None:
        missing = {r.backend for r in routes} - backends.keys()
        if missing:
            raise ValueError(f"no backend URL for {sorted(missing)}")
        self.routes = routes
        self.backends = backends
        self.verifier = verifier
        # A pooled keep-alive connection the function's server has just closed fails on reuse;
        # one retry of an idempotent request on a fresh connection is what a proxy should do.
        retry = urllib3.Retry(
            total=2, connect=2, read=1, redirect=0, status=0,
            allowed_methods=frozenset({"GET", "PUT", "DELETE", "OPTIONS", "HEAD"}),
            raise_on_status=False,
        )  # fmt: skip
        self.http = urllib3.PoolManager(num_pools=16, maxsize=64, retries=retry)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request = Request(environ)
        response = self.handle(request)
        return response(environ, start_response)

    def match(self, method: str, path: str) -> tuple[Route | None, bool]:
        path_known = False
        for route in self.routes:
            if route.pattern.match(path):
                path_known = True
                if route.method == method:
                    return route, True
        return None, path_known

    def handle(self, request: Request) -> Response:
        if request.path == "/healthz":
            return Response("ok", mimetype="text/plain")
        if len(request.full_path) > MAX_URL_CHARS:
            return _error(414, "uri_too_long", f"request URLs are at most {MAX_URL_CHARS} chars")
        if any(ord(ch) < 0x20 or 0x7F <= ord(ch) <= 0x9F for ch in request.path):
            # Control characters in a path are never an id or a handle; reject them here, as
            # the functions' web server would answer them with an HTML page.
            return _error(400, "bad_request", "the path contains control characters")
        route, path_known = self.match(request.method, request.path)
        if route is None:
            if path_known:
                return _error(405, "method_not_allowed", f"{request.method} not allowed here")
            return _error(404, "not_found", f"no route {request.path}")
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP}
        # As Google's front end does: append the address this connection came from, so the
        # functions find the client at a fixed position from the right (TRUSTED_PROXY_HOPS)
        # whatever the client put on the left.
        sent = [v for k, v in headers.items() if k.lower() == "x-forwarded-for"]
        headers = {k: v for k, v in headers.items() if k.lower() != "x-forwarded-for"}
        headers["X-Forwarded-For"] = ", ".join([*sent, request.remote_addr or "unknown"])
        if route.secured:
            try:
                claims = self.verifier.verify(request.headers.get("Authorization"))
            except InvalidToken as exc:
                return _error(401, "unauthenticated", str(exc))
            headers["X-Apigateway-Api-Userinfo"] = userinfo_header(claims)
            headers["X-Forwarded-Authorization"] = request.headers.get("Authorization", "")
        if "X-Cloud-Trace-Context" not in request.headers:
            headers["X-Cloud-Trace-Context"] = f"{secrets.token_hex(16)}/1;o=1"
        if (request.content_length or 0) > MAX_BODY_BYTES:
            return _error(413, "payload_too_large", "request body too large")
        body = request.get_data(cache=False)
        if len(body) > MAX_BODY_BYTES:
            return _error(413, "payload_too_large", "request body too large")
        url = self.backends[route.backend] + request.full_path.rstrip("?")
        try:
            upstream = self.http.request(
                request.method, url, body=body or None, headers=headers,
                timeout=urllib3.Timeout(connect=5, read=60), preload_content=True,
            )  # fmt: skip
        except urllib3.exceptions.HTTPError as exc:
            return _error(503, "backend_unavailable", f"{route.backend} is not answering: {exc}")
        out_headers = {k: v for k, v in upstream.headers.items() if k.lower() not in HOP_BY_HOP}
        response = Response(upstream.data, status=upstream.status, headers=out_headers)
        if "content-type" not in {k.lower() for k in out_headers}:
            del response.headers["Content-Type"]  # werkzeug would add text/plain to a 204
        return response


def create_app() -> Gateway:
    """gunicorn entry point: ``gunicorn 'devstack.gateway:create_app()'``."""
    routes = load_routes()
    backends = {
        name: os.environ[f"KWETTER_BACKEND_{name.upper()}"]
        for name in {r.backend for r in routes}
        if f"KWETTER_BACKEND_{name.upper()}" in os.environ
    }
    project = os.environ.get("GOOGLE_CLOUD_PROJECT", "demo-kwetter")
    return Gateway(routes, backends, TokenVerifier.from_env(project))
