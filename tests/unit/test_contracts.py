"""The two sources of truth agree with each other and with the code."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
import yaml
from openapi_spec_validator import validate

from devstack.gateway import OPENAPI_PATH, load_routes
from shared import topology

REPO = Path(__file__).resolve().parents[2]
FUNCTIONS = REPO / "functions"


def test_openapi_is_valid_swagger_2_once_rendered():
    # What API Gateway receives: the document after Terraform's templatefile() filled it in.
    text = OPENAPI_PATH.read_text()
    placeholders = set(re.findall(r"\$\{(\w+)\}", text))
    assert "project_id" in placeholders
    for name in placeholders:
        value = "demo-project" if name == "project_id" else f"https://{name}.example.run.app"
        text = text.replace("${" + name + "}", value)
    doc = yaml.safe_load(text)
    assert doc["swagger"] == "2.0"
    validate(doc)


def test_every_route_has_a_backend_function_and_firebase_security():
    topo = topology.load()
    doc = yaml.safe_load(OPENAPI_PATH.read_text())
    assert doc["security"] == [{"firebase": []}]
    assert doc["securityDefinitions"]["firebase"]["x-google-audiences"] == "${project_id}"
    for route in load_routes():
        assert route.backend in topo.http_functions, route
        assert route.secured == (route.method != "OPTIONS"), route


def test_topology_is_consistent():
    topo = topology.load()
    for sub in topo.subscriptions:
        assert sub.topic in topo.topics
        assert sub.dead_letter_topic in topo.dead_letter_topics
        assert sub.max_delivery_attempts == 5
        assert topology.seconds(sub.minimum_backoff) < topology.seconds(sub.maximum_backoff)
    names = [s.name for s in topo.subscriptions]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("name", topology.load().functions)
def test_each_function_is_a_thin_deployable_folder(name):
    folder = FUNCTIONS / name
    main = folder / "main.py"
    assert main.exists() and (folder / "requirements.txt").exists()
    tree = ast.parse(main.read_text())
    entry = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == name]
    assert entry, f"{main} must define the entry point {name}()"
    decorators = [ast.unparse(d) for d in entry[0].decorator_list]
    kind = "http" if name in topology.load().http_functions else "cloud_event"
    assert f"functions_framework.{kind}" in decorators
    assert len(main.read_text().splitlines()) <= 40, "wiring only: logic belongs in shared/"
    reqs = (folder / "requirements.txt").read_text()
    assert "functions-framework==" in reqs


def test_every_function_folder_is_in_the_topology():
    folders = {p.name for p in FUNCTIONS.iterdir() if (p / "main.py").exists()}
    assert folders == set(topology.load().functions)


@pytest.mark.parametrize("name", topology.load().http_functions)
def test_routers_serve_exactly_their_openapi_routes(name, monkeypatch):
    # Building a router may create clients; nothing here connects, so any address will do.
    monkeypatch.setenv("FIRESTORE_EMULATOR_HOST", "127.0.0.1:9")
    monkeypatch.setenv("PUBSUB_EMULATOR_HOST", "127.0.0.1:9")
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", "http://127.0.0.1:9")

    from shared.bootstrap import HTTP_FUNCTIONS, Container

    router = HTTP_FUNCTIONS[name](Container())
    documented = {
        (r.method, r.template) for r in load_routes() if r.backend == name and r.method != "OPTIONS"
    }
    assert router.templates == documented
