"""The pure rules of a data export (shared/domain/exports.py)."""

from __future__ import annotations

import pytest

from shared.domain import errors, exports

NOW = 10_000_000_000


def rec(status: str, created_ms: int = NOW, **kw: object) -> dict[str, object]:
    return {"status": status, "export_id": str(created_ms), "created_ms": created_ms,
            "updated_ms": created_ms, **kw}  # fmt: skip


def test_a_first_or_failed_export_starts_a_new_one() -> None:
    assert exports.check_may_start(None, NOW) is True
    assert exports.check_may_start(rec("failed"), NOW) is True


def test_a_running_export_is_the_answer_not_a_second() -> None:
    assert exports.check_may_start(rec("queued"), NOW + 1000) is False
    assert exports.check_may_start(rec("building", parts_done=3), NOW + 1000) is False


def test_one_ready_export_an_hour() -> None:
    with pytest.raises(errors.RateLimited) as exc:
        exports.check_may_start(rec("ready"), NOW + 60_000)
    assert exc.value.retry_after_s == (exports.EVERY_MS - 60_000) // 1000 + 1
    assert exports.check_may_start(rec("ready"), NOW + exports.EVERY_MS) is True


def test_an_export_that_stopped_moving_is_failed_and_may_be_retried() -> None:
    stalled = rec("building", parts_done=2)
    later = NOW + exports.STALL_MS + 1
    assert exports.status_of(stalled, NOW + exports.STALL_MS) == "building"
    assert exports.status_of(stalled, later) == "failed"
    assert exports.progress_json(stalled, later)["reason"] == "stalled"
    assert exports.check_may_start(stalled, later) is True


def test_progress_counts_parts() -> None:
    total = len(exports.PARTS)
    out = exports.progress_json(rec("building", parts_done=3, parts_total=total), NOW)
    assert (out["parts_done"], out["parts_total"], out["progress"]) == (3, total, 0.5)
    assert exports.progress_json(rec("ready", parts_total=total), NOW)["progress"] == 1.0


def test_ids_and_object_names_are_deterministic_and_name_nobody() -> None:
    a = exports.export_event_id("uid-1", "123")
    assert a == exports.export_event_id("uid-1", "123") and len(a) <= 64
    assert "uid-1" not in a and "uid-1" not in exports.object_name("uid-1", "123")
    assert exports.object_name("uid-1", "123") != exports.object_name("uid-1", "124")
