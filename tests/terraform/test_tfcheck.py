"""The schema checker catches what `terraform validate` would, on small bad modules."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from infra.tfcheck import check, schema
from tests.terraform.conftest import TF_ROOT

PROVIDERS = """
terraform {
  required_providers {
    google = {
      source  = "hashicorp/google"
      version = "~> 8.7"
    }
    google-beta = {
      source  = "hashicorp/google-beta"
      version = "~> 8.7"
    }
  }
}
"""

GOOD = """
variable "project" {
  type = string
}

resource "google_pubsub_topic" "t" {
  for_each = toset(["a", "b"])
  project  = var.project
  name     = each.key
}

resource "google_service_account" "sa" {
  account_id = "push"
}

resource "google_pubsub_subscription" "s" {
  name  = "s"
  topic = google_pubsub_topic.t["a"].id
  push_config {
    push_endpoint = "https://x.run.app/projects/${var.project}/topics/a"
    oidc_token {
      service_account_email = google_service_account.sa.email
    }
  }
  dynamic "dead_letter_policy" {
    for_each = [1]
    content {
      dead_letter_topic     = google_pubsub_topic.t["b"].id
      max_delivery_attempts = 5
    }
  }
}

resource "google_api_gateway_api" "api" {
  provider = google-beta
  api_id   = "kwetter"
}

output "endpoint" {
  value = google_pubsub_subscription.s.push_config[0].push_endpoint
}
"""


def problems_of(tmp_path: Path, body: str, providers: str = PROVIDERS) -> list[str]:
    (tmp_path / "main.tf").write_text(providers + body)
    return [p.message for p in check.Checker().check_module(tmp_path)]


def test_a_correct_module_passes(tmp_path: Path) -> None:
    assert problems_of(tmp_path, GOOD) == []


def test_misspelled_argument(tmp_path: Path) -> None:
    body = GOOD.replace("account_id = ", "acount_id = ")
    assert sorted(problems_of(tmp_path, body)) == [
        "google_service_account.sa: missing required argument account_id",
        "google_service_account.sa: unknown argument acount_id (did you mean account_id?)",
    ]


def test_missing_required_argument(tmp_path: Path) -> None:
    body = GOOD.replace('  topic = google_pubsub_topic.t["a"].id\n', "")
    assert problems_of(tmp_path, body) == [
        "google_pubsub_subscription.s: missing required argument topic"
    ]


def test_missing_required_argument_of_a_nested_block(tmp_path: Path) -> None:
    body = GOOD.replace(
        '    push_endpoint = "https://x.run.app/projects/${var.project}/topics/a"\n', ""
    )
    assert problems_of(tmp_path, body) == [
        "google_pubsub_subscription.s.push_config: missing required argument push_endpoint"
    ]


def test_nested_block_at_the_wrong_level(tmp_path: Path) -> None:
    # oidc_token belongs inside push_config, not directly in the subscription.
    body = GOOD.replace(
        '  dynamic "dead_letter_policy"',
        '  oidc_token {\n    service_account_email = "a@b"\n  }\n  dynamic "dead_letter_policy"',
    )
    assert problems_of(tmp_path, body) == ["google_pubsub_subscription.s: unknown block oidc_token"]


def test_argument_written_as_a_block_and_block_as_an_argument(tmp_path: Path) -> None:
    body = GOOD.replace('  name  = "s"\n', '  name  = "s"\n  labels {\n    a = "b"\n  }\n')
    body = body.replace('  account_id = "push"\n', '  account_id = "push"\n  timeouts = {}\n')
    assert sorted(problems_of(tmp_path, body)) == [
        "google_pubsub_subscription.s: labels is an argument, write `labels = ...`, not a block",
        "google_service_account.sa: timeouts is a block, write `timeouts { ... }`",
    ]


def test_contents_of_dynamic_blocks_are_checked(tmp_path: Path) -> None:
    body = GOOD.replace("max_delivery_attempts = 5", "max_delivery_attempt = 5")
    assert problems_of(tmp_path, body) == [
        "google_pubsub_subscription.s.dead_letter_policy: unknown argument max_delivery_attempt"
        " (did you mean max_delivery_attempts?)"
    ]


def test_unknown_resource_type(tmp_path: Path) -> None:
    body = GOOD + 'resource "google_pubsub_topik" "x" {\n  name = "x"\n}\n'
    assert problems_of(tmp_path, body) == [
        "google_pubsub_topik.x: unknown resource type google_pubsub_topik in google"
        " (did you mean google_pubsub_topic?)"
    ]


def test_beta_only_resource_needs_the_beta_provider(tmp_path: Path) -> None:
    body = GOOD.replace("  provider = google-beta\n", "")
    assert problems_of(tmp_path, body) == [
        "google_api_gateway_api.api: unknown resource type google_api_gateway_api in google"
        " (it is in google-beta: add provider = google-beta)"
    ]


def test_bad_attribute_reference(tmp_path: Path) -> None:
    body = GOOD.replace("google_service_account.sa.email", "google_service_account.sa.emial")
    assert problems_of(tmp_path, body) == [
        "google_service_account.sa.emial: no attribute emial (did you mean email?)"
    ]


def test_bad_attribute_reference_inside_a_nested_block(tmp_path: Path) -> None:
    body = GOOD.replace("push_config[0].push_endpoint", "push_config[0].push_endpiont")
    assert problems_of(tmp_path, body) == [
        "google_pubsub_subscription.s.push_config[0].push_endpiont: no attribute push_endpiont"
        " (did you mean push_endpoint?)"
    ]


def test_reference_to_an_undeclared_resource_and_unindexed_for_each(tmp_path: Path) -> None:
    body = GOOD.replace('google_pubsub_topic.t["a"].id', "google_pubsub_topic.t.id")
    body = body.replace("google_service_account.sa.email", "google_service_account.other.email")
    assert sorted(problems_of(tmp_path, body)) == [
        "google_pubsub_topic.t.id: google_pubsub_topic.t has count/for_each, index it first",
        "reference to undeclared resource google_service_account.other",
    ]


def test_undeclared_variables_locals_and_module_outputs(tmp_path: Path) -> None:
    child = tmp_path / "child"
    child.mkdir()
    (child / "main.tf").write_text(
        'variable "needed" {\n  type = string\n}\n\noutput "url" {\n  value = var.needed\n}\n'
    )
    root = tmp_path / "root"
    root.mkdir()
    body = (
        GOOD.replace("var.project}", "var.projet}")
        + 'module "c" {\n  source = "../child"\n  neded  = local.nope\n}\n'
        + 'output "u" {\n  value = module.c.uri\n}\n'
    )
    assert sorted(problems_of(root, body)) == [
        "local.nope is not declared",
        "module.c has no output uri",
        "module.c: ../child has no variable neded (did you mean needed?)",
        "module.c: missing required variable needed",
        "var.projet is not declared (did you mean project?)",
    ]


def test_provider_pin_must_admit_the_schema_version(tmp_path: Path) -> None:
    providers = PROVIDERS.replace('version = "~> 8.7"', 'version = "~> 7.0"', 1)
    assert problems_of(tmp_path, GOOD, providers) == [
        "provider google constraint '~> 7.0' excludes 8.7.0, the version the schema comes from"
    ]


@pytest.mark.parametrize(
    ("constraint", "ok"),
    [
        ("~> 8.7", True),
        ("~> 8.0", True),
        ("~> 8.8", False),
        ("~> 8.7.1", False),
        ("~> 7.0", False),
        (">= 8.0, < 9.0", True),
        ("= 8.7.0", True),
        ("8.6.0", False),
        ("!= 8.7.0", False),
    ],
)
def test_version_constraints(constraint: str, ok: bool) -> None:
    assert check._version_ok(constraint, "8.7.0") is ok


def test_the_real_modules_and_environments_pass() -> None:
    problems, counts = check.check_tree(TF_ROOT)
    assert [str(p) for p in problems] == []
    # Every module and both environments were looked at, not silently skipped.
    assert counts["modules"] == len(check.module_dirs(TF_ROOT)) >= 14
    assert counts["resource"] >= 50
    assert counts["references"] >= 300


def test_schema_cache_is_rebuilt_when_missing(tmp_path: Path, monkeypatch) -> None:
    # The archive bindings are small: copy the cached wheel so no download is needed.
    pkg = schema.PACKAGES["archive"]
    wheel = schema.CACHE_DIR / f"{pkg.module}-{pkg.version}-py3-none-any.whl"
    schema.load("archive")  # makes sure the wheel is in the real cache
    shutil.copy(wheel, tmp_path)
    monkeypatch.setattr(schema, "CACHE_DIR", tmp_path)
    assert not schema.cache_path(pkg).exists()
    built = schema.load("archive")
    assert schema.cache_path(pkg).exists()
    assert built["provider_version"] == "2.8.1"
    node = built["nodes"][built["data"]["archive_file"]]
    assert node["args"]["output_path"] is True
    assert node["blocks"]["source"][0] is False
    assert "output_md5" in node["attrs"]


def test_google_schema_facts() -> None:
    google = schema.load("google")
    assert google["provider_version"] == "8.7.0"
    sub = google["nodes"][google["resources"]["google_pubsub_subscription"]]
    assert sub["args"]["name"] is True and sub["args"]["topic"] is True
    push = google["nodes"][sub["blocks"]["push_config"][1]]
    assert "oidc_token" in push["blocks"]
    fn = google["nodes"][google["resources"]["google_cloudfunctions2_function"]]
    service = google["nodes"][fn["attrs"]["service_config"]]
    assert {"uri", "service"} <= set(service["attrs"])  # computed, readable
    assert "uri" not in service["args"]  # but not settable


def test_terraform_code_is_formatted(terraform: Path) -> None:
    done = subprocess.run(
        [str(terraform), "fmt", "-check", "-recursive", "-diff", str(TF_ROOT)],
        capture_output=True,
        text=True,
        env={**os.environ, "TF_CLI_CONFIG_FILE": "/dev/null"},
    )
    assert done.returncode == 0, done.stdout + done.stderr
