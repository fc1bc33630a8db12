"""Settings from environment variables, with defaults that are safe on a laptop."""

from __future__ import annotations

import os
from dataclasses import dataclass, field


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw not in (None, "") else default


def _str(name: str, default: str) -> str:
    raw = os.environ.get(name)
    return raw if raw not in (None, "") else default


def _limit_overrides() -> dict[str, int]:
    return {
        k.removeprefix("LIMIT_"): int(v)
        for k, v in os.environ.items()
        if k.startswith("LIMIT_") and k != "LIMIT_WINDOW_MAX_SECONDS" and v != ""
    }


@dataclass(frozen=True)
class Settings:
    project_id: str = field(default_factory=lambda: _str("GOOGLE_CLOUD_PROJECT", "demo-kwetter"))
    redis_url: str = field(default_factory=lambda: _str("REDIS_URL", "redis://127.0.0.1:6380/0"))
    # REDIS_CLUSTER=1 (or a redis+cluster:// / rediss+cluster:// URL): REDIS_URL names one node
    # of a Redis Cluster (Memorystore for Redis Cluster in prod), the client discovers the rest.
    redis_cluster_flag: bool = field(
        default_factory=lambda: _str("REDIS_CLUSTER", "0") not in ("0", "false", "no")
    )
    neo4j_uri: str = field(default_factory=lambda: _str("NEO4J_URI", "bolt://127.0.0.1:7687"))
    neo4j_user: str = field(default_factory=lambda: _str("NEO4J_USER", "neo4j"))
    neo4j_password: str = field(default_factory=lambda: _str("NEO4J_PASSWORD", ""))
    neo4j_database: str = field(default_factory=lambda: _str("NEO4J_DATABASE", "neo4j"))
    timeline_cap: int = field(default_factory=lambda: _int("TIMELINE_CAP", 800))
    # One post in N trims the home timelines it lands in back to the cap (domain.fanout.trims);
    # 1 = trim on every insert. Keep cap + slack under Redis' zset-max-listpack-entries.
    timeline_trim_every: int = field(default_factory=lambda: _int("TIMELINE_TRIM_EVERY", 8))
    fanout_batch_size: int = field(default_factory=lambda: _int("FANOUT_BATCH_SIZE", 1000))
    pull_follower_threshold: int = field(
        default_factory=lambda: _int("PULL_FOLLOWER_THRESHOLD", 10_000)
    )
    burst_window_seconds: int = field(default_factory=lambda: _int("BURST_WINDOW_SECONDS", 60))
    burst_post_threshold: int = field(default_factory=lambda: _int("BURST_POST_THRESHOLD", 20))
    inactive_days: int = field(default_factory=lambda: _int("INACTIVE_DAYS", 30))
    # How old a post count shown in a list page (followers, following, suggestions) may be;
    # 0 reads every count from the store (shared/adapters/redis_post_counts.py).
    list_count_ttl_s: int = field(default_factory=lambda: _int("LIST_COUNT_TTL_SECONDS", 30))
    # How long a timeline process may take "not a pull-mode author" as still true without asking
    # Redis again (a reader's 300 followees are 300 slots on a cluster): a post of an author who
    # just turned to pull mode can reach another process's readers this much later. 0: always ask.
    pull_flag_cache_ms: int = field(default_factory=lambda: _int("PULL_FLAG_CACHE_MS", 2000))
    # Timeline writes are acknowledged (their Pub/Sub message acked) only once this many
    # replicas hold them (Redis WAIT, at most REDIS_WAIT_MS): replication is asynchronous, so
    # without it a master that dies before its replica caught up loses acknowledged entries.
    # 0 (local default): no wait. Terraform sets 1 where the Redis has replicas.
    redis_wait_replicas: int = field(default_factory=lambda: _int("REDIS_WAIT_REPLICAS", 0))
    redis_wait_ms: int = field(default_factory=lambda: _int("REDIS_WAIT_MS", 500))
    backfill_limit: int = field(default_factory=lambda: _int("BACKFILL_LIMIT", 200))
    # Posts per user per window (verified accounts; the rest of the write limits below).
    post_rate_limit: int = field(default_factory=lambda: _int("POST_RATE_LIMIT", 30))
    post_rate_window_seconds: int = field(
        default_factory=lambda: _int("POST_RATE_WINDOW_SECONDS", 60)
    )

    # ---- abuse limits (shared/domain/limits.py; docs/faults.md "Abuse limits") ----
    # LIMIT_<RULE> and LIMIT_<RULE>_UNVERIFIED override a rule's numbers (0: no such window).
    limit_overrides: dict[str, int] = field(default_factory=lambda: _limit_overrides())
    # Test stacks only: every window of the table shortened to at most this many seconds.
    limit_window_max_seconds: int = field(
        default_factory=lambda: _int("LIMIT_WINDOW_MAX_SECONDS", 0)
    )
    # How many proxies append to X-Forwarded-For before the function reads it: the client's
    # address is that many entries from the right (1: the nearest proxy's view — the local
    # gateway, or API Gateway in front of a function; see docs/deploy.md).
    trusted_proxy_hops: int = field(default_factory=lambda: _int("TRUSTED_PROXY_HOPS", 1))

    # ---- search (issue 22; docs/search.md) ----
    opensearch_url: str = field(
        default_factory=lambda: _str("OPENSEARCH_URL", "http://127.0.0.1:9200")
    )
    # Index names are <prefix>-posts and <prefix>-users (aliases in production).
    search_index_prefix: str = field(default_factory=lambda: _str("SEARCH_INDEX_PREFIX", "kwetter"))
    # Of the indices the application creates (one node locally; the production cluster's
    # values come from infra/terraform/modules/search).
    search_shards: int = field(default_factory=lambda: _int("SEARCH_SHARDS", 1))
    search_replicas: int = field(default_factory=lambda: _int("SEARCH_REPLICAS", 0))

    # ---- media ----
    uploads_bucket: str = field(default_factory=lambda: _str("UPLOADS_BUCKET", "kwetter-uploads"))
    media_bucket: str = field(default_factory=lambda: _str("MEDIA_BUCKET", "kwetter-media"))
    # Where the public variants are served (the CDN); empty: derived from the bucket.
    media_public_base_url: str = field(default_factory=lambda: _str("MEDIA_PUBLIC_BASE_URL", ""))
    media_uploads_per_hour: int = field(default_factory=lambda: _int("MEDIA_UPLOADS_PER_HOUR", 30))

    # ---- privacy (issue 23, docs/privacy.md) ----
    # The Cloud KMS CryptoKey wrapping every user's data key
    # (projects/P/locations/L/keyRings/R/cryptoKeys/K); empty only beside the emulators.
    kms_key_name: str = field(default_factory=lambda: _str("KMS_KEY_NAME", ""))
    # The private bucket of data exports (archives deleted by its lifecycle rule after a day).
    exports_bucket: str = field(default_factory=lambda: _str("EXPORTS_BUCKET", "kwetter-exports"))
    # How stale this process's reading of the erasure epoch may be (docs/privacy.md): 0 = read
    # on every use of a cached data key, a deletion then stops every instance at once; N ms =
    # at most one Redis GET per N ms per process, a deletion stops them within N ms.
    data_key_epoch_every_ms: int = field(default_factory=lambda: _int("DATA_KEY_EPOCH_EVERY_MS", 0))

    @property
    def redis_cluster(self) -> bool:
        return self.redis_cluster_flag or "+cluster://" in self.redis_url

    @property
    def media_base_url(self) -> str:
        """The base URL variant object names are appended to in every media JSON."""
        if self.media_public_base_url:
            return self.media_public_base_url.rstrip("/")
        emulator = os.environ.get("STORAGE_EMULATOR_HOST")
        if emulator:  # fake-gcs-server serves <host>/<bucket>/<object> with -public-host
            host = emulator if "://" in emulator else f"http://{emulator}"
            return f"{host.rstrip('/')}/{self.media_bucket}"
        return f"https://storage.googleapis.com/{self.media_bucket}"

    @property
    def running_in_cloud(self) -> bool:
        # Cloud Run (and so Cloud Functions 2nd gen) always sets K_SERVICE; a laptop does not.
        return bool(os.environ.get("K_SERVICE")) and not os.environ.get("KWETTER_LOCAL")


def load() -> Settings:
    return Settings()
