"""Trend counters in Redis (ports.TrendCounter): HyperLogLogs of accounts per hashtag.

Per post and tag: PFADD of the author into the tag's hour and day counters and SADD of the tag
into the hour's candidates, each with its expiry, in one pipeline round trip for a whole batch
of posts. A HyperLogLog is a set (0.81% standard error, 12 KB at most per key), so an account
posting a tag 1,000 times, or a redelivered event, changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

import redis

from shared.adapters import redis_keys as keys
from shared.domain import trends

# Hour counters live through the window, day counters through the baseline week, plus slack.
HOUR_TTL_S = (trends.WINDOW_HOURS + 1) * 3600
DAY_TTL_S = (trends.BASELINE_DAYS + 1) * 86400


class RedisTrends:
    def __init__(self, client: redis.Redis[bytes]) -> None:
        self.r = client

    def count(self, uses: Sequence[tuple[str, int, Sequence[str]]]) -> None:
        pipe = self.r.pipeline(transaction=False)
        queued = 0
        for author_id, created_ms, tags in uses:
            hour, day = trends.hour_of(created_ms), trends.day_of(created_ms)
            cand = keys.trend_candidates(hour)
            for tag in tags:
                hk, dk = keys.trend_hour(tag, hour), keys.trend_day(tag, day)
                pipe.pfadd(hk, author_id)
                pipe.expire(hk, HOUR_TTL_S)
                pipe.pfadd(dk, author_id)
                pipe.expire(dk, DAY_TTL_S)
                pipe.sadd(cand, tag)
                pipe.expire(cand, HOUR_TTL_S)
                queued += 1
        if queued:
            pipe.execute()

    def count_deleted(self, uses: Sequence[tuple[str, int, Sequence[str]]]) -> None:
        """A HyperLogLog cannot forget an account: a deleted post's tags are marked for a
        recount of the window from the search index instead (``recounts``)."""
        pipe = self.r.pipeline(transaction=False)
        for _author, created_ms, tags in uses:
            key = keys.trend_recounts(trends.hour_of(created_ms))
            if tags:
                pipe.sadd(key, *tags)
                pipe.expire(key, HOUR_TTL_S)
        pipe.execute()

    def recounts(self, now_ms: int) -> set[str]:
        """The tags that lost a post within the window ending at ``now_ms``."""
        pipe = self.r.pipeline(transaction=False)
        for h in trends.window_hours(now_ms):
            pipe.smembers(keys.trend_recounts(h))
        return {m.decode() for members in pipe.execute() for m in members}

    def window_counts(self, now_ms: int) -> dict[str, int]:
        hours = trends.window_hours(now_ms)
        pipe = self.r.pipeline(transaction=False)
        for h in hours:
            pipe.smembers(keys.trend_candidates(h))
        tags = sorted({m.decode() for members in pipe.execute() for m in members})
        if not tags:
            return {}
        pipe = self.r.pipeline(transaction=False)
        for tag in tags:
            pipe.pfcount(*(keys.trend_hour(tag, h) for h in hours))
        return {tag: int(n) for tag, n in zip(tags, pipe.execute(), strict=True)}

    def daily_counts(self, tags: Sequence[str], now_ms: int) -> dict[str, list[int]]:
        days = trends.baseline_days(now_ms)
        pipe = self.r.pipeline(transaction=False)
        for tag in tags:
            for d in days:
                pipe.pfcount(keys.trend_day(tag, d))
        flat = [int(n) for n in pipe.execute()] if tags else []
        n = len(days)
        return {tag: flat[i * n : (i + 1) * n] for i, tag in enumerate(tags)}
