"""Replay events for backfills: `make replay ARGS="..."` or `python -m devstack.replay ...`.

The command line of the replay runbook; what each command does is shared/usecases/replay.py,
over the package's adapters (this module reaches no store or Pub/Sub client itself).

The same code runs against the emulators (PUBSUB_EMULATOR_HOST / FIRESTORE_EMULATOR_HOST set,
as in `make run`) and against real GCP (unset; Application Default Credentials, project from
GOOGLE_CLOUD_PROJECT or --project).

  snapshot  --subscription fanout-planner --name before-deploy
  seek      --subscription fanout-planner --time 2026-01-01T00:00:00Z   (or --time -2h)
  seek      --subscription fanout-planner --snapshot before-deploy
  republish --since 2026-01-01T00:00:00Z --until 2026-01-02T00:00:00Z [--topic post-events]
  redrive   --subscription post-events-dlq-keep [--topic post-events] [--max 1000]
  rebuild-timelines [its own options]   (devstack.rebuild_timelines)
  rebuild-search [--drop] [--batch-size 500]   (the search index, in bulk from the event log)

Seek covers what the subscription still retains (7 days of acked messages, 31 on the topic);
republish reads the Firestore event log, so it reaches back to the first post ever made.
Consumers are idempotent, so replaying something they already processed changes nothing.
Redrive moves dead-lettered messages (a dead-letter topic's ``-keep`` pull subscription) back to
their original topic once the cause is fixed, e.g. after an outage longer than the retry window.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import importlib
import re
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TextIO

from shared import config
from shared.ports import EventLog
from shared.usecases import replay as usecase

if TYPE_CHECKING:
    from shared.adapters.pubsub_admin import PubSubAdmin

_RELATIVE = re.compile(r"^-(\d+)([smhd])$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_time(raw: str, now: dt.datetime | None = None) -> dt.datetime:
    """ISO 8601 (a bare date or time without offset is UTC), ``now``, or relative like ``-2h``."""
    now = now or dt.datetime.now(dt.UTC)
    text = raw.strip()
    if text == "now":
        return now
    m = _RELATIVE.match(text)
    if m:
        return now - dt.timedelta(seconds=int(m.group(1)) * _UNITS[m.group(2)])
    try:
        parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(
            f"{raw!r} is not a time: use ISO 8601 (2026-01-01T12:00:00Z), 'now' or '-2h'"
        ) from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def to_ms(when: dt.datetime) -> int:
    return int(when.timestamp() * 1000)


def iso(ms: int) -> str:
    return dt.datetime.fromtimestamp(ms / 1000, dt.UTC).isoformat(timespec="milliseconds")


# Pub/Sub seek, snapshots and redrive ------------------------------------------------------

original_topic = usecase.original_topic


def _admin(project: str) -> PubSubAdmin:
    from shared.adapters.pubsub_admin import PubSubAdmin

    return PubSubAdmin(project)


def redrive(
    project: str,
    subscription: str,
    topic: str | None = None,
    *,
    max_messages: int | None = None,
    out: TextIO = sys.stderr,
) -> tuple[int, int]:
    """Move a dead-letter subscription's messages back to their topic (shared.usecases.replay)."""
    topic = topic or original_topic(subscription)
    redriven, skipped = usecase.redrive(
        _admin(project), subscription, topic, max_messages=max_messages
    )
    print(f"redrove {redriven} messages from {subscription} to {topic}; "
          f"skipped {skipped} rejected as malformed", file=out)  # fmt: skip
    return redriven, skipped


# Republish from the Firestore event log ---------------------------------------------------


class _Progress:
    """tqdm when it is installed (dev dependency), plain lines on stderr otherwise."""

    def __init__(self, total: int | None, out: TextIO) -> None:
        self._out = out
        self._total = total
        self._done = 0
        self._last_print = 0.0
        self._bar: Any = None
        try:
            from tqdm import tqdm

            self._bar = tqdm(total=total, unit="ev", file=out, desc="republish")
        except ImportError:
            pass

    def update(self, n: int, last_ms: int) -> None:
        self._done += n
        if self._bar is not None:
            self._bar.update(n)
            self._bar.set_postfix_str(iso(last_ms), refresh=False)
        elif time.monotonic() - self._last_print > 1 or self._done == self._total:
            self._last_print = time.monotonic()
            print(f"republish: {self._done}/{self._total} up to {iso(last_ms)}", file=self._out)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


def republish(
    store: EventLog,
    publish_many: Callable[[str, list[Any]], None],
    *,
    since_ms: int | None,
    until_ms: int | None,
    topic: str = "post-events",
    batch_size: int = 500,
    out: TextIO = sys.stderr,
) -> int:
    """Republish a time range of the event log (shared.usecases.replay), with progress.

    Returns the count. If it is interrupted, the last line of progress says where to resume
    (``--since`` that time: at most one batch is published twice, which consumers absorb).
    """
    total = store.count_events(since_ms, until_ms)
    progress = _Progress(total, out)
    sent, last_ms = 0, since_ms or 0
    steps = usecase.republish(
        store, publish_many, since_ms=since_ms, until_ms=until_ms, topic=topic,
        batch_size=batch_size,
    )  # fmt: skip
    try:
        for done, last_ms in steps:
            progress.update(done - sent, last_ms)
            sent = done
    except BaseException:
        progress.close()
        print(f"republish stopped after {sent} events; resume with --since {iso(last_ms)}",
              file=out)  # fmt: skip
        raise
    progress.close()
    print(f"republished {sent} events to {topic}", file=out)
    return sent


# command line ----------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="replay", description=__doc__.split("\n\n")[0])
    p.add_argument("--project", default=None, help="GCP project (default GOOGLE_CLOUD_PROJECT)")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("seek", help="seek a subscription to a time or a snapshot")
    s.add_argument("--subscription", required=True)
    target = s.add_mutually_exclusive_group(required=True)
    target.add_argument("--time", type=parse_time, help="ISO 8601, 'now' or relative '-2h'")
    target.add_argument("--snapshot")

    n = sub.add_parser("snapshot", help="create a snapshot of a subscription")
    n.add_argument("--subscription", required=True)
    n.add_argument("--name", required=True)

    r = sub.add_parser("republish", help="republish a time range from the Firestore event log")
    r.add_argument("--since", type=parse_time, required=True)
    r.add_argument("--until", type=parse_time, default=None, help="default: now")
    r.add_argument("--topic", default="post-events")
    r.add_argument("--batch-size", type=int, default=500)

    d = sub.add_parser("redrive", help="move dead letters back to their original topic")
    d.add_argument("--subscription", required=True, help="e.g. post-events-dlq-keep")
    d.add_argument("--topic", default=None, help="default: derived from the subscription name")
    d.add_argument("--max", type=int, default=None, help="stop after this many messages")

    sub.add_parser("rebuild-timelines", help="rebuild Redis home timelines (own options)")

    b = sub.add_parser("rebuild-search", help="re-index every post from the Firestore event log")
    b.add_argument("--drop", action="store_true", help="drop the posts index first")
    b.add_argument("--batch-size", type=int, default=500)
    return p


# Options whose value may be a relative time such as "-2h". argparse takes any argument that
# starts with "-" (and is not a negative number) for an option, so `--time -2h`, the form
# docs/posts.md shows, would fail with "expected one argument"; `--time=-2h` does not.
_TIME_OPTIONS = ("--time", "--since", "--until")


def _attach_time_values(argv: list[str]) -> list[str]:
    out: list[str] = []
    i = 0
    while i < len(argv):
        if argv[i] in _TIME_OPTIONS and i + 1 < len(argv) and _RELATIVE.match(argv[i + 1]):
            out.append(f"{argv[i]}={argv[i + 1]}")
            i += 2
        else:
            out.append(argv[i])
            i += 1
    return out


def parse_args(argv: list[str]) -> argparse.Namespace:
    """The command line as main() reads it; SystemExit (argparse's) when it is not valid.

    ``rebuild-timelines`` and everything after it go to devstack.rebuild_timelines as they
    are (``command="rebuild-timelines"``, ``rest=[...]``).
    """
    if "rebuild-timelines" in argv:
        at = argv.index("rebuild-timelines")
        args = _parser().parse_args([*argv[:at], "rebuild-timelines"])
        args.rest = argv[at + 1 :]
        return args
    return _parser().parse_args(_attach_time_values(argv))


def main(argv: list[str] | None = None) -> int:
    args = parse_args(list(sys.argv[1:] if argv is None else argv))
    if args.command == "rebuild-timelines":
        rebuild: Any = importlib.import_module("devstack.rebuild_timelines")
        return int(rebuild.main(args.rest) or 0)
    project = args.project or config.load().project_id
    if args.command == "seek":
        usecase.seek(_admin(project), args.subscription, when=args.time, snapshot=args.snapshot)
        print(
            f"{args.subscription} seeked to {args.time.isoformat() if args.time else args.snapshot}"
        )
    elif args.command == "snapshot":
        _admin(project).create_snapshot(args.subscription, args.name)
        print(f"snapshot {args.name} of {args.subscription} created")
    elif args.command == "redrive":
        redrive(project, args.subscription, args.topic, max_messages=args.max, out=sys.stdout)
    elif args.command == "rebuild-search":
        from shared.bootstrap import Container

        c = Container(dataclasses.replace(config.load(), project_id=project))
        if args.drop:
            c.search_index.drop_index()
        t0, done = time.monotonic(), 0
        for done in c.search_indexer.rebuild(c.posts, batch_size=args.batch_size):
            print(f"\r{done} posts indexed", end="", flush=True)
        rate = done / max(time.monotonic() - t0, 1e-9)
        print(f"\r{done} posts indexed ({rate:.0f}/s)")
    elif args.command == "republish":
        from shared.bootstrap import Container

        until = args.until or dt.datetime.now(dt.UTC)
        if until <= args.since:
            print("--until must be after --since", file=sys.stderr)
            return 2
        c = Container(dataclasses.replace(config.load(), project_id=project))
        republish(
            c.posts,
            c.publisher.publish_many,
            since_ms=to_ms(args.since),
            until_ms=to_ms(until),
            topic=args.topic,
            batch_size=args.batch_size,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
