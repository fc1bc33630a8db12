"""Pub/Sub function `account_exporter`: builds a requested data export (issue 23)."""

from typing import Any

import functions_framework

from shared import bootstrap

_handle = bootstrap.event_function("account_exporter")


@functions_framework.cloud_event
def account_exporter(cloud_event: Any) -> None:
    _handle(cloud_event)
