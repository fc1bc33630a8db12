"""``python3 -m shared.migrate``: bring the stores' schemas up to date, once per deployment.

``python3 -m shared.migrate --seal-event-log``: the one-off sealing of the events written before
crypto-shredding (shared/usecases/seal_log.py, docs/privacy.md); idempotent, resumable.

Today that is Neo4j's constraints and indexes (Neo4jGraph.ensure_schema): idempotent, safe to run
while functions serve, and it waits until every index is online. It runs before functions are
published (infra/terraform/deploy.sh), when the local stack starts (devstack/stack.py) and in the
test fixtures that make a graph, instead of on every cold start of every function that reads the
graph. Connection settings come from the environment, as the functions' do (shared/config.py).
"""

from __future__ import annotations

import sys
import time

from shared.bootstrap import Container


def migrate(c: Container) -> None:
    c.graph.ensure_schema()


def seal_event_log(c: Container) -> int:
    from shared.usecases.seal_log import seal_event_log as run

    started = time.monotonic()
    report = run(c.posts, c.data_keys)
    print(f"event log: {report} in {time.monotonic() - started:.1f}s", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    c = Container()
    if args == ["--seal-event-log"]:
        return seal_event_log(c)
    if args:
        print("usage: python3 -m shared.migrate [--seal-event-log]", file=sys.stderr)
        return 2
    started = time.monotonic()
    try:
        migrate(c)
    finally:
        c.neo4j_driver.close()
    print(
        f"neo4j schema up to date on {c.settings.neo4j_uri} in {time.monotonic() - started:.1f}s",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
