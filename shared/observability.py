"""Structured logs in Cloud Logging's JSON format, with one trace id across the whole path.

The trace id starts at the gateway (X-Cloud-Trace-Context), travels in events' ``trace_id`` and
Pub/Sub attributes, and is set again by each consumer, so one post can be followed from the HTTP
request through the planner to every timeline writer in Logs Explorer.
"""

from __future__ import annotations

import contextvars
import json
import logging
import os
import sys
from typing import Any

_trace: contextvars.ContextVar[str | None] = contextvars.ContextVar("trace_id", default=None)
_configured = False


def set_trace(trace_id: str | None) -> None:
    _trace.set(trace_id or None)


def current_trace() -> str | None:
    return _trace.get()


def trace_from_header(value: str | None) -> str | None:
    """The trace id of an ``X-Cloud-Trace-Context: TRACE_ID/SPAN_ID;o=1`` header."""
    if not value:
        return None
    trace = value.split("/", 1)[0].strip()
    return trace if trace and len(trace) <= 64 and trace.isalnum() else None


class CloudLoggingFormatter(logging.Formatter):
    def __init__(self, project_id: str) -> None:
        super().__init__()
        self.project_id = project_id

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "severity": record.levelname,
            "message": record.getMessage(),
            "logger": record.name,
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
        }
        trace = current_trace()
        if trace:
            entry["logging.googleapis.com/trace"] = f"projects/{self.project_id}/traces/{trace}"
        extra = getattr(record, "json_fields", None)
        if isinstance(extra, dict):
            entry.update(extra)
        if record.exc_info:
            entry["stack_trace"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def setup_logging(project_id: str) -> None:
    """Once per process: JSON lines on stdout, which Cloud Run ships to Cloud Logging."""
    global _configured
    if _configured:
        return
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(CloudLoggingFormatter(project_id))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(os.environ.get("LOG_LEVEL", "INFO"))
    _configured = True
