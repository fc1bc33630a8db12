"""Seed media on a running local stack: avatars for some users, images on some posts.

Everything goes the way a browser goes: POST /v1/media through the gateway, PUT to the upload
session on fake-gcs-server, wait for the processor to make it ready, then PUT /v1/me/avatar or
POST /v1/posts with ``media_ids``. Run after `make seed` (or as its last step):
``python -m devstack.seed_media --workdir .local/run``.
"""

from __future__ import annotations

import argparse
import io
import random
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
from PIL import Image, ImageDraw

from devstack.authtools import emulator_token
from devstack.seed import read_stack, user_ids
from devstack.services import REPO

CAPTIONS = [
    "Sunset over the river tonight 🌅",
    "New desk setup, finally",
    "Whiteboard from today's design review",
    "The view from the library window",
]


def generated_image(seed: int, size: tuple[int, int], fmt: str = "JPEG") -> bytes:
    """A colourful picture (gradient, circles) unique to ``seed``; no external assets needed."""
    rng = random.Random(seed)
    w, h = size
    top = tuple(rng.randrange(40, 220) for _ in range(3))
    bottom = tuple(rng.randrange(40, 220) for _ in range(3))
    im = Image.new("RGB", size)
    draw = ImageDraw.Draw(im)
    for y in range(h):
        t = y / max(1, h - 1)
        shade = tuple(int(a + (b - a) * t) for a, b in zip(top, bottom, strict=True))
        draw.line([(0, y), (w, y)], fill=shade)
    for _ in range(6):
        r = rng.randrange(min(w, h) // 10, min(w, h) // 3)
        x, y = rng.randrange(w), rng.randrange(h)
        colour = tuple(rng.randrange(256) for _ in range(3))
        draw.ellipse([x - r, y - r, x + r, y + r], fill=colour)
    buf = io.BytesIO()
    im.save(buf, fmt, quality=85)
    return buf.getvalue()


class Seeder:
    def __init__(self, gateway: str, project: str) -> None:
        self.gateway = gateway
        self.project = project
        self.http = requests.Session()

    def _headers(self, uid: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {emulator_token(uid, self.project)}"}

    def upload(self, uid: str, data: bytes, purpose: str, alt: str = "") -> str:
        resp = self.http.post(
            f"{self.gateway}/v1/media", headers=self._headers(uid), timeout=30,
            json={"content_type": "image/jpeg", "byte_size": len(data), "purpose": purpose,
                  "alt": alt},
        )  # fmt: skip
        resp.raise_for_status()
        body = resp.json()
        put = self.http.put(
            body["upload_url"], data=data, headers={"Content-Type": "image/jpeg"}, timeout=60
        )
        put.raise_for_status()
        media_id: str = body["media_id"]
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            status = self.http.get(
                f"{self.gateway}/v1/media/{media_id}", headers=self._headers(uid), timeout=30
            ).json()
            if status["status"] == "ready":
                return media_id
            if status["status"] == "rejected":
                raise RuntimeError(f"seed image rejected: {status}")
            time.sleep(0.3)
        raise RuntimeError(f"media {media_id} not ready after 60 s")

    def avatar(self, uid: str, n: int) -> None:
        media_id = self.upload(uid, generated_image(n, (400, 400)), "avatar")
        resp = self.http.put(
            f"{self.gateway}/v1/me/avatar", json={"media_id": media_id},
            headers=self._headers(uid), timeout=30,
        )  # fmt: skip
        resp.raise_for_status()

    def image_post(self, uid: str, n: int) -> int:
        caption = CAPTIONS[n % len(CAPTIONS)]
        media_id = self.upload(uid, generated_image(10_000 + n, (1600, 1000)), "post", caption)
        resp = self.http.post(
            f"{self.gateway}/v1/posts", json={"text": caption, "media_ids": [media_id]},
            headers={**self._headers(uid), "Idempotency-Key": f"seed-media-{uid}-{n}"},
            timeout=30,
        )  # fmt: skip
        return resp.status_code


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workdir", type=Path, default=REPO / ".local" / "run")
    parser.add_argument("--edges", type=Path, default=None)
    parser.add_argument("--avatars", type=int, default=20)
    parser.add_argument("--image-posts", type=int, default=20)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args(argv)
    stack = read_stack(args.workdir)
    env = dict(stack["env"])  # type: ignore[call-overload]
    seeder = Seeder(str(stack["gateway"]), env["GOOGLE_CLOUD_PROJECT"])
    if args.edges is not None:
        uids = user_ids(args.edges)
    else:
        from devstack.seed import REED98

        uids = user_ids(REED98) if REED98.exists() else [f"u{n}" for n in range(1, 50)]
    print(f"media: avatars for {args.avatars} users, {args.image_posts} posts with an image")
    with ThreadPoolExecutor(args.concurrency) as pool:
        list(pool.map(lambda i: seeder.avatar(uids[i], i), range(min(args.avatars, len(uids)))))
        codes = list(
            pool.map(lambda i: seeder.image_post(uids[i % len(uids)], i), range(args.image_posts))
        )
    refused = [c for c in codes if c not in (200, 201)]
    if refused:
        # Refused posts (e.g. 429 from the posts rate limit) do not undo the seeded avatars.
        print(f"{len(refused)} image posts refused (status {sorted(set(refused))})")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
