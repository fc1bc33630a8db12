"""Locust scenarios for Kwetter: `make load SCENARIO=mix|burst|celebrity`.

- mix: the DeathStarBench social-network mix on the Reed98 graph (60% home-timeline reads,
  30% user-timeline reads, 10% posts). Needs `make seed` (or the graph import) first.
- burst: the seed's burst — users posting as fast as they can while their followers read.
- celebrity: one author followed by everyone posts repeatedly while the others read.

Every scenario also reports post-to-visible freshness as a pseudo-request named
``post-to-visible`` (type FRESHNESS): the time from a post's 201 to the first home-timeline read
of one of its author's followers that contains it.

Tokens: locally they are minted in the Auth emulator's format before the measured window (the
local gateway accepts them in emulator mode). Against a deployed gateway, pass real ID tokens:
KWETTER_TOKENS_FILE=tokens.json (a JSON object uid → ID token) and --host https://GATEWAY.
"""

from __future__ import annotations

import json
import os
import random
import threading
import time
from collections import defaultdict
from pathlib import Path

from locust import HttpUser, between, events, task

from devstack.authtools import emulator_token

SCENARIO = os.environ.get("SCENARIO", "mix")
PROJECT = os.environ.get("GOOGLE_CLOUD_PROJECT", "demo-kwetter")
EDGES = Path(
    os.environ.get(
        "KWETTER_EDGES",
        Path(__file__).resolve().parents[2] / "data" / "socfb-Reed98.edges",
    )
)
CELEBRITY = os.environ.get("KWETTER_CELEBRITY", "u0")


def _load_graph(path: Path) -> dict[str, list[str]]:
    followees: dict[str, list[str]] = defaultdict(list)
    for line in path.read_text().splitlines():
        parts = line.split()
        if len(parts) >= 2 and not line.startswith(("%", "#")):
            a, b = f"u{parts[0]}", f"u{parts[1]}"
            followees[a].append(b)
            followees[b].append(a)
    return dict(followees)


FOLLOWEES = _load_graph(EDGES)
UIDS = sorted(FOLLOWEES)
_tokens_file = os.environ.get("KWETTER_TOKENS_FILE")
TOKENS: dict[str, str] = (
    json.loads(Path(_tokens_file).read_text())
    if _tokens_file
    else {uid: emulator_token(uid, PROJECT, ttl_seconds=6 * 3600) for uid in UIDS}
)

# post id -> (monotonic time of its 201, author); read by every simulated user in this process.
_posted: dict[str, tuple[float, str]] = {}
_seen: set[str] = set()
_lock = threading.Lock()
_next_user = iter(range(10**9))


_freshness_ms: list[float] = []


@events.test_stop.add_listener
def _dump_freshness(**_: object) -> None:
    """Raw samples for the freshness CDF (docs/load.md): KWETTER_FRESHNESS_OUT=path.json."""
    out = os.environ.get("KWETTER_FRESHNESS_OUT")
    if out:
        Path(out).write_text(json.dumps({"posted": len(_posted), "samples_ms": _freshness_ms}))


def _record_visibility(items: list[dict[str, object]], reader: str) -> None:
    now = time.monotonic()
    for item in items:
        pid = str(item.get("id"))
        with _lock:
            hit = _posted.get(pid)
            if hit is None or pid in _seen:
                continue
            _seen.add(pid)
            _freshness_ms.append((now - hit[0]) * 1000)
        events.request.fire(
            request_type="FRESHNESS",
            name="post-to-visible",
            response_time=(now - hit[0]) * 1000,
            response_length=0,
            exception=None,
            context={},
        )


class KwetterUser(HttpUser):
    wait_time = between(0.05, 0.5) if SCENARIO != "burst" else between(0.0, 0.05)

    def on_start(self) -> None:
        n = next(_next_user)
        self.uid = UIDS[n % len(UIDS)]
        self.headers = {"Authorization": f"Bearer {TOKENS[self.uid]}"}
        self.posts = 0
        if SCENARIO == "celebrity" and self.uid != CELEBRITY:
            # Everyone follows the celebrity (idempotent PUT), before this user's first task.
            self.client.put(
                f"/v1/users/{CELEBRITY}/follow", headers=self.headers, name="PUT follow (setup)"
            )

    def _post(self) -> None:
        self.posts += 1
        with self.client.post(
            "/v1/posts",
            json={"text": f"load test post {self.posts} from {self.uid}"},
            headers={**self.headers, "Idempotency-Key": f"{self.uid}-{time.time_ns()}"},
            name="POST /v1/posts",
            catch_response=True,
        ) as resp:
            if resp.status_code == 201:
                with _lock:
                    _posted[resp.json()["id"]] = (time.monotonic(), self.uid)
                resp.success()
            elif resp.status_code == 429:
                resp.success()  # the rate limiter doing its job is not an error
            else:
                resp.failure(f"{resp.status_code}: {resp.text[:200]}")

    def _home(self) -> None:
        with self.client.get(
            "/v1/timeline?limit=20", headers=self.headers, name="GET /v1/timeline",
            catch_response=True,
        ) as resp:  # fmt: skip
            if resp.status_code in (200, 206):
                _record_visibility(resp.json()["items"], self.uid)
                resp.success()
            else:
                resp.failure(f"{resp.status_code}: {resp.text[:200]}")

    def _user_posts(self) -> None:
        who = random.choice(FOLLOWEES.get(self.uid) or UIDS)
        self.client.get(
            f"/v1/users/{who}/posts?limit=20", headers=self.headers, name="GET /v1/users/{id}/posts"
        )

    @task
    def step(self) -> None:
        if SCENARIO == "celebrity":
            if self.uid == CELEBRITY:
                self._post()
            else:
                self._home()
            return
        if SCENARIO == "burst":
            # Half the users write as fast as they can, the others read.
            self._post() if UIDS.index(self.uid) % 2 == 0 else self._home()
            return
        roll = random.random()
        if roll < 0.6:
            self._home()
        elif roll < 0.9:
            self._user_posts()
        else:
            self._post()
