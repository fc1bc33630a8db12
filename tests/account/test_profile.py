"""PATCH /v1/me on real Neo4j and Redis: edits, handle changes, the profile card written
through, bad input as 4xx, and nobody edits someone else's profile."""

from __future__ import annotations

from typing import Any

import pytest

from shared.bootstrap import Container

from .conftest import Api, register

pytestmark = pytest.mark.integration


def patch(api: Api, uid: str, body: Any) -> Any:
    return api.call("PATCH", "/v1/me", uid, json=body)


def test_edit_name_and_bio_updates_profile_and_card(users_api: Api, container: Container) -> None:
    register(users_api, "uid-ann", "ann_1", "Ann")
    r = patch(users_api, "uid-ann", {"display_name": "  Ann Émile 🐦 ", "bio": "café ☕ lover"})
    assert r.status_code == 200, r.json
    assert r.json["display_name"] == "Ann Émile 🐦" and r.json["bio"] == "café ☕ lover"
    assert r.json["handle"] == "ann_1"
    me = users_api.call("GET", "/v1/me", "uid-ann").json
    assert (me["display_name"], me["bio"]) == ("Ann Émile 🐦", "café ☕ lover")
    # The card every timeline shows is written through, not left to expire.
    card = container.profile_cards.cards(["uid-ann"])["uid-ann"]
    assert (card.handle, card.display_name) == ("ann_1", "Ann Émile 🐦")
    # Only the bio: the name stays; "" clears the bio.
    r = patch(users_api, "uid-ann", {"bio": ""})
    assert r.status_code == 200 and r.json["bio"] == "" and r.json["display_name"] == "Ann Émile 🐦"
    # NFC: a decomposed é is stored as the one character a reader sees.
    r = patch(users_api, "uid-ann", {"display_name": "Rene\u0301"})
    assert r.json["display_name"] == "Ren\u00e9"


def test_handle_change_frees_old_handle_and_keeps_id_links(
    users_api: Api, container: Container
) -> None:
    register(users_api, "uid-bo", "bo_old", "Bo")
    register(users_api, "uid-cy", "cy_here", "Cy")
    assert users_api.call("PUT", "/v1/users/uid-bo/follow", "uid-cy").status_code == 200
    r = patch(users_api, "uid-bo", {"handle": "Bo_New"})
    assert r.status_code == 200, r.json
    assert r.json["handle"] == "Bo_New" and r.json["id"] == "uid-bo"
    assert r.json["follower_count"] == 1
    assert users_api.call("GET", "/v1/users/by-handle/bo_old", "uid-cy").status_code == 404
    assert users_api.call("GET", "/v1/users/by-handle/bo_new", "uid-cy").json["id"] == "uid-bo"
    assert users_api.call("GET", "/v1/users/uid-bo", "uid-cy").json["handle"] == "Bo_New"
    assert container.profile_cards.cards(["uid-bo"])["uid-bo"].handle == "Bo_New"
    # The freed handle can be taken by someone else at once.
    r = patch(users_api, "uid-cy", {"handle": "bo_old"})
    assert r.status_code == 200 and r.json["handle"] == "bo_old"
    # Changing only the case of your own handle is no conflict with yourself.
    assert patch(users_api, "uid-bo", {"handle": "BO_NEW"}).json["handle"] == "BO_NEW"


def test_taken_handle_is_409_handle_taken_and_changes_nothing(users_api: Api) -> None:
    register(users_api, "uid-d1", "dora", "Dora")
    register(users_api, "uid-d2", "dan_x", "Dan")
    for taken in ("DORA", "dora"):
        r = patch(users_api, "uid-d2", {"handle": taken, "display_name": "Not Saved"})
        assert r.status_code == 409, r.json
        assert r.json["error"]["code"] == "handle_taken"
        assert r.json["error"]["details"]["field"] == "handle"
    me = users_api.call("GET", "/v1/me", "uid-d2").json
    assert (me["handle"], me["display_name"]) == ("dan_x", "Dan")
    # A look-alike of someone's handle (TR39 skeleton: l and I) is taken too.
    register(users_api, "uid-d3", "paypal", "P")
    r = patch(users_api, "uid-d2", {"handle": "paypaI"})
    assert r.status_code == 409 and r.json["error"]["details"]["reason"] == "confusable"


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"display_name": "   "}, 422, "display_name"),
        ({"display_name": "x" * 51}, 422, "display_name"),
        ({"display_name": "two\nlines"}, 422, "display_name"),
        ({"display_name": "bell\u0007"}, 422, "display_name"),
        ({"display_name": "evil\u202egpj"}, 422, "display_name"),
        ({"bio": "b" * 161}, 422, "bio"),
        ({"bio": "tab\there"}, 422, "bio"),
        ({"bio": "nul\u0000"}, 422, "bio"),
        ({"bio": "zero\u200bwidth"}, 422, "bio"),
        ({"handle": "ab"}, 422, "handle"),
        ({"handle": "has space"}, 422, "handle"),
        ({"handle": "ümlaut"}, 422, "handle"),
        ({"bio": 5}, 400, "bio"),
        ({"handle": ["x"]}, 400, "handle"),
        ({"email": "x@y"}, 400, "email"),
        ({}, 400, None),
    ],
)
def test_bad_edits_are_4xx_with_the_field(
    users_api: Api, body: dict[str, Any], status: int, field: str | None
) -> None:
    register(users_api, "uid-e", "eve_e", "Eve")
    r = patch(users_api, "uid-e", body)
    assert r.status_code == status, r.json
    assert r.json["error"]["details"]["field"] == field
    if status == 422:
        assert r.json["error"]["code"] == "validation_failed"
    assert users_api.call("GET", "/v1/me", "uid-e").json["display_name"] == "Eve"


def test_bio_at_the_limit_and_unicode_counts_code_points(users_api: Api) -> None:
    register(users_api, "uid-f", "fay_f", "Fay")
    r = patch(users_api, "uid-f", {"bio": "é" * 160})
    assert r.status_code == 200 and len(r.json["bio"]) == 160
    r = patch(users_api, "uid-f", {"display_name": "❤\ufe0f" * 25})  # emoji + selector allowed
    assert r.status_code == 200, r.json


def test_only_your_own_profile_and_only_signed_in(users_api: Api) -> None:
    register(users_api, "uid-g", "gus_g", "Gus")
    assert users_api.call("PATCH", "/v1/me", None, json={"bio": "x"}).status_code == 401
    # The profile edited is always the token's subject's: there is no route naming another id.
    assert users_api.call("PATCH", "/v1/users/uid-g", "uid-h", json={"bio": "x"}).status_code in (
        404,
        405,
    )
    r = patch(users_api, "uid-unregistered", {"bio": "x"})
    assert r.status_code == 404
    assert users_api.call("GET", "/v1/me", "uid-g").json["bio"] == ""
    r = users_api.call("PATCH", "/v1/me", "uid-g", data="bio=x", content_type="text/plain")
    assert r.status_code == 415
