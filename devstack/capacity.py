"""Internet scale on paper: the bill of materials for Twitter's 2013 load, from measured costs.

    python -m devstack.capacity [--inputs docs/capacity-inputs.json] [--write docs/capacity.md]

Reads the measured per-operation costs (docs/capacity-inputs.json, overridden by the JSON a fresh
`make bench` leaves in .local/reports/ when present), applies the formulas below to the target
load, and prints a Markdown table; ``--write`` replaces the table between the markers in
docs/capacity.md, so the document follows the benchmarks. Every formula is in ``plan``.
"""

# The rows are Markdown for people: × and ÷ are meant, and the table rows read best one per line.
# ruff: noqa: RUF001, RUF003, E501
from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

from devstack.services import REPO

INPUTS = REPO / "docs" / "capacity-inputs.json"
REPORTS = REPO / ".local" / "reports"
BEGIN, END = "<!-- capacity:begin -->", "<!-- capacity:end -->"
SECONDS_PER_MONTH = 730 * 3600
TIB = 2**40


def _v(section: dict[str, Any], name: str) -> Any:
    item = section[name]
    return item["value"] if isinstance(item, dict) else item


def load_inputs(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text())
    m = data["measured"]
    timeline = REPORTS / "bench_timeline.json"
    if timeline.exists():  # a fresh `make bench` run wins over the committed figures
        r = json.loads(timeline.read_text())
        m["redis_cpu_us_per_entry"] = {
            "value": r["push"]["server_cpu_us_per_entry"],
            "from": str(timeline),
        }
        m["writer_client_cpu_us_per_entry"] = {
            "value": r["push"]["client_cpu_us_per_entry"],
            "from": str(timeline),
        }
        m["redis_cpu_ms_per_read"] = {
            "value": r["read"]["server_cpu_ms_per_read"],
            "from": str(timeline),
        }
        m["reader_client_cpu_ms_per_read"] = {
            "value": r["read"]["client_cpu_ms_per_read"],
            "from": str(timeline),
        }
        if "pieces" in r:
            m["bytes_per_entry_pieces"] = {
                "value": r["pieces"]["pieces, default limit"]["bytes_per_entry_at_cap"],
                "from": str(timeline),
            }
            m["bytes_per_entry_default"] = {
                "value": r["pieces"]["single zset, default limit (skiplist)"][
                    "bytes_per_entry_at_cap"
                ],
                "from": str(timeline),
            }
    cluster = REPORTS / "bench_cluster.json"
    if cluster.exists():
        r = json.loads(cluster.read_text())
        one, three = r["single"], r["cluster"]
        for part in ("redis", "client"):
            factor = three[f"{part}_cpu_us_per_entry"] / one[f"{part}_cpu_us_per_entry"]
            m[f"cluster_{part}_cpu_factor"] = {"value": round(factor, 2), "from": str(cluster)}
    return data


def plan(data: dict[str, Any], bytes_key: str) -> list[tuple[str, str, str]]:
    """(what, how much, how it is computed) rows for one timeline encoding."""
    m, load, prices = data["measured"], data["load"], data["prices"]
    peak = _v(load, "peak_factor")
    writes_peak = _v(load, "timeline_writes_per_s") * peak
    reads = _v(load, "home_reads_per_s")
    posts_peak = _v(load, "posts_per_s") * peak

    bpe = _v(m, bytes_key)
    data_gb = _v(load, "active_users") * _v(load, "timeline_cap") * bpe / 1e9
    shards_mem = math.ceil(data_gb / _v(load, "redis_shard_writable_gb"))
    # On the cluster: each side's single-node cost × what routing costs it (bench_cluster).
    entry_us = _v(m, "redis_cpu_us_per_entry") * _v(m, "cluster_redis_cpu_factor")
    writer_us = _v(m, "writer_client_cpu_us_per_entry") * _v(m, "cluster_client_cpu_factor")
    redis_cores = writes_peak * entry_us / 1e6 + reads * _v(m, "redis_cpu_ms_per_read") / 1e3
    shards_cpu = math.ceil(redis_cores / _v(load, "redis_shard_busy_cores"))
    shards = max(shards_mem, shards_cpu)
    nodes = shards * (1 + _v(load, "replicas_per_shard"))

    def fn_cores(f: float) -> dict[str, float]:  # f: the posts' and writes' share of peak
        return {
            "posts": posts_peak * f * _v(m, "posts_fn_cpu_ms_per_post") / 1e3,
            "fanout_planner": posts_peak * f * _v(m, "planner_cpu_ms_per_post") / 1e3,
            "timeline_writer": writes_peak * f * writer_us / 1e6,
            "timeline (home reads)": reads * _v(m, "reader_client_cpu_ms_per_read") / 1e3,
        }

    at_peak, on_average = fn_cores(1.0), fn_cores(1.0 / peak)
    busy = _v(load, "function_instance_busy_cores")
    instances = {k: math.ceil(v / busy) for k, v in at_peak.items()}

    fs_writes = _v(load, "posts_per_s") * _v(m, "firestore_writes_per_post")
    fs_reads = reads * _v(m, "firestore_reads_per_home_read")
    batches = _v(load, "timeline_writes_per_s") / _v(m, "fanout_batch_recipients")
    ps_bytes = (
        _v(load, "posts_per_s") * _v(m, "post_event_bytes") * 2  # publish + the planner's delivery
        + _v(load, "timeline_writes_per_s") * _v(m, "bytes_per_recipient_in_batch") * 2
    )

    def money(x: float | None) -> str:
        return "n/a (price missing)" if x is None else f"${x:,.0f}/month"

    node_hour = _v(prices, "memorystore_cluster_node_hour")
    tib = _v(prices, "pubsub_per_tib")
    vcpu = _v(prices, "cloud_run_vcpu_second")
    avg_cores = sum(on_average.values())  # functions bill the CPU they use: the average load
    rows = [
        ("timeline data", f"{data_gb / 1e3:,.2f} TB at {bpe:.1f} B/entry",
         "active users × cap × bytes per entry"),
        ("Redis CPU at peak", f"{redis_cores:,.0f} cores",
         f"{writes_peak:,.0f} entries/s × {entry_us:.2f} µs + {reads:,} reads/s × "
         f"{_v(m, 'redis_cpu_ms_per_read'):.2f} ms"),
        ("Redis Cluster shards", f"{shards:,} ({shards_mem:,} for memory, {shards_cpu:,} for CPU)",
         "max(data ÷ writable GB per shard, cores ÷ busy cores per shard)"),
        ("Redis nodes (with replicas)", f"{nodes:,}",
         f"shards × (1 + {_v(load, 'replicas_per_shard')} replica)"),
        ("Redis cost", money(None if node_hour is None else nodes * node_hour * 730), "nodes × node-hour × 730"),
        *[(f"{k} instances at peak", f"{n:,}", f"{at_peak[k]:,.0f} cores ÷ {busy}")
          for k, n in instances.items()],
        ("functions cost (CPU)", money(avg_cores * SECONDS_PER_MONTH * vcpu),
         f"{avg_cores:,.0f} average busy cores × s/month × vCPU-second"),
        ("Firestore writes", f"{fs_writes:,.0f}/s avg, {fs_writes * peak:,.0f}/s peak",
         "posts/s × writes per post"),
        ("Firestore reads (home)", f"{fs_reads:,.0f}/s", "home reads/s × Firestore reads per read"),
        ("Firestore cost", money(fs_writes * SECONDS_PER_MONTH / 1e5 * _v(prices, "firestore_write_per_100k")
                                 + fs_reads * SECONDS_PER_MONTH / 1e5 * _v(prices, "firestore_read_per_100k")),
         "ops/month × price per 100k"),
        ("Pub/Sub messages", f"{_v(load, 'posts_per_s') + batches:,.0f}/s published",
         "posts/s + timeline writes/s ÷ recipients per batch"),
        ("Pub/Sub volume", f"{ps_bytes * SECONDS_PER_MONTH / TIB:,.0f} TiB/month",
         "(post events + fan-out batches) × (publish + delivery)"),
        ("Pub/Sub cost", money(None if tib is None else ps_bytes * SECONDS_PER_MONTH / TIB * tib),
         "TiB/month × price per TiB"),
    ]  # fmt: skip
    return rows


def render(data: dict[str, Any]) -> str:
    out = []
    for key, title in (
        ("bytes_per_entry_pieces", "timelines as bounded pieces on the managed service's default zset-max-listpack-entries 128 (what the engine does)"),
        ("bytes_per_entry_default", "for contrast: one sorted set per timeline on that default (a skiplist)"),
    ):  # fmt: skip
        out += [f"#### {title}", "", "| what | how much | formula |", "| --- | --- | --- |"]
        out += [f"| {a} | {b} | {c} |" for a, b, c in plan(data, key)]
        out.append("")
    sources = [f"- `{k}` = {_v(s, k)}: {s[k]['from']}" for s in (data["measured"], data["prices"])
               for k in s if isinstance(s[k], dict)]  # fmt: skip
    return "\n".join([*out, "Inputs:", "", *sources])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--inputs", type=Path, default=INPUTS)
    ap.add_argument("--write", type=Path, default=None, help="replace the table in this document")
    args = ap.parse_args(argv)
    table = render(load_inputs(args.inputs))
    if args.write:
        doc = args.write.read_text()
        head, rest = doc.split(BEGIN, 1)
        _, tail = rest.split(END, 1)
        args.write.write_text(f"{head}{BEGIN}\n{table}\n{END}{tail}")
    print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
