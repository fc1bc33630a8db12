"""`make seed`: a populated platform for newcomers, load tests and demos.

Loads the Reed98 follow graph (962 users, each friendship as two follows) into Neo4j, gives the
first few users Auth emulator accounts you can sign in with, and has every user write a few
posts through the gateway, so they travel the real pipeline into everyone's home timeline.
Then conversations (issue 20): replies to some posts (and replies to those), likes and reposts,
all through the gateway and all idempotent (a re-run adds nothing).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

import requests
from tqdm import tqdm

from devstack.authtools import emulator_token
from devstack.services import REPO

REED98 = REPO / "data" / "socfb-Reed98.edges"
DEMO_PASSWORD = "kwetter-demo"
REPLY_TEXTS = [
    "Totally agree!",
    "Hmm, not sure about that one 🤔",
    "Same here, every single time.",
    "Source?",
    "This made my day 😂",
]
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
    parser.add_argument("--replies", type=int, default=300, help="posts that get a reply")
    parser.add_argument("--likes", type=int, default=2000)
    parser.add_argument("--reposts", type=int, default=200)
    args = parser.parse_args(argv)
    stack = read_stack(args.workdir)
    env = dict(stack["env"])  # type: ignore[call-overload]
    gateway = str(stack["gateway"])

    print(f"1/4 follow graph from {args.edges}")
    subprocess.run(
        [sys.executable, "-m", "devstack.import_graph", str(args.edges),
         "--neo4j-uri", env["NEO4J_URI"]],
        check=True, env={**os.environ, **env},
    )  # fmt: skip
    uids = user_ids(args.edges)

    print(f"2/4 Auth emulator accounts for {args.demo_accounts} users")
    emails = create_demo_accounts(env, uids[: args.demo_accounts])

    print(f"3/4 {args.posts_per_user} posts per user through {gateway}")
    project = env["GOOGLE_CLOUD_PROJECT"]
    session = requests.Session()
    adapter = requests.adapters.HTTPAdapter(pool_maxsize=args.concurrency)
    session.mount("http://", adapter)

    def auth(uid: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {emulator_token(uid, project)}"}

    def post(uid: str, n: int) -> tuple[int, str | None]:
        resp = session.post(
            f"{gateway}/v1/posts",
            # Text derived from (uid, n): a re-run repeats the same request, which the
            # Idempotency-Key then answers with the earlier post.
            json={"text": f"{random.Random(f'{uid}/{n}').choice(SAMPLE_TEXTS)} (#{n + 1})"},
            headers={
                **auth(uid),
                "Idempotency-Key": f"seed-{uid}-{n}",  # re-running the seed adds nothing
            },
            timeout=30,
        )
        return resp.status_code, resp.json().get("id") if resp.ok else None

    jobs = [(uid, n) for n in range(args.posts_per_user) for uid in uids]
    failures = 0
    posted: list[tuple[str, str]] = []  # (author, post id)
    with ThreadPoolExecutor(args.concurrency) as pool:
        futures = {pool.submit(post, uid, n): uid for uid, n in jobs}
        for fut in tqdm(as_completed(futures), total=len(futures), unit="post"):
            status, pid = fut.result()
            if status not in (200, 201) or pid is None:
                failures += 1
            else:
                posted.append((futures[fut], pid))
    if not failures:
        failures = seed_conversations(session, gateway, auth, uids, sorted(posted), args)
    if failures:
        print(f"{failures} posts failed; see the functions' logs in {args.workdir}/functions")
        return 1
    print("\nSeeded. Sign in to the web app with any of:")
    for email in emails:
        print(f"  {email} / {DEMO_PASSWORD}")
    return 0


def seed_conversations(
    session: requests.Session,
    gateway: str,
    auth: Callable[[str], dict[str, str]],
    uids: list[str],
    posted: list[tuple[str, str]],
    args: argparse.Namespace,
) -> int:
    """Replies (a few answered again), likes and reposts, chosen by a fixed seed."""
    rng = random.Random(20)
    print(f"4/4 replies, likes and reposts through {gateway}")
    targets = rng.sample(posted, min(len(posted), args.replies))
    failures = 0

    def reply(uid: str, parent: str, n: int) -> tuple[int, str | None]:
        resp = session.post(
            f"{gateway}/v1/posts",
            json={"text": REPLY_TEXTS[n % len(REPLY_TEXTS)], "reply_to": parent},
            headers={**auth(uid), "Idempotency-Key": f"seed-reply-{uid}-{parent}"},
            timeout=30,
        )
        return resp.status_code, resp.json().get("id") if resp.ok else None

    replies = [(rng.choice(uids), pid, n) for n, (_, pid) in enumerate(targets)]
    switches = [("like", rng.choice(uids), rng.choice(posted)[1]) for _ in range(args.likes)] + [
        ("repost", rng.choice(uids), rng.choice(posted)[1]) for _ in range(args.reposts)
    ]
    with ThreadPoolExecutor(args.concurrency) as pool:
        first = list(pool.map(lambda j: reply(*j), replies))
        # a second level: the parent's author answers back on every third reply
        authors = {pid: author for author, pid in posted}
        again = [
            (authors[parent], rid, n)
            for (_, parent, n), (_, rid) in zip(replies, first, strict=True)
            if rid is not None and n % 3 == 0
        ]
        second = list(pool.map(lambda j: reply(*j), again))
        done = list(
            pool.map(
                lambda s: (
                    session.put(
                        f"{gateway}/v1/posts/{s[2]}/{s[0]}", headers=auth(s[1]), timeout=30
                    ).status_code
                ),
                switches,
            )
        )
    failures += sum(1 for status, _ in first + second if status not in (200, 201))
    failures += sum(1 for status in done if status != 200)
    print(f"  {len(first) + len(second)} replies, {args.likes} likes, {args.reposts} reposts")
    return failures


if __name__ == "__main__":
    raise SystemExit(main())
