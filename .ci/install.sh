#!/usr/bin/env bash
# Installs everything the local stack and the tests need on a fresh Debian machine, idempotently:
# quick when all is already there. Used by `make deps` and by .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
export PYTHONPATH=$REPO
step() { printf '\n==> %s\n' "$*"; }

step "Debian packages (redis-server, chromium for browser tests, ICU for PyICU)"
need=()
command -v redis-server >/dev/null || need+=(redis-server redis-tools)
command -v chromium >/dev/null || need+=(chromium)
# PyICU (handle skeletons) builds from source against the system ICU.
pkg-config --exists icu-i18n 2>/dev/null || need+=(libicu-dev pkg-config)
command -v g++ >/dev/null || need+=(g++)
if ((${#need[@]})); then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
# Debian's package may start its own redis on 6379; ours run on other ports, so leave it be.

step "Python packages (pyproject.toml: dependencies + dev)"
# pip takes seconds even when everything is installed: skip it while the pins it installed
# (pyproject.toml, for this interpreter) are unchanged since the last successful install.
mkdir -p .local
stamp="$(python3 -c 'import sys; print(sys.executable)') $(sha256sum pyproject.toml | cut -c1-64)"
if [ "$(cat .local/python-deps.stamp 2>/dev/null)" != "$stamp" ]; then
  python3 - <<'PY' > .local.requirements.txt
import tomllib
d = tomllib.load(open("pyproject.toml", "rb"))
print("\n".join(d["project"]["dependencies"] + d["project"]["optional-dependencies"]["dev"]))
PY
  if ! python3 -m pip install -q --disable-pip-version-check -r .local.requirements.txt; then
    echo "pip install failed" >&2; exit 1
  fi
  rm -f .local.requirements.txt
  echo "$stamp" > .local/python-deps.stamp
else
  echo "unchanged since the last install"
fi

step "Neo4j Community server jars (Maven Central)"
if [ ! -f .local/neo4j/lib/neo4j-5.26.17.jar ]; then
  mvn -q -B -f infra/local/neo4j/pom.xml dependency:copy-dependencies \
    -DoutputDirectory="$REPO/.local/neo4j/lib"
fi
echo "$(ls .local/neo4j/lib | wc -l) jars in .local/neo4j/lib"

step "OpenSearch server jars (Maven Central; assembled once into .local/opensearch-<version>)"
python3 -m devstack.opensearch_dist

step "fake-gcs-server (Go module proxy; built once into .local/bin)"
python3 -c "from devstack.gcs import ensure_binary; print(ensure_binary())"

step "Firebase Auth emulator (npm firebase-tools)"
if [ ! -x infra/local/node_modules/.bin/firebase ]; then
  (cd infra/local && npm ci --no-audit --no-fund --loglevel=error)
fi

if [ -f frontend/package-lock.json ]; then
  step "Web app dependencies (npm ci)"
  if [ ! -d frontend/node_modules ] || [ frontend/package-lock.json -nt frontend/node_modules/.package-lock.json ]; then
    (cd frontend && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
  fi
fi
step "Dependencies ready"
