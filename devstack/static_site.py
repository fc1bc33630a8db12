"""Serves the built web app like production does: files, else index.html (SPA), compressed, with
the CDN's cache rules.

- ``/assets/*`` are content-hashed by Vite: ``Cache-Control: public, max-age=31536000, immutable``.
- ``index.html`` (and every client-side route answered with it): ``no-cache``, so a deploy shows
  up at once; the other root files (``frontend/public``: the favicon) an hour.
- Text types are sent gzip-encoded to clients that accept it (``Vary: Accept-Encoding``), as the
  CDN does (``compression_mode = "AUTOMATIC"``); compressed once per file version, in memory.
"""

from __future__ import annotations

import argparse
import functools
import gzip
import io
import os
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from threading import Lock

IMMUTABLE = "public, max-age=31536000, immutable"
COMPRESSIBLE = (
    "text/",
    "application/javascript",
    "application/json",
    "image/svg+xml",
    "application/manifest+json",
)

_cache: dict[tuple[str, int, int], bytes] = {}
_lock = Lock()


def _gzipped(path: Path) -> bytes:
    st = path.stat()
    key = (str(path), st.st_mtime_ns, st.st_size)
    with _lock:
        hit = _cache.get(key)
    if hit is None:
        hit = gzip.compress(path.read_bytes(), compresslevel=9, mtime=0)
        with _lock:
            _cache[key] = hit
    return hit


def cache_control(url_path: str) -> str:
    # The same rules as infra/terraform/deploy.sh sets on the bucket's objects.
    if url_path.startswith("/assets/"):
        return IMMUTABLE
    return "no-cache" if url_path == "/index.html" else "public, max-age=3600"


class SpaHandler(SimpleHTTPRequestHandler):
    extensions_map = {
        **SimpleHTTPRequestHandler.extensions_map,
        ".js": "application/javascript",
        ".mjs": "application/javascript",
        ".css": "text/css",
        ".svg": "image/svg+xml",
        ".webmanifest": "application/manifest+json",
    }

    def send_head(self):  # type: ignore[no-untyped-def]
        url_path = self.path.split("?", 1)[0].split("#", 1)[0]
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            path = path / "index.html"
            url_path = "/index.html"
        if not path.is_file():
            # Client-side routes such as /@alice: the bucket's not_found_page is index.html too.
            # A missing hashed asset is a real 404 (an old page asking for a replaced chunk).
            if url_path.startswith("/assets/"):
                self.send_error(HTTPStatus.NOT_FOUND)
                return None
            path = Path(self.translate_path("/index.html"))
            url_path = "/index.html"
        ctype = self.guess_type(str(path))
        accepts = "gzip" in self.headers.get("Accept-Encoding", "")
        compress = accepts and ctype.startswith(COMPRESSIBLE)
        try:
            body = _gzipped(path) if compress else path.read_bytes()
        except OSError:
            self.send_error(HTTPStatus.NOT_FOUND)
            return None
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", cache_control(url_path))
        self.send_header("Vary", "Accept-Encoding")
        if compress:
            self.send_header("Content-Encoding", "gzip")
        self.send_header("Last-Modified", self.date_time_string(int(os.path.getmtime(path))))
        self.end_headers()
        return io.BytesIO(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", type=Path, required=True)
    parser.add_argument("--port", type=int, default=5173)
    args = parser.parse_args(argv)
    handler = functools.partial(SpaHandler, directory=str(args.dir))
    ThreadingHTTPServer(("127.0.0.1", args.port), handler).serve_forever()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
