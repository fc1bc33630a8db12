"""Pub/Sub function `follow_sync`: social-events: follow backfills, unfollow unmerges."""

from typing import Any

import functions_framework

from shared import bootstrap

_handle = bootstrap.event_function("follow_sync")


@functions_framework.cloud_event
def follow_sync(cloud_event: Any) -> None:
    _handle(cloud_event)
