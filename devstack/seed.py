"""`make seed`: a populated platform for newcomers, load tests and demos.

Loads the Reed98 follow graph (962 users, each friendship as two follows) into Neo4j, gives the
first few users Auth emulator accounts you can sign in with, and has every user write a few
posts through the gateway, so they travel the real pipeline into everyone's home timeline.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

import requests
from tqdm import tqdm

from devstack.authtools import emulator_token
from devstack.services import REPO

REED98 = REPO / "data" / "socfb-Reed98.edges"
DEMO_PASSWORD = "kwetter-demo"
SAMPLE_TEXTS = [
    "Just finished reading a great book on distributed systems 📚",
    "Coffee first, then code ☕",
    "Who else is going to the hackathon this weekend?",
    "Fan-out on write, fan-in on read. Why not both?",
    "Sunset over the river tonight was unreal 🌅",
    "Hot take: tabs vs spaces is settled by the formatter.",
    "Learning Svelte and loving it",
    "Reed College library at 2am: a lifestyle",
]


def read_stack(workdir: Path) -> dict[str, object]:
    path = workdir / "stack.json"
    if not path.exists():
        sys.exit(f"no running stack described at {path}: start one with `make run` first")
    return dict(json.loads(path.read_text()))


def user_ids(edges: Path) -> list[str]:
    seen: set[int] = set()
    for line in edges.read_text().splitlines():
        parts = line.split()
        if len(parts) >= 2 and not line.startswith(("%", "#")):
            seen.update((int(parts[0]), int(parts[1])))
    return [f"u{n}" for n in sorted(seen)]


def create_demo_accounts(env: dict[str, str], uids: list[str]) -> list[str]:
    from shared.adapters.firebase_accounts import FirebaseAccounts

    os.environ["FIREBASE_AUTH_EMULATOR_HOST"] = env["FIREBASE_AUTH_EMULATOR_HOST"]
    accounts = FirebaseAccounts(env["GOOGLE_CLOUD_PROJECT"])
    emails = []
    for uid in uids:
        email = f"{uid.replace('u', 'user', 1)}@kwetter.test"
        accounts.create(uid, email, DEMO_PASSWORD)
        emails.append(email)
    return emails


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workdir", type=Path, default=REPO / ".local" / "run")
    parser.add_argument("--edges", type=Path, default=REED98)
    parser.add_argument("--posts-per-user", type=int, default=3)
    parser.add_argument("--demo-accounts", type=int, default=5)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args(argv)
    stack = read_stack(args.workdir)
    env = dict(stack["env"])  # type: ignore[call-overload]
    gateway = str(stack["gateway"])

    print(f"1/3 follow graph from {args.edges}")
    subprocess.run(
        [sys.executable, "-m", "devstack.import_graph", str(args.edges),
         "--neo4j-uri", env["NEO4J_URI"]],
        check=True, env={**os.environ, **env},
    )  # fmt: skip
    uids = user_ids(args.edges)

    print(f"2/3 Auth emulator accounts for {args.demo_accounts} users")
    emails = create_demo_accounts(env, uids[: args.demo_accounts])

    print(f"3/3 {args.posts_per_user} posts per user through {gateway}")
    project = env["GOOGLE_CLOUD_PROJECT"]
    session = requests.Session()
    adapter = requests.adapters.HTTPAdapter(pool_maxsize=args.concurrency)
    session.mount("http://", adapter)

    def post(uid: str, n: int) -> int:
        resp = session.post(
            f"{gateway}/v1/posts",
            # Text derived from (uid, n): a re-run repeats the same request, which the
            # Idempotency-Key then answers with the earlier post.
            json={"text": f"{random.Random(f'{uid}/{n}').choice(SAMPLE_TEXTS)} (#{n + 1})"},
            headers={
                "Authorization": f"Bearer {emulator_token(uid, project)}",
                "Idempotency-Key": f"seed-{uid}-{n}",  # re-running the seed adds nothing
            },
            timeout=30,
        )
        return resp.status_code

    jobs = [(uid, n) for n in range(args.posts_per_user) for uid in uids]
    failures = 0
    with ThreadPoolExecutor(args.concurrency) as pool:
        futures = [pool.submit(post, uid, n) for uid, n in jobs]
        for fut in tqdm(as_completed(futures), total=len(futures), unit="post"):
            if fut.result() not in (200, 201):
                failures += 1
    if failures:
        print(f"{failures} posts failed; see the functions' logs in {args.workdir}/functions")
        return 1
    print("\nSeeded. Sign in to the web app with any of:")
    for email in emails:
        print(f"  {email} / {DEMO_PASSWORD}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
