"""fake-gcs-server, the Cloud Storage emulator, as a local service of the stack.

The binary is built once from the Go module proxy into <repo>/.local/bin (about a minute) and
reused after that. Started with ``-event.pubsub-*`` and PUBSUB_EMULATOR_HOST it publishes the
same OBJECT_FINALIZE notification real GCS sends to the topic of a bucket notification, and with
``-public-host 127.0.0.1:<port>`` it serves ``http://127.0.0.1:<port>/<bucket>/<object>`` the
way the CDN serves the media bucket.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
from pathlib import Path

from devstack.services import LOCAL, Service, ServiceFailed, http_ok

VERSION = "v1.56.1"
MODULE = "github.com/fsouza/fake-gcs-server"
BIN_DIR = LOCAL / "bin"
BINARY = BIN_DIR / "fake-gcs-server"
VERSION_STAMP = BIN_DIR / "fake-gcs-server.version"


def ensure_binary(timeout: float = 600.0) -> Path:
    """The fake-gcs-server binary, built with `go install` unless this version is cached."""
    if os.environ.get("KWETTER_FAKE_GCS_BIN"):
        return Path(os.environ["KWETTER_FAKE_GCS_BIN"])
    BIN_DIR.mkdir(parents=True, exist_ok=True)
    # Two test sessions (or `make run` and a test) may ask at once: one builds, the other waits.
    with open(BIN_DIR / ".fake-gcs-server.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _cached():
            return BINARY
        go = shutil.which("go") or "/usr/local/go/bin/go"
        if not Path(go).exists():
            raise ServiceFailed("Go is missing: it builds fake-gcs-server (the GCS emulator)")
        env = {**os.environ, "GOBIN": str(BIN_DIR), "GOFLAGS": "-mod=mod"}
        build = subprocess.run(
            [go, "install", f"{MODULE}@{VERSION}"],
            env=env, capture_output=True, text=True, timeout=timeout,
        )  # fmt: skip
        if build.returncode != 0 or not BINARY.exists():
            raise ServiceFailed(f"go install {MODULE}@{VERSION} failed:\n{build.stderr[-3000:]}")
        VERSION_STAMP.write_text(VERSION)
        return BINARY


def _cached() -> bool:
    if not BINARY.exists():
        return False
    if VERSION_STAMP.exists():
        return VERSION_STAMP.read_text().strip() == VERSION
    # A binary built by hand before the stamp existed: trust it only if Go says it is ours.
    go = shutil.which("go")
    if go is None:
        return True
    out = subprocess.run([go, "version", "-m", str(BINARY)], capture_output=True, text=True)
    if f"{MODULE}\t{VERSION}" in out.stdout.replace(" ", "\t"):
        VERSION_STAMP.write_text(VERSION)
        return True
    return False


def fake_gcs(
    port: int,
    workdir: Path,
    *,
    pubsub_host: str,
    project_id: str,
    topic: str,
    notify_bucket: str,
    persist: bool = False,
) -> Service:
    """fake-gcs-server on 127.0.0.1:<port>, publishing finalize events of ``notify_bucket``."""
    binary = ensure_binary()
    host = f"127.0.0.1:{port}"
    cmd = [
        str(binary), "-scheme", "http", "-host", "127.0.0.1", "-port", str(port),
        "-public-host", host, "-external-url", f"http://{host}",
        "-backend", "filesystem" if persist else "memory",
        "-filesystem-root", str(workdir / "data"),
        "-event.pubsub-project-id", project_id, "-event.pubsub-topic", topic,
        "-event.bucket", notify_bucket, "-event.list", "finalize",
        "-log-level", "warn",
    ]  # fmt: skip
    ready = lambda: http_ok(f"http://{host}/_internal/healthcheck")  # noqa: E731
    return Service("gcs", cmd, ready, workdir, {"PUBSUB_EMULATOR_HOST": pubsub_host})


UPLOADS_BUCKET = "kwetter-uploads"
MEDIA_BUCKET = "kwetter-media"
TOPIC = "media-uploads"


def local_env(port: int) -> dict[str, str]:
    """What functions need to use the local fake-gcs-server on ``port``."""
    host = f"http://127.0.0.1:{port}"
    return {
        "STORAGE_EMULATOR_HOST": host,
        "UPLOADS_BUCKET": UPLOADS_BUCKET,
        "MEDIA_BUCKET": MEDIA_BUCKET,
        "MEDIA_PUBLIC_BASE_URL": f"{host}/{MEDIA_BUCKET}",
    }


def create_buckets(port: int, project_id: str) -> None:
    """Create the buckets Terraform creates in GCP (idempotent), through the media adapter."""
    from shared.adapters.gcs_media import GcsMedia, storage_client

    client = storage_client(project_id, emulator=f"http://127.0.0.1:{port}")
    GcsMedia(client, UPLOADS_BUCKET, MEDIA_BUCKET).ensure_buckets()
    from shared.adapters.gcs_exports import GcsExports

    # The data exports' private bucket (shared.config's default name, as the functions use it).
    GcsExports(client, "kwetter-exports", project_id).ensure_bucket()
