"""The whole local platform, started once for the e2e tests, on free ports."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from shared.devstack.stack import LocalStack, Ports


@pytest.fixture(scope="session")
def local_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    workdir = Path(tmp_path_factory.mktemp("stack"))
    saved = dict(os.environ)
    stack = LocalStack(
        workdir, Ports.free(), "demo-kwetter-e2e", persist=False, tick_seconds=1.0,
        extra_env={"BURST_POST_THRESHOLD": "1000"},
    )  # fmt: skip
    stack.start()
    try:
        yield stack
    finally:
        stack.stop()
        os.environ.clear()
        os.environ.update(saved)
