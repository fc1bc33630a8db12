"""Replay events for backfills: `make replay ARGS="..."` or `python -m devstack.replay ...`.

The same code runs against the emulators (PUBSUB_EMULATOR_HOST / FIRESTORE_EMULATOR_HOST set,
as in `make run`) and against real GCP (unset; Application Default Credentials, project from
GOOGLE_CLOUD_PROJECT or --project).

  snapshot  --subscription fanout-planner --name before-deploy
  seek      --subscription fanout-planner --time 2026-01-01T00:00:00Z   (or --time -2h)
  seek      --subscription fanout-planner --snapshot before-deploy
  republish --since 2026-01-01T00:00:00Z --until 2026-01-02T00:00:00Z [--topic post-events]
  redrive   --subscription post-events-dlq-keep [--topic post-events] [--max 1000]
  rebuild-timelines [its own options]   (devstack.rebuild_timelines)

Seek covers what the subscription still retains (7 days of acked messages, 31 on the topic);
republish reads the Firestore event log, so it reaches back to the first post ever made.
Consumers are idempotent, so replaying something they already processed changes nothing.
Redrive moves dead-lettered messages (a dead-letter topic's ``-keep`` pull subscription) back to
their original topic once the cause is fixed, e.g. after an outage longer than the retry window.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import re
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TextIO

from shared import config

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


# Pub/Sub seek and snapshots ---------------------------------------------------------------


def _subscriber() -> Any:
    from google.cloud import pubsub_v1

    return pubsub_v1.SubscriberClient()


def seek(
    project: str,
    subscription: str,
    *,
    when: dt.datetime | None = None,
    snapshot: str | None = None,
    subscriber: Any = None,
) -> None:
    """Seek a subscription to a time (redelivers what was published since) or a snapshot."""
    from google.protobuf import timestamp_pb2

    if (when is None) == (snapshot is None):
        raise ValueError("seek needs exactly one of a time or a snapshot")
    client = subscriber or _subscriber()
    request: dict[str, Any] = {"subscription": client.subscription_path(project, subscription)}
    if when is not None:
        stamp = timestamp_pb2.Timestamp()
        stamp.FromDatetime(when.astimezone(dt.UTC).replace(tzinfo=None))
        request["time"] = stamp
    else:
        request["snapshot"] = client.snapshot_path(project, snapshot)
    client.seek(request=request)


def create_snapshot(project: str, subscription: str, name: str, subscriber: Any = None) -> None:
    """Snapshot a subscription's unacked backlog (and, with retained acks, its position)."""
    client = subscriber or _subscriber()
    client.create_snapshot(
        request={
            "name": client.snapshot_path(project, name),
            "subscription": client.subscription_path(project, subscription),
        }
    )


# Redrive dead letters ---------------------------------------------------------------------

# Attributes Pub/Sub adds when it dead-letters a message; the redriven copy starts afresh.
_DEAD_LETTER_ATTRIBUTE_PREFIX = "CloudPubSubDeadLetter"


def original_topic(keep_subscription: str) -> str:
    """``post-events-dlq-keep`` -> ``post-events`` (the naming of topology.yaml)."""
    name = keep_subscription.rsplit("/", 1)[-1].removesuffix("-keep")
    if not name.endswith("-dlq"):
        raise ValueError(f"{keep_subscription!r} is not a <topic>-dlq-keep subscription")
    return name.removesuffix("-dlq")


def redrive(
    project: str,
    subscription: str,
    topic: str | None = None,
    *,
    max_messages: int | None = None,
    subscriber: Any = None,
    publisher: Any = None,
    out: TextIO = sys.stderr,
) -> tuple[int, int]:
    """Republish what a dead-letter subscription holds to the original topic, then ack it.

    Returns (redriven, skipped). Each message is acked only after its copy was accepted, so an
    interruption makes duplicates at worst (consumers are idempotent). Messages that
    the consumer (shared.entrypoints.pubsub.consumer) rejected as
    malformed (attribute ``rejected_by``) would only come straight
    back: they are skipped and left in the subscription for inspection.
    """
    from google.cloud import pubsub_v1

    sub_client = subscriber or pubsub_v1.SubscriberClient()
    pub_client = publisher or pubsub_v1.PublisherClient()
    topic = topic or original_topic(subscription)
    sub_path = sub_client.subscription_path(project, subscription)
    topic_path = pub_client.topic_path(project, topic)
    redriven = 0
    skipped: set[str] = set()
    while max_messages is None or redriven < max_messages:
        want = 100 if max_messages is None else min(100, max_messages - redriven)
        resp = sub_client.pull(request={"subscription": sub_path, "max_messages": want}, timeout=10)
        received = list(resp.received_messages)
        fresh = [m for m in received if m.message.message_id not in skipped]
        if not fresh:
            if received:  # only the skipped ones came back: hand them back at once
                sub_client.modify_ack_deadline(
                    request={"subscription": sub_path, "ack_deadline_seconds": 0,
                             "ack_ids": [m.ack_id for m in received]}
                )  # fmt: skip
            break
        move: list[Any] = []
        keep: list[Any] = []
        for m in received:
            (keep if "rejected_by" in m.message.attributes else move).append(m)
        futures = []
        for m in move:
            attrs = {
                k: v
                for k, v in m.message.attributes.items()
                if not k.startswith(_DEAD_LETTER_ATTRIBUTE_PREFIX)
            }
            attrs["redriven_from"] = subscription
            futures.append(pub_client.publish(topic_path, m.message.data, **attrs))
        for f in futures:
            f.result(timeout=60)
        if move:
            sub_client.acknowledge(
                request={"subscription": sub_path, "ack_ids": [m.ack_id for m in move]}
            )
        if keep:
            skipped.update(m.message.message_id for m in keep)
            sub_client.modify_ack_deadline(
                request={"subscription": sub_path, "ack_deadline_seconds": 0,
                         "ack_ids": [m.ack_id for m in keep]}
            )  # fmt: skip
        redriven += len(move)
    print(f"redrove {redriven} messages from {subscription} to {topic}; "
          f"skipped {len(skipped)} rejected as malformed", file=out)  # fmt: skip
    return redriven, len(skipped)


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


def _batches(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def republish(
    store: Any,
    publish_many: Callable[[str, list[Any]], None],
    *,
    since_ms: int | None,
    until_ms: int | None,
    topic: str = "post-events",
    batch_size: int = 500,
    out: TextIO = sys.stderr,
) -> int:
    """Publish every logged event with since <= occurred_ms < until to ``topic``, in time order.

    Returns the count. If it is interrupted, the last line of progress says where to resume
    (``--since`` that time: at most one batch is published twice, which consumers absorb).
    """
    total = store.count_events(since_ms, until_ms)
    progress = _Progress(total, out)
    sent = 0
    last_ms = since_ms or 0
    try:
        for batch in _batches(store.iter_events(since_ms, until_ms), batch_size):
            publish_many(topic, batch)
            sent += len(batch)
            last_ms = batch[-1].occurred_ms
            progress.update(len(batch), last_ms)
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
    return p


def main(argv: list[str] | None = None) -> int:
    args_in = list(sys.argv[1:] if argv is None else argv)
    # rebuild-timelines has its own options; everything after the word is passed on as is.
    if "rebuild-timelines" in args_in:
        at = args_in.index("rebuild-timelines")
        rebuild: Any = importlib.import_module("devstack.rebuild_timelines")
        return int(rebuild.main(args_in[at + 1 :]) or 0)
    args = _parser().parse_args(args_in)
    project = args.project or config.load().project_id
    if args.command == "seek":
        seek(project, args.subscription, when=args.time, snapshot=args.snapshot)
        print(
            f"{args.subscription} seeked to {args.time.isoformat() if args.time else args.snapshot}"
        )
    elif args.command == "snapshot":
        create_snapshot(project, args.subscription, args.name)
        print(f"snapshot {args.name} of {args.subscription} created")
    elif args.command == "redrive":
        redrive(project, args.subscription, args.topic, max_messages=args.max, out=sys.stdout)
    elif args.command == "republish":
        from google.cloud import firestore

        from shared.adapters.firestore_posts import FirestorePosts
        from shared.adapters.pubsub import PubSubPublisher

        until = args.until or dt.datetime.now(dt.UTC)
        if until <= args.since:
            print("--until must be after --since", file=sys.stderr)
            return 2
        store = FirestorePosts(firestore.Client(project=project))
        republish(
            store,
            PubSubPublisher(project).publish_many,
            since_ms=to_ms(args.since),
            until_ms=to_ms(until),
            topic=args.topic,
            batch_size=args.batch_size,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
