"""Publishing events to Pub/Sub (the emulator when PUBSUB_EMULATOR_HOST is set)."""

from __future__ import annotations

from concurrent.futures import Future

from google.cloud import pubsub_v1

from shared import events


class PubSubPublisher:
    def __init__(self, project_id: str, client: pubsub_v1.PublisherClient | None = None) -> None:
        self._project = project_id
        # Send within 1 ms instead of the client's default 10 ms batching wait: every caller
        # here waits for the ack (a request, or a planner publishing all of a post's batches in
        # one go), so waiting for more messages only adds latency to the post's freshness.
        prompt = pubsub_v1.types.BatchSettings(max_messages=1000, max_latency=0.001)
        self._client = client or pubsub_v1.PublisherClient(batch_settings=prompt)

    def topic_path(self, topic: str) -> str:
        return str(self._client.topic_path(self._project, topic))

    def publish_async(self, topic: str, event: events._Event) -> Future[str]:
        data, attrs = events.encode(event)
        future: Future[str] = self._client.publish(self.topic_path(topic), data, **attrs)
        return future

    def publish(self, topic: str, event: events._Event) -> None:
        self.publish_async(topic, event).result(timeout=30)

    def publish_many(self, topic: str, batch: list[events._Event]) -> None:
        """Publish all, then wait for all: one round of latency instead of one per message."""
        futures = [self.publish_async(topic, e) for e in batch]
        for f in futures:
            f.result(timeout=60)

    def publish_raw(self, topic: str, data: bytes, attributes: dict[str, str]) -> None:
        self._client.publish(self.topic_path(topic), data, **attributes).result(timeout=30)
