"""devstack/static_site.py serves the bundle as the CDN does: gzip, cache rules, SPA fallback."""

from __future__ import annotations

import functools
import gzip
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest

from devstack.static_site import SpaHandler


@pytest.fixture()
def site(tmp_path: Path) -> Iterator[str]:
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text("<!doctype html><title>app</title>" * 20)
    (tmp_path / "assets" / "index-abc123.js").write_text("console.log('kwetter');\n" * 200)
    (tmp_path / "favicon.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    server = ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(SpaHandler, directory=str(tmp_path))
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


def get(url: str, gz: bool = True) -> tuple[int, dict[str, str], bytes]:
    req = urllib.request.Request(url, headers={"Accept-Encoding": "gzip, br"} if gz else {})
    try:
        with urllib.request.urlopen(req) as r:
            return r.status, {k.lower(): v for k, v in r.headers.items()}, r.read()
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read()


def test_hashed_assets_are_gzipped_and_immutable(site: str) -> None:
    status, h, body = get(f"{site}/assets/index-abc123.js")
    assert status == 200
    assert h["content-encoding"] == "gzip"
    assert h["cache-control"] == "public, max-age=31536000, immutable"
    assert h["vary"] == "Accept-Encoding"
    assert gzip.decompress(body).startswith(b"console.log")
    assert int(h["content-length"]) == len(body) < 4800


def test_index_and_client_routes_revalidate(site: str) -> None:
    for path in ("/", "/@alice", "/post/123"):
        status, h, body = get(site + path)
        assert status == 200
        assert h["cache-control"] == "no-cache"
        assert b"<title>app</title>" in gzip.decompress(body)


def test_plain_without_accept_encoding_and_root_files_an_hour(site: str) -> None:
    status, h, body = get(f"{site}/favicon.svg", gz=False)
    assert status == 200 and "content-encoding" not in h and body.startswith(b"<svg")
    assert h["cache-control"] == "public, max-age=3600"


def test_a_missing_hashed_asset_is_a_404_not_the_app(site: str) -> None:
    status, _, _ = get(f"{site}/assets/index-gone.js")
    assert status == 404
