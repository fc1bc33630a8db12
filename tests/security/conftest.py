"""The shared local stack (tests/faults/harness.py) for the security tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from devstack.stack import LocalStack
from tests.faults import harness


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    s = harness.acquire_stack(Path(tmp_path_factory.mktemp("security-stack")))
    try:
        yield s
    finally:
        harness.release_stack()
