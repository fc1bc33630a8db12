"""A message on the post topic is not a post: the post store is the authority (issue 16).

Topic IAM limits who may publish to ``post-events``, but one leaked publisher credential must
not let anyone invent posts in other people's timelines or make real posts disappear. Forged
events are published to the real topic of the shared local stack; the fan-out planner reads
each post back from Firestore and drops what the store does not hold.
"""

from __future__ import annotations

import time
import uuid

import pytest

from devstack.stack import LocalStack
from shared import events, ids
from shared.bootstrap import Container
from tests.faults import harness

pytestmark = pytest.mark.integration


def _forge(c: Container, event: events._Event) -> None:
    # the stack's own Pub/Sub, the same publisher (and so credentials) a function uses
    c.publisher.publish("post-events", event)


def test_forged_post_events_change_nothing_a_user_can_see(stack: LocalStack) -> None:
    author, reader = harness.register(stack, "forge", 2)
    assert reader.follow(author.uid).status_code == 200
    c = harness.container(stack)
    real = author.post("the real one")
    assert real.status_code == 201, real.text
    real_id = int(real.json()["id"])
    harness.wait_until(lambda: real_id in reader.home_ids(), 60, "the real post in the timeline")

    forged_id = ids.new_id()
    now = ids.now_ms()
    _forge(c, events.PostCreated(
        event_id=f"forged-{uuid.uuid4().hex}", occurred_ms=now, post_id=str(forged_id),
        author_id=author.uid, text="a post nobody wrote", created_ms=now,
    ))  # fmt: skip
    _forge(c, events.PostDeleted(
        event_id=f"forged-{uuid.uuid4().hex}", occurred_ms=now, post_id=str(real_id),
        author_id=author.uid, created_ms=ids.timestamp_ms(real_id),
    ))  # fmt: skip
    # A real post published after the forgeries: once it is in, the forgeries had their turn.
    later = author.post("the next real one")
    assert later.status_code == 201, later.text
    later_id = int(later.json()["id"])
    harness.wait_until(lambda: later_id in reader.home_ids(), 60, "the later post")
    time.sleep(2)  # push delivery is not ordered: give the forged messages time to arrive

    home = reader.home_ids()
    assert forged_id not in home, "a forged PostCreated reached a follower's timeline"
    assert real_id in home, "a forged PostDeleted removed a real post"
    own = author.call("GET", f"/v1/users/{author.uid}/posts").json()["items"]
    assert str(forged_id) not in {p["id"] for p in own}
    assert author.call("GET", f"/v1/posts/{forged_id}").status_code == 404
    assert author.call("GET", f"/v1/posts/{real_id}").status_code == 200
