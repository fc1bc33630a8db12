"""Push delivery with more than the Pub/Sub emulator's two messages in flight (benchmarks only).

The emulator (0.8.20) runs exactly two push loops per push subscription, each pushing one
message at a time (docs/benchmarks.md), so a consumer's local rate is capped at 2 / its latency;
real Pub/Sub pushes many at once. ``PushForwarder`` turns one subscription into a pull
subscription (an empty push config stops the emulator's loops) and delivers its messages to the
same endpoint, with the same push envelope, up to ``in_flight`` at a time: acked on 2xx, nacked
otherwise (the subscription's retry and dead-letter policies still apply). ``stop`` restores
the push config.
"""

from __future__ import annotations

import base64
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests
from google.cloud import pubsub_v1
from google.cloud.pubsub_v1.subscriber.scheduler import ThreadScheduler


class PushForwarder:
    def __init__(self, subscription_path: str, endpoint: str, in_flight: int = 16) -> None:
        self.path = subscription_path
        self.endpoint = endpoint
        self.in_flight = in_flight
        self._subscriber = pubsub_v1.SubscriberClient()
        self._local = threading.local()
        self._future: Any = None

    def _session(self) -> requests.Session:
        s: requests.Session | None = getattr(self._local, "s", None)
        if s is None:
            s = self._local.s = requests.Session()
        return s

    def _deliver(self, msg: Any) -> None:
        envelope = {
            "message": {
                "data": base64.b64encode(msg.data).decode(),
                "attributes": dict(msg.attributes),
                "messageId": msg.message_id,
                "publishTime": msg.publish_time.isoformat(),
            },
            "subscription": self.path,
        }
        try:
            ok = self._session().post(self.endpoint, json=envelope, timeout=60).ok
        except requests.RequestException:
            ok = False
        if ok:
            msg.ack()
        else:
            msg.nack()

    def start(self) -> None:
        self._subscriber.modify_push_config(request={"subscription": self.path, "push_config": {}})
        self._future = self._subscriber.subscribe(
            self.path,
            self._deliver,
            flow_control=pubsub_v1.types.FlowControl(max_messages=self.in_flight),
            scheduler=ThreadScheduler(ThreadPoolExecutor(self.in_flight)),
        )

    def stop(self) -> None:
        if self._future is not None:
            self._future.cancel()
            self._future = None
        self._subscriber.modify_push_config(
            request={"subscription": self.path, "push_config": {"push_endpoint": self.endpoint}}
        )
