"""`make run`: the whole platform on this machine, on real services, no cloud account.

Starts Redis (or, with KWETTER_REDIS_CLUSTER=1, a local 3-master + 3-replica Redis Cluster on
ports 7001-7006), Neo4j, OpenSearch (the search index), the Pub/Sub, Firestore and Auth
emulators, every function under functions-framework on its own port, the topology of
topology.yaml as push subscriptions, the
local API gateway, the outbox ticker and (when built) the web app; waits until each answers,
prints the URLs, and stops everything on Ctrl-C. The test session uses the same class on free
ports. What it started is written to <workdir>/stack.json for the seed, load and e2e tools.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from devstack import gcs, services
from devstack.services import REPO, Service
from shared import topology

TICK_SECONDS = 5.0


@dataclass
class Ports:
    gateway: int = 8080
    redis: int = 6380
    neo4j_bolt: int = 7687
    neo4j_http: int = 7474
    pubsub: int = 8085
    firestore: int = 8086
    auth: int = 9099
    web: int = 5173
    functions: dict[str, int] = field(default_factory=dict)
    gcs: int = 4443
    opensearch: int = 9200
    opensearch_transport: int = 9300

    @classmethod
    def defaults(cls) -> Ports:
        ports = cls()
        for i, name in enumerate(topology.load().functions):
            ports.functions[name] = 8101 + i
        return ports

    @classmethod
    def free(cls) -> Ports:
        f = services.free_port
        ports = cls(f(), f(), f(), f(), f(), f(), f(), f())
        ports.functions = {name: f() for name in topology.load().functions}
        ports.gcs = f()
        ports.opensearch, ports.opensearch_transport = f(), f()
        return ports


# Every local client (the browser, the seed, the benchmarks) is 127.0.0.1, so the per-address
# windows of shared/domain/limits.py would make them one client: off on a laptop. The per-user
# windows stay as deployed. The security tests' stack turns them back on (tests/faults/harness.py
# gives each test client its own loopback address).
LOCAL_LIMITS = {
    f"LIMIT_{rule}{tier}": "0"
    for rule in ("REGISTER_ADDRESS_HOUR", "POST_ADDRESS_MINUTE", "FOLLOW_ADDRESS_MINUTE",
                 "WRITE_ADDRESS_MINUTE")
    for tier in ("", "_UNVERIFIED")
}  # fmt: skip


class LocalStack:
    def __init__(
        self,
        workdir: Path,
        ports: Ports,
        project_id: str = "demo-kwetter",
        *,
        persist: bool = True,
        neo4j_uri: str | None = None,
        tick_seconds: float = TICK_SECONDS,
        extra_env: dict[str, str] | None = None,
        with_web: bool = False,
        redis_cluster: bool | None = None,
    ) -> None:
        self.with_web = with_web
        # A 3-master + 3-replica Redis Cluster instead of one Redis (KWETTER_REDIS_CLUSTER=1).
        if redis_cluster is None:
            redis_cluster = os.environ.get("KWETTER_REDIS_CLUSTER", "") not in ("", "0")
        self.redis_cluster: services.RedisCluster | None = None
        if redis_cluster:
            cdir = workdir.resolve() / "redis-cluster"
            default = ports.redis == Ports.redis
            self.redis_cluster = (
                services.RedisCluster.on_ports(cdir, 7001)
                if default
                else services.RedisCluster.on_free_ports(cdir)
            )
        # Services run with their own cwd, so a relative path would mean something else to them.
        self.workdir = workdir.resolve()
        self.ports = ports
        self.project_id = project_id
        self.persist = persist
        self.external_neo4j = neo4j_uri
        self.tick_seconds = tick_seconds
        self.extra_env = extra_env or {}
        self.started: list[Service] = []
        self._stop_ticker = threading.Event()
        self._ticker: threading.Thread | None = None

    # -- addresses -------------------------------------------------------------------------
    @property
    def gateway_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.gateway}"

    @property
    def redis_url(self) -> str:
        if self.redis_cluster is not None:
            return self.redis_cluster.url
        return f"redis://127.0.0.1:{self.ports.redis}/0"

    @property
    def neo4j_uri(self) -> str:
        return self.external_neo4j or f"bolt://127.0.0.1:{self.ports.neo4j_bolt}"

    @property
    def opensearch_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.opensearch}"

    def function_url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports.functions[name]}"

    def env(self) -> dict[str, str]:
        """What the stack's own processes get: the addresses, the local limits and this stack's
        extra settings (which win)."""
        return {**self.addresses(), **LOCAL_LIMITS, **self.extra_env}

    def addresses(self) -> dict[str, str]:
        """What a process needs to talk to this stack (functions, seeders, tests)."""
        env = {
            "GOOGLE_CLOUD_PROJECT": self.project_id,
            "PUBSUB_EMULATOR_HOST": f"127.0.0.1:{self.ports.pubsub}",
            "FIRESTORE_EMULATOR_HOST": f"127.0.0.1:{self.ports.firestore}",
            "FIREBASE_AUTH_EMULATOR_HOST": f"127.0.0.1:{self.ports.auth}",
            "REDIS_URL": self.redis_url,
            "NEO4J_URI": self.neo4j_uri,
            "OPENSEARCH_URL": self.opensearch_url,
            "KWETTER_LOCAL": "1",
            "PYTHONPATH": str(REPO),
            **gcs.local_env(self.ports.gcs),
        }
        return env

    def describe(self) -> dict[str, Any]:
        return {
            "gateway": self.gateway_url,
            "web": f"http://127.0.0.1:{self.ports.web}",
            "auth_emulator": f"http://127.0.0.1:{self.ports.auth}",
            "project_id": self.project_id,
            "functions": {n: self.function_url(n) for n in self.ports.functions},
            "env": self.env(),
            "ports": asdict(self.ports),
        }

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self, progress: bool = False) -> None:
        def say(msg: str) -> None:
            if progress:
                print(msg, flush=True)

        self.workdir.mkdir(parents=True, exist_ok=True)
        try:
            self._start_backing_services(say)
            self._migrate(say)
            self._start_functions(say)
            from devstack import pubsub_setup

            # The in-process clients (topology, ticker) find the emulators through these; the
            # stack's extra settings stay with its own processes.
            os.environ.update(self.addresses())
            pubsub_setup.create(
                self.project_id, {n: self.function_url(n) for n in self.ports.functions}
            )
            say("  pubsub topology  created from shared/contracts/topology.yaml")
            self._start_gateway(say)
            self._start_ticker()
            if self.with_web:
                self._start_web(say)
            (self.workdir / "stack.json").write_text(json.dumps(self.describe(), indent=2))
        except BaseException:
            self.stop()
            raise

    def _launch(self, svc: Service, say: Any, timeout: float = 120.0) -> None:
        t0 = time.monotonic()
        svc.start(timeout=timeout)
        self.started.append(svc)
        say(f"  {svc.name:<16} ready in {time.monotonic() - t0:4.1f}s  (log {svc.log_path})")

    def _start_backing_services(self, say: Any) -> None:
        w, p = self.workdir, self.ports
        if self.redis_cluster is not None:
            t0 = time.monotonic()
            self.redis_cluster.start()
            say(f"  redis cluster    ready in {time.monotonic() - t0:4.1f}s  "
                f"({len(self.redis_cluster.ports)} nodes, {self.redis_cluster.url})")  # fmt: skip
        backing = [
            services.pubsub(p.pubsub, w / "pubsub"),
            services.firestore(p.firestore, w / "firestore"),
            services.auth(p.auth, self.project_id, w / "auth"),
            services.opensearch(p.opensearch, p.opensearch_transport, w / "opensearch"),
        ]
        if self.redis_cluster is None:
            backing.insert(0, services.redis(p.redis, w / "redis", persist=self.persist))
        if not self.external_neo4j:
            backing.append(services.neo4j(p.neo4j_bolt, p.neo4j_http, w / "neo4j"))
        # JVMs start faster side by side than one after another.
        with ThreadPoolExecutor(len(backing)) as pool:
            list(pool.map(lambda s: self._launch(s, say), backing))
        # fake-gcs-server publishes bucket notifications to the Pub/Sub emulator, so it follows.
        storage = gcs.fake_gcs(
            p.gcs, w / "gcs", pubsub_host=f"127.0.0.1:{p.pubsub}", project_id=self.project_id,
            topic=gcs.TOPIC, notify_bucket=gcs.UPLOADS_BUCKET, persist=self.persist,
        )  # fmt: skip
        self._launch(storage, say)
        gcs.create_buckets(p.gcs, self.project_id)

    def _migrate(self, say: Any) -> None:
        # The deploy step (shared/migrate.py), run as deploy.sh runs it: functions do not
        # create the Neo4j schema themselves.
        t0 = time.monotonic()
        env = {**os.environ, **self.env()}
        done = subprocess.run([sys.executable, "-m", "shared.migrate"], env=env, cwd=REPO,
                              capture_output=True, text=True)  # fmt: skip
        if done.returncode != 0:
            raise services.ServiceFailed(f"python3 -m shared.migrate failed:\n{done.stderr}")
        say(f"  neo4j schema     migrated in {time.monotonic() - t0:4.1f}s")

    def _start_functions(self, say: Any) -> None:
        ff = Path(sys.executable).parent / "functions-framework"
        cmd_base = [str(ff)] if ff.exists() else [sys.executable, "-m", "functions_framework"]
        todo = []
        for name, port in self.ports.functions.items():
            source = REPO / "functions" / name / "main.py"
            if not source.exists():
                raise services.ServiceFailed(f"topology names {name!r} but {source} is missing")
            cmd = [*cmd_base, "--target", name, "--source", str(source),
                   "--host", "127.0.0.1", "--port", str(port)]  # fmt: skip
            env = {**self.env(), "THREADS": "16"}
            todo.append(
                Service(f"fn-{name}", cmd, _port_ready(port), self.workdir / "functions", env)
            )
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(lambda s: self._launch(s, say, 60.0), todo))

    def _start_gateway(self, say: Any) -> None:
        env = {**self.env()}
        for name in self.ports.functions:
            env[f"KWETTER_BACKEND_{name.upper()}"] = self.function_url(name)
        cmd = [
            sys.executable, "-m", "gunicorn", "--worker-class", "gthread", "--threads", "32",
            "--workers", "1", "--bind", f"127.0.0.1:{self.ports.gateway}", "--timeout", "120",
            # Unlimited here so that the gateway itself answers an over-long URL with JSON.
            "--limit-request-line", "0",
            "devstack.gateway:create_app()",
        ]  # fmt: skip
        ready = _http_ready(f"{self.gateway_url}/healthz")
        self._launch(Service("gateway", cmd, ready, self.workdir / "gateway", env), say)

    def _start_web(self, say: Any) -> None:
        """Build the web app against this stack and serve the static bundle."""
        web = REPO / "frontend"
        if not (web / "node_modules").is_dir():
            raise services.ServiceFailed("frontend/node_modules missing: run `make deps`")
        env = {
            **os.environ,
            "VITE_API_BASE": self.gateway_url,
            "VITE_FIREBASE_PROJECT_ID": self.project_id,
            "VITE_FIREBASE_API_KEY": "demo-key",
            "VITE_AUTH_EMULATOR_URL": f"http://127.0.0.1:{self.ports.auth}",
        }
        out = self.workdir / "web-dist"
        t0 = time.monotonic()
        build = subprocess.run(
            ["npm", "run", "build", "--", "--outDir", str(out), "--emptyOutDir"],
            cwd=web, env=env, capture_output=True, text=True,
        )  # fmt: skip
        if build.returncode != 0:
            raise services.ServiceFailed(f"web build failed:\n{build.stdout}\n{build.stderr}")
        say(f"  web build        done in {time.monotonic() - t0:4.1f}s")
        cmd = [sys.executable, "-m", "devstack.static_site",
               "--dir", str(out), "--port", str(self.ports.web)]  # fmt: skip
        ready = _http_ready(f"http://127.0.0.1:{self.ports.web}/")
        self._launch(Service("web", cmd, ready, self.workdir / "web", self.env()), say)

    def _start_ticker(self) -> None:
        """Cloud Scheduler's stand-in: a tick on outbox-ticks so the outbox relay runs."""
        from google.cloud import pubsub_v1

        publisher = pubsub_v1.PublisherClient()
        topic = publisher.topic_path(self.project_id, "outbox-ticks")

        def run() -> None:
            while not self._stop_ticker.wait(self.tick_seconds):
                try:
                    publisher.publish(topic, b"{}", source="local-ticker").result(timeout=10)
                except Exception as exc:  # the emulator may be stopping; try again next tick
                    print(f"ticker: {exc}", file=sys.stderr)

        self._ticker = threading.Thread(target=run, name="outbox-ticker", daemon=True)
        self._ticker.start()

    def stop(self) -> None:
        self._stop_ticker.set()
        # Side by side: a JVM's or node's shutdown need not wait for the others'.
        if self.started:
            with ThreadPoolExecutor(len(self.started)) as pool:
                list(pool.map(lambda s: s.stop(), self.started))
        self.started.clear()
        if self.redis_cluster is not None:
            self.redis_cluster.stop()


def _port_ready(port: int) -> Any:
    return lambda: services.port_open(port)


def _http_ready(url: str) -> Any:
    return lambda: services.http_ok(url)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workdir", type=Path, default=REPO / ".local" / "run")
    parser.add_argument("--fresh", action="store_true", help="delete local data first")
    parser.add_argument("--no-web", action="store_true", help="do not build and serve the web app")
    args = parser.parse_args(argv)
    if args.fresh and args.workdir.exists():
        import shutil

        shutil.rmtree(args.workdir)
    ports = Ports.defaults()
    stack = LocalStack(
        args.workdir,
        ports,
        neo4j_uri=os.environ.get("NEO4J_URI") or None,
        with_web=not args.no_web,
    )
    print("Starting Kwetter locally (real Redis, Neo4j, OpenSearch, Pub/Sub, Firestore, Auth)")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    t0 = time.monotonic()
    stack.start(progress=True)
    d = stack.describe()
    print(f"\nKwetter is up in {time.monotonic() - t0:.0f}s.")
    if stack.with_web:
        print(f"  Web app          {d['web']}")
    print(f"  API gateway      {d['gateway']}   (routes: shared/contracts/openapi.yaml)")
    print(f"  Auth emulator    {d['auth_emulator']}   (project {d['project_id']})")
    print(f"  Redis            {stack.redis_url}")
    print(f"  Neo4j (Bolt)     {stack.neo4j_uri}")
    print(f"  OpenSearch       {stack.opensearch_url}")
    print(f"  Pub/Sub emulator 127.0.0.1:{ports.pubsub}")
    print(f"  Firestore emul.  127.0.0.1:{ports.firestore}")
    print(f"  Cloud Storage    http://127.0.0.1:{ports.gcs}   (fake-gcs-server)")
    for name, url in d["functions"].items():
        print(f"  function {name:<16} {url}")
    print(f"  stack description: {args.workdir / 'stack.json'}")
    print("Seed it with `make seed` in another terminal. Ctrl-C stops everything.")
    stop.wait()
    print("\nStopping…")
    stack.stop()
    print("Stopped.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
