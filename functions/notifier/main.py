"""Pub/Sub function `notifier`: post-events (mentions, replies), engagement-events (likes),
social-events (follows) into the recipients' notifications (docs/notifications.md)."""

from typing import Any

import functions_framework

from shared import bootstrap

_handle = bootstrap.event_function("notifier")


@functions_framework.cloud_event
def notifier(cloud_event: Any) -> None:
    _handle(cloud_event)
