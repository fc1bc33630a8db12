"""The Terraform equals the contracts: topology.yaml (Pub/Sub, functions) and openapi.yaml.

Values are computed by Terraform itself where possible: the topology module has no provider,
and the OpenAPI rendering is the api_gateway module's own expression, copied verbatim into a
provider-less configuration. Resource wiring (which input lands in which argument) is read
with python-hcl2.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

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


def test_source_zip_holds_the_function_and_shared_without_devstack() -> None:
    functions = MODULES / "functions"
    shared_files = local_expr(functions, "shared_files")
    assert '!startswith(f, "devstack/")' in shared_files
    assert '!strcontains(f, "__pycache__")' in shared_files
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
        if path.is_file() and pattern.search(rel) and not rel.startswith("devstack/"):
            path.read_text(encoding="utf-8")


def render_openapi(evaluate: Evaluate, urls: dict[str, str], project: str) -> str:
    gateway = MODULES / "api_gateway"
    spec_expr = unexpr(local_expr(gateway, "spec"))
    backends = ", ".join(f'{k} = "{v}"' for k, v in urls.items())
    return str(
        evaluate(
            f'variable "openapi_file" {{\n  default = "{OPENAPI}"\n}}\n'
            f'variable "project_id" {{\n  default = "{project}"\n}}\n'
            f'variable "backend_urls" {{\n  default = {{ {backends} }}\n}}\n'
            f"locals {{\n  spec = {spec_expr}\n}}\n"
            'output "spec" {\n  value = local.spec\n}\n'
        )["spec"]
    )


def test_openapi_routes_reach_the_right_functions(evaluate: Evaluate) -> None:
    topo = topology.load(TOPOLOGY)
    urls = {
        name: f"https://{name.replace('_', '-')}-abc-ew.a.run.app" for name in topo.http_functions
    }
    rendered_text = render_openapi(evaluate, urls, "kwetter-prod-1")
    assert "${" not in rendered_text
    rendered = yaml.safe_load(rendered_text)
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
    assert prod_vals["firestore_protect"] is True


def test_redis_settings_the_timeline_engine_needs() -> None:
    redis = resource(MODULES / "redis", "google_redis_instance", "this")
    assert unexpr(redis["redis_configs"]) == "var.redis_configs"
    variables = parse(MODULES / "redis" / "variables.tf")["variable"]
    configs = next(v['"redis_configs"'] for v in variables if '"redis_configs"' in v)
    assert configs["default"] == {'"zset-max-listpack-entries"': '"1024"'}
    assert unexpr(redis["auth_enabled"]) == "var.secure"
    assert unexpr(redis["transit_encryption_mode"]) == (
        'var.secure ? "SERVER_AUTHENTICATION" : "DISABLED"'
    )


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
    dynamic = {k: v for d in url_map["dynamic"] for k, v in d.items()}
    matcher = dynamic['"path_matcher"']["content"][0]
    assert matcher["path_rule"][0]["paths"] == ['"/m/*"']


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
        + 'output "media" {\n  value = local.media_settings\n}\n',
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
    expected = {
        "social-events/users",
        "post-events/posts",
        "post-events/outbox_relay",
        "social-events/outbox_relay",
        "fanout-batches/fanout_planner",
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
