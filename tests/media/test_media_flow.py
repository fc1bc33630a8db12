"""The media path on real fake-gcs-server, Pub/Sub and Firestore emulators, and Redis.

Each test uploads like a browser (POST /v1/media, then PUT to the session URL), takes the
OBJECT_FINALIZE notification fake-gcs-server published to the Pub/Sub emulator, and hands it to
the processor exactly as the push subscription would.
"""

from __future__ import annotations

import io
import os
import secrets
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from google.cloud.firestore_v1.base_query import FieldFilter
from PIL import Image

from shared.bootstrap import Container
from shared.domain import errors
from shared.domain import media as domain
from tests.media.conftest import (
    MEDIA,
    Api,
    Uploader,
    image_bytes,
    notify,
    pull_dead_letters,
    wait_notification,
)

pytestmark = pytest.mark.integration


def _uid() -> str:
    return f"u-{uuid.uuid4().hex[:12]}"


def _process(mc: Container, object_name: str) -> str:
    data, attrs = wait_notification(object_name)
    return notify(mc, data, attrs)


def _gone(mc: Container, object_name: str) -> bool:
    return not mc.media_storage.upload_exists(object_name)


def _fetch(url: str) -> Image.Image:
    resp = requests.get(url, timeout=10)
    assert resp.status_code == 200, url
    assert resp.headers["Content-Type"] == "image/webp"
    return Image.open(io.BytesIO(resp.content))


@pytest.mark.parametrize(
    ("fmt", "ctype"), [("PNG", "image/png"), ("JPEG", "image/jpeg")]
)  # fmt: skip
def test_real_png_and_jpeg_end_up_ready_with_variants(
    media_c: Container, upload: Uploader, api: Api, fmt: str, ctype: str
) -> None:
    uid = _uid()
    media_id, obj = upload(uid, image_bytes(fmt, (1600, 900)), ctype, alt="a sunset")
    assert api.call("GET", f"/v1/media/{media_id}", uid).get_json()["status"] == "pending"
    doc = media_c.firestore.collection("media").document(media_id)
    assert "expires_at" in doc.get().to_dict(), "a pending doc is TTL-collectable"

    assert _process(media_c, obj) == "ready"

    assert "expires_at" not in doc.get().to_dict(), "a decided doc is kept"

    rec = media_c.media_repo.get(media_id)
    assert rec is not None and rec.status == "ready" and rec.source_type == ctype
    assert (rec.width, rec.height) == (1600, 900)
    sizes = sorted((v.width, v.height) for v in rec.variants)
    assert sizes == [(400, 225), (1200, 675)]
    (ref,) = media_c.media_service.claim_for_post(uid, [media_id])
    body = domain.media_json(ref)
    assert body["alt"] == "a sunset" and (body["width"], body["height"]) == (1200, 675)
    for v in body["variants"]:
        assert _fetch(v["url"]).size == (v["width"], v["height"])
    assert _gone(media_c, obj), "the original upload must be deleted"
    assert api.call("GET", f"/v1/media/{media_id}", uid).get_json()["status"] == "ready"
    # Someone else cannot even see that it exists.
    assert api.call("GET", f"/v1/media/{media_id}", _uid()).status_code == 404


def test_a_jpeg_with_gps_exif_comes_out_with_no_metadata(
    media_c: Container, upload: Uploader
) -> None:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {1: "N", 2: (52.0, 22.0, 1.5), 3: "E", 4: (4.0, 53.0, 2.0)}  # GPS IFD
    source = image_bytes("JPEG", (800, 600), exif=exif, comment=b"secret comment")
    assert Image.open(io.BytesIO(source)).getexif().get_ifd(0x8825), "the test input has GPS"
    uid = _uid()
    media_id, obj = upload(uid, source, "image/jpeg")

    assert _process(media_c, obj) == "ready"

    rec = media_c.media_repo.get(media_id)
    assert rec is not None
    for v in rec.variants:
        raw = requests.get(f"{media_c.settings.media_base_url}/{v.object_name}", timeout=10).content
        out = Image.open(io.BytesIO(raw))
        assert not out.getexif(), "no EXIF at all"
        assert not {"exif", "xmp", "icc_profile", "comment"} & set(out.info)
        assert b"Exif" not in raw and b"PhoneMaker" not in raw and b"secret" not in raw


def _bomb_png() -> bytes:
    # 6000x6000 1-bit pixels: 36 MP (over the 25 MP limit) in a few kilobytes.
    buf = io.BytesIO()
    Image.new("1", (6000, 6000)).save(buf, "PNG")
    return buf.getvalue()


@pytest.mark.parametrize(
    ("case", "reason"),
    [("text_named_png", "not_an_image"), ("over_size", "too_large"),
     ("pixel_bomb", "too_many_pixels")],
)  # fmt: skip
def test_bad_uploads_are_rejected_and_their_bytes_gone(
    media_c: Container, upload: Uploader, case: str, reason: str
) -> None:
    uid = _uid()
    if case == "text_named_png":
        media_id, obj = upload(uid, b"just some text, honestly\n" * 10, "image/png")
    elif case == "over_size":
        # The declaration is within limits; the bytes that arrive are not.
        data = image_bytes("PNG", (64, 64)) + os.urandom(domain.MAX_BYTES)
        media_id, obj = upload(uid, data, "image/png", declared_size=1000)
    else:
        bomb = _bomb_png()
        assert len(bomb) < 100_000
        media_id, obj = upload(uid, bomb, "image/png")

    assert _process(media_c, obj) == "rejected"

    rec = media_c.media_repo.get(media_id)
    assert rec is not None and rec.status == "rejected" and rec.reason == reason
    assert _gone(media_c, obj)
    assert media_c.media_storage.list_variants(media_id) == []
    with pytest.raises(errors.Conflict):
        media_c.media_service.claim_for_post(uid, [media_id])


def test_a_redelivered_notification_creates_nothing_twice(
    media_c: Container, upload: Uploader
) -> None:
    uid = _uid()
    media_id, obj = upload(uid, image_bytes("PNG", (900, 900)), "image/png")
    data, attrs = wait_notification(obj)

    # Two deliveries at once (Pub/Sub is at-least-once), then a late third one.
    results: list[str] = []
    threads = [
        threading.Thread(target=lambda: results.append(notify(media_c, data, attrs)))
        for _ in range(2)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    first = media_c.media_repo.get(media_id)
    variants = sorted(media_c.media_storage.list_variants(media_id))
    assert notify(media_c, data, attrs) == "duplicate"

    assert sorted(results) == ["duplicate", "ready"]
    assert first is not None and first.status == "ready"
    assert first.generation == int(attrs["objectGeneration"])
    assert media_c.media_repo.get(media_id) == first
    assert sorted(media_c.media_storage.list_variants(media_id)) == variants
    assert len(variants) == 2  # 400 and 900 (never upscaled to 1200)
    assert _gone(media_c, obj)


def test_a_malformed_notification_goes_to_the_dead_letter_topic(media_c: Container) -> None:
    pull_dead_letters(timeout=0.5)  # drain
    out = notify(media_c, b"not json", {"eventType": "OBJECT_FINALIZE"})
    assert out == "dead-lettered"
    letters = pull_dead_letters()
    assert [d for d, _ in letters] == [b"not json"]
    assert letters[0][1]["rejected_by"] == "media_processor"
    assert "missing attribute" in letters[0][1]["reason"]


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"content_type": "image/bmp", "byte_size": 10, "purpose": "post"}, 415),
        ({"content_type": "text/plain", "byte_size": 10, "purpose": "post"}, 415),
        ({"content_type": "image/png", "byte_size": domain.MAX_BYTES + 1, "purpose": "post"}, 413),
        ({"content_type": "image/png", "byte_size": 0, "purpose": "post"}, 422),
        ({"content_type": "image/png", "byte_size": "10", "purpose": "post"}, 400),
        ({"content_type": "image/png", "byte_size": 10, "purpose": "banner"}, 400),
        ({"content_type": "image/png", "byte_size": 10}, 400),
        ({"content_type": "image/png", "byte_size": 10, "purpose": "post", "x": 1}, 400),
        ({"content_type": "image/png", "byte_size": 10, "purpose": "post", "alt": "a" * 1001}, 422),
    ],
)
def test_bad_requests_get_a_4xx_before_any_url_is_issued(
    media_c: Container, api: Api, body: dict[str, object], status: int
) -> None:
    uid = _uid()
    resp = api.call("POST", "/v1/media", uid, body)
    assert resp.status_code == status, resp.get_json()
    assert "upload_url" not in resp.get_json()
    assert resp.get_json()["error"]["code"]
    # Nothing was recorded, and the caller's hourly budget is untouched.
    db = media_c.firestore
    mine = db.collection("media").where(filter=FieldFilter("owner_id", "==", uid))
    assert list(mine.limit(1).stream()) == []
    assert media_c.redis.zcard(media_c.media_upload_limiter.key(uid)) == 0


def test_unauthenticated_and_non_json_requests(api: Api) -> None:
    ok = {"content_type": "image/png", "byte_size": 10, "purpose": "post"}
    assert api.call("POST", "/v1/media", None, ok).status_code == 401
    resp = api.call("POST", "/v1/media", _uid(), None, data="x", content_type="text/plain")
    assert resp.status_code == 415
    assert api.call("OPTIONS", "/v1/media", None).status_code == 204


def test_thirty_uploads_per_user_per_hour(media_c: Container, api: Api) -> None:
    uid = _uid()
    body = {"content_type": "image/jpeg", "byte_size": 1000, "purpose": "post"}
    codes = [api.call("POST", "/v1/media", uid, body).status_code for _ in range(30)]
    assert codes == [201] * 30
    over = api.call("POST", "/v1/media", uid, body)
    assert over.status_code == 429
    assert 3500 <= int(over.headers["Retry-After"]) <= 3600
    # Another user has a budget of their own.
    assert api.call("POST", "/v1/media", _uid(), body).status_code == 201


def test_the_hourly_budget_holds_under_40_parallel_requests(api: Api) -> None:
    # The window is counted in one Lua call per attempt: 40 at once cannot all read "29".
    uid = _uid()
    body = {"content_type": "image/png", "byte_size": 1000, "purpose": "post"}

    def attempt(_: int) -> int:
        own = Api(api.client.application.test_client())  # one client per thread
        return int(own.call("POST", "/v1/media", uid, body).status_code)

    with ThreadPoolExecutor(40) as pool:
        codes = sorted(pool.map(attempt, range(40)))
    assert codes == [201] * 30 + [429] * 10


def test_claim_for_post_rules(media_c: Container, upload: Uploader) -> None:
    alice, bob = _uid(), _uid()
    ready_id, obj = upload(alice, image_bytes("PNG", (500, 300)), "image/png", alt="x")
    assert _process(media_c, obj) == "ready"
    pending_id, _ = upload(alice, image_bytes("PNG", (50, 30)), "image/png")

    (ref,) = media_c.media_service.claim_for_post(alice, [ready_id], alts={ready_id: "new alt"})
    assert ref.alt == "new alt" and (ref.width, ref.height) == (500, 300)
    with pytest.raises(errors.PermissionDenied):
        media_c.media_service.claim_for_post(bob, [ready_id])
    with pytest.raises(errors.Conflict):
        media_c.media_service.claim_for_post(alice, [ready_id, pending_id])
    with pytest.raises(errors.NotFound):
        media_c.media_service.claim_for_post(alice, [secrets.token_hex(16)])
    with pytest.raises(errors.ValidationFailed):
        media_c.media_service.claim_for_post(alice, [secrets.token_hex(16) for _ in range(5)])
    assert media_c.media_service.claim_for_post(alice, []) == []

    # Shown by two posts: deleting one keeps the files, deleting both deletes them.
    media_c.media_repo.attach_to_post([ready_id], 111)
    media_c.media_repo.attach_to_post([ready_id], 222)
    media_c.media_repo.attach_to_post([ready_id], 222)  # idempotent
    media_c.media_service.delete_for_post(bob, [ready_id], 111)  # not bob's: nothing
    media_c.media_service.delete_for_post(alice, [ready_id], 111)
    assert len(media_c.media_storage.list_variants(ready_id)) == 2  # 400 and 500 wide
    assert media_c.media_service.claim_for_post(alice, [ready_id])
    media_c.media_service.delete_for_post(alice, [ready_id], 222)
    assert media_c.media_storage.list_variants(ready_id) == []
    with pytest.raises(errors.NotFound):
        media_c.media_service.claim_for_post(alice, [ready_id])
    media_c.media_service.delete_for_post(alice, [ready_id], 222)  # idempotent


def test_avatars_are_square_and_replace_each_other(
    media_c: Container, upload: Uploader, api: Api
) -> None:
    uid = _uid()
    first, obj = upload(uid, image_bytes("JPEG", (640, 480)), "image/jpeg", purpose="avatar")
    assert _process(media_c, obj) == "ready"
    rec = media_c.media_repo.get(first)
    assert rec is not None
    assert sorted((v.width, v.height) for v in rec.variants) == [(96, 96), (400, 400)]

    resp = api.call("PUT", "/v1/me/avatar", uid, {"media_id": first})
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["avatar"]["id"] == first
    assert media_c.media_repo.get_avatars([uid])[uid].media_id == first
    assert api.call("PUT", "/v1/me/avatar", uid, {"media_id": first}).status_code == 200

    second, obj = upload(uid, image_bytes("PNG", (300, 500)), "image/png", purpose="avatar")
    # Not processed yet: 409.
    assert api.call("PUT", "/v1/me/avatar", uid, {"media_id": second}).status_code == 409
    assert _process(media_c, obj) == "ready"
    assert api.call("PUT", "/v1/me/avatar", _uid(), {"media_id": second}).status_code == 403
    assert api.call("PUT", "/v1/me/avatar", uid, {"media_id": second}).status_code == 200
    # The replaced avatar's files are deleted.
    assert media_c.media_storage.list_variants(first) == []
    post_id, obj = upload(uid, image_bytes("PNG", (100, 100)), "image/png")
    assert _process(media_c, obj) == "ready"
    assert api.call("PUT", "/v1/me/avatar", uid, {"media_id": post_id}).status_code == 422
    assert api.call("PUT", "/v1/me/avatar", uid, {"media_id": "nope"}).status_code == 400
    cleared = api.call("PUT", "/v1/me/avatar", uid, {"media_id": None})
    assert cleared.get_json() == {"avatar": None}
    assert media_c.media_repo.get_avatars([uid]) == {}


def test_public_media_urls_point_at_the_media_bucket(media_c: Container) -> None:
    assert media_c.settings.media_base_url.endswith(f"/{MEDIA}")
