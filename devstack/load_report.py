"""Turns `make load` outputs (.local/load) into docs/load.png: latency over time and freshness.

``python -m devstack.load_report [--dir .local/load] [--out docs/load.png] SCENARIO...``
"""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt


def history(path: Path) -> tuple[list[float], list[float], list[float], list[float]]:
    """(seconds since start, p50 ms, p95 ms, requests/s) of the aggregated rows."""
    t, p50, p95, rps = [], [], [], []
    start: float | None = None
    with path.open() as f:
        for row in csv.DictReader(f):
            if row["Name"] != "Aggregated" or row["50%"] in ("N/A", ""):
                continue
            ts = float(row["Timestamp"])
            start = ts if start is None else start
            t.append(ts - start)
            p50.append(float(row["50%"]))
            p95.append(float(row["95%"]))
            rps.append(float(row["Requests/s"]))
    return t, p50, p95, rps


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("scenarios", nargs="+")
    parser.add_argument("--dir", type=Path, default=Path(".local/load"))
    parser.add_argument("--out", type=Path, default=Path("docs/load.png"))
    args = parser.parse_args(argv)
    fig, (lat, tput, fresh) = plt.subplots(1, 3, figsize=(16, 4.5))
    for name in args.scenarios:
        t, p50, p95, rps = history(args.dir / f"{name}_stats_history.csv")
        (line,) = lat.plot(t, p50, label=f"{name} p50")
        lat.plot(t, p95, linestyle="--", color=line.get_color(), label=f"{name} p95")
        tput.plot(t, rps, label=name)
        samples_file = args.dir / f"{name}_freshness.json"
        if samples_file.exists():
            samples = sorted(json.loads(samples_file.read_text())["samples_ms"])
            if samples:
                ys = [(i + 1) / len(samples) for i in range(len(samples))]
                fresh.plot([s / 1000 for s in samples], ys, label=f"{name} (n={len(samples)})")
    lat.set(title="Latency over time (Locust aggregate, incl. freshness)", xlabel="s", ylabel="ms")
    tput.set(title="Throughput", xlabel="s", ylabel="requests/s")
    fresh.set(title="Post-to-visible freshness (CDF)", xlabel="s after the 201", ylabel="share")
    for ax in (lat, tput, fresh):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.out, dpi=90)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
