"""Start and stop the real services of the local stack, each as a child process group.

Used by `make run` (devstack.stack) and by the test session (tests/conftest.py), on
different ports so both can run at once. The emulators are started from their jars directly
(not through gcloud's wrappers, which leave the JVM running when killed).
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
LOCAL = REPO / ".local"
NEO4J_LIB = Path(os.environ.get("KWETTER_NEO4J_LIB", LOCAL / "neo4j" / "lib"))
AUTH_TOOLS = REPO / "infra" / "local" / "node_modules" / ".bin" / "firebase"


def gcloud_root() -> Path:
    env = os.environ.get("CLOUDSDK_ROOT")
    if env:
        return Path(env)
    gcloud = shutil.which("gcloud")
    if gcloud is None:
        raise RuntimeError("gcloud is missing: the Pub/Sub and Firestore emulators come with it")
    return Path(os.path.realpath(gcloud)).parents[1]


class ServiceFailed(RuntimeError):
    pass


@dataclass
class Service:
    name: str
    cmd: list[str]
    ready: Callable[[], bool]
    workdir: Path
    env: dict[str, str] = field(default_factory=dict)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def log_path(self) -> Path:
        return self.workdir / f"{self.name}.log"

    def start(self, timeout: float = 90.0) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")  # noqa: SIM115 - the child process owns it from here
        self.proc = subprocess.Popen(
            self.cmd,
            cwd=self.workdir,
            env={**os.environ, **self.env},
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # its own process group: stop() kills JVMs and children too
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise ServiceFailed(
                    f"{self.name} exited with {self.proc.returncode}; log tail:\n{self.tail()}"
                )
            try:
                if self.ready():
                    return
            except Exception:  # not up yet; keep polling until the deadline
                pass
            time.sleep(0.2)
        self.stop()
        raise ServiceFailed(f"{self.name} not ready after {timeout:.0f}s; log:\n{self.tail()}")

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self, grace: float = 10.0) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=grace)
        except ProcessLookupError:
            pass


@contextlib.contextmanager
def running(*wanted: Service) -> Iterator[None]:
    """Start each service in turn; on the way out stop every one that started, newest first,
    whether the body or a later start failed (the benchmarks' throw-away services)."""
    up: list[Service] = []
    try:
        for svc in wanted:
            svc.start()
            up.append(svc)
        yield
    finally:
        for svc in reversed(up):
            svc.stop()


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex((host, port)) == 0


def http_ok(url: str) -> bool:
    with urllib.request.urlopen(url, timeout=2) as resp:
        return bool(200 <= resp.status < 300)


_handed_out: set[int] = set()
_port_rng = random.Random()


def free_port() -> int:
    """A port nothing listens on, below Linux's ephemeral range (32768+): a port the kernel
    picked (bind to 0) could be taken by any outgoing connection before our server binds it."""
    for _ in range(1000):
        port = _port_rng.randint(20_000, 32_000)
        if port in _handed_out:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        _handed_out.add(port)
        return port
    raise ServiceFailed("no free port in 20000-32000")


def redis(port: int, workdir: Path, *, persist: bool = False) -> Service:
    server = shutil.which("redis-server") or "/usr/bin/redis-server"
    cmd = [
        server, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(workdir),
        "--daemonize", "no", "--protected-mode", "yes",
        # The listpack settings stay Redis' defaults (128 entries, 64 bytes), as on Memorystore,
        # which does not let you change them: home timelines are pieces that each fit.
        "--save", "" if not persist else "60 1000",
        "--appendonly", "yes" if persist else "no",
    ]  # fmt: skip

    def ready() -> bool:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")

    return Service("redis", cmd, ready, workdir)


# The serial collector and C1 only: at 50 posts/s for 40 s through the stack, the Firestore and
# Pub/Sub emulators then used 11.5 instead of 20.2 CPU seconds (4.3 ms less per post) on this
# 2-core machine, where G1's concurrent threads and C2's compiles compete with everything else.
EMULATOR_JAVA_OPTS = "-XX:+UseSerialGC -XX:TieredStopAtLevel=1"


def _emulator_jvm() -> list[str]:
    """JVM options of the Google emulators (EMULATOR_JAVA_OPTS overrides)."""
    return os.environ.get("EMULATOR_JAVA_OPTS", EMULATOR_JAVA_OPTS).split()


def pubsub(port: int, workdir: Path) -> Service:
    jars = sorted((gcloud_root() / "platform" / "pubsub-emulator" / "lib").glob("*.jar"))
    if not jars:
        raise ServiceFailed("no Pub/Sub emulator: gcloud components install pubsub-emulator")
    cmd = ["java", "-Xmx256m", *_emulator_jvm(), "-jar", str(jars[-1]),
           "--host=127.0.0.1", f"--port={port}"]  # fmt: skip
    return Service("pubsub", cmd, lambda: http_ok(f"http://127.0.0.1:{port}/"), workdir)


def firestore(port: int, workdir: Path) -> Service:
    jar = gcloud_root() / "platform" / "cloud-firestore-emulator" / "cloud-firestore-emulator.jar"
    if not jar.exists():
        raise ServiceFailed(
            "no Firestore emulator: gcloud components install cloud-firestore-emulator"
        )
    cmd = [
        "java", "-Xmx384m", *_emulator_jvm(), "-Duser.language=en", "-cp", str(jar),
        "com.google.cloud.datastore.emulator.firestore.CloudFirestore", "start",
        "--host=127.0.0.1", f"--port={port}",
    ]  # fmt: skip
    return Service("firestore", cmd, lambda: http_ok(f"http://127.0.0.1:{port}/"), workdir)


def neo4j(bolt_port: int, http_port: int, workdir: Path) -> Service:
    if not NEO4J_LIB.is_dir():
        raise ServiceFailed(f"Neo4j jars missing in {NEO4J_LIB}: run `make deps`")
    conf_dir = workdir / "neo4j-conf"
    conf_dir.mkdir(parents=True, exist_ok=True)
    data = workdir / "neo4j-data"
    (conf_dir / "neo4j.conf").write_text(
        "\n".join(
            [
                "dbms.security.auth_enabled=false",
                f"server.bolt.listen_address=127.0.0.1:{bolt_port}",
                f"server.bolt.advertised_address=127.0.0.1:{bolt_port}",
                f"server.http.listen_address=127.0.0.1:{http_port}",
                "server.https.enabled=false",
                f"server.directories.data={data}",
                f"server.directories.logs={workdir / 'neo4j-logs'}",
                f"server.directories.run={workdir / 'neo4j-run'}",
                f"server.directories.transaction.logs.root={data / 'transactions'}",
                "server.memory.heap.initial_size=256m",
                "server.memory.heap.max_size=512m",
                "server.memory.pagecache.size=128m",
                "dbms.usage_report.enabled=false",
                "db.tx_log.rotation.retention_policy=100M size",
                # Neo4j waits for a lock forever by default: a bounded wait surfaces as a
                # transient error the driver retries, never as a request (or a test) that hangs.
                "db.lock.acquisition.timeout=60s",
                # And no transaction outlives 5 minutes: a client stuck reading a result gets an
                # error instead of waiting on a server-side wait that never ends.
                "db.transaction.timeout=300s",
                "",
            ]
        )
    )
    cmd = [
        "java", "-Xms256m", "-Xmx512m", "-XX:+UseParallelGC",
        "-cp", f"{NEO4J_LIB}/*", "org.neo4j.server.CommunityEntryPoint",
        f"--home-dir={workdir}", f"--config-dir={conf_dir}",
    ]  # fmt: skip

    def ready() -> bool:
        if not port_open(bolt_port):
            return False
        from neo4j import GraphDatabase

        with GraphDatabase.driver(f"bolt://127.0.0.1:{bolt_port}", auth=None) as d:
            d.verify_connectivity()
            d.execute_query("RETURN 1", database_="neo4j")
        return True

    return Service("neo4j", cmd, ready, workdir)


def auth(port: int, project_id: str, workdir: Path) -> Service:
    if not AUTH_TOOLS.exists():
        raise ServiceFailed(f"firebase-tools missing at {AUTH_TOOLS}: run `make deps`")
    workdir.mkdir(parents=True, exist_ok=True)
    # The Emulator UI must stay off: it would try to download itself and abort offline. The hub
    # and logging ports default to 4400 and 4500: a second stack on the machine (parallel
    # suites) found them taken and its emulator exited after reporting ready, so both are free
    # ports of this stack's own.
    loopback = "127.0.0.1"
    config = {
        "emulators": {
            "auth": {"host": loopback, "port": port},
            "hub": {"host": loopback, "port": free_port()},
            "logging": {"host": loopback, "port": free_port()},
            "ui": {"enabled": False},
        }
    }
    (workdir / "firebase.json").write_text(json.dumps(config))
    cmd = [
        str(AUTH_TOOLS), "emulators:start", "--only", "auth",
        "--project", project_id, "--config", str(workdir / "firebase.json"),
    ]  # fmt: skip
    env = {"CI": "1", "NO_UPDATE_NOTIFIER": "1", "FIREBASE_CLI_DISABLE_UPDATE_CHECK": "1"}
    return Service("auth", cmd, lambda: http_ok(f"http://127.0.0.1:{port}/"), workdir, env)


# ---- Redis Cluster (issue 19) ---------------------------------------------------------------

CLUSTER_NODE_TIMEOUT_MS = 2000  # failover drills: a dead master is replaced within seconds


def redis_cluster_node(port: int, bus_port: int, workdir: Path) -> Service:
    """One node of a local Redis Cluster: the same server and encoding settings as ``redis``,
    with ``cluster-enabled yes`` and its cluster bus on ``bus_port`` (loopback only)."""
    server = shutil.which("redis-server") or "/usr/bin/redis-server"
    cmd = [
        server, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(workdir),
        "--daemonize", "no", "--protected-mode", "yes",
        "--cluster-enabled", "yes", "--cluster-port", str(bus_port),
        "--cluster-config-file", str(workdir / "nodes.conf"),
        "--cluster-node-timeout", str(CLUSTER_NODE_TIMEOUT_MS),
        "--cluster-announce-ip", "127.0.0.1",
        # Replicas sync at once (the default waits 5 s): a replica that never synced cannot be
        # promoted, and the failover drill kills a master seconds after the cluster formed.
        "--repl-diskless-sync-delay", "0",
        "--save", "", "--appendonly", "no",
    ]  # fmt: skip

    def ready() -> bool:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")

    return Service(f"redis-cluster-{port}", cmd, ready, workdir)


def cluster_info(port: int) -> dict[str, str]:
    """CLUSTER INFO of the node on ``port``, parsed."""
    with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
        s.sendall(b"CLUSTER INFO\r\n")
        buf = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
            head, _, rest = buf.partition(b"\r\n")
            if head.startswith(b"$") and len(rest) >= int(head[1:]):
                break
            if head.startswith(b"-"):
                raise ServiceFailed(head.decode())
    _, _, body = buf.partition(b"\r\n")
    out = {}
    for line in body.decode().splitlines():
        k, sep, v = line.partition(":")
        if sep:
            out[k] = v.strip()
    return out


@dataclass
class RedisCluster:
    """A local Redis Cluster of ``masters`` masters with ``replicas`` replicas each, from the
    Debian redis-server, every node its own process group, ports on loopback."""

    workdir: Path
    ports: list[int]
    bus_ports: list[int]
    replicas: int = 1
    nodes: list[Service] = field(default_factory=list)

    name: str = "redis-cluster"

    @classmethod
    def on_free_ports(cls, workdir: Path, masters: int = 3, replicas: int = 1) -> RedisCluster:
        n = masters * (1 + replicas)
        return cls(workdir, [free_port() for _ in range(n)], [free_port() for _ in range(n)],
                   replicas)  # fmt: skip

    @classmethod
    def on_ports(
        cls, workdir: Path, first: int, masters: int = 3, replicas: int = 1
    ) -> RedisCluster:
        n = masters * (1 + replicas)
        ports = list(range(first, first + n))
        return cls(workdir, ports, [p + 10000 for p in ports], replicas)

    @property
    def url(self) -> str:
        """The URL the settings read (shared.config): a seed node; the client discovers the rest."""
        return f"redis+cluster://127.0.0.1:{self.ports[0]}"

    @property
    def log_path(self) -> Path:
        return self.workdir / "cluster-create.log"

    def start(self, timeout: float = 60.0) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        try:
            for port, bus in zip(self.ports, self.bus_ports, strict=True):
                d = self.workdir / str(port)
                (d / "nodes.conf").unlink(missing_ok=True)
                node = redis_cluster_node(port, bus, d)
                node.start(timeout=timeout)
                self.nodes.append(node)
            self._create(timeout)
        except BaseException:
            self.stop()
            raise

    def _create(self, timeout: float) -> None:
        cli = shutil.which("redis-cli") or "/usr/bin/redis-cli"
        cmd = [cli, "--cluster", "create", *(f"127.0.0.1:{p}" for p in self.ports),
               "--cluster-replicas", str(self.replicas), "--cluster-yes"]  # fmt: skip
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL)  # fmt: skip
        self.log_path.write_text(done.stdout + done.stderr)
        if done.returncode != 0:
            raise ServiceFailed(f"redis-cli --cluster create failed:\n{done.stdout}{done.stderr}")
        self.wait_ok(timeout)
        self.wait_replicas_synced(timeout)

    def wait_replicas_synced(self, timeout: float = 60.0) -> None:
        """Until every replica's link to its master is up (it holds the master's data) and its
        master has had its first acknowledgement (until then a WAIT for one replica counts
        none: the writer's REDIS_WAIT_REPLICAS would fail a cluster just started)."""
        import redis as redis_lib

        deadline = time.monotonic() + timeout
        pending: list[int] = []
        while time.monotonic() < deadline:
            pending = []
            for port in self.ports:
                with redis_lib.Redis(port=port, socket_timeout=2) as r:
                    info = r.info("replication")
                if info["role"] == "slave" and info.get("master_link_status") != "up":
                    pending.append(port)
                replicas = [
                    v for k, v in info.items() if k.startswith("slave") and isinstance(v, dict)
                ]
                if info["role"] == "master" and any(int(v["offset"]) == 0 for v in replicas):
                    pending.append(port)
            if not pending:
                return
            time.sleep(0.2)
        raise ServiceFailed(f"Redis Cluster replicas not in sync after {timeout:.0f}s: {pending}")

    def wait_ok(self, timeout: float = 60.0) -> None:
        """Until every live node reports ``cluster_state:ok`` with all 16384 slots assigned."""
        deadline = time.monotonic() + timeout
        last: dict[int, str] = {}
        while time.monotonic() < deadline:
            states = {}
            for node, port in zip(self.nodes, self.ports, strict=False):
                if node.proc is None or node.proc.poll() is not None:
                    continue
                try:
                    info = cluster_info(port)
                except (OSError, ServiceFailed) as e:
                    states[port] = f"error {e}"
                    continue
                ok = info.get("cluster_state") == "ok" and info.get("cluster_slots_ok") == "16384"
                states[port] = "ok" if ok else info.get("cluster_state", "?")
            if states and all(v == "ok" for v in states.values()):
                return
            last = states
            time.sleep(0.2)
        raise ServiceFailed(f"Redis Cluster not ok after {timeout:.0f}s: {last}")

    def node_on(self, port: int) -> Service:
        return self.nodes[self.ports.index(port)]

    def stop(self, grace: float = 10.0) -> None:
        for node in self.nodes:
            node.stop(grace)
        self.nodes.clear()

    def tail(self, lines: int = 30) -> str:
        return "\n\n".join(f"{n.name}:\n{n.tail(lines)}" for n in self.nodes)


# ---- OpenSearch (issue 22) ------------------------------------------------------------------

OPENSEARCH_HEAP = "512m"
OPENSEARCH_USER = "nobody"  # OpenSearch refuses to run as root


def _opensearch_config(http_port: int, transport_port: int, workdir: Path) -> Path:
    conf = workdir / "config"
    conf.mkdir(parents=True, exist_ok=True)
    (conf / "opensearch.yml").write_text(
        "\n".join(
            [
                "cluster.name: kwetter-local",
                "node.name: local",
                "discovery.type: single-node",
                "network.host: 127.0.0.1",
                f"http.port: {http_port}",
                f"transport.port: {transport_port}",
                f"path.data: {workdir / 'data'}",
                f"path.logs: {workdir / 'logs'}",
                # The application creates its indices with their mappings; a typo in an index
                # name must fail, not make a new index with guessed mappings.
                "action.auto_create_index: false",
                # A shared laptop disk above 90% would otherwise turn the index read-only.
                "cluster.routing.allocation.disk.threshold_enabled: false",
                "bootstrap.memory_lock: false",
                "",
            ]
        )
    )
    (conf / "log4j2.properties").write_text(
        "\n".join(
            [
                "status = error",
                "appender.console.type = Console",
                "appender.console.name = console",
                "appender.console.layout.type = PatternLayout",
                "appender.console.layout.pattern = [%d{ISO8601}][%-5p][%-25c{1.}] %m%n",
                "rootLogger.level = warn",
                "rootLogger.appenderRef.console.ref = console",
                "logger.node.name = org.opensearch.node.Node",
                "logger.node.level = info",
                "",
            ]
        )
    )
    return conf


def _world_traversable(path: Path) -> None:
    """The unprivileged server must reach its folder: a private temp dir (0700, from mkdtemp)
    on the way gets o+x (enter, not list)."""
    for parent in [path, *path.parents]:
        try:
            st = parent.stat()
        except OSError:
            continue
        if st.st_uid == os.getuid() and not st.st_mode & 0o001:
            os.chmod(parent, (st.st_mode & 0o7777) | 0o011)


def opensearch(http_port: int, transport_port: int, workdir: Path) -> Service:
    """A single-node OpenSearch from the jars devstack.opensearch_dist assembled, with a 512 MB
    heap, as ``nobody`` when started by root; its config, data and logs in ``workdir``."""
    from devstack import opensearch_dist

    root = opensearch_dist.home()
    if not opensearch_dist.installed(root):
        raise ServiceFailed(f"OpenSearch {opensearch_dist.VERSION} missing in {root}: make deps")
    workdir.mkdir(parents=True, exist_ok=True)
    conf = _opensearch_config(http_port, transport_port, workdir)
    for sub in ("data", "logs", "tmp"):
        (workdir / sub).mkdir(exist_ok=True)
    java = [
        "java", f"-Xms{OPENSEARCH_HEAP}", f"-Xmx{OPENSEARCH_HEAP}", "-XX:+UseSerialGC",
        "-XX:TieredStopAtLevel=1", "-Xss1m", "-Djava.awt.headless=true",
        "-Dfile.encoding=UTF-8", "-Djna.nosys=true", "-Dlog4j2.disable.jmx=true",
        "-Dio.netty.noUnsafe=true", "-Dio.netty.noKeySetOptimization=true",
        "-Dio.netty.recycler.maxCapacityPerThread=0", "-Dio.netty.allocator.numDirectArenas=0",
        f"-Djava.io.tmpdir={workdir / 'tmp'}",
        f"-Dopensearch.path.home={root}", f"-Dopensearch.path.conf={conf}",
        "-Dopensearch.distribution.type=tar", "-Dopensearch.bundled_jdk=false",
        "-cp", f"{root}/lib/*", "org.opensearch.bootstrap.OpenSearch",
    ]  # fmt: skip
    if os.getuid() == 0:
        import pwd

        user = pwd.getpwnam(OPENSEARCH_USER)
        _world_traversable(workdir)
        for dirpath, _dirs, files in os.walk(workdir):
            os.chown(dirpath, user.pw_uid, user.pw_gid)
            for f in files:
                os.chown(os.path.join(dirpath, f), user.pw_uid, user.pw_gid)
        setpriv = shutil.which("setpriv") or "/usr/bin/setpriv"
        java = [setpriv, f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}", "--clear-groups",
                "--", *java]  # fmt: skip
    # ES_TMPDIR-style and HOME: nobody's home (/nonexistent) must not be needed.
    env = {"HOME": str(workdir / "tmp"), "OPENSEARCH_PATH_CONF": str(conf)}
    url = f"http://127.0.0.1:{http_port}/_cluster/health?wait_for_status=green&timeout=1s"
    return Service("opensearch", java, lambda: http_ok(url), workdir, env)
