"""The value checks of infra/tfcheck/rules.py fail on the bad configurations of issue 18."""

from __future__ import annotations

from pathlib import Path

import hcl2

from infra.tfcheck import check, rules
from tests.terraform.conftest import MODULES, TF_ROOT

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

INSTANCE = """
variable "configs" {
  type    = map(string)
  default = DEFAULT
}

resource "google_redis_instance" "r" {
  name           = "r"
  memory_size_gb = 1
  redis_configs  = var.configs
}
"""

CLUSTER = """
resource "google_redis_cluster" "c" {
  name          = "c"
  shard_count   = 3
  redis_configs = CONFIGS
}
"""


def write(directory: Path, text: str, name: str = "main.tf") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / name).write_text(text)
    return directory


def problems_in(root: Path) -> list[str]:
    checker = check.Checker()
    directories = check.module_dirs(root)
    for d in directories:
        assert checker.check_module(d) == [], d  # the schema part is clean: only rules speak
    return [p.message for p in rules.check_rules(checker, directories)]


# --- redis_configs ---------------------------------------------------------------------------


def test_a_key_memorystore_refuses_fails_the_check(tmp_path: Path) -> None:
    bad = PROVIDERS + INSTANCE.replace("DEFAULT", '{ "zset-max-listpack-entries" = "1024" }')
    write(tmp_path / "m", bad)
    [message] = problems_in(tmp_path)
    assert message.startswith(
        "var.configs default: redis_configs zset-max-listpack-entries not accepted by"
        " Memorystore for Redis"
    )


def test_accepted_keys_pass(tmp_path: Path) -> None:
    good = PROVIDERS + INSTANCE.replace(
        "DEFAULT", '{ "maxmemory-policy" = "allkeys-lru", "activedefrag" = "yes" }'
    )
    write(tmp_path / "m", good)
    assert problems_in(tmp_path) == []


def test_each_service_has_its_own_list(tmp_path: Path) -> None:
    # maxmemory-gb is an instance setting; the cluster takes maxmemory.
    write(tmp_path / "bad", PROVIDERS + CLUSTER.replace("CONFIGS", '{ "maxmemory-gb" = "4" }'))
    write(tmp_path / "good", PROVIDERS + CLUSTER.replace("CONFIGS", '{ "maxmemory" = "4gb" }'))
    [message] = problems_in(tmp_path)
    assert message.startswith(
        "google_redis_cluster.c: redis_configs maxmemory-gb not accepted by"
        " Memorystore for Redis Cluster"
    )


def test_keys_are_followed_through_module_calls_and_tfvars(tmp_path: Path) -> None:
    write(tmp_path / "redis", PROVIDERS + INSTANCE.replace("DEFAULT", "{}"))
    write(
        tmp_path / "platform",
        'variable "settings" {\n  type    = map(string)\n  default = {}\n}\n\n'
        'module "redis" {\n  source  = "../redis"\n  configs = var.settings\n}\n\n'
        'module "literal" {\n  source  = "../redis"\n'
        '  configs = { "hash-max-listpack-entries" = "1" }\n}\n',
    )
    env = write(
        tmp_path / "env",
        'variable "settings" {\n  type = map(string)\n}\n\n'
        'module "p" {\n  source   = "../platform"\n  settings = var.settings\n}\n',
    )
    write(env, 'settings = { "zset-max-listpack-entries" = "1024" }\n', "terraform.tfvars")
    messages = problems_in(tmp_path)
    assert sorted(m.split(" (it accepts")[0] for m in messages) == [
        "module.literal.configs: redis_configs hash-max-listpack-entries not accepted by"
        " Memorystore for Redis",
        "settings: redis_configs zset-max-listpack-entries not accepted by Memorystore for Redis",
    ]


def test_an_expression_that_cannot_be_checked_is_refused(tmp_path: Path) -> None:
    body = CLUSTER.replace("CONFIGS", 'merge({}, { "x" = "y" })')
    write(tmp_path / "m", PROVIDERS + body)
    assert problems_in(tmp_path) == [
        "google_redis_cluster.c: redis_configs must be a literal map or a variable to be"
        " checked against the service's list"
    ]


def test_the_redis_module_precondition_uses_the_same_lists() -> None:
    locals_ = {
        k: v
        for entry in hcl2.loads((MODULES / "redis" / "main.tf").read_text())["locals"]
        for k, v in entry.items()
    }

    def listed(name: str) -> set[str]:
        return {s.strip('"') for s in locals_[name]}

    assert listed("instance_configs") == rules.REDIS_CONFIGS["google_redis_instance"]
    assert listed("cluster_configs") == rules.REDIS_CONFIGS["google_redis_cluster"]
    assert "zset-max-listpack-entries" not in set().union(*rules.REDIS_CONFIGS.values())


# --- documents sent to API Gateway -----------------------------------------------------------

GATEWAY = """
locals {
  spec = CONTENTS
}

resource "google_api_gateway_api_config" "c" {
  provider = google-beta
  api      = "a"
  openapi_documents {
    document {
      path     = "openapi.yaml"
      contents = base64encode(local.spec)
    }
  }
}
"""

ANCHORED = """swagger: "2.0"
paths:
  /a:
    get:
      x-google-backend: &fn
        address: https://fn
    post:
      x-google-backend: *fn
"""


def test_a_yaml_document_with_aliases_fails(tmp_path: Path) -> None:
    module = write(
        tmp_path / "m", PROVIDERS + GATEWAY.replace("CONTENTS", 'file("${path.module}/api.yaml")')
    )
    write(module, ANCHORED, "api.yaml")
    [message] = problems_in(tmp_path)
    assert message == (
        "google_api_gateway_api_config.c.openapi_documents.document: api.yaml has YAML"
        " anchors/aliases (&fn, *fn) that API Gateway may not resolve: send"
        " jsonencode(yamldecode(...))"
    )


def test_a_yaml_document_without_aliases_and_a_json_document_pass(tmp_path: Path) -> None:
    plain = ANCHORED.replace("&fn", "").replace("*fn", "{address: https://fn}")
    module = write(
        tmp_path / "file",
        PROVIDERS + GATEWAY.replace("CONTENTS", 'file("${path.module}/api.yaml")'),
    )
    write(module, plain, "api.yaml")
    json_spec = 'jsonencode(yamldecode(file("${path.module}/api.yaml")))'
    write(tmp_path / "json", PROVIDERS + GATEWAY.replace("CONTENTS", json_spec))
    write(tmp_path / "json", ANCHORED, "api.yaml")  # aliases resolved by yamldecode: fine
    assert problems_in(tmp_path) == []


def test_a_document_that_cannot_be_proved_fails(tmp_path: Path) -> None:
    body = 'variable "f" {\n  type = string\n}\n' + GATEWAY.replace(
        "CONTENTS", "templatefile(var.f, {})"
    )
    write(tmp_path / "m", PROVIDERS + body)
    [message] = problems_in(tmp_path)
    assert "cannot prove the document free of YAML anchors/aliases" in message


def test_yaml_aliases_finds_anchors_and_aliases_only() -> None:
    assert rules.yaml_aliases(ANCHORED) == ["&fn", "*fn"]
    assert rules.yaml_aliases('a: "&not-an-anchor *nor-alias"\n') == []


# --- API enablement --------------------------------------------------------------------------

SERVICES = """
variable "services" {
  type    = list(string)
  default = ["pubsub.googleapis.com"]
}

resource "google_project_service" "s" {
  for_each = toset(var.services)
  service  = each.value
}
"""

TOPIC = PROVIDERS + 'resource "google_pubsub_topic" "t" {\n  name = "t"\n}\n'


def enablement_tree(tmp_path: Path, platform: str) -> Path:
    write(tmp_path / "services", PROVIDERS + SERVICES)
    write(tmp_path / "topics", TOPIC)
    write(tmp_path / "nothing", 'variable "x" {\n  type = string\n}\n')  # creates nothing
    return write(tmp_path / "platform", PROVIDERS + platform)


CALLS = """
module "services" {
  source = "../services"
}

module "topics" {
  source = "../topics"
  DEPENDS
}

module "nothing" {
  source = "../nothing"
  x      = "y"
}
"""


def test_a_module_call_without_depends_on_the_enablement_fails(tmp_path: Path) -> None:
    enablement_tree(tmp_path, CALLS.replace("DEPENDS", ""))
    assert problems_in(tmp_path) == [
        "module.topics creates resources but does not depend on module.services (add"
        " depends_on = [module.services]): one apply would race API enablement"
    ]


def test_depends_on_the_enablement_passes(tmp_path: Path) -> None:
    enablement_tree(tmp_path, CALLS.replace("DEPENDS", "depends_on = [module.services]"))
    assert problems_in(tmp_path) == []


def test_resources_depend_directly_or_through_another_resource(tmp_path: Path) -> None:
    body = CALLS.replace("DEPENDS", "depends_on = [module.services]") + (
        'resource "google_pubsub_topic" "first" {\n  name       = "a"\n'
        "  depends_on = [module.services]\n}\n\n"
        'resource "google_pubsub_topic" "second" {\n  name       = "b"\n'
        "  depends_on = [google_pubsub_topic.first]\n}\n\n"
        'resource "google_pubsub_topic" "racing" {\n  name = "c"\n}\n'
    )
    enablement_tree(tmp_path, body)
    assert problems_in(tmp_path) == [
        "google_pubsub_topic.racing does not depend on module.services (add depends_on ="
        " [module.services]): one apply would race API enablement"
    ]


def test_an_api_the_resources_need_must_be_enabled(tmp_path: Path) -> None:
    body = CALLS.replace("DEPENDS", "depends_on = [module.services]") + (
        'resource "google_redis_cluster" "c" {\n  name        = "c"\n  shard_count = 3\n'
        "  depends_on  = [module.services]\n}\n"
    )
    enablement_tree(tmp_path, body)
    assert problems_in(tmp_path) == [
        "google_redis_cluster.c needs redis.googleapis.com, which module.services does not enable"
    ]


def test_the_real_tree_passes_the_rules() -> None:
    checker = check.Checker()
    directories = check.module_dirs(TF_ROOT)
    assert [str(p) for p in rules.check_rules(checker, directories)] == []
    # The rules did look at what they guard.
    blocks = [b for d in directories for b in checker.module(d).blocks]
    assert {"google_redis_instance", "google_redis_cluster", "google_api_gateway_api_config"} <= {
        b.type for b in blocks
    }
