"""Cloud Storage for media: upload sessions into the private uploads bucket, variants out.

Browsers upload through a **resumable upload session** that this adapter opens with the
function's own credentials (JSON API, ``uploadType=resumable``). The session URL is the only
credential the browser gets: it can write exactly one object, under the name, content type and
size chosen here, and it expires after a week. This works the same on real GCS and on
fake-gcs-server (tests/media proves it), and unlike a V4 signed URL it needs no signing key
(on Cloud Functions that would mean the IAM signBlob API and a Token Creator grant).

With STORAGE_EMULATOR_HOST set, the client talks to the emulator with anonymous credentials.
"""

from __future__ import annotations

import contextlib
import os

from google.api_core import exceptions as gexc
from google.auth.credentials import AnonymousCredentials
from google.cloud import storage

from shared.domain import media as domain

# Variants are immutable (a new upload is a new media id), so the CDN may keep them forever.
VARIANT_CACHE_CONTROL = "public, max-age=31536000, immutable"


def storage_client(project_id: str, emulator: str | None = None) -> storage.Client:
    """A client on GCS, or on the emulator at ``emulator`` (default: STORAGE_EMULATOR_HOST)."""
    emulator = emulator or os.environ.get("STORAGE_EMULATOR_HOST")
    if emulator:
        endpoint = emulator if "://" in emulator else f"http://{emulator}"
        return storage.Client(
            project=project_id,
            credentials=AnonymousCredentials(),  # type: ignore[no-untyped-call]
            client_options={"api_endpoint": endpoint},
        )
    return storage.Client(project=project_id)


class GcsMedia:
    def __init__(self, client: storage.Client, uploads_bucket: str, media_bucket: str) -> None:
        self._client = client
        self._uploads = client.bucket(uploads_bucket)
        self._media = client.bucket(media_bucket)
        self.uploads_bucket = uploads_bucket
        self.media_bucket = media_bucket

    def create_upload_session(
        self,
        object_name: str,
        content_type: str,
        size: int,
        metadata: dict[str, str],
        origin: str | None,
    ) -> str:
        """A resumable session URL the browser PUTs the bytes to (one object, ``size`` bytes).

        ``origin`` is the browser's Origin: GCS answers CORS on the session URL for that origin
        only. ``if_generation_match=0`` makes the upload fail if the object already exists, so a
        session can never overwrite an upload that is being processed.
        """
        blob = self._uploads.blob(object_name)
        blob.metadata = metadata
        url: str = blob.create_resumable_upload_session(
            content_type=content_type, size=size, origin=origin, if_generation_match=0
        )
        return url

    def read_upload(self, object_name: str, generation: int, max_bytes: int) -> bytes | None:
        """That generation's bytes (at most ``max_bytes + 1`` are read), None if it is gone."""
        blob = self._uploads.blob(object_name, generation=generation)
        try:
            data: bytes = blob.download_as_bytes(start=0, end=max_bytes, checksum=None)
        except gexc.NotFound:
            return None
        return data

    def delete_upload(self, object_name: str, generation: int) -> None:
        """Delete exactly that generation; already gone is fine (redelivery, lifecycle rule)."""
        with contextlib.suppress(gexc.NotFound):
            self._uploads.blob(object_name).delete(if_generation_match=generation)

    def delete_upload_object(self, object_name: str) -> None:
        """Delete the upload whatever its generation (an account's erasure); gone is fine."""
        with contextlib.suppress(gexc.NotFound):
            self._uploads.blob(object_name).delete()

    def upload_exists(self, object_name: str) -> bool:
        return bool(self._uploads.blob(object_name).exists())

    def write_variant(self, object_name: str, data: bytes, content_type: str) -> None:
        # Same name, same bytes on a redelivery: an overwrite, never a second object.
        blob = self._media.blob(object_name)
        blob.cache_control = VARIANT_CACHE_CONTROL
        blob.upload_from_string(data, content_type=content_type)

    def delete_variants(self, media_id: str) -> int:
        prefix = domain.variant_object_name(media_id, "x").rsplit("/", 1)[0] + "/"
        deleted = 0
        for blob in self._client.list_blobs(self._media, prefix=prefix):
            with contextlib.suppress(gexc.NotFound):
                blob.delete()
                deleted += 1
        return deleted

    def list_variants(self, media_id: str) -> list[str]:
        prefix = domain.variant_object_name(media_id, "x").rsplit("/", 1)[0] + "/"
        return [b.name for b in self._client.list_blobs(self._media, prefix=prefix)]

    def ensure_buckets(self) -> None:
        """Local stack only: create both buckets (Terraform creates them in GCP)."""
        for bucket in (self.uploads_bucket, self.media_bucket):
            with contextlib.suppress(gexc.Conflict):
                self._client.create_bucket(bucket)
