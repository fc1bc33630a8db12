import threading
import time

import pytest

from shared import ids


def test_ids_are_unique_and_increasing_across_threads():
    gen = ids.IdGenerator(worker_id=7)
    out: list[int] = []
    lock = threading.Lock()

    def mint() -> None:
        local = [gen.next_id() for _ in range(5000)]
        with lock:
            out.extend(local)

    threads = [threading.Thread(target=mint) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(out)) == 20_000
    single = [gen.next_id() for _ in range(1000)]
    assert single == sorted(single)


def test_id_carries_its_millisecond_timestamp_and_fits_63_bits():
    before = time.time_ns() // 1_000_000
    post_id = ids.new_id()
    after = time.time_ns() // 1_000_000
    assert before <= ids.timestamp_ms(post_id) <= after
    assert 0 < post_id <= ids.MAX_ID
    assert ids.min_id_at(ids.timestamp_ms(post_id)) <= post_id


@pytest.mark.parametrize("raw", ["", "-1", "1.5", "abc", "\uff11\uff12", "9" * 20, str(1 << 63)])
def test_parse_id_rejects_what_is_not_an_id(raw):
    with pytest.raises(ValueError):
        ids.parse_id(raw)


def test_parse_id_round_trips():
    post_id = ids.new_id()
    assert ids.parse_id(str(post_id)) == post_id


def test_worker_id_is_bounded():
    with pytest.raises(ValueError):
        ids.IdGenerator(worker_id=1024)
