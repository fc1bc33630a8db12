"""Pub/Sub function `follow_sync`: social-events; follow backfills, unfollow unmerges."""

from typing import Any

import functions_framework

from shared.bootstrap import container
from shared.consumer import consume
from shared.services.timeline import FollowSync

_handler: FollowSync | None = None


@functions_framework.cloud_event
def follow_sync(cloud_event: Any) -> None:
    global _handler
    c = container()
    if _handler is None:
        _handler = FollowSync.from_container(c)
    consume(cloud_event, "follow_sync", _handler.handle, c.publisher)
