"""Data exports in Cloud Storage (issue 23, docs/privacy.md): one JSON archive per export in the
private exports bucket (deleted by a lifecycle rule after a day), handed out as a short-lived
V4 signed URL.

On Cloud Functions the URL is signed by the IAM signBlob API for the function's own service
account (Terraform grants it Token Creator on itself; no key file exists). Beside the storage
emulator (STORAGE_EMULATOR_HOST, never on Cloud Run: K_SERVICE) it is signed with a throwaway
RSA key made per process: fake-gcs-server does not check signatures, and the URL has the same
shape as in production.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from functools import cached_property
from typing import Any

from google.cloud import storage


class GcsExports:
    def __init__(self, client: storage.Client, bucket: str, project_id: str) -> None:
        self._client = client
        self._bucket = client.bucket(bucket)
        self.bucket = bucket
        self._project = project_id
        self._emulator = (
            os.environ.get("STORAGE_EMULATOR_HOST") if not os.environ.get("K_SERVICE") else None
        )

    def put(self, object_name: str, data: bytes) -> None:
        blob = self._bucket.blob(object_name)
        blob.cache_control = "private, no-store"
        blob.upload_from_string(data, content_type="application/json")

    def delete_prefix(self, prefix: str) -> int:
        n = 0
        for blob in self._client.list_blobs(self._bucket, prefix=prefix):
            blob.delete()
            n += 1
        return n

    def signed_url(self, object_name: str, ttl: dt.timedelta) -> str:
        blob = self._bucket.blob(object_name)
        if self._emulator:
            host = self._emulator if "://" in self._emulator else f"http://{self._emulator}"
            url: str = blob.generate_signed_url(
                version="v4", expiration=ttl, method="GET", credentials=self._local_signer,
                api_access_endpoint=host.rstrip("/"),
            )  # fmt: skip
            return url
        import google.auth
        from google.auth.transport import requests as auth_requests

        creds: Any
        creds, _ = google.auth.default()
        creds.refresh(auth_requests.Request())
        url = blob.generate_signed_url(
            version="v4", expiration=ttl, method="GET",
            service_account_email=creds.service_account_email, access_token=creds.token,
        )  # fmt: skip
        return url

    @cached_property
    def _local_signer(self) -> Any:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa
        from google.oauth2 import service_account

        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()  # fmt: skip
        info = {
            "type": "service_account", "client_email": f"emulator@{self._project}.local",
            "private_key": pem, "private_key_id": "local", "token_uri": "http://127.0.0.1/",
            "project_id": self._project,
        }  # fmt: skip
        return service_account.Credentials.from_service_account_info(info)  # type: ignore[no-untyped-call]

    def ensure_bucket(self) -> None:
        """Local stack and tests only (Terraform creates it in GCP)."""
        from google.api_core import exceptions as gexc

        with contextlib.suppress(gexc.Conflict):
            self._client.create_bucket(self.bucket)
