"""The Terraform equals the contracts: topology.yaml (Pub/Sub, functions) and openapi.yaml.

Values are computed by Terraform itself where possible: the topology module has no provider,
and the OpenAPI rendering is the api_gateway module's own expression, copied verbatim into a
provider-less configuration. Resource wiring (which input lands in which argument) is read
with python-hcl2.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from shared import topology
from shared.adapters import firestore_media, firestore_posts
from shared.domain import media as domain_media
from tests.terraform.conftest import (
    MODULES,
    REPO,
    TF_ROOT,
    Evaluate,
    block_text,
    local_expr,
    module_call,
    parse,
    parse_module,
    resource,
    unexpr,
)

TOPOLOGY = REPO / "shared" / "contracts" / "topology.yaml"
OPENAPI = REPO / "shared" / "contracts" / "openapi.yaml"
PLATFORM = MODULES / "platform"


def evaluated_topology(evaluate: Evaluate) -> dict[str, Any]:
    outputs = evaluate(
        f'module "t" {{\n  source        = "{MODULES / "topology"}"\n'
        f'  topology_file = "{TOPOLOGY}"\n}}\n'
        'output "all" {\n  value = module.t\n}\n'
    )
    tf: dict[str, Any] = outputs["all"]
    return tf


def test_topology_module_equals_what_the_local_stack_reads(evaluate: Evaluate) -> None:
    tf = evaluated_topology(evaluate)
    topo = topology.load(TOPOLOGY)
    assert set(tf["topics"]) == set(topo.topics)
    for name, t in topo.topics.items():
        assert tf["topics"][name]["message_retention_duration"] == t["message_retention_duration"]
    assert sorted(tf["dead_letter_topics"]) == sorted(topo.dead_letter_topics)
    assert tf["http_functions"] == list(topo.http_functions)
    assert sorted(tf["event_functions"]) == sorted(topo.event_functions)
    assert set(tf["subscriptions"]) == {s.name for s in topo.subscriptions}
    for s in topo.subscriptions:
        assert tf["subscriptions"][s.name] == {
            "topic": s.topic,
            "function": s.function,
            "dead_letter_topic": s.dead_letter_topic,
            "ack_deadline_seconds": s.ack_deadline_seconds,
            "retain_acked_messages": s.retain_acked_messages,
            "message_retention_duration": s.message_retention_duration,
            "minimum_backoff": s.minimum_backoff,
            "maximum_backoff": s.maximum_backoff,
            "max_delivery_attempts": s.max_delivery_attempts,
        }, s.name


def test_platform_feeds_the_topology_into_pubsub_and_reads_the_contract_files() -> None:
    topo_call = module_call(PLATFORM, "topology")
    assert topo_call["topology_file"] == '"${local.repo_root}/shared/contracts/topology.yaml"'
    # local.repo_root resolves from modules/platform to the repository root.
    assert unexpr(local_expr(PLATFORM, "repo_root")) == 'abspath("${path.module}/../../../..")'
    assert (PLATFORM / "../../../..").resolve() == REPO
    pubsub = module_call(PLATFORM, "pubsub")
    for arg in ("topics", "dead_letter_topics", "subscriptions", "dead_letter_retention"):
        assert unexpr(pubsub[arg]) == f"module.topology.{arg}"
    assert unexpr(pubsub["function_urls"]) == "module.functions.urls"
    assert unexpr(pubsub["function_services"]) == "module.functions.services"
    gateway = module_call(PLATFORM, "api_gateway")
    assert gateway["openapi_file"] == '"${local.repo_root}/shared/contracts/openapi.yaml"'


def test_every_subscription_is_a_push_subscription_with_the_topology_policy() -> None:
    push = resource(MODULES / "pubsub", "google_pubsub_subscription", "push")
    assert unexpr(push["for_each"]) == "var.subscriptions"
    assert unexpr(push["name"]) == "each.key"
    assert unexpr(push["topic"]) == "google_pubsub_topic.topic[each.value.topic].id"
    for field in ("ack_deadline_seconds", "retain_acked_messages", "message_retention_duration"):
        assert unexpr(push[field]) == f"each.value.{field}"
    retry = push["retry_policy"][0]
    assert unexpr(retry["minimum_backoff"]) == "each.value.minimum_backoff"
    assert unexpr(retry["maximum_backoff"]) == "each.value.maximum_backoff"
    dlq = push["dead_letter_policy"][0]
    assert (
        unexpr(dlq["dead_letter_topic"])
        == "google_pubsub_topic.dead_letter[each.value.dead_letter_topic].id"
    )
    assert unexpr(dlq["max_delivery_attempts"]) == "each.value.max_delivery_attempts"
    config = push["push_config"][0]
    # functions-framework builds the CloudEvent from /projects/<project>/topics/<topic>.
    assert config["push_endpoint"] == (
        '"${var.function_urls[each.value.function]}'
        '/projects/${var.project_id}/topics/${each.value.topic}"'
    )
    oidc = config["oidc_token"][0]
    assert unexpr(oidc["service_account_email"]) == "google_service_account.push[each.key].email"
    assert unexpr(oidc["audience"]) == "var.function_urls[each.value.function]"
    # The push identity may invoke exactly the function its subscription targets.
    invoker = resource(MODULES / "pubsub", "google_cloud_run_v2_service_iam_member", "push_invoker")
    assert unexpr(invoker["name"]) == "var.function_services[each.value.function]"
    assert invoker["role"] == '"roles/run.invoker"'


def test_topics_dead_letter_topics_and_their_keeping_subscriptions() -> None:
    pubsub = MODULES / "pubsub"
    topic = resource(pubsub, "google_pubsub_topic", "topic")
    assert unexpr(topic["for_each"]) == "var.topics"
    assert unexpr(topic["message_retention_duration"]) == "each.value.message_retention_duration"
    dlq = resource(pubsub, "google_pubsub_topic", "dead_letter")
    assert unexpr(dlq["for_each"]) == "toset(var.dead_letter_topics)"
    keep = resource(pubsub, "google_pubsub_subscription", "dead_letter")
    assert unexpr(keep["for_each"]) == "toset(var.dead_letter_topics)"
    # Same name as the local stack's (devstack/pubsub_setup.dlq_subscription).
    assert keep["name"] == '"${each.value}-keep"'
    assert "push_config" not in keep
    assert keep["retain_acked_messages"] is True
    # The Pub/Sub service agent may publish dead letters and ack the source subscriptions.
    agent_pub = resource(pubsub, "google_pubsub_topic_iam_member", "agent_publishes_dead_letters")
    assert unexpr(agent_pub["member"]) == "local.pubsub_agent"
    assert agent_pub["role"] == '"roles/pubsub.publisher"'
    agent_sub = resource(pubsub, "google_pubsub_subscription_iam_member", "agent_acks_dead_letters")
    assert unexpr(agent_sub["for_each"]) == "var.subscriptions"
    assert agent_sub["role"] == '"roles/pubsub.subscriber"'


def test_one_function_per_folder_and_every_one_in_the_topology() -> None:
    topo = topology.load(TOPOLOGY)
    folders = {p.name for p in (REPO / "functions").iterdir() if (p / "main.py").exists()}
    assert folders == set(topo.functions)
    for name in folders:
        main = (REPO / "functions" / name / "main.py").read_text()
        # The entry point Terraform deploys (build_config.entry_point = each.key) exists.
        assert re.search(rf"^def {name}\(", main, re.M), name
        assert (REPO / "functions" / name / "requirements.txt").exists()
    fn = resource(MODULES / "functions", "google_cloudfunctions2_function", "this")
    assert unexpr(fn["for_each"]) == "var.functions"
    assert unexpr(fn["build_config"][0]["entry_point"]) == "each.key"
    # Event functions are reached only through the explicit push subscriptions.
    assert "event_trigger" not in fn
    assert unexpr(local_expr(PLATFORM, "all_functions")) == (
        "concat(module.topology.http_functions, module.topology.event_functions)"
    )


def test_source_zip_holds_the_function_and_shared_without_caches() -> None:
    functions = MODULES / "functions"
    shared_files = local_expr(functions, "shared_files")
    assert '!strcontains(f, "__pycache__")' in shared_files
    # The laptop's launcher lives outside shared/ (top-level devstack/), so it is never bundled.
    assert not (REPO / "shared" / "devstack").exists() and (REPO / "devstack").is_dir()
    archive = parse_module(functions)["data"][0]['"archive_file"']['"source"']
    filenames = [d['"source"']["content"][0]["filename"] for d in archive["dynamic"]]
    assert filenames == ["${source.value}", '"shared/${source.value}"']
    obj = resource(functions, "google_storage_bucket_object", "source")
    assert obj["name"] == '"${each.key}/${data.archive_file.source[each.key].output_md5}.zip"'
    # Every file the regex admits is text (file() reads UTF-8): the bundle can always be built.
    pattern = re.compile(
        unexpr(local_expr(functions, "text_file")).strip('"').replace("\\\\", "\\")
    )
    for path in (REPO / "shared").rglob("*"):
        rel = path.relative_to(REPO / "shared").as_posix()
        if path.is_file() and pattern.search(rel) and "__pycache__" not in rel:
            path.read_text(encoding="utf-8")


def render_openapi(
    evaluate: Evaluate, urls: dict[str, str], project: str, quota: int | None = None
) -> str:
    """The document the api_gateway module sends: its own locals block, evaluated."""
    gateway = MODULES / "api_gateway"
    backends = ", ".join(f'{k} = "{v}"' for k, v in urls.items())
    quota_value = "null" if quota is None else f"{{ requests_per_minute = {quota} }}"
    return str(
        evaluate(
            f'variable "openapi_file" {{\n  default = "{OPENAPI}"\n}}\n'
            f'variable "project_id" {{\n  default = "{project}"\n}}\n'
            f'variable "backend_urls" {{\n  default = {{ {backends} }}\n}}\n'
            f'variable "quota" {{\n  default = {quota_value}\n}}\n'
            + block_text(gateway / "main.tf", "locals {")
            + '\noutput "spec" {\n  value = local.spec\n}\n'
        )["spec"]
    )


def http_urls() -> dict[str, str]:
    topo = topology.load(TOPOLOGY)
    return {
        name: f"https://{name.replace('_', '-')}-abc-ew.a.run.app" for name in topo.http_functions
    }


def test_openapi_routes_reach_the_right_functions(evaluate: Evaluate) -> None:
    urls = http_urls()
    rendered_text = render_openapi(evaluate, urls, "kwetter-prod-1")
    assert "${" not in rendered_text
    # Sent as JSON: every YAML anchor of the contract resolved, none left for the importer.
    rendered = json.loads(rendered_text)
    gateway = resource(MODULES / "api_gateway", "google_api_gateway_api_config", "this")
    document = gateway["openapi_documents"][0]["document"][0]
    assert document["path"] == '"openapi.json"'
    assert unexpr(document["contents"]) == "base64encode(local.spec)"
    assert "x-google-management" not in rendered  # no quota unless asked for
    source = yaml.safe_load(OPENAPI.read_text())
    assert rendered["swagger"] == "2.0"
    security = rendered["securityDefinitions"]["firebase"]
    assert security["x-google-issuer"] == "https://securetoken.google.com/kwetter-prod-1"
    assert security["x-google-audiences"] == "kwetter-prod-1"
    assert set(rendered["paths"]) == set(source["paths"])
    routes = 0
    for path, ops in source["paths"].items():
        assert set(rendered["paths"][path]) == set(ops)
        for method, op in ops.items():
            placeholder = op["x-google-backend"]["address"]
            function = re.fullmatch(r"\$\{(\w+)_url\}", placeholder)
            assert function, f"{method} {path}: backend {placeholder}"
            backend = rendered["paths"][path][method]["x-google-backend"]
            assert backend["address"] == urls[function.group(1)], f"{method} {path}"
            assert backend["path_translation"] == "APPEND_PATH_TO_ADDRESS"
            routes += 1
    assert routes >= 20


def test_openapi_quota_when_asked_for(evaluate: Evaluate) -> None:
    rendered = json.loads(render_openapi(evaluate, http_urls(), "p", quota=6000))
    management = rendered["x-google-management"]
    [metric] = management["metrics"]
    [limit] = management["quota"]["limits"]
    assert limit == {
        "name": "kwetter-requests-per-minute",
        "metric": metric["name"],
        "unit": "1/min/{project}",
        "values": {"STANDARD": 6000},
    }
    operations = [op for ops in rendered["paths"].values() for op in ops.values()]
    assert operations and all(
        op["x-google-quota"] == {"metricCosts": {metric["name"]: 1}} for op in operations
    )
    # API Gateway identifies the consumer project by an API key: required with the token.
    assert rendered["securityDefinitions"]["api_key"] == {
        "type": "apiKey",
        "name": "key",
        "in": "query",
    }
    assert rendered["security"] == [{"firebase": [], "api_key": []}]
    # The backends are untouched.
    source = yaml.safe_load(OPENAPI.read_text())
    for path, ops in source["paths"].items():
        for method in ops:
            assert rendered["paths"][path][method]["x-google-backend"]["address"].startswith(
                "https://"
            )


def test_openapi_placeholders_are_exactly_what_the_gateway_module_fills() -> None:
    topo = topology.load(TOPOLOGY)
    text = OPENAPI.read_text()
    placeholders = set(re.findall(r"\$\{([^}]*)\}", text))
    assert placeholders == {"project_id"} | {f"{f}_url" for f in topo.http_functions}
    gateway_call = module_call(PLATFORM, "api_gateway")
    assert unexpr(gateway_call["backend_urls"]) == (
        "{for name in module.topology.http_functions : name => module.functions.urls[name]}"
    )
    assert unexpr(gateway_call["backend_services"]) == (
        "{for name in module.topology.http_functions : name => module.functions.services[name]}"
    )


def test_http_functions_are_not_public_and_only_the_gateway_invokes_them() -> None:
    everything = "\n".join(p.read_text() for p in TF_ROOT.rglob("*.tf"))
    # Public: only the static site and the image variants, each bucket's objectViewer.
    public = [
        (path.relative_to(MODULES).as_posix(), name)
        for path in sorted(MODULES.rglob("*.tf"))
        for entry in parse(path).get("resource", [])
        for name, body in entry.get('"google_storage_bucket_iam_member"', {}).items()
        if body["member"] == '"allUsers"'
    ]
    assert public == [("frontend/main.tf", '"public_read"'), ("media/main.tf", '"media_public"')]
    assert everything.count('"allUsers"') == 2
    # Read an object by name, never list the bucket (objectViewer would also grant list).
    for module, name in public:
        binding = resource(
            MODULES / module.split("/")[0], "google_storage_bucket_iam_member", name.strip('"')
        )
        assert unexpr(binding["role"]) == "var.public_read_role"
    role = resource(PLATFORM, "google_project_iam_custom_role", "public_object_reader")
    assert role["permissions"] == ['"storage.objects.get"']
    for call in ("frontend", "media"):
        assert unexpr(module_call(PLATFORM, call)["public_read_role"]) == (
            "google_project_iam_custom_role.public_object_reader.id"
        )
    assert "allAuthenticatedUsers" not in everything
    assert "roles/editor" not in everything and "roles/owner" not in everything
    invoker = resource(
        MODULES / "api_gateway", "google_cloud_run_v2_service_iam_member", "gateway_invoker"
    )
    assert invoker["member"] == '"serviceAccount:${google_service_account.gateway.email}"'
    assert unexpr(invoker["for_each"]) == "var.backend_services"
    fn = resource(MODULES / "functions", "google_cloudfunctions2_function", "this")
    ingress = unexpr(fn["service_config"][0]["ingress_settings"])
    assert ingress == 'each.value.kind == "http" ? "ALLOW_ALL" : "ALLOW_INTERNAL_ONLY"'


def test_emulator_settings_never_reach_the_cloud() -> None:
    for path in TF_ROOT.rglob("*.tf*"):
        text = path.read_text()
        if path.parent.name == "functions" and path.name == "variables.tf":
            assert '"FIREBASE_AUTH_EMULATOR_HOST"' in text  # the validation that forbids it
            continue
        assert "EMULATOR_HOST" not in text, path


def test_environments_are_the_same_code_with_different_values() -> None:
    dev, prod = TF_ROOT / "envs" / "dev", TF_ROOT / "envs" / "prod"
    for name in ("main.tf", "variables.tf", "outputs.tf"):
        assert (dev / name).read_text() == (prod / name).read_text(), name
    for env in (dev, prod):
        declared = {k.strip('"'): v for e in parse_module(env)["variable"] for k, v in e.items()}
        values = {k: v for k, v in parse(env / "terraform.tfvars").items() if k[:2] != "__"}
        assert set(values) <= set(declared), env
        required = {k for k, v in declared.items() if "default" not in v}
        # project_id comes from `make deploy PROJECT=...`.
        assert required - set(values) == {"project_id"}, env
    dev_vals, prod_vals = parse(dev / "terraform.tfvars"), parse(prod / "terraform.tfvars")
    assert dev_vals["redis"] == {"tier": '"BASIC"', "memory_size_gb": 1, "secure": False}
    assert prod_vals["redis"]["tier"] == '"STANDARD_HA"' and prod_vals["redis"]["secure"] is True
    # prod: Memorystore for Redis Cluster; dev keeps one instance (cluster defaults to false).
    assert prod_vals["redis"]["cluster"] is True and "cluster" not in dev_vals["redis"]
    assert prod_vals["redis"]["shard_count"] >= 3 and prod_vals["redis"]["replica_count"] >= 1
    assert prod_vals["firestore_protect"] is True
    # prod is HTTPS only and no laptop may sign in to it.
    assert prod_vals["require_https"] is True and "require_https" not in dev_vals
    assert dev_vals["auth_localhost"] is True and "auth_localhost" not in prod_vals


def test_redis_settings_the_timeline_engine_needs() -> None:
    redis = resource(MODULES / "redis", "google_redis_instance", "this")
    assert unexpr(redis["redis_configs"]) == "var.redis_configs"
    variables = parse(MODULES / "redis" / "variables.tf")["variable"]
    configs = next(v['"redis_configs"'] for v in variables if '"redis_configs"' in v)
    # Neither Memorystore for Redis nor its Cluster accepts zset-max-listpack-entries.
    assert configs["default"] == {}
    assert unexpr(redis["auth_enabled"]) == "var.secure"
    assert unexpr(redis["transit_encryption_mode"]) == (
        'var.secure ? "SERVER_AUTHENTICATION" : "DISABLED"'
    )
    assert unexpr(redis["count"]) == "local.cluster ? 0 : 1"
    cluster = resource(MODULES / "redis", "google_redis_cluster", "this")
    assert unexpr(cluster["count"]) == "local.cluster ? 1 : 0"
    for arg in ("shard_count", "replica_count", "node_type", "redis_configs"):
        assert unexpr(cluster[arg]) == f"var.{arg}"
    assert unexpr(cluster["psc_configs"][0]["network"]) == "var.network_id"
    policy = resource(
        MODULES / "redis", "google_network_connectivity_service_connection_policy", "redis"
    )
    assert policy["service_class"] == '"gcp-memorystore-redis"'
    assert unexpr(policy["psc_config"][0]["subnetworks"][0]) == "var.psc_subnetwork_id"
    assert cluster["depends_on"] == [
        "${google_network_connectivity_service_connection_policy.redis}"
    ]
    call = module_call(PLATFORM, "redis")
    assert unexpr(call["mode"]) == 'var.redis.cluster ? "cluster" : "instance"'
    for arg in ("shard_count", "replica_count", "node_type", "iam_auth"):
        assert unexpr(call[arg]) == f"var.redis.{arg}"


def test_redis_connection_settings_for_instance_and_cluster(evaluate: Evaluate) -> None:
    """The redis module's own URL and settings expressions, evaluated for both modes with
    stand-ins for what the two resources report."""
    url_locals = block_text(MODULES / "redis" / "main.tf", "locals {\n  instance = ")
    settings = block_text(MODULES / "redis" / "outputs.tf", 'output "environment"')
    assert "one(google_redis_instance.this[*])" in url_locals
    url_locals = url_locals.replace(
        "one(google_redis_instance.this[*])", "var.cluster ? null : var.instance"
    ).replace("one(google_redis_cluster.this[*])", "var.cluster ? var.clus : null")
    config = (
        'variable "cluster" {}\nvariable "secure" {}\nvariable "iam_auth" {}\n'
        'variable "replica_count" {}\nvariable "tier" {}\n'
        'variable "ca_mount_path" {\n  default = "/etc/secrets/redis-ca"\n}\n'
        'variable "instance" {\n  default = { host = "10.0.0.3", port = 6378,'
        ' auth_string = "s3cret",'
        ' server_ca_certs = [{ cert = "CA1" }, { cert = "CA2" }] }\n}\n'
        'variable "clus" {\n  default = {'
        ' discovery_endpoints = [{ address = "10.10.16.5", port = 6379 }],'
        ' managed_server_ca = [{ ca_certs = [{ certificates = ["C1", "C2"] }] }] }\n}\n'
        "locals {\n  cluster = var.cluster\n}\n"
        + url_locals
        + "\n"
        + settings
        + '\noutput "url" {\n  value = local.url\n}\n'
        + 'output "cas" {\n  value = local.server_cas\n}\n'
    )
    instance = evaluate(
        config,
        'cluster = false\nsecure = true\niam_auth = false\nreplica_count = 1\ntier = "BASIC"\n',
    )
    assert instance["url"] == (
        "rediss://:s3cret@10.0.0.3:6378/0?ssl_cert_reqs=required"
        "&ssl_ca_certs=/etc/secrets/redis-ca/ca.pem&ssl_check_hostname=false"
    )
    assert instance["cas"] == ["CA1", "CA2"]  # every CA: rotation
    assert instance["environment"] == {
        "REDIS_CLUSTER": "0",
        "REDIS_IAM_AUTH": "0",
        "REDIS_WAIT_REPLICAS": "0",
    }  # Basic: no replica to wait for
    standard = evaluate(
        config,
        "cluster = false\nsecure = true\niam_auth = false\nreplica_count = 1\n"
        'tier = "STANDARD_HA"\n',
    )
    assert standard["environment"]["REDIS_WAIT_REPLICAS"] == "1"
    cluster = evaluate(
        config,
        'cluster = true\nsecure = true\niam_auth = false\nreplica_count = 1\ntier = "BASIC"\n',
    )
    assert cluster["url"].startswith("rediss://10.10.16.5:6379/0?ssl_cert_reqs=required")
    assert cluster["cas"] == ["C1", "C2"]
    # What shared/ reads to choose the cluster client (issue 19).
    assert cluster["environment"] == {
        "REDIS_CLUSTER": "1",
        "REDIS_IAM_AUTH": "0",
        "REDIS_WAIT_REPLICAS": "1",
    }
    lone = evaluate(
        config,
        'cluster = true\nsecure = true\niam_auth = false\nreplica_count = 0\ntier = "BASIC"\n',
    )
    assert lone["environment"]["REDIS_WAIT_REPLICAS"] == "0"  # no replica: nothing to wait for


def index_fields(body: dict[str, Any]) -> list[tuple[str, str]]:
    return [(f["field_path"].strip('"'), f["order"].strip('"')) for f in body["fields"]]


def test_firestore_indexes_match_the_adapter_queries() -> None:
    firestore = MODULES / "firestore"
    posts = resource(firestore, "google_firestore_index", "posts_by_author")
    assert posts["collection"].strip('"') == firestore_posts.POSTS
    assert index_fields(posts) == [
        ("author_id", "ASCENDING"),
        ("deleted", "ASCENDING"),
        ("id", "DESCENDING"),
    ]
    outbox = resource(firestore, "google_firestore_index", "unpublished_events")
    assert outbox["collection"].strip('"') == firestore_posts.EVENTS
    assert outbox["query_scope"] == '"COLLECTION_GROUP"'
    assert index_fields(outbox) == [("published", "ASCENDING"), ("occurred_ms", "ASCENDING")]
    replay = resource(firestore, "google_firestore_field", "events_occurred_ms")
    assert replay["collection"].strip('"') == firestore_posts.EVENTS
    scopes = [i.get("query_scope", '"COLLECTION"') for i in replay["index_config"][0]["indexes"]]
    assert '"COLLECTION_GROUP"' in scopes
    ttl = resource(firestore, "google_firestore_field", "idempotency_ttl")
    assert ttl["collection"].strip('"') == firestore_posts.IDEMPOTENCY
    # The adapter's queries are the ones these indexes were written for.
    src = Path(firestore_posts.__file__).read_text()
    assert 'FieldFilter("author_id", "==", author_id)' in src
    assert 'FieldFilter("deleted", "==", False)' in src
    assert 'order_by("id", direction=firestore.Query.DESCENDING)' in src
    assert 'FieldFilter("published", "==", False)' in src
    assert 'order_by("occurred_ms")' in src


def test_outbox_ticks_come_from_cloud_scheduler_every_minute() -> None:
    job = resource(MODULES / "scheduler", "google_cloud_scheduler_job", "outbox_tick")
    assert unexpr(job["pubsub_target"][0]["topic_name"]) == "var.topic_id"
    variables = parse(MODULES / "scheduler" / "variables.tf")["variable"]
    schedule = next(v['"schedule"'] for v in variables if '"schedule"' in v)
    assert schedule["default"] == '"* * * * *"'
    call = module_call(PLATFORM, "scheduler")
    assert unexpr(call["topic_id"]) == 'module.pubsub.topic_ids["outbox-ticks"]'
    assert "outbox-ticks" in topology.load(TOPOLOGY).topics


def test_media_buckets_notification_and_settings() -> None:
    media = MODULES / "media"
    uploads = resource(media, "google_storage_bucket", "uploads")
    assert uploads["public_access_prevention"] == '"enforced"'
    assert uploads["uniform_bucket_level_access"] is True
    actions = [r["action"][0]["type"] for r in uploads["lifecycle_rule"]]
    assert '"Delete"' in actions  # unfinished / rejected uploads are cleaned up
    note = resource(media, "google_storage_notification", "uploads")
    assert note["event_types"] == ['"OBJECT_FINALIZE"']
    assert note["payload_format"] == '"JSON_API_V1"'
    assert unexpr(note["topic"]) == "var.notification_topic"
    assert unexpr(note["object_name_prefix"]) == "var.upload_prefix"
    media_vars = {
        k.strip('"'): v for e in parse(media / "variables.tf")["variable"] for k, v in e.items()
    }
    prefix = media_vars["upload_prefix"]["default"].strip('"')
    assert domain_media.upload_object_name("abc").startswith(prefix)
    ttl = resource(MODULES / "firestore", "google_firestore_field", "media_ttl")
    assert ttl["collection"].strip('"') == firestore_media.MEDIA
    assert ttl["field"] == '"expires_at"'
    call = module_call(PLATFORM, "media")
    topic = re.fullmatch(
        r'module\.pubsub\.topic_ids\["([\w-]+)"\]', unexpr(call["notification_topic"])
    )
    assert topic
    topo = topology.load(TOPOLOGY)
    assert topic.group(1) in topo.topics
    assert [s.function for s in topo.subscriptions if s.topic == topic.group(1)] == [
        "media_processor"
    ]
    # The settings the media code reads are the ones Terraform sets.
    code = (REPO / "shared" / "config.py").read_text()  # where the media settings are read
    settings = local_expr(PLATFORM, "media_settings")
    for name in ("UPLOADS_BUCKET", "MEDIA_BUCKET", "MEDIA_PUBLIC_BASE_URL"):
        assert f'"{name}"' in code and name in settings
    # Variants are named m/<id>/<size>.webp and the load balancer serves /m/* from the bucket.
    assert 'f"m/{media_id}/' in (REPO / "shared" / "domain" / "media.py").read_text()
    url_map = resource(MODULES / "frontend", "google_compute_url_map", "site")
    matcher = url_map["path_matcher"][0]
    dynamic = {k: v for d in matcher["dynamic"] for k, v in d.items()}
    media_rule = dynamic['"route_rules"']["content"][0]
    assert media_rule["match_rules"][0]["prefix_match"] == '"/m/"'
    assert media_rule["service"] == "${google_compute_backend_bucket.media[0].id}"


def test_platform_function_table_and_publish_grants(evaluate: Evaluate) -> None:
    """The platform's own locals, evaluated by Terraform with the dev tfvars and the real
    topology; other modules' outputs are stubbed with fixed strings."""
    platform_locals = block_text(PLATFORM / "main.tf", "locals {")
    for stub, value in {
        'abspath("${path.module}/../../../..")': f'"{REPO}"',
        "module.functions.service_accounts": "local.stub_service_accounts",
        "module.frontend.ip_address": '"203.0.113.7"',
        "module.media.uploads_bucket": '"p-uploads"',
        "module.media.media_bucket": '"p-media"',
    }.items():
        assert stub in platform_locals, stub
        platform_locals = platform_locals.replace(stub, value)
    env_vars = block_text(TF_ROOT / "envs" / "dev" / "variables.tf", 'variable "project_id"')
    variables = "\n".join(
        block_text(TF_ROOT / "envs" / "dev" / "variables.tf", f'variable "{name}"')
        for name in ("domain", "function_defaults", "function_overrides")
    )
    tfvars = (TF_ROOT / "envs" / "dev" / "terraform.tfvars").read_text()
    kept = "\n".join(
        line
        for line in tfvars.splitlines()
        if not re.match(r"^(env|region|firestore_location|vpc_egress|firestore_protect)\s", line)
    ).replace("app_settings", "unused_app_settings")
    outputs = evaluate(
        env_vars
        + "\n"
        + variables
        + '\nvariable "redis" {}\nvariable "unused_app_settings" {}\nvariable "labels" {\n'
        + "  default = {}\n}\n"
        + 'module "topology" {\n  source        = "'
        + str(MODULES / "topology")
        + '"\n  topology_file = "${local.repo_root}/shared/contracts/topology.yaml"\n}\n'
        + platform_locals
        + "\nlocals {\n  stub_service_accounts = {\n"
        + '    for n in local.all_functions : n => "fn-${n}@p.iam.gserviceaccount.com"\n  }\n}\n'
        + 'output "functions" {\n  value = local.functions\n}\n'
        + 'output "grants" {\n  value = local.publish_grants\n}\n'
        + 'output "media" {\n  value = local.media_settings\n}\n'
        + 'output "cors" {\n  value = local.cors_settings\n}\n'
        + 'output "static_paths" {\n  value = local.static_paths\n}\n',
        tfvars=kept + '\nproject_id = "p"\n',
    )
    topo = topology.load(TOPOLOGY)
    functions = outputs["functions"]
    assert set(functions) == set(topo.functions)
    for name, f in functions.items():
        assert f["kind"] == ("http" if name in topo.http_functions else "event")
    assert functions["media_processor"]["memory"] == "1Gi"  # dev override
    assert functions["media_processor"]["concurrency"] == 1
    assert functions["users"]["memory"] == "512Mi"  # dev default
    assert functions["timeline_writer"]["neo4j"] is False
    assert functions["users"]["neo4j"] is True
    # Redis (its secret, its settings, VPC egress) only where the code uses it.
    assert functions["account_eraser"]["neo4j"] and functions["account_eraser"]["redis"]
    assert {n for n, f in functions.items() if not f["redis"]} == {
        "outbox_relay",
        "media_processor",
        "account_exporter",  # data exports: the graph, the read model and the bucket only
    }
    # The users' key-encryption key (crypto-shredding): only functions that seal or open events.
    assert {n for n, f in functions.items() if f["kms"]} == KMS_FUNCTIONS
    assert outputs["cors"] == {"CORS_ALLOW_ORIGIN": "http://203.0.113.7"}
    assert outputs["static_paths"] == sorted(
        "/" + p.relative_to(REPO / "frontend" / "public").as_posix()
        for p in (REPO / "frontend" / "public").rglob("*")
        if p.is_file()
    )
    expected = {
        "social-events/users",
        "account-events/users",
        "post-events/users",  # a moderator's removal of a post (issue 21, docs/safety.md)
        "post-events/posts",
        "post-events/outbox_relay",
        "social-events/outbox_relay",
        "fanout-batches/fanout_planner",
        # likes and reposts (shared/usecases/engagement.py) and their outbox relay
        "engagement-events/posts",
        "engagement-events/outbox_relay",
        # data exports (issue 23): POST /v1/me/export and the outbox relay's re-publish
        "export-requests/users",
        "export-requests/outbox_relay",
    } | {f"{s.dead_letter_topic}/{s.function}" for s in topo.subscriptions}
    assert set(outputs["grants"]) == expected
    for key, grant in outputs["grants"].items():
        topic, function = key.split("/")
        assert grant == {"topic": topic, "email": f"fn-{function}@p.iam.gserviceaccount.com"}
        assert topic in topo.topics or topic in topo.dead_letter_topics
    assert outputs["media"] == {
        "UPLOADS_BUCKET": "p-uploads",
        "MEDIA_BUCKET": "p-media",
        "MEDIA_PUBLIC_BASE_URL": "http://203.0.113.7",
    }


def test_gunicorn_threads_match_each_function_concurrency() -> None:
    """functions-framework (the pinned version) runs gunicorn with WORKERS processes of THREADS
    threads, THREADS defaulting to 4 per CPU: the module sets it to the function's concurrency."""
    from functions_framework._http import gunicorn

    pinned = re.search(r'"functions-framework==([\d.]+)"', (REPO / "pyproject.toml").read_text())
    assert pinned and pinned.group(1) == "3.10.2"
    for req in (REPO / "functions").glob("*/requirements.txt"):
        assert "functions-framework==3.10.2" in req.read_text(), req
    source = Path(gunicorn.__file__).read_text()
    assert 'os.environ.get("THREADS", (os.cpu_count() or 1) * 4)' in source
    assert 'os.environ.get("WORKERS", 1)' in source
    fn = resource(MODULES / "functions", "google_cloudfunctions2_function", "this")
    service = fn["service_config"][0]
    env = unexpr(service["environment_variables"])
    assert "THREADS = tostring(each.value.concurrency)" in env
    assert 'WORKERS = "1"' in env
    assert unexpr(service["max_instance_request_concurrency"]) == "each.value.concurrency"


# Functions whose container seals or opens events (shared/bootstrap.py: data_keys): the posts
# function seals PostCreated, and every consumer of post-events opens it (consume() opens each
# event before its handler), so the set follows the topology.
KMS_FUNCTIONS = {"posts"} | {
    s["function"]
    for s in yaml.safe_load(TOPOLOGY.read_text())["subscriptions"].values()
    if s["topic"] == "post-events"
}


def test_kms_key_ring_key_and_grants_to_the_sealing_functions_only() -> None:
    key = resource(MODULES / "kms", "google_kms_crypto_key", "user_data_keys")
    assert key["purpose"] == '"ENCRYPT_DECRYPT"'
    assert key["lifecycle"][0]["prevent_destroy"] is True
    grant = resource(MODULES / "kms", "google_kms_crypto_key_iam_member", "encrypter_decrypter")
    assert grant["role"] == '"roles/cloudkms.cryptoKeyEncrypterDecrypter"'
    assert unexpr(grant["for_each"]) == "var.users"
    call = module_call(PLATFORM, "kms")
    assert "if f.kms" in unexpr(call["users"])
    functions_call = module_call(PLATFORM, "functions")
    assert "KMS_KEY_NAME = module.kms.key_name" in unexpr(functions_call["environment"])
    assert (
        '"cloudkms.googleapis.com"' in (MODULES / "project_services" / "variables.tf").read_text()
    )
    # The client library is imported in one adapter, and deployed with the functions using it.
    importers = [
        p.relative_to(REPO).as_posix()
        for p in (REPO / "shared").rglob("*.py")
        if re.search(r"from google\.cloud import kms|import google\.cloud\.kms", p.read_text())
    ]
    assert importers == ["shared/adapters/kms.py"]
    for name in KMS_FUNCTIONS:
        reqs = (REPO / "functions" / name / "requirements.txt").read_text()
        assert "google-cloud-kms==" in reqs and "cryptography==" in reqs


def test_the_users_function_may_grant_moderator_claims() -> None:
    grant = resource(PLATFORM, "google_project_iam_member", "users_auth_admin")
    assert grant["role"] == '"roles/firebaseauth.admin"'
    assert 'service_accounts["users"]' in unexpr(grant["member"])


def test_the_account_eraser_may_delete_sign_in_accounts_and_media() -> None:
    grant = resource(PLATFORM, "google_project_iam_member", "eraser_auth_admin")
    assert grant["role"] == '"roles/firebaseauth.admin"'
    assert "account_eraser" in unexpr(grant["member"])
    media = unexpr(module_call(PLATFORM, "media")["processors"])
    assert 'module.functions.service_accounts["account_eraser"]' in media


def test_only_redis_functions_get_its_secret_and_vpc_egress() -> None:
    fn = resource(MODULES / "functions", "google_cloudfunctions2_function", "this")
    service = fn["service_config"][0]
    assert unexpr(service["direct_vpc_egress"]).startswith("each.value.redis && ")
    dynamic = {k: v for d in service["dynamic"] for k, v in d.items()}
    assert unexpr(dynamic['"direct_vpc_network_interface"']["for_each"]).startswith(
        "each.value.redis && "
    )
    secret_envs = sorted(
        unexpr(d['"secret_environment_variables"']["for_each"])
        for d in service["dynamic"]
        if '"secret_environment_variables"' in d
    )
    assert secret_envs == [
        "each.value.neo4j ? var.neo4j_secrets : {}",
        "each.value.redis ? {REDIS_URL = var.redis_url_secret} : {}",
    ]
    assert "secret_environment_variables" not in service  # no unconditional REDIS_URL
    assert unexpr(dynamic['"secret_volumes"']["for_each"]).startswith("each.value.redis && ")
    grants = local_expr(MODULES / "functions", "redis_grants")
    assert "if f.redis" in grants


def subnet_sizes(
    evaluate: Evaluate, cidr: str, max_instances: int, services: int
) -> dict[str, Any]:
    network_locals = block_text(MODULES / "network" / "main.tf", "locals {")
    return evaluate(
        f'variable "functions_cidr" {{\n  default = "{cidr}"\n}}\n'
        f'variable "vpc_max_instances" {{\n  default = {max_instances}\n}}\n'
        f'variable "vpc_services" {{\n  default = {services}\n}}\n'
        + network_locals
        + '\noutput "have" {\n  value = local.subnet_addresses\n}\n'
        + 'output "need" {\n  value = local.required_addresses\n}\n'
    )


def test_direct_vpc_egress_subnet_is_sized_from_the_instance_limits(evaluate: Evaluate) -> None:
    prod = parse(TF_ROOT / "envs" / "prod" / "terraform.tfvars")
    defaults, overrides = prod["function_defaults"], prod["function_overrides"]
    vpc = [
        "users",
        "posts",
        "timeline",
        "media",
        "fanout_planner",
        "timeline_writer",
        "follow_sync",
    ]
    total = sum(overrides.get(n, {}).get("max_instances", defaults["max_instances"]) for n in vpc)
    assert total >= 400  # prod's limits: 2 addresses each would not fit the old /24
    variables = {
        k.strip('"'): v
        for e in parse(MODULES / "network" / "variables.tf")["variable"]
        for k, v in e.items()
    }
    cidr = variables["functions_cidr"]["default"].strip('"')
    sized = subnet_sizes(evaluate, cidr, total, len(vpc))
    assert sized["have"] >= sized["need"] >= 4 * total
    old = subnet_sizes(evaluate, "10.10.0.0/24", total, len(vpc))
    assert old["have"] < old["need"]  # the precondition refuses the old subnet
    subnet = resource(MODULES / "network", "google_compute_subnetwork", "functions")
    [pre] = subnet["lifecycle"][0]["precondition"]
    assert "local.subnet_addresses >= local.required_addresses" in unexpr(pre["condition"])


def test_cors_allows_the_site_only(evaluate: Evaluate) -> None:
    """The functions module's own validation of environment, applied to good and bad values."""
    var_block = block_text(MODULES / "functions" / "variables.tf", 'variable "environment"')
    code = (REPO / "shared" / "entrypoints" / "http" / "api.py").read_text()
    assert 'os.environ.get("CORS_ALLOW_ORIGIN"' in code
    ok = evaluate(
        var_block + '\noutput "ok" {\n  value = true\n}\n',
        'environment = { CORS_ALLOW_ORIGIN = "https://kwetter.example" }\n',
    )
    assert ok == {"ok": True}
    for bad in ('{ CORS_ALLOW_ORIGIN = "*" }', "{}"):
        with pytest.raises(AssertionError, match="CORS_ALLOW_ORIGIN must be set"):
            evaluate(var_block, f"environment = {bad}\n")
    call = module_call(PLATFORM, "functions")
    assert "local.cors_settings" in unexpr(call["environment"])


def test_builder_reads_only_the_source_buckets(evaluate: Evaluate) -> None:
    functions = MODULES / "functions"
    everything = "\n".join(p.read_text() for p in MODULES.rglob("*.tf"))
    grant = resource(functions, "google_project_iam_member", "builder_sources")
    assert grant["role"] == '"roles/storage.objectViewer"'
    expression = unexpr(grant["condition"][0]["expression"])
    assert "local.build_buckets" in expression
    # The condition Terraform renders, for two buckets: each bucket and its objects, nothing else.
    rendered = evaluate(
        'locals {\n  build_buckets = ["p-function-sources", "gcf-v2-sources-1-r"]\n}\n'
        f'output "cel" {{\n  value = {expression}\n}}\n'
    )["cel"]
    assert rendered == (
        'resource.name == "projects/_/buckets/p-function-sources" || '
        'resource.name.startsWith("projects/_/buckets/p-function-sources/") || '
        'resource.name == "projects/_/buckets/gcf-v2-sources-1-r" || '
        'resource.name.startsWith("projects/_/buckets/gcf-v2-sources-1-r/")'
    )
    buckets = local_expr(functions, "build_buckets")
    assert "google_storage_bucket.sources.name" in buckets and "gcf-v2-sources-" in buckets
    # No other objectViewer/admin grant on the project for it, and AR writer on one repository.
    assert everything.count('"roles/storage.objectViewer"') == 1
    repo = resource(functions, "google_artifact_registry_repository", "images")
    assert {p["action"] for p in repo["cleanup_policies"]} == {'"KEEP"', '"DELETE"'}
    fn = resource(functions, "google_cloudfunctions2_function", "this")
    assert unexpr(fn["build_config"][0]["docker_repository"]) == (
        "google_artifact_registry_repository.images.id"
    )
    # Live source zips are never deleted by age (Terraform would upload them again).
    bucket = resource(functions, "google_storage_bucket", "sources")
    [rule] = bucket["lifecycle_rule"]
    assert "age" not in rule["condition"][0] and rule["condition"][0]["with_state"] == '"ARCHIVED"'


def test_deleted_images_stop_being_served() -> None:
    media = resource(MODULES / "media", "google_storage_bucket", "media")
    assert media["versioning"] == [{"enabled": False, "__is_block__": True}]
    assert media["soft_delete_policy"][0]["retention_duration_seconds"] == 0
    # Only versions left from when versioning was on are deleted, within a day.
    [rule] = media["lifecycle_rule"]
    assert rule["condition"][0] == {
        "days_since_noncurrent_time": 1,
        "with_state": '"ARCHIVED"',
        "__is_block__": True,
    }
    backend = resource(MODULES / "frontend", "google_compute_backend_bucket", "media")
    policy = backend["cdn_policy"][0]
    assert unexpr(policy["max_ttl"]) == "var.media_cdn_ttl"
    assert unexpr(policy["client_ttl"]) == "var.media_client_ttl"
    variables = {
        k.strip('"'): v
        for e in parse(MODULES / "frontend" / "variables.tf")["variable"]
        for k, v in e.items()
    }
    assert variables["media_cdn_ttl"]["default"] <= 3600
    assert variables["media_client_ttl"]["default"] <= 600


def test_site_deep_links_compression_and_cache_headers() -> None:
    frontend = MODULES / "frontend"
    site = resource(frontend, "google_storage_bucket", "site")
    assert "not_found_page" not in site["website"][0]
    url_map = resource(frontend, "google_compute_url_map", "site")
    rules_ = url_map["path_matcher"][0]["route_rules"]
    spa = [r for r in rules_ if r.get("route_action")]
    assert len(spa) == 1
    assert spa[0]["match_rules"][0]["path_template_match"] == '"/**"'
    assert spa[0]["route_action"][0]["url_rewrite"][0]["path_template_rewrite"] == '"/index.html"'
    files = next(r for r in rules_ if r["priority"] == 1)
    assert files["match_rules"][0]["prefix_match"] == '"/assets/"'
    assert max(r["priority"] for r in rules_) == spa[0]["priority"]  # the catch-all comes last
    backend = resource(frontend, "google_compute_backend_bucket", "site")
    assert backend["compression_mode"] == '"AUTOMATIC"'
    assert backend["cdn_policy"][0]["cache_mode"] == '"USE_ORIGIN_HEADERS"'
    vite = (REPO / "frontend" / "vite.config.ts").read_text()
    assert "assetsDir" not in vite  # Vite's default: hashed files under /assets/
    deploy = (TF_ROOT / "deploy.sh").read_text()
    assert 'frontend/dist/assets "gs://$BUCKET/assets"' in deploy
    assert '--cache-control="public, max-age=31536000, immutable"' in deploy
    assert '--cache-control="no-cache, max-age=0"' in deploy
    assert "--delete-unmatched-destination-objects" not in deploy
    cert = resource(frontend, "google_compute_managed_ssl_certificate", "site")
    assert cert["lifecycle"][0]["create_before_destroy"] is True
    assert "sha256(var.domain)" in cert["name"]
    address = resource(frontend, "google_compute_global_address", "site")
    [pre] = address["lifecycle"][0]["precondition"]
    assert unexpr(pre["condition"]) == 'var.domain != "" || !var.require_https'


def test_identity_platform_localhost_and_signup_quota() -> None:
    auth = resource(PLATFORM, "google_identity_platform_config", "auth")
    assert unexpr(auth["provider"]) == "google-beta"
    assert 'var.auth_localhost ? "localhost" : ""' in unexpr(auth["authorized_domains"])
    dynamic = {k: v for d in auth["dynamic"] for k, v in d.items()}
    quota = dynamic['"quota"']["content"][0]["sign_up_quota_config"][0]
    assert unexpr(quota["quota"]) == "quota.value.per_ip_per_hour"
    prod = parse(TF_ROOT / "envs" / "prod" / "terraform.tfvars")
    assert 1 <= prod["signup_quota"]["per_ip_per_hour"] < 100  # below the default 100/h/address
    for env in ("dev", "prod"):
        beta = block_text(TF_ROOT / "envs" / env / "main.tf", 'provider "google-beta"')
        assert "user_project_override = true" in beta and "billing_project" in beta
        assert "user_project_override" not in block_text(
            TF_ROOT / "envs" / env / "main.tf", 'provider "google" {'
        )
    firebase = resource(PLATFORM, "google_firebase_project", "this")
    assert unexpr(firebase["provider"]) == "google-beta"


def test_the_account_exporter_writes_exports_and_only_users_signs_their_urls() -> None:
    """Data exports (issue 23): the exporter function writes archives into the private bucket;
    the users function alone signs their short-lived URLs (Token Creator on itself)."""
    writers = resource(PLATFORM, "google_storage_bucket_iam_member", "exports_writers")
    assert "account_exporter" in unexpr(writers["for_each"])
    signer = resource(PLATFORM, "google_service_account_iam_member", "users_signs_export_urls")
    assert 'service_accounts["users"]' in unexpr(signer["member"])
    sub = next(s for s in topology.load(TOPOLOGY).subscriptions if s.function == "account_exporter")
    assert (sub.topic, sub.dead_letter_topic) == ("export-requests", "export-requests-dlq")
