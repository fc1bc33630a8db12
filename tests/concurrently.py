"""Running a test's calls on many threads with a deadline.

``ThreadPoolExecutor`` joins its workers when the ``with`` block ends and again at interpreter
exit, so one call stuck on a lock or a socket held a whole CI run until its time limit (stop
25). These are daemon threads joined against one deadline: a stuck call fails the test, with
every thread's stack, and cannot keep the session from ending.
"""

from __future__ import annotations

import faulthandler
import sys
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def run_all(
    fn: Callable[[T], R], items: Iterable[T], threads: int, timeout_s: float = 180.0
) -> list[R]:
    """``[fn(item) for item in items]`` on ``threads`` threads, in the items' order; the first
    exception is raised again; AssertionError when the calls are not done within ``timeout_s``."""
    work: Sequence[T] = list(items)
    results: dict[int, R] = {}
    errors: list[BaseException] = []
    lock = threading.Lock()
    next_index = [0]

    def worker() -> None:
        while True:
            with lock:
                i = next_index[0]
                next_index[0] += 1
            if i >= len(work) or errors:
                return
            try:
                r = fn(work[i])
            except BaseException as exc:
                with lock:
                    errors.append(exc)
                return
            with lock:
                results[i] = r

    pool = [threading.Thread(target=worker, daemon=True) for _ in range(min(threads, len(work)))]
    for t in pool:
        t.start()
    deadline = time.monotonic() + timeout_s
    for t in pool:
        t.join(max(0.0, deadline - time.monotonic()))
    if any(t.is_alive() for t in pool):
        faulthandler.dump_traceback(file=sys.stderr, all_threads=True)
        raise AssertionError(f"{len(results)} of {len(work)} calls done in {timeout_s:.0f} s")
    if errors:
        raise errors[0]
    return [results[i] for i in range(len(work))]
