"""The media HTTP function (POST /v1/media, GET /v1/media/{id}, PUT /v1/me/avatar) and the
media processor (OBJECT_FINALIZE notifications of the uploads bucket).

Bytes never pass through a function: POST /v1/media validates the declaration, takes one unit
of the caller's hourly upload budget (Redis), records a ``pending`` media doc and answers with a
resumable upload session URL on the private uploads bucket. The bucket's notification reaches
the processor through the ``media-uploads`` topic; it decides from the bytes themselves, writes
WebP variants to the public media bucket, records ``ready``/``rejected`` and deletes the
original. GCS notifications are not our event schema, so they are parsed here, not by
the shared consumer (malformed ones still go to the dead-letter topic, loudly, like consume does).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import secrets
import time
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, Protocol

from shared.adapters.firestore_media import MediaRecord, MediaRepository, StoredVariant
from shared.domain import errors
from shared.domain import media as domain
from shared.entrypoints.http.api import Request, Response, Router
from shared.entrypoints.pubsub.consumer import dead_letter_topic
from shared.ports import RawPublisher

if TYPE_CHECKING:
    import redis as redis_lib

    from shared.adapters.gcs_media import GcsMedia
    from shared.bootstrap import Container

log = logging.getLogger(__name__)

FUNCTION = "media_processor"
# What GCS promises for a resumable session URL; the lifecycle rule cleans up what it leaves.
SESSION_LIFETIME = dt.timedelta(days=7)


@dataclass(frozen=True)
class MediaSettings:
    uploads_bucket: str = field(
        default_factory=lambda: os.environ.get("UPLOADS_BUCKET") or "kwetter-uploads"
    )
    media_bucket: str = field(
        default_factory=lambda: os.environ.get("MEDIA_BUCKET") or "kwetter-media"
    )
    public_base_url: str = field(
        default_factory=lambda: os.environ.get("MEDIA_PUBLIC_BASE_URL", "")
    )
    uploads_per_hour: int = field(
        default_factory=lambda: int(
            os.environ.get("MEDIA_UPLOADS_PER_HOUR") or domain.UPLOADS_PER_HOUR
        )
    )

    @property
    def base_url(self) -> str:
        if self.public_base_url:
            return self.public_base_url.rstrip("/")
        emulator = os.environ.get("STORAGE_EMULATOR_HOST")
        if emulator:  # fake-gcs-server serves <host>/<bucket>/<object> with -public-host
            host = emulator if "://" in emulator else f"http://{emulator}"
            return f"{host.rstrip('/')}/{self.media_bucket}"
        return f"https://storage.googleapis.com/{self.media_bucket}"


class Storage(Protocol):
    """What the service and the processor need from Cloud Storage (GcsMedia)."""

    uploads_bucket: str

    def create_upload_session(
        self,
        object_name: str,
        content_type: str,
        size: int,
        metadata: dict[str, str],
        origin: str | None,
    ) -> str: ...

    def read_upload(self, object_name: str, generation: int, max_bytes: int) -> bytes | None: ...

    def delete_upload(self, object_name: str, generation: int) -> None: ...

    def write_variant(self, object_name: str, data: bytes, content_type: str) -> None: ...

    def delete_variants(self, media_id: str) -> int: ...


# -- rate limit -------------------------------------------------------------------------------

# A sliding window: one sorted-set member per issued upload, scored by time. Atomic in Lua, so
# 40 parallel requests cannot all read "29" and all pass.
_TAKE = """
local key, now, window, limit, member = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]),
  tonumber(ARGV[3]), ARGV[4]
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
if redis.call('ZCARD', key) >= limit then
  local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
  return math.max(1, math.ceil((tonumber(oldest[2]) + window - now) / 1000))
end
redis.call('ZADD', key, now, member)
redis.call('PEXPIRE', key, window)
return 0
"""


class UploadRateLimiter:
    def __init__(self, redis: redis_lib.Redis[bytes], limit: int, window_seconds: int = 3600):
        self._redis = redis
        self._limit = limit
        self._window_ms = window_seconds * 1000
        self._script = redis.register_script(_TAKE)

    def take(self, user_id: str) -> None:
        """Count one upload for ``user_id``; TooManyRequests (with Retry-After) over the limit."""
        if self._limit <= 0:
            return
        now = time.time_ns() // 1_000_000
        wait = int(
            self._script(
                keys=[f"media:uploads:{user_id}"],
                args=[now, self._window_ms, self._limit, secrets.token_hex(8)],
            )
        )
        if wait:
            raise errors.RateLimited(f"at most {self._limit} uploads per hour", retry_after_s=wait)


# -- HTTP -------------------------------------------------------------------------------------


class MediaService:
    def __init__(self, repo: MediaRepository, storage: Storage, limiter: UploadRateLimiter) -> None:
        self._repo = repo
        self._storage = storage
        self._limiter = limiter

    def create_upload(
        self, owner_id: str, new: domain.NewMedia, origin: str | None
    ) -> dict[str, Any]:
        self._limiter.take(owner_id)
        media_id = secrets.token_hex(16)  # unguessable: it ends up in public URLs
        # The doc first: a notification can then never arrive for a media id we do not know.
        rec = self._repo.create_pending(media_id, owner_id, new)
        url = self._storage.create_upload_session(
            domain.upload_object_name(media_id),
            new.content_type,
            new.byte_size,
            {"media_id": media_id, "owner_id": owner_id, "purpose": new.purpose},
            origin,
        )
        expires = dt.datetime.fromtimestamp(rec.created_ms / 1000, dt.UTC) + SESSION_LIFETIME
        return {
            "media_id": media_id,
            "upload_url": url,
            "upload_method": "PUT",
            "upload_headers": {"Content-Type": new.content_type},
            "expires_at": expires.isoformat(timespec="seconds").replace("+00:00", "Z"),
            "status": "pending",
        }

    def get(self, caller_id: str, media_id: str) -> MediaRecord:
        rec = self._repo.get(media_id) if domain.is_media_id(media_id) else None
        # Someone else's media is "not found": its existence is not the caller's business.
        if rec is None or rec.owner_id != caller_id or rec.status == "deleted":
            raise errors.NotFound(f"no media {media_id}")
        return rec

    def set_avatar(self, owner_id: str, media_id: str | None) -> dict[str, Any]:
        ref, previous = self._repo.set_avatar(owner_id, media_id)
        if previous:
            self.delete_media(owner_id, [previous])
        return {"avatar": domain.media_json(ref) if ref else None}

    def delete_media(self, owner_id: str, media_ids: list[str]) -> None:
        """Delete the owner's media (a replaced avatar). Idempotent."""
        self._delete_files(self._repo.mark_deleted(owner_id, media_ids))

    def delete_for_post(self, owner_id: str, media_ids: list[str], post_id: int) -> None:
        """A post was deleted: delete its media unless another post still shows them."""
        self._delete_files(self._repo.release_from_post(owner_id, media_ids, post_id))

    def _delete_files(self, media_ids: list[str]) -> None:
        for media_id in media_ids:
            try:
                self._storage.delete_variants(media_id)
            except Exception:
                # Marked deleted already, so it is never served through the API again.
                log.warning("variants of %s not deleted", media_id, exc_info=True)


def router_for(service_of: Any) -> Router:
    """``service_of()`` builds the service on first use: building the router connects nothing."""
    router = Router()

    @router.route("POST", "/v1/media")
    def create_media(req: Request) -> Response:
        caller = req.caller()
        new = domain.parse_new_media(req.json())
        body = service_of().create_upload(caller.uid, new, req.raw.headers.get("Origin"))
        return body, 201, {"Location": f"/v1/media/{body['media_id']}"}

    @router.route("GET", "/v1/media/{id}")
    def get_media(req: Request) -> Response:
        caller = req.caller()
        return service_of().get(caller.uid, req.params["id"]).to_json(), 200

    @router.route("PUT", "/v1/me/avatar")
    def put_avatar(req: Request) -> Response:
        caller = req.caller()
        body = req.json()
        unknown = sorted(set(body) - {"media_id"})
        if unknown or "media_id" not in body:
            raise errors.InvalidInput('send {"media_id": <id or null>}')
        media_id = body["media_id"]
        if media_id is not None and not domain.is_media_id(media_id):
            raise errors.InvalidInput("media_id is not a media id", details={"field": "media_id"})
        return service_of().set_avatar(caller.uid, media_id), 200

    return router


# -- processor --------------------------------------------------------------------------------


class InvalidNotification(ValueError):
    pass


@dataclass(frozen=True)
class Notification:
    event_type: str
    bucket: str
    object_name: str
    generation: int
    size: int


def parse_notification(data: bytes, attributes: dict[str, str]) -> Notification:
    """A Cloud Storage Pub/Sub notification (payload format JSON_API_V1)."""
    need = ("eventType", "payloadFormat", "bucketId", "objectId", "objectGeneration")
    missing = [a for a in need if not attributes.get(a)]
    if missing:
        raise InvalidNotification(f"missing attribute(s) {', '.join(missing)}")
    if attributes["payloadFormat"] != "JSON_API_V1":
        raise InvalidNotification(f"payloadFormat {attributes['payloadFormat']} is not JSON_API_V1")
    gen = attributes["objectGeneration"]
    if not gen.isascii() or not gen.isdigit():
        raise InvalidNotification(f"objectGeneration {gen!r} is not a number")
    try:
        obj = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise InvalidNotification(f"data is not JSON: {exc}") from exc
    if not isinstance(obj, dict):
        raise InvalidNotification("data is not a JSON object")
    if obj.get("name") != attributes["objectId"] or obj.get("bucket") != attributes["bucketId"]:
        raise InvalidNotification("data names another object than the attributes")
    size = str(obj.get("size", ""))
    if not size.isascii() or not size.isdigit():
        raise InvalidNotification(f"size {size!r} is not a number")
    return Notification(
        attributes["eventType"], attributes["bucketId"], attributes["objectId"], int(gen), int(size)
    )


class MediaProcessor:
    def __init__(
        self,
        repo: MediaRepository,
        storage: Storage,
        dead_letters: RawPublisher,
        function: str = FUNCTION,
    ) -> None:
        self._repo = repo
        self._storage = storage
        self._dead_letters = dead_letters
        self._function = function

    def handle_notification(self, data: bytes, attributes: dict[str, str]) -> str:
        """Process one notification; returns what happened (for logs and tests).

        Raising means "retry" (the push is answered 500); everything that retrying cannot fix
        is decided here and acked.
        """
        try:
            n = parse_notification(data, attributes)
        except InvalidNotification as exc:
            topic = dead_letter_topic(self._function)
            fields = {"reason": str(exc), "attributes": attributes}
            log.error("rejected notification: %s; sent to %s", exc, topic,
                      extra={"json_fields": fields})  # fmt: skip
            self._dead_letters.publish_raw(
                topic, data, {**attributes, "rejected_by": self._function,
                              "reason": str(exc)[:1000]},
            )  # fmt: skip
            return "dead-lettered"
        if n.event_type != "OBJECT_FINALIZE" or n.bucket != self._storage.uploads_bucket:
            return "ignored"
        media_id = domain.media_id_of_upload(n.object_name)
        rec = self._repo.get(media_id) if media_id else None
        if rec is None:
            # Only our sessions write there, so this is litter (or a doc lost): never serve it.
            log.warning("upload %s#%d has no media doc; deleted", n.object_name, n.generation)
            self._storage.delete_upload(n.object_name, n.generation)
            return "unknown"
        if rec.status != "pending":
            # A redelivery: the decision stands. The original may have survived a crash
            # between the decision and its deletion, so deleting again is the only work left.
            self._storage.delete_upload(n.object_name, n.generation)
            return "duplicate"
        return self._decide(rec, n)

    def _decide(self, rec: MediaRecord, n: Notification) -> str:
        from shared.media import imaging

        if n.size > domain.MAX_BYTES:
            return self._reject(rec, n, "too_large", f"{n.size} bytes is over {domain.MAX_BYTES}")
        data = self._storage.read_upload(n.object_name, n.generation, domain.MAX_BYTES)
        if data is None:
            return self._reject(rec, n, "upload_missing", "the uploaded object is gone")
        try:
            image = imaging.process(data, rec.purpose)
        except imaging.ImageRejected as exc:
            return self._reject(rec, n, exc.reason, exc.message)
        stored = []
        for v in image.variants:
            name = domain.variant_object_name(rec.media_id, v.label)
            self._storage.write_variant(name, v.data, domain.VARIANT_CONTENT_TYPE)
            stored.append(StoredVariant(v.label, v.width, v.height, name, len(v.data)))
        decided = self._repo.finish_ready(
            rec.media_id, n.generation, image.source_type, image.width, image.height, stored
        )
        self._storage.delete_upload(n.object_name, n.generation)
        log.info("media %s ready: %s %dx%d, %d variants", rec.media_id, image.source_type,
                 image.width, image.height, len(stored))  # fmt: skip
        return "ready" if decided else "duplicate"

    def _reject(self, rec: MediaRecord, n: Notification, reason: str, message: str) -> str:
        decided = self._repo.finish_rejected(rec.media_id, n.generation, reason, message)
        self._storage.delete_upload(n.object_name, n.generation)
        log.warning("media %s rejected (%s): %s", rec.media_id, reason, message)
        return "rejected" if decided else "duplicate"


# -- wiring -----------------------------------------------------------------------------------


class MediaContext:
    """Media's adapters over the shared Container, each built on first use."""

    def __init__(self, c: Container, settings: MediaSettings | None = None) -> None:
        self.c = c
        self.settings = settings or MediaSettings()

    @cached_property
    def storage(self) -> GcsMedia:
        from shared.adapters.gcs_media import GcsMedia, storage_client

        s = self.settings
        return GcsMedia(
            storage_client(self.c.settings.project_id), s.uploads_bucket, s.media_bucket
        )

    @cached_property
    def repo(self) -> MediaRepository:
        return MediaRepository(self.c.firestore, self.settings.base_url)

    @cached_property
    def limiter(self) -> UploadRateLimiter:
        return UploadRateLimiter(self.c.redis, self.settings.uploads_per_hour)

    @cached_property
    def service(self) -> MediaService:
        return MediaService(self.repo, self.storage, self.limiter)

    @cached_property
    def processor(self) -> MediaProcessor:
        return MediaProcessor(self.repo, self.storage, self.c.publisher)


def build_router(c: Container) -> Router:
    ctx = MediaContext(c)
    return router_for(lambda: ctx.service)


def processor_from(c: Container) -> MediaProcessor:
    return MediaContext(c).processor
