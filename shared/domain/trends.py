"""Trending hashtags: distinct accounts now against the tag's own baseline (pure).

Counting (the adapter, Redis HyperLogLogs, O(1) per post and tag): for every post, its author
goes into the tag's set of accounts for the post's hour and for the post's day. A set, so an
account posting a tag 1,000 times counts once.

Scoring, at read time (docs/search.md "Trends" has the reasoning):
- observed ``o``: distinct accounts that used the tag in the last ``WINDOW_HOURS`` hours;
- expected ``e``: the tag's mean distinct accounts per day over the ``BASELINE_DAYS`` days
  before today (days without use count as 0), scaled to the window (``* WINDOW_HOURS / 24``),
  and at least ``MIN_EXPECTED`` so a brand-new tag is not infinitely surprising;
- a tag trends when ``o >= MIN_ACCOUNTS`` and ``o >= MIN_RATIO * e``;
- trending tags rank by ``(o - e)^2 / e``: if accounts arrive like a Poisson process with mean
  ``e``, that is the squared z-score of what we see (variance = mean), i.e. how surprising the
  window is for this tag. Mastodon's trends use the same statistic against yesterday alone;
  a week of days smooths out one quiet or busy day.
Nothing older than a week enters: the baseline reads 7 days, the window 3 hours, and the keys
expire after that.
"""

from __future__ import annotations

from dataclasses import dataclass

HOUR_MS = 3_600_000
DAY_MS = 86_400_000
WINDOW_HOURS = 3
BASELINE_DAYS = 7
MIN_ACCOUNTS = 5
MIN_RATIO = 2.0
MIN_EXPECTED = 1.0
MAX_TRENDS = 10


def hour_of(ms: int) -> int:
    return ms // HOUR_MS


def day_of(ms: int) -> int:
    return ms // DAY_MS


def window_hours(now_ms: int) -> list[int]:
    """The hour buckets of the window: this one and the WINDOW_HOURS - 1 before it."""
    h = hour_of(now_ms)
    return [h - i for i in range(WINDOW_HOURS)]


def baseline_days(now_ms: int) -> list[int]:
    d = day_of(now_ms)
    return [d - i for i in range(1, BASELINE_DAYS + 1)]


def expected(daily_accounts: list[int]) -> float:
    """The tag's expected distinct accounts in one window, from its per-day counts."""
    mean_per_day = sum(daily_accounts) / BASELINE_DAYS
    return max(MIN_EXPECTED, mean_per_day * WINDOW_HOURS / 24)


@dataclass(frozen=True)
class Trend:
    tag: str
    accounts: int  # observed: distinct accounts in the window
    expected: float
    score: float

    def to_json(self) -> dict[str, object]:
        return {
            "tag": self.tag,
            "accounts": self.accounts,
            "expected": round(self.expected, 2),
            "score": round(self.score, 2),
        }


def score(tag: str, observed: int, daily_accounts: list[int]) -> Trend | None:
    """The tag's trend, or None when it is not trending."""
    e = expected(daily_accounts)
    if observed < MIN_ACCOUNTS or observed < MIN_RATIO * e:
        return None
    return Trend(tag, observed, e, (observed - e) ** 2 / e)


def rank(trends: list[Trend], limit: int = MAX_TRENDS) -> list[Trend]:
    return sorted(trends, key=lambda t: (-t.score, -t.accounts, t.tag))[:limit]
