import json
import logging

from shared import observability


def test_log_lines_are_cloud_logging_json_with_the_trace(capsys):
    logger = logging.getLogger("kwetter.test")
    handler = logging.StreamHandler()
    handler.setFormatter(observability.CloudLoggingFormatter("demo-p"))
    logger.addHandler(handler)
    try:
        observability.set_trace(observability.trace_from_header("abc123/1;o=1"))
        logger.warning("fan-out lag", extra={"json_fields": {"lag_ms": 42}})
    finally:
        logger.removeHandler(handler)
        observability.set_trace(None)
    entry = json.loads(capsys.readouterr().err.strip())
    assert entry["severity"] == "WARNING"
    assert entry["message"] == "fan-out lag"
    assert entry["lag_ms"] == 42
    assert entry["logging.googleapis.com/trace"] == "projects/demo-p/traces/abc123"


def test_bad_trace_headers_are_ignored():
    assert observability.trace_from_header(None) is None
    assert observability.trace_from_header("../etc/1") is None
