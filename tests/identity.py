"""What API Gateway sends a function about its caller, for tests that call functions directly.

Both headers, as the gateway (and the local gateway) sends them: the verified claims in
``X-Apigateway-Api-Userinfo`` and the caller's own token in ``X-Forwarded-Authorization``, an
Auth-emulator token (unsigned, accepted only in emulator mode, which tests/conftest.py turns on
for the test process) for the project the function runs in.
"""

from __future__ import annotations

import os
from typing import Any

from devstack.authtools import emulator_token
from shared.entrypoints.http.api import FORWARDED_AUTH_HEADER, USERINFO_HEADER
from shared.entrypoints.http.auth import userinfo_header


def identity_headers(uid: str, project_id: str | None = None, **claims: Any) -> dict[str, str]:
    project = project_id or os.environ.get("GOOGLE_CLOUD_PROJECT") or "demo-kwetter"
    return {
        USERINFO_HEADER: userinfo_header({"sub": uid, **claims}),
        FORWARDED_AUTH_HEADER: f"Bearer {emulator_token(uid, project)}",
    }
