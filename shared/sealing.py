"""Crypto-shredding of the event log (issue 23, docs/privacy.md): seal and open events.

Every user has one data key (AES-256-GCM, ``cryptography``'s AEAD), kept wrapped by a
key-encryption key (Cloud KMS in production, a local key in the emulator stack:
shared/adapters/data_keys.py). An event's personal fields (its class's ``SEALED`` tuple: a
post's text and media) are written sealed with its author's key, in Firestore's event log and in
the Pub/Sub message alike. Deleting the account destroys the key: every copy of those events,
retained messages and backups included, is then noise, and history is never rewritten.

The one way to read an event's personal fields is ``open_event``: it answers the event with its
fields back in place, the event itself when it was never sealed (written before issue 23, or of
a kind with nothing personal), or ``SHREDDED`` when its key was destroyed. A shredded event is a
tombstone: the consumer skips and acks it (``shared.entrypoints.pubsub.consumer.consume``).

Envelope: ``"k1." + base64url(nonce 12 bytes || ciphertext || tag 16 bytes)``; the plaintext is
the JSON object of the sealed fields, the associated data is the event's type, id and sealing
user, so a sealed payload cannot be moved onto another event or user unnoticed.
"""

from __future__ import annotations

import base64
import copy
import functools
import json
import os
from typing import Any, Final, Protocol, TypeVar

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from shared import events

ENVELOPE_PREFIX: Final = "k1."
NONCE_BYTES: Final = 12
KEY_BYTES: Final = 32

E = TypeVar("E", bound=events._Event)


class Shredded:
    """The answer for an event whose key was destroyed: a tombstone, nothing to read."""

    def __repr__(self) -> str:
        return "SHREDDED"


SHREDDED: Final = Shredded()


class UnreadableEvent(ValueError):
    """A sealed payload that fails to open with a key that exists: tampered or corrupt. Never
    the answer for a destroyed key (that is SHREDDED)."""


class DataKeys(Protocol):
    """Per-user data keys (shared/adapters/data_keys.py; ports.DataKeys is this)."""

    def key_for_sealing(self, user_id: str) -> bytes:
        """The user's data key, made on first use; refuses a user whose key was destroyed."""
        ...

    def key_for_opening(self, user_id: str) -> bytes | None:
        """The user's data key; None once destroyed (or never made)."""
        ...


def new_data_key() -> bytes:
    return AESGCM.generate_key(bit_length=KEY_BYTES * 8)


def _aad(event: events._Event, user_id: str) -> bytes:
    return f"{getattr(event, 'type', '')}\x1f{event.event_id}\x1f{user_id}".encode()


def sealing_user(event: events._Event) -> str | None:
    """Whose key seals this event; None for a kind with nothing personal in it."""
    return str(getattr(event, event.SEALED_BY)) if event.SEALED else None


@functools.cache
def _emptied(cls: type[events._Event]) -> dict[str, Any]:
    """The defaults a sealed event's SEALED fields take ("" / []), once per class: pydantic's
    get_default inspects the factory's signature on every call (most of a seal's CPU)."""
    return {f: cls.model_fields[f].get_default(call_default_factory=True) for f in cls.SEALED}


def seal_with(event: E, key: bytes) -> E:
    """``event`` with its SEALED fields encrypted under ``key`` (already sealed: unchanged)."""
    user = sealing_user(event)
    if user is None or getattr(event, "sealed", None) is not None:
        return event
    plain = event.model_dump(mode="json", include=set(event.SEALED))
    data = json.dumps(plain, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    nonce = os.urandom(NONCE_BYTES)
    box = nonce + AESGCM(key).encrypt(nonce, data, _aad(event, user))
    emptied = {f: copy.copy(v) for f, v in _emptied(type(event)).items()}
    envelope = ENVELOPE_PREFIX + base64.urlsafe_b64encode(box).decode("ascii")
    return event.model_copy(update={**emptied, "sealed": envelope})


def open_with(event: E, key: bytes) -> E:
    """The sealed ``event`` with its fields decrypted; UnreadableEvent when it does not open."""
    envelope = getattr(event, "sealed", None)
    user = sealing_user(event)
    if envelope is None or user is None:
        return event
    if not envelope.startswith(ENVELOPE_PREFIX):
        raise UnreadableEvent(f"{event.event_id}: unknown envelope")
    try:
        box = base64.urlsafe_b64decode(envelope[len(ENVELOPE_PREFIX) :])
        nonce, ct = box[:NONCE_BYTES], box[NONCE_BYTES:]
        plain = json.loads(AESGCM(key).decrypt(nonce, ct, _aad(event, user)))
    except (InvalidTag, ValueError) as exc:
        raise UnreadableEvent(f"{event.event_id}: sealed payload does not open") from exc
    if not isinstance(plain, dict) or set(plain) - set(event.SEALED):
        raise UnreadableEvent(f"{event.event_id}: sealed payload has unexpected fields")
    body = {**event.model_dump(exclude={"sealed"}), **plain}
    return type(event).model_validate(body)


def seal_event(event: E, keys: DataKeys) -> E:
    """``event`` as it is written to the event log and published: personal fields sealed."""
    user = sealing_user(event)
    if user is None:
        return event
    return seal_with(event, keys.key_for_sealing(user))


def open_event(event: E, keys: DataKeys) -> E | Shredded:
    """THE way to read an event's personal fields (see the module doc): the event opened, the
    event itself when it was never sealed, or SHREDDED when its user's key is destroyed."""
    user = sealing_user(event)
    if user is None or getattr(event, "sealed", None) is None:
        return event
    key = keys.key_for_opening(user)
    if key is None:
        return SHREDDED
    return open_with(event, key)
