"""OpenSearch for the local stack, assembled from Maven Central jars (no Docker, no tarball).

``ensure_installed()`` fetches the server jars into <repo>/.local/opensearch-<version>/lib and
each module the stack needs into modules/<name>/ (infra/local/opensearch/pom.xml, one Maven
profile per folder), then writes the ``plugin-descriptor.properties`` every module folder must
hold, which the Maven jars do not carry. Quick when the version is already there; two callers
at once (``make run`` and a test session) take turns on a lock.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
from pathlib import Path

from devstack.services import LOCAL, REPO, ServiceFailed

VERSION = "2.19.6"
LAYOUT = "2"  # bump when the assembled folder changes shape (re-assembled on next start)
JAVA_VERSION = "11"
POM = REPO / "infra" / "local" / "opensearch" / "pom.xml"

# module folder -> (Maven profile, plugin class, plugins it extends)
MODULES: dict[str, tuple[str, str, str]] = {
    "transport-netty4": ("transport-netty4", "org.opensearch.transport.Netty4Plugin", ""),
    "lang-painless": ("lang-painless", "org.opensearch.painless.PainlessPlugin", ""),
    # analysis-common extends painless (its analysis scripts), as in the distribution.
    "analysis-common": (
        "analysis-common", "org.opensearch.analysis.common.CommonAnalysisPlugin", "lang-painless"
    ),
    "mapper-extras": ("mapper-extras", "org.opensearch.index.mapper.MapperExtrasPlugin", ""),
    "reindex": ("reindex", "org.opensearch.index.reindex.ReindexPlugin", ""),
}  # fmt: skip


# The distribution ships each module's plugin-security.policy beside its jars; the Maven jars do
# not, so the permissions each module asks for under the security manager are granted here.
POLICIES: dict[str, list[str]] = {
    "transport-netty4": [
        'permission java.io.FilePermission "/proc/sys/net/core/somaxconn", "read";',
        'permission java.net.SocketPermission "*", "accept,connect";',
        'permission java.lang.RuntimePermission "*", "setContextClassLoader";',
        'permission java.util.PropertyPermission "sun.nio.ch.bugLevel", "write";',
    ],
    "lang-painless": [
        'permission java.lang.RuntimePermission "createClassLoader";',
        'permission java.lang.RuntimePermission "getClassLoader";',
    ],
    "reindex": ['permission java.net.SocketPermission "*", "connect";'],
}


def home() -> Path:
    env = os.environ.get("KWETTER_OPENSEARCH_HOME")
    return Path(env) if env else LOCAL / f"opensearch-{VERSION}"


def _stamp(root: Path) -> Path:
    return root / "installed.version"


def installed(root: Path | None = None) -> bool:
    root = root or home()
    stamp = _stamp(root)
    return stamp.exists() and stamp.read_text().strip() == f"{VERSION}/{LAYOUT}"


def ensure_installed(timeout: float = 900.0) -> Path:
    """The OpenSearch home folder, downloaded and assembled unless this version is there."""
    root = home()
    if installed(root):
        return root
    root.parent.mkdir(parents=True, exist_ok=True)
    with open(root.parent / ".opensearch.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if installed(root):
            return root
        mvn = shutil.which("mvn")
        if mvn is None:
            raise ServiceFailed("Maven (mvn) is missing: it fetches the OpenSearch jars")
        staging = root.with_name(root.name + ".partial")
        shutil.rmtree(staging, ignore_errors=True)
        _copy(mvn, "lib", staging / "lib", timeout)
        core = {p.name for p in (staging / "lib").glob("*.jar")}
        for folder, (profile, classname, extended) in MODULES.items():
            target = staging / "modules" / folder
            _copy(mvn, profile, target, timeout)
            for jar in target.glob("*.jar"):
                if jar.name in core:  # the server's own jars are on the classpath already
                    jar.unlink()
            (target / "plugin-descriptor.properties").write_text(
                _descriptor(folder, classname, extended)
            )
            if folder in POLICIES:
                grants = "".join(f"  {line}\n" for line in POLICIES[folder])
                (target / "plugin-security.policy").write_text(f"grant {{\n{grants}}};\n")
        # The server checks that these exist (bin/ is where the distribution's scripts live).
        for empty in ("plugins", "bin"):
            (staging / empty).mkdir()
        _stamp(staging).write_text(f"{VERSION}/{LAYOUT}")
        shutil.rmtree(root, ignore_errors=True)
        staging.rename(root)
        return root


def _copy(mvn: str, profile: str, out: Path, timeout: float) -> None:
    done = subprocess.run(
        [mvn, "-q", "-B", "-f", str(POM), "-P", profile, "dependency:copy-dependencies",
         f"-DoutputDirectory={out}"],
        capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    if done.returncode != 0:
        raise ServiceFailed(f"mvn -P {profile} failed:\n{done.stdout[-3000:]}{done.stderr[-3000:]}")


def _descriptor(name: str, classname: str, extended: str) -> str:
    lines = [
        f"description=OpenSearch module {name} (assembled from Maven Central)",
        f"version={VERSION}",
        f"name={name}",
        f"classname={classname}",
        f"java.version={JAVA_VERSION}",
        f"opensearch.version={VERSION}",
        f"extended.plugins={extended}",
        "has.native.controller=false",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    print(ensure_installed())
