"""Profiles carry the user's avatar (media_json or null), on real Neo4j and Firestore."""

from __future__ import annotations

import uuid

import pytest

from shared.adapters.firestore_media import MediaRepository, StoredVariant
from shared.bootstrap import Container
from shared.domain import media as domain

from .conftest import Api

pytestmark = pytest.mark.integration


def _ready_avatar(repo: MediaRepository, owner: str) -> str:
    """A processed avatar as the media processor records it (the files are not needed here)."""
    media_id = uuid.uuid4().hex
    repo.create_pending(media_id, owner, domain.NewMedia("image/png", 1000, "avatar", "me"))
    variants = [
        StoredVariant(str(n), n, n, domain.variant_object_name(media_id, str(n)), 100)
        for n in domain.AVATAR_SIZES
    ]
    assert repo.finish_ready(media_id, 1, "image/png", 500, 500, variants)
    return media_id


def test_profiles_and_lists_carry_the_avatar(api: Api, container: Container) -> None:
    repo = MediaRepository(container.firestore, "https://cdn.example")
    alice, bob = f"a-{uuid.uuid4().hex[:8]}", f"b-{uuid.uuid4().hex[:8]}"
    for uid, handle in ((alice, f"al_{alice[2:]}"), (bob, f"bo_{bob[2:]}")):
        body = {"handle": handle, "display_name": uid}
        r = api.call("POST", "/v1/users", uid, json=body)
        assert r.status_code == 201 and r.json["avatar"] is None
    media_id = _ready_avatar(repo, alice)
    repo.set_avatar(alice, media_id)
    assert api.call("PUT", f"/v1/users/{alice}/follow", bob).status_code == 200

    def avatar_id(body: dict[str, object]) -> object:
        avatar = body["avatar"]
        return avatar["id"] if isinstance(avatar, dict) else avatar

    me = api.call("GET", "/v1/me", alice).json
    assert avatar_id(me) == media_id
    assert [v["width"] for v in me["avatar"]["variants"]] == [96, 400]
    assert me["avatar"]["url"].endswith(f"/m/{media_id}/400.webp")
    assert avatar_id(api.call("GET", f"/v1/users/{alice}", bob).json) == media_id
    handle = me["handle"]
    assert avatar_id(api.call("GET", f"/v1/users/by-handle/{handle}", bob).json) == media_id
    following = api.call("GET", f"/v1/users/{bob}/following", bob).json["items"]
    assert [avatar_id(u) for u in following] == [media_id]
    followers = api.call("GET", f"/v1/users/{alice}/followers", alice).json["items"]
    assert [avatar_id(u) for u in followers] == [None]

    repo.set_avatar(alice, None)
    assert api.call("GET", "/v1/me", alice).json["avatar"] is None
