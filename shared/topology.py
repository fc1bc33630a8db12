"""Typed view of contracts/topology.yaml, the one description of the event topology."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

TOPOLOGY_PATH = Path(__file__).parent / "contracts" / "topology.yaml"


@dataclass(frozen=True)
class Subscription:
    name: str
    topic: str
    function: str
    dead_letter_topic: str
    ack_deadline_seconds: int
    retain_acked_messages: bool
    message_retention_duration: str
    minimum_backoff: str
    maximum_backoff: str
    max_delivery_attempts: int


@dataclass(frozen=True)
class Topology:
    topics: dict[str, dict[str, Any]]
    subscriptions: tuple[Subscription, ...]
    dead_letter_topics: tuple[str, ...]
    http_functions: tuple[str, ...]

    @property
    def event_functions(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(s.function for s in self.subscriptions))

    @property
    def functions(self) -> tuple[str, ...]:
        return self.http_functions + self.event_functions


def seconds(duration: str) -> int:
    if not duration.endswith("s"):
        raise ValueError(f"durations are written like '10s', got {duration!r}")
    return int(duration[:-1])


@lru_cache(maxsize=1)
def load(path: Path = TOPOLOGY_PATH) -> Topology:
    doc = yaml.safe_load(path.read_text())
    d = doc["defaults"]
    subs = []
    for name, s in doc["subscriptions"].items():
        retry = {**d["retry_policy"], **s.get("retry_policy", {})}
        subs.append(
            Subscription(
                name=name,
                topic=s["topic"],
                function=s["function"],
                dead_letter_topic=s["dead_letter_topic"],
                ack_deadline_seconds=s.get("ack_deadline_seconds", d["ack_deadline_seconds"]),
                retain_acked_messages=s.get("retain_acked_messages", d["retain_acked_messages"]),
                message_retention_duration=s.get(
                    "message_retention_duration", d["message_retention_duration"]
                ),
                minimum_backoff=retry["minimum_backoff"],
                maximum_backoff=retry["maximum_backoff"],
                max_delivery_attempts=s.get("max_delivery_attempts", d["max_delivery_attempts"]),
            )
        )
    return Topology(
        topics=doc["topics"],
        subscriptions=tuple(subs),
        dead_letter_topics=tuple(doc["dead_letter_topics"]),
        http_functions=tuple(doc["http_functions"]),
    )
