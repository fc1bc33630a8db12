"""The write limits' several windows per request (RedisRateLimiter.take_all) on a real Redis
Cluster and on one Redis: the windows of one request sit in different slots on the cluster,
yet an attempt is counted in all of them or in none."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from shared.adapters.clients import RedisClient, redis_client, slot_of
from shared.adapters.redis_ratelimit import LIMITS_PREFIX, RedisRateLimiter
from shared.ids import now_ms

pytestmark = pytest.mark.integration


@pytest.fixture(params=["single", "cluster"])
def client(request: pytest.FixtureRequest) -> Iterator[RedisClient]:
    url = request.getfixturevalue("redis_url" if request.param == "single" else "redis_cluster_url")
    c = redis_client(url)
    yield c
    c.close()


def test_a_request_counts_in_every_window_or_in_none(client: RedisClient) -> None:
    clock = now_ms()
    limiter = RedisRateLimiter(client, LIMITS_PREFIX, 0, 1, clock=lambda: clock)
    tag = uuid.uuid4().hex[:8]
    user, address, pair = f"post:user:60:u-{tag}", f"post:address:60:a-{tag}", f"p:{tag}"
    windows = [(user, 5, 60), (address, 2, 60), (pair, 9, 60)]
    keys = [limiter.key(w) for w, _, _ in windows]
    if slot_of(client)(keys[0]) != 0:  # on the cluster the three windows really are apart
        assert len({slot_of(client)(k) for k in keys}) == 3

    assert limiter.take_all(windows) is None
    assert limiter.take_all(windows) is None
    assert [client.zcard(k) for k in keys] == [2, 2, 2]
    # The address window is full: refused, with its Retry-After, and counted nowhere.
    assert limiter.take_all(windows) == 60
    assert [client.zcard(k) for k in keys] == [2, 2, 2]
    # A request that leaves the full window out is admitted.
    assert limiter.take_all([windows[0], windows[2]]) is None
    assert [client.zcard(k) for k in keys] == [3, 2, 3]
    clock += 60_001  # the windows slide past every attempt
    assert limiter.take_all(windows) is None
    assert [client.zcard(k) for k in keys] == [1, 1, 1]
