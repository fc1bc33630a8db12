"""Every route of the OpenAPI document, fuzzed through the local gateway with schemathesis.

Zero 5xx, and every response — including every error — matches the documented schema.
"""

from __future__ import annotations

import uuid

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from devstack.authtools import SignedIn, sign_up
from devstack.gateway import OPENAPI_PATH
from devstack.stack import LocalStack

pytestmark = pytest.mark.e2e
schema = schemathesis.openapi.from_path(str(OPENAPI_PATH))


@pytest.fixture(scope="module")
def fuzzer(local_stack: LocalStack) -> SignedIn:
    user = sign_up(
        local_stack.describe()["auth_emulator"], f"fz{uuid.uuid4().hex}@k.test", "pw1234"
    )
    resp = requests.post(
        f"{local_stack.gateway_url}/v1/users",
        json={"handle": f"fz_{uuid.uuid4().hex[:8]}", "display_name": "Fuzzer"},
        headers=user.headers,
        timeout=90,  # a cold users function on a shared machine can take over 10 s
    )
    assert resp.status_code == 201, resp.text
    return user


@schema.parametrize()
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_no_5xx_and_documented_responses(case, local_stack: LocalStack, fuzzer: SignedIn):
    response = case.call(base_url=local_stack.gateway_url, headers=fuzzer.headers, timeout=30)
    checks = [not_a_server_error, response_schema_conformance]
    if response.status_code != 204:  # no body, so no Content-Type to conform
        checks.append(content_type_conformance)
    case.validate_response(response, checks=checks)
