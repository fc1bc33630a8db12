"""The web app in Debian's Chromium (Playwright), against the same local stack as the API tests.

Two users sign up, one follows the other, posts, the other sees it arrive, it is deleted and
disappears; plus retries that must not double-post and a follow that rolls back on error.
The specs live in frontend/e2e; this test gives them this session's stack.
"""

from __future__ import annotations

import os
import subprocess

import pytest

from devstack.services import REPO
from devstack.stack import LocalStack

pytestmark = pytest.mark.e2e


def test_web_app_in_chromium(local_stack: LocalStack) -> None:
    d = local_stack.describe()
    env = {
        **os.environ,
        "E2E_API_URL": d["gateway"],
        "E2E_AUTH_EMULATOR_URL": d["auth_emulator"],
        "E2E_PROJECT_ID": d["project_id"],
        # stack.json's folder: the safety spec grants a moderator with devstack/grant_role.py
        "E2E_STACK_DIR": str(local_stack.workdir),
    }
    run = subprocess.run(
        ["bash", "frontend/e2e/run.sh"],
        cwd=REPO, env=env, timeout=900, capture_output=True, text=True,
    )  # fmt: skip
    assert run.returncode == 0, f"{run.stdout[-6000:]}\n{run.stderr[-3000:]}"
