"""Pub/Sub function `search_indexer`: post-events: the search index and trend counters."""

from typing import Any

import functions_framework

from shared import bootstrap

_handle = bootstrap.event_function("search_indexer")


@functions_framework.cloud_event
def search_indexer(cloud_event: Any) -> None:
    _handle(cloud_event)
