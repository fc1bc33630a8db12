"""The two deployable functions, loaded by functions-framework exactly as Cloud Run does."""

from __future__ import annotations

import base64
import contextlib
import uuid
from collections.abc import Iterator
from pathlib import Path

import functions_framework
import pytest
from google.api_core import exceptions as gexc

from shared import bootstrap, ids
from shared.adapters.firestore_posts import FirestorePosts
from shared.bootstrap import Container
from tests.conftest import PROJECT_ID
from tests.identity import identity_headers
from tests.media.conftest import fake_gcs_host  # noqa: F401  (fixture)
from tests.posts.conftest import PubSub

pytestmark = pytest.mark.integration
FUNCTIONS = Path(__file__).resolve().parents[2] / "functions"


def _ensure_topic(pubsub: PubSub, name: str) -> None:
    with contextlib.suppress(gexc.AlreadyExists):
        pubsub.publisher_client.create_topic(
            name=pubsub.publisher_client.topic_path(PROJECT_ID, name)
        )


@pytest.fixture
def fresh_container(neo4j_uri: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Container]:
    """The process-wide container, rebuilt on this session's services."""
    monkeypatch.setenv("NEO4J_URI", neo4j_uri)
    monkeypatch.setattr(bootstrap, "_container", None)
    c = bootstrap.container()
    yield c
    c.neo4j_driver.close()


def test_posts_function_end_to_end(
    store: FirestorePosts,
    pubsub: PubSub,
    fresh_container: Container,
    fake_gcs_host: str,  # noqa: F811
) -> None:
    # fake_gcs_host: the posts function attaches media, so its container builds a Cloud
    # Storage client, which needs the storage emulator (or credentials) to exist.
    _ensure_topic(pubsub, "post-events")
    sub = pubsub.subscription("post-events")
    fresh_container.graph.create_user("carol", f"carol_{uuid.uuid4().hex[:6]}", "Carol")
    app = functions_framework.create_app("posts", str(FUNCTIONS / "posts" / "main.py"))
    client = app.test_client()
    who = identity_headers("carol")
    r = client.post("/v1/posts", json={"text": "via the function"}, headers=who)
    assert r.status_code == 201, r.get_data(as_text=True)
    post_id = r.get_json()["id"]
    assert r.get_json()["author"]["display_name"] == "Carol"
    stranger = identity_headers("no-profile")
    r = client.post("/v1/posts", json={"text": "who am I"}, headers=stranger)
    assert r.status_code == 404 and "register" in r.get_json()["error"]["message"]
    assert client.options("/v1/posts").status_code == 204  # CORS preflight, no token
    assert client.get(f"/v1/posts/{post_id}", headers=who).status_code == 200
    got = [e for e in pubsub.pull(sub, expect=1) if getattr(e, "post_id", None) == post_id]
    assert [e.type for e in got] == ["PostCreated"]


def test_outbox_relay_function_publishes_on_a_tick(
    store: FirestorePosts, pubsub: PubSub, fresh_container: Container
) -> None:
    _ensure_topic(pubsub, "post-events")
    sub = pubsub.subscription("post-events")
    # An event committed a minute ago whose publish never happened (the request died).
    old_id = ids.min_id_at(ids.now_ms() - 60_000) | 7
    store.create_post("dave", "stranded", None, old_id)
    app = functions_framework.create_app(
        "outbox_relay", str(FUNCTIONS / "outbox_relay" / "main.py"), "cloudevent"
    )
    tick = {
        "specversion": "1.0",
        "type": "google.cloud.pubsub.topic.v1.messagePublished",
        "source": f"//pubsub.googleapis.com/projects/{PROJECT_ID}/topics/outbox-ticks",
        "id": "tick-1",
        "data": {"message": {"data": base64.b64encode(b"{}").decode(), "messageId": "1"}},
    }
    r = app.test_client().post(
        "/", json=tick, headers={"Content-Type": "application/cloudevents+json"}
    )
    assert r.status_code == 200, r.get_data(as_text=True)
    got = [e for e in pubsub.pull(sub, expect=1) if getattr(e, "post_id", None) == str(old_id)]
    assert [e.type for e in got] == ["PostCreated"]
    assert store.unpublished_events(10) == []
