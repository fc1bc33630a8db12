"""The key-encryption key that wraps every user's data key (issue 23, docs/privacy.md).

Production: a Cloud KMS symmetric key (``KMS_KEY_NAME``, made by infra/terraform/privacy.tf);
the only module importing google.cloud.kms. The emulator stack: a local AES-GCM key derived from
the project id, used only when the Firestore emulator is configured and the process is not on
Cloud Run (K_SERVICE, always set there) — the same gate as the Auth emulator's unsigned tokens
(shared/entrypoints/http/auth.py), so a deployed function can never fall back to it.
"""

from __future__ import annotations

import hashlib
import os
from typing import Any, Protocol

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

LOCAL_KEK_NAME = "local-emulator-kek"


class KeyWrapper(Protocol):
    name: str

    def wrap(self, data_key: bytes, aad: bytes) -> bytes: ...

    def unwrap(self, wrapped: bytes, aad: bytes) -> bytes: ...


class CloudKmsWrapper:
    """Encrypt/decrypt with one Cloud KMS CryptoKey (its primary version encrypts; any enabled
    version decrypts, so rotating the KEK needs no re-wrap)."""

    def __init__(self, key_name: str, client: Any = None) -> None:
        from google.cloud import kms

        self.name = key_name
        self._client = client or kms.KeyManagementServiceClient()

    def wrap(self, data_key: bytes, aad: bytes) -> bytes:
        req = {"name": self.name, "plaintext": data_key, "additional_authenticated_data": aad}
        return bytes(self._client.encrypt(request=req).ciphertext)

    def unwrap(self, wrapped: bytes, aad: bytes) -> bytes:
        req = {"name": self.name, "ciphertext": wrapped, "additional_authenticated_data": aad}
        return bytes(self._client.decrypt(request=req).plaintext)


class LocalKeyWrapper:
    """The emulator stack's KEK: not a secret (it only ever protects emulator data)."""

    name = LOCAL_KEK_NAME

    def __init__(self, project_id: str) -> None:
        self._aead = AESGCM(hashlib.sha256(f"kwetter-local-kek\x00{project_id}".encode()).digest())

    def wrap(self, data_key: bytes, aad: bytes) -> bytes:
        nonce = os.urandom(12)
        return nonce + self._aead.encrypt(nonce, data_key, aad)

    def unwrap(self, wrapped: bytes, aad: bytes) -> bytes:
        return self._aead.decrypt(wrapped[:12], wrapped[12:], aad)


class NoKeyEncryptionKey(RuntimeError):
    """Neither KMS_KEY_NAME nor the emulator stack: refuse to start rather than guess."""


def key_wrapper(project_id: str, kms_key_name: str) -> KeyWrapper:
    if kms_key_name:
        return CloudKmsWrapper(kms_key_name)
    emulated = bool(os.environ.get("FIRESTORE_EMULATOR_HOST"))
    if emulated and not os.environ.get("K_SERVICE"):
        return LocalKeyWrapper(project_id)
    raise NoKeyEncryptionKey(
        "KMS_KEY_NAME is not set; the local key-encryption key exists only beside the Firestore"
        " emulator, never on Cloud Run"
    )
