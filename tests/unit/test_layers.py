"""The layers hold: read from every module's imports (all of them, TYPE_CHECKING ones too).

- the domain is pure: nothing of adapters, use cases, entry points, wiring, HTTP or stores;
- use cases see ports only: no concrete adapter, no HTTP, no store client;
- entry points call use cases: no adapter, no store client;
- only adapters import a store client (redis, neo4j, google.cloud, firebase_admin, opensearch);
- local tooling (devstack/) writes application data through the package, never a client of its
  own; the few tools that may hold a client say why below.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO / "shared"

STORE_CLIENTS = ("redis", "neo4j", "google.cloud", "firebase_admin", "opensearchpy", "opensearch")
HTTP = ("flask", "werkzeug", "functions_framework", "shared.entrypoints")

# Tooling that talks to a server as infrastructure or as a measuring instrument, not to read or
# write the platform's data: creating the emulator's topics as Terraform does in the cloud,
# delivering pushes in the benchmark, reading a server's INFO memory/CPU figures.
DEVSTACK_CLIENT_USERS = {
    "pubsub_setup.py": "creates the topology in the emulator, as Terraform does in the cloud",
    "push_forwarder.py": "stands in for the emulator's push loops in the benchmark",
    "bench_timeline.py": "reads Redis INFO / MEMORY USAGE to measure bytes per entry",
    "bench_e2e.py": "reads Redis INFO and drives Pub/Sub for the freshness benchmark",
    "bench_search_stack.py": "taps post-events (a pull subscription of its own) to time each hop",
    "bench_notifications.py": "reads Redis INFO / MEMORY USAGE for bytes per notification",
    "bench_graph.py": "measures Neo4j query latency",
    "bench_cluster.py": "reads each shard's INFO memory/CPU to compare the cluster with one Redis",
    "gcs.py": "creates the emulator's buckets, as Terraform does in the cloud",
    "services.py": "waits until a started Neo4j answers a query",
    "stack.py": "publishes the empty ticks Cloud Scheduler publishes in the cloud",
}


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{a.name}" for a in node.names}
    return found


def _hits(names: set[str], forbidden: tuple[str, ...]) -> list[str]:
    return sorted(n for n in names if any(n == f or n.startswith(f + ".") for f in forbidden))


def _modules(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.py") if "__pycache__" not in p.parts)


def _id(p: Path) -> str:
    return str(p.relative_to(REPO))


@pytest.mark.parametrize("path", _modules(SHARED / "domain"), ids=_id)
def test_the_domain_is_pure(path: Path) -> None:
    forbidden = (
        "shared.adapters", "shared.usecases", "shared.services", "shared.bootstrap",
        "shared.observability", *HTTP, *STORE_CLIENTS, "requests", "urllib3",
    )  # fmt: skip
    assert not _hits(imports_of(path), forbidden)


@pytest.mark.parametrize("path", _modules(SHARED / "usecases"), ids=_id)
def test_use_cases_see_ports_only(path: Path) -> None:
    forbidden = ("shared.adapters", "shared.bootstrap", *HTTP, *STORE_CLIENTS)
    assert not _hits(imports_of(path), forbidden)


@pytest.mark.parametrize("path", _modules(SHARED / "entrypoints"), ids=_id)
def test_entry_points_call_use_cases_not_adapters(path: Path) -> None:
    assert not _hits(imports_of(path), ("shared.adapters", *STORE_CLIENTS))


@pytest.mark.parametrize(
    "path",
    [p for p in _modules(SHARED) if "adapters" not in p.relative_to(SHARED).parts],
    ids=_id,
)
def test_only_adapters_import_a_store_client(path: Path) -> None:
    assert not _hits(imports_of(path), STORE_CLIENTS)


@pytest.mark.parametrize("path", _modules(REPO / "devstack"), ids=_id)
def test_tooling_touches_stores_through_the_package(path: Path) -> None:
    hits = _hits(imports_of(path), STORE_CLIENTS)
    assert not hits or path.name in DEVSTACK_CLIENT_USERS, hits


def test_the_old_services_layer_is_gone() -> None:
    assert not (SHARED / "services").exists()


def test_the_rules_see_real_imports() -> None:
    """The checker itself: it finds a store client where there is one."""
    assert _hits(imports_of(SHARED / "adapters" / "redis_timeline.py"), STORE_CLIENTS)
    assert _hits(imports_of(REPO / "devstack" / "pubsub_setup.py"), STORE_CLIENTS)
