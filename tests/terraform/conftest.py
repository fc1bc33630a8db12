"""Helpers for the Terraform tests: evaluating real module expressions with the real CLI.

A module without providers can be initialised and applied offline, so the topology module and
expressions copied verbatim from other modules are evaluated by Terraform itself (no provider,
no cloud) and compared with what the local stack reads.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import hcl2
import pytest

from infra.tfcheck import tfbin

REPO = Path(__file__).resolve().parents[2]
TF_ROOT = REPO / "infra" / "terraform"
MODULES = TF_ROOT / "modules"

Evaluate = Callable[..., dict[str, Any]]


def parse(path: Path) -> dict[str, Any]:
    with path.open() as f:
        doc: dict[str, Any] = hcl2.load(f)
    return doc


def parse_module(directory: Path) -> dict[str, list[Any]]:
    """All top-level blocks of a module's .tf files, merged by block type."""
    merged: dict[str, list[Any]] = {}
    for path in sorted(directory.glob("*.tf")):
        for key, value in parse(path).items():
            merged.setdefault(key, []).extend(value)
    return merged


def resource(directory: Path, rtype: str, name: str) -> dict[str, Any]:
    for entry in parse_module(directory).get("resource", []):
        body = entry.get(f'"{rtype}"', {}).get(f'"{name}"')
        if body is not None:
            return dict(body)
    raise KeyError(f"{rtype}.{name} not in {directory}")


def module_call(directory: Path, name: str) -> dict[str, Any]:
    for entry in parse_module(directory).get("module", []):
        if f'"{name}"' in entry:
            return dict(entry[f'"{name}"'])
    raise KeyError(f"module {name} not in {directory}")


def local_expr(directory: Path, name: str) -> str:
    for entry in parse_module(directory).get("locals", []):
        if name in entry:
            return str(entry[name])
    raise KeyError(f"local.{name} not in {directory}")


def block_text(path: Path, header: str) -> str:
    """The source text of the block starting with ``header`` (e.g. ``locals {``)."""
    text = path.read_text()
    start = text.index(header)
    depth = 0
    for i in range(start, len(text)):
        if text[i] == "{":
            depth += 1
        elif text[i] == "}":
            depth -= 1
            if depth == 0:
                return text[start : i + 1]
    raise ValueError(f"unbalanced block {header!r} in {path}")


def unexpr(value: Any) -> str:
    """python-hcl2 writes expressions as "${...}": the expression text."""
    text = str(value)
    return text[2:-1] if text.startswith("${") and text.endswith("}") else text


@pytest.fixture(scope="session")
def terraform() -> Path:
    return tfbin.binary()


@pytest.fixture
def evaluate(terraform: Path, tmp_path: Path) -> Evaluate:
    """Applies a provider-less configuration offline and returns its outputs (JSON values)."""

    def run(config: str, tfvars: str = "") -> dict[str, Any]:
        (tmp_path / "main.tf").write_text(config)
        (tmp_path / "terraform.tfvars").write_text(tfvars)
        env = {**os.environ, "TF_CLI_CONFIG_FILE": "/dev/null", "TF_IN_AUTOMATION": "1"}
        for args in (
            ["init", "-backend=false", "-input=false", "-no-color"],
            ["apply", "-auto-approve", "-input=false", "-no-color"],
        ):
            done = subprocess.run(
                [str(terraform), *args], cwd=tmp_path, env=env, capture_output=True, text=True
            )
            assert done.returncode == 0, done.stdout + done.stderr
        out = subprocess.run(
            [str(terraform), "output", "-json", "-no-color"],
            cwd=tmp_path, env=env, capture_output=True, text=True, check=True,
        )  # fmt: skip
        return {k: v["value"] for k, v in json.loads(out.stdout).items()}

    return run
