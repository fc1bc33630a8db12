"""Per-user data keys on Firestore, wrapped by the key-encryption key (shared/adapters/kms.py).

``user_keys/{uid}``: ``wrapped`` (the data key encrypted by the KEK, the user id as associated
data), ``kek`` (the KEK's name), ``created_ms``. Destroying a key deletes the document and leaves
``erased_keys/{sha256(uid)}`` behind, so that nothing can seal a new event for an erased
account (a warm instance that still believes in the user) while the marker names nobody.

Unwrapped keys are cached per process for ``ttl_s`` (one KMS call per user per minute, not per
post). With an erasure ``epoch`` (the platform's: a Redis counter, redis_key_epoch.py) a
deletion takes effect at once in every process: each cached key remembers the epoch read before
its document was, ``destroy`` bumps the epoch after deleting the document, and a cached key is
used only while the epoch is unchanged (one Redis GET per use; any erasure makes every process
fetch its keys again, one KMS call each). Without one (tools, tests) other processes' copies
age out within ``ttl_s``, which stays the backstop either way.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

from google.api_core.exceptions import AlreadyExists
from google.cloud import firestore

from shared.adapters.kms import KeyWrapper
from shared.domain import errors
from shared.ids import now_ms
from shared.sealing import new_data_key

KEYS = "user_keys"
ERASED = "erased_keys"
DEFAULT_TTL_S = 60.0


def erased_marker_id(uid: str) -> str:
    return hashlib.sha256(f"kwetter-erased\x00{uid}".encode()).hexdigest()


UNKNOWN_EPOCH = -1


class ErasureEpoch(Protocol):
    def current(self) -> int | None:
        """None: not readable now (the cache then trusts its TTL)."""
        ...

    def bump(self) -> int: ...


class FirestoreDataKeys:
    """The sealing.DataKeys (ports.DataKeys) of the platform."""

    def __init__(
        self,
        client: firestore.Client,
        kek: KeyWrapper,
        ttl_s: float = DEFAULT_TTL_S,
        *,
        epoch: Callable[[], ErasureEpoch] | None = None,
        epoch_every_s: float = 0.0,
    ):
        self._db = client
        self._kek = kek
        self._ttl = ttl_s
        self._epoch = epoch
        # 0: the epoch is read on every use; > 0: this process's last reading is reused that
        # long (an older reading only ever invalidates more, never keeps a destroyed key longer
        # than that).
        self._epoch_every = epoch_every_s
        self._epoch_seen: tuple[float, int] | None = None
        # uid -> (cached at, key, the erasure epoch read before its document was)
        self._cache: dict[str, tuple[float, bytes, int]] = {}
        self._lock = threading.Lock()

    def _current_epoch(self) -> int:
        """The erasure epoch, or UNKNOWN_EPOCH while it cannot be read."""
        if self._epoch is None:
            return 0
        seen = self._epoch_seen
        if seen is not None and time.monotonic() - seen[0] < self._epoch_every:
            return seen[1]
        asked = time.monotonic()  # the reading is as old as the question, not the answer
        value = self._epoch().current()
        if value is None:
            return UNKNOWN_EPOCH
        self._epoch_seen = (asked, value)
        return value

    def _ref(self, uid: str) -> firestore.DocumentReference:
        return self._db.collection(KEYS).document(uid)

    def _cached(self, uid: str) -> bytes | None:
        with self._lock:
            hit = self._cache.get(uid)
        if hit is None or time.monotonic() - hit[0] >= self._ttl:
            return None
        now_epoch = self._current_epoch()  # 0 without an epoch, as every key then carries
        # Unknown now (Redis down): the TTL alone, as before the epoch. A key read while it was
        # unknown carries UNKNOWN_EPOCH, so it is read again once the epoch answers.
        if now_epoch != UNKNOWN_EPOCH and now_epoch != hit[2]:
            # Some key was destroyed since this one was read (maybe this one): read it again.
            with self._lock:
                if self._cache.get(uid) is hit:
                    del self._cache[uid]
            return None
        return hit[1]

    def _remember(self, uid: str, key: bytes, epoch: int) -> bytes:
        with self._lock:
            if len(self._cache) > 50_000:
                self._cache.clear()
            self._cache[uid] = (time.monotonic(), key, epoch)
        return key

    def _unwrap(self, uid: str, doc: dict[str, Any]) -> bytes:
        return self._kek.unwrap(bytes(doc["wrapped"]), uid.encode())

    def key_for_opening(self, user_id: str) -> bytes | None:
        key = self._cached(user_id)
        if key is not None:
            return key
        epoch = self._current_epoch()  # before the document: a destroy after it bumps it
        snap = self._ref(user_id).get()
        if not snap.exists:
            return None
        return self._remember(user_id, self._unwrap(user_id, snap.to_dict() or {}), epoch)

    def key_for_sealing(self, user_id: str) -> bytes:
        key = self.key_for_opening(user_id)
        if key is not None:
            return key
        if self._db.collection(ERASED).document(erased_marker_id(user_id)).get().exists:
            raise errors.PermissionDenied("this account has been deleted")
        epoch = self._current_epoch()
        fresh = new_data_key()
        doc = {
            "wrapped": self._kek.wrap(fresh, user_id.encode()),
            "kek": self._kek.name,
            "created_ms": now_ms(),
        }
        try:
            self._ref(user_id).create(doc)
        except AlreadyExists:
            # A concurrent first post made it: use theirs, or the events would not agree.
            found = self.key_for_opening(user_id)
            if found is None:
                raise
            return found
        return self._remember(user_id, fresh, epoch)

    def destroy(self, user_id: str) -> bool:
        """Destroy the key (crypto-shredding every sealed event of the user); True when there
        was one. Idempotent: the marker is written first, so a crash in between is retried."""
        self._db.collection(ERASED).document(erased_marker_id(user_id)).set({"erased_ms": now_ms()})
        with self._lock:
            self._cache.pop(user_id, None)
        ref = self._ref(user_id)
        existed = bool(ref.get().exists)
        ref.delete()
        if self._epoch is not None:
            # After the delete: a process that reads the epoch again cannot then find the key.
            # Every retry of an erasure bumps it again (harmless: one more refetch each).
            self._epoch().bump()
        return existed

    def has_key(self, user_id: str) -> bool:
        return bool(self._ref(user_id).get().exists)

    def forget_cached(self) -> None:
        with self._lock:
            self._cache.clear()
