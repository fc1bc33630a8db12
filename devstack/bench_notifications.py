"""Notification storage: writes and bytes per notification (issue 21; docs/notifications.md).

    python -m devstack.bench_notifications [--likes 100000] [--users 200] [--per-user 60]

Starts a real Redis and the Firestore emulator (devstack.services) and drives the notifier's
write path (shared.usecases.notifications.Notifier.deliver, the adapters of production) with
activities, nobody silenced (the block/mute lookup is the safety store's cost, not storage's).

1. A hot post: ``--likes`` likes of one post by distinct users. Printed: the rows it leaves
   (one), the recipient's Redis bytes (MEMORY USAGE of every key of theirs), the Firestore
   writes of the durable copy, CPU (this process + the Redis server) per 1,000 likes; and the
   same against a baseline measured in the same run: one stored row per like (a ZADD and an
   HSET of the row's JSON each, what a design without grouping writes).
2. Ordinary recipients: ``--users`` users, each sent ``--per-user`` notifications of mixed kinds
   (likes of a few posts by several people, follows, mentions, replies). Printed: rows, Redis
   bytes per notification and per row, Firestore writes per notification.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import tempfile
import time
from collections.abc import Collection
from pathlib import Path
from typing import Any

import redis

from devstack import services
from shared import ids
from shared.adapters import redis_keys as keys
from shared.adapters.firestore_notifications import FirestoreNotifications
from shared.adapters.redis_notifications import RedisNotifications
from shared.domain import notifications as domain
from shared.domain.notifications import Activity, StoredGroup

PROJECT = "demo-kwetter-bench"


class NobodySilenced:
    def silenced(self, uid: str, others: Collection[str]) -> set[str]:
        return set()


class CountingArchive(FirestoreNotifications):
    def __init__(self, client: Any) -> None:
        super().__init__(client)
        self.writes = 0
        self.bytes = 0

    def put(self, uid: str, group: StoredGroup, at_ms: int) -> None:
        self.writes += 1
        self.bytes += len(group.row) + len(group.hll or b"")
        super().put(uid, group, at_ms)


def _cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def _redis_cpu(r: redis.Redis[bytes]) -> float:
    info = r.info("cpu")
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


def _bytes_of(r: redis.Redis[bytes], uid: str) -> int:
    gids = [g.decode() for g in r.zrange(keys.notification_rows(uid), 0, -1)]
    ks = [keys.notification_rows(uid), keys.notification_bodies(uid), keys.notification_meta(uid)]
    ks += [keys.notification_actors(uid, g) for g in gids if g.split(":")[0] in domain.GROUPED]
    return sum(int(r.memory_usage(k, samples=0) or 0) for k in ks)


def _notifier(r: redis.Redis[bytes], archive: CountingArchive) -> Any:
    from shared.usecases.notifications import Notifier

    unused: Any = None  # deliver() reads no post, record or follow: activities come ready
    return Notifier(RedisNotifications(r), archive, unused, unused, lambda: unused,
                    lambda: NobodySilenced())  # fmt: skip


def hot_post(r: redis.Redis[bytes], db: Any, n: int) -> dict[str, Any]:
    archive = CountingArchive(db)
    notifier = _notifier(r, archive)
    uid, now = f"celebrity-{ids.new_id()}", ids.now_ms()
    acts = [Activity(uid, f"fan-{i}", "like", now + i // 50, "4242") for i in range(n)]
    c0, rc0, t0 = _cpu(), _redis_cpu(r), time.perf_counter()
    written = notifier.deliver(acts)
    wall = time.perf_counter() - t0
    cpu, rcpu = _cpu() - c0, _redis_cpu(r) - rc0
    rows = r.zcard(keys.notification_rows(uid))
    mem = _bytes_of(r, uid)
    (row,) = RedisNotifications(r).page(uid, None, 5)[2]  # type: ignore[index]

    # baseline: one stored row per like, in the same Redis
    base = f"baseline-{ids.new_id()}"
    zkey, hkey = keys.notification_rows(base), keys.notification_bodies(base)
    c1, rc1, t1 = _cpu(), _redis_cpu(r), time.perf_counter()
    pipe = r.pipeline(transaction=False)
    for i, a in enumerate(acts):
        gid = f"like:{a.post_id}:{a.actor}"
        g = domain.Group(gid, "like", i + 1, a.at_ms, (a.actor,), 1, a.post_id)
        pipe.zadd(zkey, {gid: i + 1})
        pipe.hset(hkey, gid, domain.encode_group(g))
        if i % 1000 == 999:
            pipe.execute()
    pipe.execute()
    base_wall = time.perf_counter() - t1
    base_cpu, base_rcpu = _cpu() - c1, _redis_cpu(r) - rc1
    base_mem = sum(int(r.memory_usage(k, samples=0) or 0) for k in (zkey, hkey))
    r.delete(zkey, hkey)
    return {
        "likes": n, "rows": rows, "rows_changed": written, "count_shown": row.count,
        "count_error_pct": round(abs(row.count - n) / n * 100, 3),
        "redis_bytes": mem, "redis_bytes_per_like": round(mem / n, 3),
        "firestore_writes": archive.writes, "firestore_bytes": archive.bytes,
        "wall_s": round(wall, 2), "likes_per_s": round(n / wall),
        "cpu_ms_per_1000": round((cpu + rcpu) / n * 1e6, 1),
        "client_cpu_ms_per_1000": round(cpu / n * 1e6, 1),
        "redis_cpu_ms_per_1000": round(rcpu / n * 1e6, 1),
        "baseline_rows": n, "baseline_redis_bytes": base_mem,
        "baseline_wall_s": round(base_wall, 2),
        "baseline_cpu_ms_per_1000": round((base_cpu + base_rcpu) / n * 1e6, 1),
        "bytes_ratio": round(mem / base_mem, 5),
    }  # fmt: skip


def ordinary(r: redis.Redis[bytes], db: Any, users: int, per_user: int) -> dict[str, Any]:
    archive = CountingArchive(db)
    notifier = _notifier(r, archive)
    rnd = random.Random(21)
    now = ids.now_ms()
    uids = [f"user-{ids.new_id()}" for _ in range(users)]
    total = 0
    c0, rc0, t0 = _cpu(), _redis_cpu(r), time.perf_counter()
    for u in uids:
        acts = []
        posts = [str(ids.new_id()) for _ in range(4)]
        for i in range(per_user):
            actor = f"friend-{rnd.randrange(40)}-{ids.new_id() % 7}"
            kind: domain.Kind = rnd.choices(domain.KINDS, [60, 10, 10, 10, 10])[0]
            post = rnd.choice(posts) if kind in ("like", "repost") else str(ids.new_id())
            acts.append(
                Activity(u, actor, kind, now + i * 1000, None if kind == "follow" else post,
                         posts[0] if kind == "reply" else None)
            )  # fmt: skip
        total += notifier.deliver(acts)
    wall = time.perf_counter() - t0
    cpu, rcpu = _cpu() - c0, _redis_cpu(r) - rc0
    rows = sum(r.zcard(keys.notification_rows(u)) for u in uids)
    mem = sum(_bytes_of(r, u) for u in uids)
    n = users * per_user
    return {
        "users": users, "notifications": n, "rows_changed": total, "rows": rows,
        "rows_per_user": round(rows / users, 1),
        "redis_bytes_per_user": round(mem / users),
        "redis_bytes_per_notification": round(mem / n, 1),
        "redis_bytes_per_row": round(mem / rows, 1),
        "firestore_writes_per_notification": round(archive.writes / n, 3),
        "firestore_bytes_per_write": round(archive.bytes / max(1, archive.writes), 1),
        "cpu_ms_per_1000": round((cpu + rcpu) / n * 1e6, 1), "wall_s": round(wall, 2),
    }  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--likes", type=int, default=100_000)
    ap.add_argument("--users", type=int, default=200)
    ap.add_argument("--per-user", type=int, default=60)
    args = ap.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="kwetter-bench-notifications-"))
    rport, fport = services.free_port(), services.free_port()
    try:
        with services.running(services.redis(rport, workdir / "redis"),
                              services.firestore(fport, workdir / "firestore")):  # fmt: skip
            run(args, rport, fport)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


def run(args: argparse.Namespace, rport: int, fport: int) -> None:
    """The two measurements, on the started Redis and Firestore emulator."""
    os.environ["FIRESTORE_EMULATOR_HOST"] = f"127.0.0.1:{fport}"
    os.environ["GOOGLE_CLOUD_PROJECT"] = PROJECT
    from google.cloud import firestore

    db = firestore.Client(project=PROJECT)
    r: redis.Redis[bytes] = redis.Redis(port=rport)
    h = hot_post(r, db, args.likes)
    print(
        f"hot post, {h['likes']:,} likes by distinct users: {h['rows']} row"
        f" ({h['count_shown']:,} shown, {h['count_error_pct']} % off), Redis"
        f" {h['redis_bytes']:,} B ({h['redis_bytes_per_like']} B per like), Firestore"
        f" {h['firestore_writes']} writes ({h['firestore_bytes']:,} B); {h['likes_per_s']:,}"
        f" likes/s, CPU {h['cpu_ms_per_1000']} ms per 1,000 (client"
        f" {h['client_cpu_ms_per_1000']}, Redis {h['redis_cpu_ms_per_1000']})\n"
        f"  baseline, one row per like: {h['baseline_rows']:,} rows,"
        f" {h['baseline_redis_bytes']:,} B, CPU {h['baseline_cpu_ms_per_1000']} ms per 1,000;"
        f" bytes ratio grouped/baseline {h['bytes_ratio']}",
        flush=True,
    )
    o = ordinary(r, db, args.users, args.per_user)
    print(
        f"ordinary recipients, {o['users']} users x {args.per_user} mixed notifications:"
        f" {o['rows_per_user']} rows each, Redis {o['redis_bytes_per_user']:,} B per user ="
        f" {o['redis_bytes_per_notification']} B per notification"
        f" ({o['redis_bytes_per_row']} B per row); Firestore"
        f" {o['firestore_writes_per_notification']} writes per notification"
        f" ({o['firestore_bytes_per_write']} B each); CPU {o['cpu_ms_per_1000']} ms per 1,000",
        flush=True,
    )
    print(json.dumps({"hot_post": h, "ordinary": o}))
    db.close()
    r.close()


if __name__ == "__main__":
    raise SystemExit(main())
