"""Pure rules: request bodies, media ids, notification parsing, the JSON shape of media."""

from __future__ import annotations

import json

import pytest

from shared.domain import errors
from shared.domain import media as domain
from shared.entrypoints.pubsub.media_processor import InvalidNotification, parse_notification


def test_a_valid_declaration_is_normalised() -> None:
    new = domain.parse_new_media(
        {"content_type": "IMAGE/JPEG; q=1", "byte_size": 12, "purpose": "avatar",
         "alt": "  two\n lines "}
    )  # fmt: skip
    assert new == domain.NewMedia("image/jpeg", 12, "avatar", "two lines")


def test_byte_size_must_be_a_real_integer() -> None:
    for bad in (True, 1.5, None, "3"):
        with pytest.raises(errors.InvalidInput):
            domain.parse_new_media(
                {"content_type": "image/png", "byte_size": bad, "purpose": "post"}
            )


def test_media_ids_of_a_post() -> None:
    a, b = "a" * 32, "b" * 32
    assert domain.parse_media_ids(None) == []
    assert domain.parse_media_ids([a, b]) == [a, b]
    with pytest.raises(errors.InvalidInput):
        domain.parse_media_ids([a, a])
    with pytest.raises(errors.InvalidInput):
        domain.parse_media_ids(["../etc"])
    with pytest.raises(errors.ValidationFailed):
        domain.parse_media_ids([f"{i:032x}" for i in range(5)])


def test_upload_names_map_back_to_media_ids_only_when_ours() -> None:
    mid = "0123456789abcdef" * 2
    assert domain.media_id_of_upload(domain.upload_object_name(mid)) == mid
    assert domain.media_id_of_upload("uploads/../x") is None
    assert domain.media_id_of_upload(f"other/{mid}") is None


def _notification(**attrs: str) -> tuple[bytes, dict[str, str]]:
    base = {
        "eventType": "OBJECT_FINALIZE", "payloadFormat": "JSON_API_V1", "bucketId": "b",
        "objectId": "uploads/x", "objectGeneration": "17",
    }  # fmt: skip
    base.update(attrs)
    data = {"name": "uploads/x", "bucket": "b", "size": "42", "generation": "17"}
    return json.dumps(data).encode(), base


def test_a_gcs_notification_is_parsed() -> None:
    n = parse_notification(*_notification())
    assert (n.event_type, n.bucket, n.object_name, n.generation, n.size) == (
        "OBJECT_FINALIZE", "b", "uploads/x", 17, 42,
    )  # fmt: skip


@pytest.mark.parametrize(
    "attrs",
    [{"payloadFormat": "NONE"}, {"objectGeneration": "x"}, {"objectId": "uploads/y"},
     {"bucketId": ""}],
)  # fmt: skip
def test_malformed_notifications_are_refused(attrs: dict[str, str]) -> None:
    with pytest.raises(InvalidNotification):
        parse_notification(*_notification(**attrs))
    with pytest.raises(InvalidNotification):
        parse_notification(b"[1]", _notification()[1])


def test_media_json_lists_variants_smallest_first_and_points_at_the_largest() -> None:
    ref = domain.MediaRef(
        "f" * 32, "post", 2000, 1000, "alt",
        (domain.Variant("1200", 1200, 600, "https://cdn/m/f/1200.webp"),
         domain.Variant("400", 400, 200, "https://cdn/m/f/400.webp")),
    )  # fmt: skip
    body = domain.media_json(ref)
    assert body["url"] == "https://cdn/m/f/1200.webp"
    assert (body["width"], body["height"], body["alt"]) == (1200, 600, "alt")
    assert [v["width"] for v in body["variants"]] == [400, 1200]


def _record(**kw: object) -> domain.MediaRecord:
    base: dict[str, object] = {
        "media_id": "a" * 32, "owner_id": "alice", "purpose": "post", "status": "ready",
        "alt": "", "created_ms": 1, "declared_type": "image/png", "declared_size": 10,
    }  # fmt: skip
    base.update(kw)
    return domain.MediaRecord(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize("purpose", ["post", "avatar"])
def test_media_must_exist_be_yours_be_ready_and_of_the_purpose(purpose: domain.Purpose) -> None:
    mid = "a" * 32
    rec = _record(purpose=purpose)
    assert domain.check_usable(rec, "alice", mid, purpose) is rec
    cases: list[tuple[domain.MediaRecord | None, type[errors.DomainError]]] = [
        (None, errors.NotFound),
        (_record(purpose=purpose, status="deleted"), errors.NotFound),
        (_record(purpose=purpose, owner_id="bob"), errors.PermissionDenied),
        (_record(purpose=purpose, status="pending"), errors.Conflict),
        (_record(purpose=purpose, status="rejected"), errors.Conflict),
        (_record(purpose="avatar" if purpose == "post" else "post"), errors.ValidationFailed),
    ]
    for bad, error in cases:
        with pytest.raises(error) as raised:
            domain.check_usable(bad, "alice", mid, purpose)
        assert raised.value.details["media_id"] == mid


def test_only_the_owner_sees_and_deletes_live_media() -> None:
    mid = "a" * 32
    rec = _record()
    assert domain.visible_to(rec, "alice", mid) is rec
    for caller, bad in (("bob", rec), ("alice", _record(status="deleted")), ("alice", None)):
        with pytest.raises(errors.NotFound):
            domain.visible_to(bad, caller, mid)
    assert domain.deletable_by(rec, "alice")
    assert not domain.deletable_by(rec, "bob")
    assert not domain.deletable_by(_record(status="deleted"), "alice")
    assert not domain.deletable_by(None, "alice")


def test_an_avatar_body_sets_or_clears() -> None:
    mid = "a" * 32
    assert domain.parse_avatar_choice({"media_id": mid}) == mid
    assert domain.parse_avatar_choice({"media_id": None}) is None
    for bad in ({}, {"media_id": mid, "x": 1}, {"media_id": "nope"}, {"media_id": 3}):
        with pytest.raises(errors.InvalidInput):
            domain.parse_avatar_choice(bad)
