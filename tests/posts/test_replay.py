"""The replay CLI: Pub/Sub seek (time and snapshot) and republish from the Firestore event log."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import re
import shlex
import time
from collections.abc import Sequence
from pathlib import Path

import pytest
from google.api_core import exceptions as gexc

from devstack import rebuild_timelines, replay
from shared import events, ids
from shared.adapters.firestore_posts import FirestorePosts
from shared.usecases.posts import PostsService
from tests.conftest import PROJECT_ID
from tests.posts.conftest import PubSub


def _ids(got: Sequence[events.Event]) -> list[str]:
    return sorted(e.event_id for e in got)


@pytest.mark.integration
def test_seek_to_time_redelivers_acked_events(store: FirestorePosts, pubsub: PubSub) -> None:
    topic = pubsub.topic()
    sub = pubsub.subscription(topic, retain_acked=True)
    service = PostsService(store, pubsub.publisher, topic=topic)
    before = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    for i in range(3):
        service.create(f"author{i}", f"post {i}", None)
    first = pubsub.pull(sub, expect=3)
    assert len(first) == 3
    assert pubsub.pull(sub, expect=0, timeout=1) == []  # all acked

    rc = replay.main(
        ["--project", PROJECT_ID, "seek", "--subscription", sub, "--time", before.isoformat()]
    )
    assert rc == 0
    again = pubsub.pull(sub, expect=3)
    assert _ids(again) == _ids(first)
    assert {e.event_id: e for e in again} == {e.event_id: e for e in first}


@pytest.mark.integration
def test_seek_to_snapshot_replays_from_that_point(store: FirestorePosts, pubsub: PubSub) -> None:
    topic = pubsub.topic()
    sub = pubsub.subscription(topic, retain_acked=True)
    service = PostsService(store, pubsub.publisher, topic=topic)
    service.create("alice", "before the snapshot", None)
    assert len(pubsub.pull(sub, expect=1)) == 1
    args = ["--project", PROJECT_ID]
    assert replay.main([*args, "snapshot", "--subscription", sub, "--name", f"{sub}-snap"]) == 0
    later, _ = service.create("alice", "after the snapshot", None)
    assert len(pubsub.pull(sub, expect=1)) == 1
    assert replay.main([*args, "seek", "--subscription", sub, "--snapshot", f"{sub}-snap"]) == 0
    again = pubsub.pull(sub, expect=1)
    assert [getattr(e, "post_id", None) for e in again] == [str(later.id)]


@pytest.mark.integration
def test_republish_a_time_range_from_the_event_log(store: FirestorePosts, pubsub: PubSub) -> None:
    made = []
    for i in range(9):
        post, event, _ = store.create_post(f"user{i % 2}", f"history {i}", None, ids.new_id())
        made.append(event)
        if i % 3 == 2:
            store.delete_post_once(post.id)
        time.sleep(0.003)
    logged = list(store.iter_events())
    assert len(logged) == 12
    lo, hi = logged[2].occurred_ms, logged[10].occurred_ms
    expected = [e for e in logged if lo <= e.occurred_ms < hi]

    topic = pubsub.topic()
    sub = pubsub.subscription(topic)
    rc = replay.main(
        [
            "--project", PROJECT_ID, "republish", "--topic", topic, "--batch-size", "3",
            "--since", replay.iso(lo), "--until", replay.iso(hi),
        ]
    )  # fmt: skip
    assert rc == 0
    got = pubsub.pull(sub, expect=len(expected))
    assert _ids(got) == _ids(expected)
    assert {e.event_id: e for e in got} == {e.event_id: e for e in expected}


@pytest.mark.integration
def test_republish_reports_where_to_resume(store: FirestorePosts) -> None:
    for i in range(5):
        store.create_post("alice", f"h{i}", None, ids.new_id())
    calls: list[int] = []

    def flaky(topic: str, batch: list[events.Event]) -> None:
        calls.append(len(batch))
        if len(calls) == 2:
            raise ConnectionError("pubsub went away")

    out = io.StringIO()
    with pytest.raises(ConnectionError):
        replay.republish(store, flaky, since_ms=0, until_ms=None, batch_size=2, out=out)
    logged = list(store.iter_events())
    assert f"after 2 events; resume with --since {replay.iso(logged[1].occurred_ms)}" in (
        out.getvalue()
    )


def test_parse_time() -> None:
    now = dt.datetime(2026, 5, 1, 12, 0, tzinfo=dt.UTC)
    assert replay.parse_time("2026-01-01T00:00:00Z") == dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    assert replay.parse_time("2026-01-01") == dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    assert replay.parse_time("2026-01-01T02:00:00+02:00") == dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    assert replay.parse_time("-2h", now) == now - dt.timedelta(hours=2)
    assert replay.parse_time("-30m", now) == now - dt.timedelta(minutes=30)
    assert replay.parse_time("now", now) == now
    with pytest.raises(Exception, match="not a time"):
        replay.parse_time("yesterday", now)
    assert replay.iso(replay.to_ms(now)) == "2026-05-01T12:00:00.000+00:00"


def test_cli_rejects_bad_arguments(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        replay.main(["seek", "--subscription", "s"])  # needs --time or --snapshot
    with pytest.raises(SystemExit):
        replay.main(["seek", "--subscription", "s", "--time", "soon"])
    assert "not a time" in capsys.readouterr().err


DOCS = Path(__file__).resolve().parents[2] / "docs" / "posts.md"
_MAKE_REPLAY = re.compile(r'^make replay ARGS="([^"]*)"')


def documented_replays() -> list[list[str]]:
    """Every `make replay ARGS="..."` line of docs/posts.md's code blocks, as the argv that
    make hands to devstack.replay (the shell splits ARGS)."""
    commands: list[list[str]] = []
    in_code = False
    for line in DOCS.read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            in_code = not in_code
            continue
        m = _MAKE_REPLAY.match(line.strip()) if in_code else None
        if m:
            commands.append(shlex.split(m.group(1)))
    return commands


def test_the_documented_replay_commands_parse() -> None:
    commands = documented_replays()
    assert {argv[0] for argv in commands} >= {"snapshot", "seek", "republish", "rebuild-timelines"}
    for argv in commands:
        replay.parse_args(argv)  # argparse exits (SystemExit) on anything it refuses
    seek = next(a for a in commands if "--time" in a)
    assert seek[seek.index("--time") + 1] == "-2h"  # a relative time, the form that broke
    now = dt.datetime.now(dt.UTC)
    when = replay.parse_args(seek).time
    assert abs((now - dt.timedelta(hours=2) - when).total_seconds()) < 60


@pytest.mark.integration
def test_the_documented_replay_commands_run_on_the_emulators(
    store: FirestorePosts, pubsub: PubSub, monkeypatch: pytest.MonkeyPatch
) -> None:
    """docs/posts.md's commands as written (no --project: the emulators' project from the
    environment), on the topic and subscription they name."""
    with contextlib.suppress(gexc.AlreadyExists):
        pubsub.publisher_client.create_topic(
            name=pubsub.publisher_client.topic_path(PROJECT_ID, "post-events")
        )
    with contextlib.suppress(gexc.AlreadyExists):
        pubsub.subscriber.create_subscription(
            request={
                "name": pubsub.subscriber.subscription_path(PROJECT_ID, "fanout-planner"),
                "topic": pubsub.publisher_client.topic_path(PROJECT_ID, "post-events"),
                "retain_acked_messages": True,
            }
        )
    rebuilt: list[list[str]] = []

    def rebuild(argv: list[str]) -> int:
        rebuilt.append(argv)
        return 0

    monkeypatch.setattr(rebuild_timelines, "main", rebuild)
    for argv in documented_replays():
        assert replay.main(argv) == 0, argv
    assert rebuilt == [[]]  # handed on, with its own (here no) options
