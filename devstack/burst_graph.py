"""The seed's burst graph: N users, each with 1-300 followers (seeded RNG), as an edge list.

``python -m devstack.burst_graph OUT [--users 3000] [--seed 7] [--offset 10000]``.
Edges are friendships (the importer loads each as two follows, like Reed98), so a user with k
friends has k followers; ids start at ``offset`` to stay clear of Reed98's 0..961.
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path


def edges(users: int, seed: int, offset: int, max_followers: int = 300) -> set[tuple[int, int]]:
    rng = random.Random(seed)
    want = {u: rng.randint(1, max_followers) for u in range(users)}
    degree = dict.fromkeys(range(users), 0)
    out: set[tuple[int, int]] = set()
    order = list(range(users))
    rng.shuffle(order)
    for u in order:
        # Pair u only with users that still want friends, so degrees stay near their targets.
        open_ = [v for v in rng.sample(range(users), min(users, 3 * want[u])) if v != u]
        for v in open_:
            if degree[u] >= want[u]:
                break
            if degree[v] >= want[v]:
                continue
            pair = (min(u, v) + offset, max(u, v) + offset)
            if pair not in out:
                out.add(pair)
                degree[u] += 1
                degree[v] += 1
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--users", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--offset", type=int, default=10_000)
    args = parser.parse_args(argv)
    pairs = sorted(edges(args.users, args.seed, args.offset))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("".join(f"{a} {b}\n" for a, b in pairs))
    print(f"{len(pairs)} friendships among {args.users} users -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
