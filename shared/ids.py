"""64-bit, time-ordered post ids (Snowflake layout).

| 41 bits ms since KWETTER_EPOCH | 10 bits worker | 12 bits sequence |

The last worker id (``REPOST_WORKER``, 1023) is never minted here: it marks the timeline entry
ids of reposts (shared.domain.reposts), so an entry id alone tells a repost from a post.

Ids sort by creation time, so they order a timeline on their own; their millisecond
timestamp (``timestamp_ms``) is what the Redis sorted sets use as score, because a small
integer score keeps a listpack entry compact.
"""

from __future__ import annotations

import os
import random
import threading
import time

KWETTER_EPOCH_MS = 1_735_689_600_000  # 2025-01-01T00:00:00Z
_WORKER_BITS = 10
_SEQUENCE_BITS = 12
_MAX_SEQUENCE = (1 << _SEQUENCE_BITS) - 1
_MAX_WORKER = (1 << _WORKER_BITS) - 1
REPOST_WORKER = _MAX_WORKER  # reserved for repost entry ids (shared.domain.reposts)
MAX_ID = (1 << 63) - 1


class IdGenerator:
    def __init__(self, worker_id: int | None = None) -> None:
        if worker_id is None:
            # Many function instances run at once with no coordinator: a random worker id
            # makes collisions need the same ms, worker and sequence at once.
            mixed = random.SystemRandom().randint(0, _MAX_WORKER) ^ (os.getpid() & _MAX_WORKER)
            worker_id = mixed % REPOST_WORKER
        if not 0 <= worker_id < REPOST_WORKER:
            raise ValueError(f"worker_id must be within 0..{REPOST_WORKER - 1}")
        self._worker = worker_id
        self._lock = threading.Lock()
        self._last_ms = -1
        self._sequence = 0

    def next_id(self) -> int:
        with self._lock:
            now = now_ms()
            if now < self._last_ms:  # clock stepped back: keep ids monotonic
                now = self._last_ms
            if now == self._last_ms:
                self._sequence = (self._sequence + 1) & _MAX_SEQUENCE
                if self._sequence == 0:
                    while now <= self._last_ms:
                        now = now_ms()
            else:
                self._sequence = 0
            self._last_ms = now
            return (
                ((now - KWETTER_EPOCH_MS) << (_WORKER_BITS + _SEQUENCE_BITS))
                | (self._worker << _SEQUENCE_BITS)
                | self._sequence
            )


def now_ms() -> int:
    """Wall-clock milliseconds: the one clock every part of the platform reads."""
    return time.time_ns() // 1_000_000


def timestamp_ms(post_id: int) -> int:
    """Unix milliseconds at which ``post_id`` was minted."""
    return (post_id >> (_WORKER_BITS + _SEQUENCE_BITS)) + KWETTER_EPOCH_MS


def min_id_at(ms: int) -> int:
    """Smallest id minted at or after unix millisecond ``ms`` (for time-range cursors)."""
    return max(0, ms - KWETTER_EPOCH_MS) << (_WORKER_BITS + _SEQUENCE_BITS)


def parse_id(raw: str) -> int:
    """Parse an id that travelled as a JSON string; ValueError when it is not one."""
    if not raw.isascii() or not raw.isdigit() or len(raw) > 19:
        raise ValueError("not a post id")
    value = int(raw)
    if value > MAX_ID:
        raise ValueError("not a post id")
    return value


_default = IdGenerator()


def new_id() -> int:
    return _default.next_id()
