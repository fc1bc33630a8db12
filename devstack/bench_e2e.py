"""End-to-end freshness through the local emulators (item 4 of the timeline benchmark).

    python -m devstack.bench_e2e [--rate 200] [--seconds 60] [--rates 200,100,50]

Starts the whole local stack (devstack.stack.LocalStack: Redis, Neo4j, the Pub/Sub,
Firestore and Auth emulators, every function under functions-framework, the gateway), registers
authors and followers through the gateway (POST /v1/users, PUT /v1/users/{id}/follow, emulator
tokens), has every follower read once (so fan-out counts them active), then posts through the
gateway (POST /v1/posts) at a steady rate from a thread pool, each post by a random author.

Visibility is detected by watching Redis directly, not by polling GET /v1/timeline: watcher
users follow the authors (each a few), and a thread checks which posts are in their home
timelines (ZMSCORE on tl:{uid}) every 20 ms, plus the posts' recorded modes (pm:{pid}: the
planner is done) for the breakdown. Polling the HTTP API at that pace would itself load the
2-core machine it measures. At the end a watcher's GET /v1/timeline is checked to serve its
newest posts.

Freshness = the time a post first shows in its watcher's home timeline minus the time its POST
was sent. Every author is kept in push mode (BURST_POST_THRESHOLD raised): the push path
(planner -> fanout-batches -> writer) is the slow one; a pulled post is readable as soon as the
planner recorded it. Also printed: the stages (POST answered, planner done, in the timeline),
whether the rate was held (posts sent late against the schedule), and CPU seconds per process.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import redis as redis_lib
import requests
from google.cloud import pubsub_v1

from devstack.authtools import emulator_token
from devstack.pubsub_setup import push_endpoint
from devstack.push_forwarder import PushForwarder
from devstack.stack import LocalStack, Ports
from shared import topology
from shared.adapters import redis_keys as keys

PROJECT = "demo-kwetter-bench"
POLL_S = 0.020


def _pct(xs: list[float], q: float) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, int(q * len(s)))] if s else float("nan")


@dataclass
class User:
    uid: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class Sent:
    slot: int
    author: str
    due: float  # scheduled send time (monotonic)
    sent: float = 0.0
    answered: float = 0.0
    status: int = 0
    error: str = ""  # what a failed POST answered (status and body) or raised
    post_id: int | None = None


@dataclass
class RunResult:
    rate: float
    seconds: float
    sent: list[Sent]
    planned: dict[int, float]  # post id -> when pm:{pid} was first seen
    visible: dict[int, float]  # post id -> when it first showed in the watcher's home timeline
    cpu: dict[str, float] = field(default_factory=dict)
    load_before: str = ""
    load_after: str = ""

    def summary(self) -> dict[str, Any]:
        ok = [s for s in self.sent if s.post_id is not None]
        fresh = [self.visible[s.post_id] - s.sent for s in ok if s.post_id in self.visible]
        post_lat = [s.answered - s.sent for s in ok]
        to_plan = [self.planned[s.post_id] - s.answered for s in ok if s.post_id in self.planned]
        plan_to_vis = [
            self.visible[s.post_id] - self.planned[s.post_id]
            for s in ok
            if s.post_id in self.visible and s.post_id in self.planned
        ]
        late = [s.sent - s.due for s in self.sent]
        span = max(s.answered for s in ok) - min(s.sent for s in ok) if ok else 1.0

        def q(xs: list[float]) -> dict[str, float]:
            return {"p50": _pct(xs, 0.5), "p99": _pct(xs, 0.99), "max": max(xs) if xs else 0.0}

        return {
            "rate_target": self.rate, "seconds": self.seconds, "posts": len(self.sent),
            "accepted": len(ok), "errors": len(self.sent) - len(ok),
            "error_kinds": dict(Counter(x.error for x in self.sent if x.post_id is None)),
            "accepted_per_s": len(ok) / span, "visible": len(fresh),
            "freshness_s": q(fresh), "post_latency_s": q(post_lat),
            "answered_to_planned_s": q(to_plan), "planned_to_visible_s": q(plan_to_vis),
            "sent_late_s": q(late), "cpu_s": self.cpu,
            "load_before": self.load_before, "load_after": self.load_after,
        }  # fmt: skip


def _uptime() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def _procs() -> dict[int, tuple[int, float, str]]:
    """pid -> (parent pid, CPU seconds so far, command line) of every process."""
    tick = os.sysconf("SC_CLK_TCK")
    out: dict[int, tuple[int, float, str]] = {}
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            stat = (d / "stat").read_text()
            cmd = (d / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        out[int(d.name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / tick, cmd)
    return out


def _label(stack: LocalStack, cmd: str) -> str | None:
    p = stack.ports
    if "--target " in cmd:
        for name, port in p.functions.items():
            if f"--port {port}" in cmd:
                return f"fn-{name}"
        return None
    named = {
        "redis": f":{p.redis}", "pubsub": f"--port={p.pubsub}",
        "firestore": f"--port={p.firestore}", "gateway": f"127.0.0.1:{p.gateway}",
        "neo4j": str(stack.workdir / "neo4j"), "auth": str(stack.workdir / "auth"),
    }  # fmt: skip
    for name, mark in named.items():
        if mark in cmd:
            return name
    return None


def cpu_by_part(stack: LocalStack) -> dict[str, float]:
    """CPU seconds so far of the stack's processes (by service), of this benchmark process, and
    of every other process on the machine (other work sharing the cores)."""
    procs = _procs()
    labels: dict[int, str] = {}

    def label(pid: int, depth: int = 0) -> str:
        if pid in labels:
            return labels[pid]
        if pid == os.getpid():
            return "bench client"
        parent, _, cmd = procs.get(pid, (0, 0.0, ""))
        got = _label(stack, cmd)
        if got is None:
            got = label(parent, depth + 1) if parent > 1 and depth < 6 else "other processes"
        labels[pid] = got
        return got

    out: dict[str, float] = {}
    for pid, (_, cpu, _) in procs.items():
        k = label(pid)
        out[k] = out.get(k, 0.0) + cpu
    return out


class Bench:
    def __init__(self, stack: LocalStack, rng: random.Random) -> None:
        self.stack = stack
        self.gw = stack.gateway_url
        self.rng = rng
        self.http = threading.local()
        self.r = redis_lib.Redis.from_url(stack.env()["REDIS_URL"])

    def session(self) -> requests.Session:
        s: requests.Session | None = getattr(self.http, "s", None)
        if s is None:
            s = requests.Session()
            a = requests.adapters.HTTPAdapter(pool_connections=4, pool_maxsize=4)
            s.mount("http://", a)
            self.http.s = s
        return s

    def call(self, u: User, method: str, path: str, **kw: Any) -> requests.Response:
        return self.session().request(
            method, self.gw + path, headers=u.headers, timeout=kw.pop("timeout", 30), **kw
        )

    # ---- setup ---------------------------------------------------------------------------

    def register(self, n: int, prefix: str) -> list[User]:
        tag = uuid.uuid4().hex[:6]

        def one(i: int) -> User:
            uid = f"{prefix}-{tag}-{i:04d}"
            u = User(uid, emulator_token(uid, self.stack.project_id, ttl_seconds=4 * 3600))
            body = {"handle": f"{prefix}_{tag}_{i}", "display_name": uid}
            resp = self.call(u, "POST", "/v1/users", json=body)
            if resp.status_code != 201:
                raise RuntimeError(f"register {uid}: {resp.status_code} {resp.text}")
            return u

        with ThreadPoolExecutor(16) as pool:
            return list(pool.map(one, range(n)))

    def follow_all(self, pairs: Iterable[tuple[User, User]]) -> int:
        def one(p: tuple[User, User]) -> None:
            resp = self.call(p[0], "PUT", f"/v1/users/{p[1].uid}/follow")
            if resp.status_code != 200:
                raise RuntimeError(f"follow: {resp.status_code} {resp.text}")

        todo = list(pairs)
        with ThreadPoolExecutor(16) as pool:
            list(pool.map(one, todo))
        return len(todo)

    def read_once(self, users: Iterable[User]) -> None:
        """A read marks a user active (after regenerating their timeline), so fan-out counts
        them, as it would count any follower who uses the app."""

        def one(u: User) -> None:
            resp = self.call(u, "GET", "/v1/timeline?limit=20")
            if resp.status_code not in (200, 206):
                raise RuntimeError(f"read: {resp.status_code} {resp.text}")

        with ThreadPoolExecutor(16) as pool:
            list(pool.map(one, users))

    def wait_active(self, users: list[User], timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            flags = self.r.mget([keys.active(u.uid) for u in users])
            if all(f is not None for f in flags):
                return
            time.sleep(0.2)
        raise RuntimeError("followers did not become active (regeneration) in time")

    # ---- the run -------------------------------------------------------------------------

    def run(
        self, authors: list[User], watch_of: dict[str, User], rate: float, seconds: float
    ) -> RunResult:
        n = int(rate * seconds)
        t0 = time.monotonic() + 0.5
        slots = [Sent(i, self.rng.choice(authors).uid, t0 + i / rate) for i in range(n)]
        by_uid = {a.uid: a for a in authors}
        planned: dict[int, float] = {}
        visible: dict[int, float] = {}
        pending: dict[int, str] = {}  # post id -> the watcher whose home timeline shows it
        lock = threading.Lock()
        stop = threading.Event()

        def watch() -> None:
            # Membership of the pending ids, not "entries newer than the last seen": batches are
            # written out of order, and an old one would be missed.
            while not stop.is_set():
                with lock:
                    todo = dict(pending)
                if todo:
                    by_w: dict[str, list[int]] = {}
                    for pid, w in todo.items():
                        by_w.setdefault(w, []).append(pid)
                    unplanned = [p for p in todo if p not in planned]
                    pipe = self.r.pipeline(transaction=False)
                    for w, pids in by_w.items():
                        pipe.zmscore(keys.home(w), pids)  # type: ignore[arg-type,no-untyped-call]
                    if unplanned:
                        pipe.mget([keys.post_mode(p) for p in unplanned])
                    res = pipe.execute()
                    now = time.monotonic()
                    for (_, pids), scores in zip(by_w.items(), res, strict=False):
                        for pid, sc in zip(pids, scores, strict=True):
                            if sc is not None:
                                visible[pid] = now
                                planned.setdefault(pid, now)
                    if unplanned:
                        for pid, mode in zip(unplanned, res[-1], strict=True):
                            if mode is not None:
                                planned.setdefault(pid, now)
                    with lock:
                        for pid in todo:
                            if pid in visible:
                                pending.pop(pid, None)
                time.sleep(POLL_S)

        def send(s: Sent) -> None:
            delay = s.due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            s.sent = time.monotonic()
            try:
                resp = self.call(
                    by_uid[s.author], "POST", "/v1/posts", json={"text": f"e2e post {s.slot}"}
                )
                s.answered = time.monotonic()
                s.status = resp.status_code
                if resp.status_code == 201:
                    s.post_id = int(resp.json()["id"])
                    with lock:
                        pending[s.post_id] = watch_of[s.author].uid
                else:
                    s.error = f"{resp.status_code} {resp.text[:120]}"
            except requests.RequestException as exc:
                s.answered = time.monotonic()
                s.error = f"{type(exc).__name__}: {str(exc)[:120]}"

        cpu0 = cpu_by_part(self.stack)
        load0 = _uptime()
        watcher_t = threading.Thread(target=watch, name="watcher", daemon=True)
        watcher_t.start()
        # Enough senders that a slow POST does not hold back the schedule.
        with ThreadPoolExecutor(max(8, int(rate * 0.25))) as pool:
            list(pool.map(send, slots))
        # drain: wait until every accepted post is visible (or 150 s pass)
        deadline = time.monotonic() + 150
        ids = {s.post_id for s in slots if s.post_id is not None}
        while time.monotonic() < deadline and not ids <= visible.keys():
            time.sleep(0.05)
        stop.set()
        watcher_t.join()
        cpu1 = cpu_by_part(self.stack)
        res = RunResult(rate, seconds, slots, planned, visible, load_before=load0)
        res.cpu = {
            k: round(v - cpu0.get(k, 0.0), 1)
            for k, v in sorted(cpu1.items(), key=lambda kv: cpu0.get(kv[0], 0.0) - kv[1])
            if v - cpu0.get(k, 0.0) >= 0.1
        }
        res.load_after = _uptime()
        # the API serves what Redis shows: one watcher's page is its authors' newest posts
        w = next(iter(watch_of.values()))
        mine = {a for a, x in watch_of.items() if x.uid == w.uid}
        newest = sorted((s.post_id for s in slots if s.post_id and s.author in mine), reverse=True)
        page = self.call(w, "GET", "/v1/timeline?limit=20").json()
        if [int(p["id"]) for p in page["items"]] != newest[:20]:
            print("  WARNING: a watcher's GET /v1/timeline differs from its newest posts")
        return res


def print_run(s: dict[str, Any]) -> None:
    f, pl = s["freshness_s"], s["post_latency_s"]
    print(
        f"e2e @ {s['rate_target']:.0f} posts/s for {s['seconds']:.0f} s: {s['accepted']:,} accepted"
        f" ({s['errors']} errors{': ' + str(s['error_kinds']) if s['errors'] else ''}), "
        f"{s['accepted_per_s']:.1f}/s achieved; "
        f"sent late p50 {s['sent_late_s']['p50'] * 1e3:.0f} ms p99 "
        f"{s['sent_late_s']['p99'] * 1e3:.0f} ms\n"
        f"  freshness (POST sent -> in a follower's home timeline): p50 {f['p50']:.2f} s, "
        f"p99 {f['p99']:.2f} s, max {f['max']:.2f} s (goal p99 <= 2 s); {s['visible']} seen\n"
        f"  stages p50/p99: POST answered {pl['p50'] * 1e3:.0f}/{pl['p99'] * 1e3:.0f} ms; "
        f"answered -> planned {s['answered_to_planned_s']['p50'] * 1e3:.0f}/"
        f"{s['answered_to_planned_s']['p99'] * 1e3:.0f} ms; planned -> visible "
        f"{s['planned_to_visible_s']['p50'] * 1e3:.0f}/"
        f"{s['planned_to_visible_s']['p99'] * 1e3:.0f} ms\n"
        f"  CPU seconds during the run: {s['cpu_s']}\n"
        f"  load average before {s['load_before']}, after {s['load_after']}"
    )


def plot(runs: list[tuple[dict[str, Any], RunResult]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.2))
    for s, r in runs:
        ok = [x for x in r.sent if x.post_id is not None and x.post_id in r.visible]
        if not ok:
            continue
        t0 = min(x.sent for x in ok)
        label = f"{s['rate_target']:.0f}/s target"
        xs = [x.sent - t0 for x in ok]
        ax2.scatter(xs, [r.visible[x.post_id] - x.sent for x in ok], s=2, label=label)  # type: ignore[index]
        sec: dict[int, int] = {}
        vis: dict[int, int] = {}
        for x in ok:
            sec[int(x.answered - t0)] = sec.get(int(x.answered - t0), 0) + 1
            v = int(r.visible[x.post_id] - t0)  # type: ignore[index]
            vis[v] = vis.get(v, 0) + 1
        ax1.plot(sorted(sec), [sec[k] for k in sorted(sec)], label=f"{label}: accepted")
        ax1.plot(sorted(vis), [vis[k] for k in sorted(vis)], "--", label=f"{label}: visible")
    ax1.set_xlabel("seconds")
    ax1.set_ylabel("posts per second")
    ax1.set_title("End to end throughput (gateway -> home timeline)")
    ax1.legend(fontsize=7)
    ax2.axhline(2.0, color="red", linestyle=":", label="goal p99 2 s")
    ax2.set_xlabel("seconds (post sent)")
    ax2.set_ylabel("freshness (s)")
    ax2.set_title("Post-to-visible freshness, each post")
    ax2.legend(fontsize=7, markerscale=4)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)


def _measure(
    stack: LocalStack, args: argparse.Namespace, rates: list[float]
) -> list[tuple[dict[str, Any], RunResult]]:
    out: list[tuple[dict[str, Any], RunResult]] = []
    rng = random.Random(args.seed)
    b = Bench(stack, rng)
    t = time.monotonic()
    authors = b.register(args.authors, "author")
    readers = b.register(args.followers, "reader")
    # Watchers: each follows a few authors, so its home timeline (capped at 800) receives a few
    # posts a second and keeps every post of the run while it is looked for.
    watchers = b.register(max(1, len(authors) // 2), "watcher")
    watch_of = {a.uid: watchers[i % len(watchers)] for i, a in enumerate(authors)}
    pairs = [(watch_of[a.uid], a) for a in authors]
    for r in readers:
        k = min(len(authors), args.follows_per_reader)
        pairs += [(r, a) for a in rng.sample(authors, k)]
    n = b.follow_all(pairs)
    b.read_once([*watchers, *readers])
    b.wait_active([*watchers, *readers])
    print(
        f"setup: {len(authors)} authors, {len(readers) + len(watchers)} readers ({len(watchers)} "
        f"watchers), {n} follows through the "
        f"gateway in {time.monotonic() - t:.0f} s",
        flush=True,
    )
    for rate in rates:
        res = b.run(authors, watch_of, rate, args.seconds)
        s = res.summary()
        print_run(s)
        out.append((s, res))
    return out


class _Attached(LocalStack):
    """A LocalStack description read back from stack.json (nothing to start or stop)."""

    def __init__(self, desc: dict[str, Any]) -> None:
        ports = Ports(**{k: v for k, v in desc["ports"].items()})
        super().__init__(Path(tempfile.gettempdir()), ports, desc["project_id"], persist=False)
        self._env = desc["env"]

    def env(self) -> dict[str, str]:
        return dict(self._env)


def _attached(args: argparse.Namespace, rates: list[float]) -> int:
    desc = json.loads(args.stack.read_text())
    out = _measure(_Attached(desc), args, rates)
    _report(args, out)
    return 0 if out else 1


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--rates", default="200", help="comma-separated posts/s, one run each")
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--authors", type=int, default=50)
    ap.add_argument("--followers", type=int, default=200, help="readers besides the watcher")
    ap.add_argument("--follows-per-reader", type=int, default=10)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--plot", type=Path, default=None)
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument(
        "--forward", type=int, default=0, metavar="N",
        help="deliver post-events and fanout-batches with N in flight (devstack."
        "push_forwarder) instead of the emulator's 2 push loops per subscription",
    )  # fmt: skip
    ap.add_argument(
        "--stack", type=Path, default=None,
        help="stack.json of a running LocalStack to use instead of starting one (it must run "
        "with BURST_POST_THRESHOLD, POST_RATE_LIMIT and the LIMIT_* follow/post windows "
        "raised, as this tool starts it)",
    )  # fmt: skip
    args = ap.parse_args(argv)
    rates = [float(x) for x in args.rates.split(",") if x]

    if args.stack is not None:  # attach to a running stack (its stack.json), e.g. `make run`
        return _attached(args, rates)
    workdir = Path(tempfile.mkdtemp(prefix="kwetter-e2e-"))
    stack = LocalStack(
        workdir, Ports.free(), PROJECT, persist=False,
        extra_env={
            # every author pushed: the slow path is the one measured (see the docstring)
            "BURST_POST_THRESHOLD": "1000000",
            # a steady benchmark, not abuse: the per-author post limit is out of the way
            "POST_RATE_LIMIT": "1000000",
            "LIMIT_POST_USER_HOUR": "0",
            # authors and followers are registered and followed as fast as the stack can
            "LIMIT_FOLLOW_USER_MINUTE": "0",
            "LIMIT_FOLLOW_USER_DAY": "0",
        },
    )  # fmt: skip
    t = time.monotonic()
    print(f"load average before starting the stack: {_uptime()}", flush=True)
    stack.start()
    print(f"stack up in {time.monotonic() - t:.0f} s", flush=True)
    forwarders = start_forwarders(stack, args.forward) if args.forward else []
    try:
        out = _measure(stack, args, rates)
    finally:
        for f in forwarders:
            f.stop()
        stack.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    _report(args, out)
    return 0 if out else 1


def start_forwarders(stack: LocalStack, in_flight: int) -> list[PushForwarder]:
    """The planner's and the writer's subscriptions, delivered ``in_flight`` at a time."""
    out = []
    for sub in topology.load().subscriptions:
        if sub.function in ("fanout_planner", "timeline_writer"):
            f = PushForwarder(
                pubsub_v1.SubscriberClient.subscription_path(stack.project_id, sub.name),
                push_endpoint(stack.function_url(sub.function), stack.project_id, sub.topic),
                in_flight,
            )
            f.start()
            out.append(f)
    print(f"forwarding {len(out)} subscriptions, {in_flight} in flight each", flush=True)
    return out


def _report(args: argparse.Namespace, out: list[tuple[dict[str, Any], RunResult]]) -> None:
    if args.json:
        args.json.write_text(json.dumps([s for s, _ in out], indent=1))
    if args.plot:
        plot(out, args.plot)
        print(f"plot: {args.plot}")


if __name__ == "__main__":
    sys.exit(main())
