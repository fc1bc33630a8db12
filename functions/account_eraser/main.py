"""Pub/Sub function `account_eraser`: erases a deleted account from every store (issue 23)."""

from typing import Any

import functions_framework

from shared import bootstrap

_handle = bootstrap.event_function("account_eraser")


@functions_framework.cloud_event
def account_eraser(cloud_event: Any) -> None:
    _handle(cloud_event)
