#!/usr/bin/env bash
# Offline checks of infra/terraform, run by `make test` (and so by CI):
#   1. terraform fmt -check -recursive
#   2. the provider schema check (infra/tfcheck: what `terraform validate` would prove; the
#      provider binaries cannot be downloaded here, their schemas come from PyPI)
#   3. checkov, zero failed checks (skips are in the code, each with its reason)
# checkov lives in its own virtualenv: it ships a `hcl2` module of its own that would shadow
# python-hcl2, which the checker and the wiring tests use.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
export PYTHONPATH=$ROOT${PYTHONPATH:+:$PYTHONPATH}
PY=${PY:-python3}
CHECKOV_VERSION=3.3.30
VENV=$ROOT/.local/venvs/checkov
step() { printf '\n==> %s\n' "$*"; }

TF=$($PY -m infra.tfcheck.tfbin)
export TF_CLI_CONFIG_FILE=/dev/null # no ~/.terraformrc here: silence the CLI's warning

step "terraform fmt -check -recursive ($("$TF" version | head -1))"
"$TF" fmt -check -recursive -diff infra/terraform

step "provider schema check (infra/tfcheck)"
$PY -m infra.tfcheck infra/terraform

step "checkov $CHECKOV_VERSION"
if [ "$("$VENV/bin/checkov" --version 2>/dev/null)" != "$CHECKOV_VERSION" ]; then
  rm -rf "$VENV"
  $PY -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check "checkov==$CHECKOV_VERSION"
fi
# --skip-download: no policy download from the vendor's platform (offline, and deterministic).
"$VENV/bin/checkov" -d infra/terraform --framework terraform --quiet --compact --skip-download \
  -o cli
echo "infra/terraform: all offline checks passed"
