"""`make seed`'s conversation step (devstack/seed.py seed_conversations) on the whole stack:
replies (some answered back), likes and reposts through the gateway, and a re-run adds nothing."""

from __future__ import annotations

import argparse

import pytest
import requests

from devstack.authtools import emulator_token
from devstack.seed import seed_conversations
from tests.conversations.conftest import Api, eventually

pytestmark = pytest.mark.e2e


def test_seed_creates_replies_likes_and_reposts_once(api: Api) -> None:
    people = [api.user(f"seed{i}") for i in range(4)]
    uids = [p.uid for p in people]
    posted = sorted((p.uid, api.post(p, f"seed post by {i}")["id"]) for i, p in enumerate(people))
    project = api.stack.project_id

    def auth(uid: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {emulator_token(uid, project)}"}

    args = argparse.Namespace(replies=4, likes=6, reposts=3, concurrency=4)
    with requests.Session() as session:
        assert seed_conversations(session, api.gw, auth, uids, posted, args) == 0
        viewer = people[0]

        def totals() -> tuple[int, int, int]:
            got = [api.get(viewer, f"/v1/posts/{pid}") for _, pid in posted]
            return (
                sum(p["reply_count"] for p in got),
                sum(p["like_count"] for p in got),
                sum(p["repost_count"] for p in got),
            )

        eventually(lambda: totals()[0] == 4, what="every seeded post got its reply")
        first = totals()
        assert first[1] >= 1 and first[2] >= 1  # random picks may repeat a (user, post) pair
        threads = [api.get(viewer, f"/v1/posts/{pid}/thread") for _, pid in posted]
        assert all(len(t["replies"]) == 1 for t in threads)
        # a re-run repeats the same requests: idempotency keys and like records add nothing
        assert seed_conversations(session, api.gw, auth, uids, posted, args) == 0
        assert totals() == first
