"""Trends on the real Redis: distinct accounts against each tag's own baseline (issue 22)."""

from __future__ import annotations

import random

import pytest

from shared import ids
from shared.domain import trends
from tests.search.conftest import Search

pytestmark = pytest.mark.integration

HOUR = trends.HOUR_MS


def _stream(search: Search, now: int) -> None:
    """A week of steady tags, then one tag spiking in the last hour, and a spammer."""
    rng = random.Random(22)
    uses: list[tuple[str, int, list[str]]] = []
    for h in range(7 * 24, 0, -1):
        t = now - h * HOUR
        for a in rng.sample(range(400), 12):  # #news: a dozen accounts every hour
            uses.append((f"n{a}", t + rng.randrange(HOUR), ["news"]))
        for a in rng.sample(range(50), 2):  # #weather: a couple every hour
            uses.append((f"w{a}", t + rng.randrange(HOUR), ["weather"]))
        if h % 24 == 0:  # #eclipse: about once a day
            uses.append((f"e{h}", t, ["eclipse"]))
    # The last hour: #news and #weather as always, #eclipse by 30 distinct accounts.
    for a in rng.sample(range(400), 12):
        uses.append((f"n{a}", now - rng.randrange(HOUR), ["news"]))
    for a in range(30):
        uses.append((f"fan{a}", now - rng.randrange(HOUR), ["eclipse", "news"]))
    # One account posting #buyNow 1,000 times counts once.
    uses += [("spammer", now - i * 1000, ["buynow"]) for i in range(1000)]
    for start in range(0, len(uses), 500):
        search.trends.count(uses[start : start + 500])


def test_a_spike_ranks_first_and_steady_tags_do_not_trend(search: Search) -> None:
    now = ids.now_ms()
    _stream(search, now)
    got = search.service.trending(now_ms=now)
    assert got and got[0].tag == "eclipse", got
    tags = [t.tag for t in got]
    assert "weather" not in tags  # steady
    assert "buynow" not in tags  # one account
    assert got[0].accounts >= 29  # HyperLogLog: within its 0.81% error of 31
    # Through the route (the same counters, the function's own clock).
    status, body = search.get("/v1/trends")
    assert status == 200, body
    assert body["items"][0]["tag"] == "eclipse"


def test_one_account_counts_once_and_a_redelivery_changes_nothing(search: Search) -> None:
    now = ids.now_ms()
    search.trends.count([("solo", now - i, ["loud"]) for i in range(1000)])
    assert search.trends.window_counts(now)["loud"] == 1
    uses = [(f"a{i}", now, ["quiet"]) for i in range(6)]
    for _ in range(3):
        search.trends.count(uses)
    assert search.trends.window_counts(now)["quiet"] == 6
    assert [t.tag for t in search.service.trending(now_ms=now)] == ["quiet"]


def test_nothing_older_than_the_window_trends_and_keys_expire(search: Search) -> None:
    now = ids.now_ms()
    old = now - (trends.WINDOW_HOURS + 1) * HOUR
    search.trends.count([(f"a{i}", old, ["yesterday"]) for i in range(50)])
    assert "yesterday" not in search.trends.window_counts(now)
    assert search.service.trending(now_ms=now) == []
    for key in search.r.scan_iter("tg:*"):
        ttl = search.r.ttl(key)
        assert 0 < ttl <= (trends.BASELINE_DAYS + 1) * 86400, key


def test_posts_feed_the_counters_through_the_indexer(search: Search) -> None:
    for i in range(6):
        search.post(f"user{i}", f"look at the #Moon tonight {i}", deliver=2)
    assert search.trends.window_counts(ids.now_ms())["moon"] == 6


def test_a_deleted_burst_stops_trending(search: Search) -> None:
    """A HyperLogLog cannot forget: the tags of deleted posts are recounted from the index."""
    made = [search.post(f"comet{i}", f"a #Comet over the hills {i}")[0] for i in range(7)]
    search.post("other", "a #Comet of my own, kept")
    search.index.refresh()
    before = {t.tag: t.accounts for t in search.service.trending(now_ms=ids.now_ms())}
    assert before.get("comet") == 8, before
    for post in made[:5]:  # the burst is deleted: 3 accounts are left, fewer than 5
        search.delete(post)
    search.index.refresh()
    after = {t.tag: t.accounts for t in search.service.trending(now_ms=ids.now_ms())}
    assert "comet" not in after, after
    assert search.trends.window_counts(ids.now_ms())["comet"] == 8  # the counter only grows
    # Two of them post it again: 5 live accounts, it trends again, counted from the index.
    for i in (0, 1):
        search.post(f"comet{i}", f"the #comet again {i}")
    search.index.refresh()
    again = {t.tag: t.accounts for t in search.service.trending(now_ms=ids.now_ms())}
    assert again.get("comet") == 5, again
