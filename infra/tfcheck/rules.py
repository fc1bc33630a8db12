"""Checks of values that the provider schema cannot express, each a way the first `apply` on a
fresh project failed (issue 18):

- redis_configs: Memorystore refuses a key that is not on its list of modifiable settings, and
  the provider passes the map through unchecked (it is a map of strings in the schema). Every
  literal key that can reach a Memorystore resource (the resource's own map, the defaults of
  the variables feeding it, module arguments and tfvars up the tree) must be on the list of
  the service it reaches.
- API Gateway documents: the OpenAPI document sent to API Gateway must not carry YAML anchors
  or aliases (its importer is not documented to resolve them). A document built with
  jsonencode() cannot; a file read as it is must have none; anything else cannot be proved.
- API enablement: in a module that enables APIs through a module call (a child with
  google_project_service), every other module call that creates resources and every resource
  must depend on that call (`depends_on`, directly or through a resource that does), or a
  one-shot apply races the enablement; and the API each resource type needs must be in the
  enabled list.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import hcl2
import yaml

from infra.tfcheck.check import Checker, Module, Problem, _labelled, _line_of, _unexpr, _unquote

# Modifiable settings, from Google's documentation (docs/deploy.md cites the pages):
# memorystore/docs/redis/supported-redis-configurations (Memorystore for Redis) and
# memorystore/docs/cluster/supported-instance-configurations (Memorystore for Redis Cluster).
# modules/redis/main.tf repeats them for the plan-time precondition; a test keeps them equal.
REDIS_CONFIGS: dict[str, frozenset[str]] = {
    "google_redis_instance": frozenset({
        "activedefrag", "databases", "lazyfree-lazy-eviction", "lazyfree-lazy-expire",
        "lazyfree-lazy-user-del", "lazyfree-lazy-user-flush", "lfu-decay-time", "lfu-log-factor",
        "maxmemory-clients", "maxmemory-gb", "maxmemory-policy", "notify-keyspace-events",
        "stream-node-max-bytes", "stream-node-max-entries",
    }),
    "google_redis_cluster": frozenset({
        "maxclients", "maxmemory", "maxmemory-clients", "maxmemory-policy",
        "notify-keyspace-events", "slowlog-log-slower-than",
    }),
}  # fmt: skip
SERVICE_NAMES = {
    "google_redis_instance": "Memorystore for Redis",
    "google_redis_cluster": "Memorystore for Redis Cluster",
}

# The API a resource type's prefix needs (the longest matching prefix wins).
API_OF_PREFIX: dict[str, str] = {
    "google_api_gateway_": "apigateway.googleapis.com",
    "google_artifact_registry_": "artifactregistry.googleapis.com",
    "google_cloud_run_v2_": "run.googleapis.com",
    "google_cloud_scheduler_": "cloudscheduler.googleapis.com",
    "google_cloudfunctions2_": "cloudfunctions.googleapis.com",
    "google_compute_": "compute.googleapis.com",
    "google_firebase_": "firebase.googleapis.com",
    "google_firestore_": "firestore.googleapis.com",
    "google_kms_": "cloudkms.googleapis.com",
    "google_identity_platform_": "identitytoolkit.googleapis.com",
    "google_network_connectivity_": "networkconnectivity.googleapis.com",
    "google_project_iam_": "cloudresourcemanager.googleapis.com",
    "google_project_iam_custom_role": "iam.googleapis.com",
    "google_project_service_identity": "serviceusage.googleapis.com",
    "google_pubsub_": "pubsub.googleapis.com",
    "google_redis_": "redis.googleapis.com",
    "google_secret_manager_": "secretmanager.googleapis.com",
    "google_service_account": "iam.googleapis.com",
    "google_storage_": "storage.googleapis.com",
    "google_vpc_access_": "vpcaccess.googleapis.com",
}
ENABLER_TYPE = "google_project_service"
_VAR = re.compile(r"^var\.([A-Za-z_][\w-]*)$")
_LOCAL = re.compile(r"^local\.([A-Za-z_][\w-]*)$")
_WRAP = re.compile(r"^base64encode\((.*)\)$", re.S)
_FILE = re.compile(r"^(?:file|templatefile)\(\s*\"([^\"]+)\"")


@dataclass
class Tree:
    checker: Checker
    modules: list[Module]

    def child(self, mod: Module, body: dict[str, Any]) -> Module | None:
        source = _unquote(str(body.get("source", "")))
        directory = (mod.directory / source).resolve()
        if not source.startswith(".") or not directory.is_dir():
            return None
        return self.checker.module(directory)


def check_rules(checker: Checker, directories: list[Path]) -> list[Problem]:
    tree = Tree(checker, [checker.module(d) for d in directories])
    return sorted(set(redis_configs(tree) + api_documents(tree) + enablement(tree)))


# --- redis_configs ---------------------------------------------------------------------------


def _bad_keys(value: Any, rtype: str) -> list[str]:
    if not isinstance(value, dict):
        return []
    keys = [_unquote(k) for k in value if not k.startswith("__")]
    return sorted(k for k in keys if k not in REDIS_CONFIGS[rtype])


def _config_problem(path: Path, line: int, where: str, rtype: str, bad: list[str]) -> Problem:
    accepted = ", ".join(sorted(REDIS_CONFIGS[rtype]))
    return Problem(
        path,
        line,
        f"{where}: redis_configs {', '.join(bad)} not accepted by {SERVICE_NAMES[rtype]}"
        f" (it accepts {accepted})",
    )


def redis_configs(tree: Tree) -> list[Problem]:
    problems: list[Problem] = []
    # (module directory, variable) -> resource types its value reaches
    feeds: dict[tuple[Path, str], set[str]] = {}
    for mod in tree.modules:
        for block in mod.blocks:
            if block.kind != "resource" or block.type not in REDIS_CONFIGS:
                continue
            value = block.body.get("redis_configs")
            if value is None:
                continue
            bad = _bad_keys(value, block.type)
            if bad:
                problems.append(
                    _config_problem(block.path, block.line, block.address, block.type, bad)
                )
            elif isinstance(value, str):
                m = _VAR.match(_unexpr(value))
                if not m:
                    msg = (
                        f"{block.address}: redis_configs must be a literal map or a variable"
                        " to be checked against the service's list"
                    )
                    problems.append(Problem(block.path, block.line, msg))
                    continue
                feeds.setdefault((mod.directory, m.group(1)), set()).add(block.type)
    # Up the tree: module arguments feeding those variables, until nothing new is found.
    changed = True
    while changed:
        changed = False
        for mod in tree.modules:
            for name, (body, path, line) in mod.modules.items():
                child = tree.child(mod, body)
                if child is None:
                    continue
                for (directory, variable), types in list(feeds.items()):
                    if directory != child.directory or variable not in body:
                        continue
                    arg = body[variable]
                    for rtype in sorted(types):
                        bad = _bad_keys(arg, rtype)
                        if bad:
                            where = f"module.{name}.{variable}"
                            problems.append(_config_problem(path, line, where, rtype, bad))
                    m = _VAR.match(_unexpr(arg)) if isinstance(arg, str) else None
                    if m:
                        key = (mod.directory, m.group(1))
                        before = set(feeds.get(key, set()))
                        feeds.setdefault(key, set()).update(types)
                        changed |= feeds[key] != before
    # Defaults of the variables, and the tfvars of their module.
    for (directory, var), types in feeds.items():
        mod = tree.checker.module(directory)
        for path, doc in mod.parsed.items():
            for vname, body in _labelled(doc.get("variable", [])):
                if vname == var and "default" in body:
                    line = _line_of(mod.files[path], f'variable "{var}"')
                    for rtype in sorted(types):
                        bad = _bad_keys(body["default"], rtype)
                        if bad:
                            where = f"var.{var} default"
                            problems.append(_config_problem(path, line, where, rtype, bad))
        for tfvars in sorted(directory.glob("*.tfvars")):
            values = hcl2.loads(tfvars.read_text())
            if var in values:
                line = _line_of(tfvars.read_text(), var)
                for rtype in sorted(types):
                    bad = _bad_keys(values[var], rtype)
                    if bad:
                        problems.append(_config_problem(tfvars, line, var, rtype, bad))
    return problems


# --- documents sent to API Gateway -----------------------------------------------------------


def yaml_aliases(text: str) -> list[str]:
    """Anchors (&x) and aliases (*x) of a YAML text, in order."""
    found: list[str] = []
    for token in yaml.scan(text, Loader=yaml.SafeLoader):
        if isinstance(token, yaml.AnchorToken):
            found.append(f"&{token.value}")
        elif isinstance(token, yaml.AliasToken):
            found.append(f"*{token.value}")
    return found


def _local_exprs(mod: Module) -> dict[str, str]:
    out: dict[str, str] = {}
    for doc in mod.parsed.values():
        for entry in doc.get("locals", []):
            for k, v in entry.items():
                if not k.startswith("__") and isinstance(v, str):
                    out[k] = _unexpr(v)
    return out


def _document_problem(mod: Module, expr: str) -> str | None:
    """Why the document built by ``expr`` may carry YAML aliases, None when it cannot."""
    local_exprs = _local_exprs(mod)
    seen: set[str] = set()
    while True:
        expr = expr.strip()
        wrapped = _WRAP.match(expr)
        local = _LOCAL.match(expr)
        if wrapped:
            expr = wrapped.group(1)
        elif local and local.group(1) in local_exprs and local.group(1) not in seen:
            seen.add(local.group(1))
            expr = local_exprs[local.group(1)]
        else:
            break
    if expr.startswith("jsonencode("):
        return None  # JSON has no anchors or aliases
    file_ref = _FILE.match(expr)
    if file_ref:
        rel = file_ref.group(1).replace("${path.module}", str(mod.directory))
        path = Path(rel) if Path(rel).is_absolute() else mod.directory / rel
        if path.is_file():
            aliases = yaml_aliases(path.read_text())
            if aliases:
                shown = ", ".join(aliases[:4]) + (", ..." if len(aliases) > 4 else "")
                return (
                    f"{path.name} has YAML anchors/aliases ({shown}) that API Gateway may not"
                    " resolve: send jsonencode(yamldecode(...))"
                )
            return None
    return (
        "cannot prove the document free of YAML anchors/aliases: build it with"
        " jsonencode(yamldecode(...)) or read a file that has none"
    )


def api_documents(tree: Tree) -> list[Problem]:
    problems: list[Problem] = []
    for mod in tree.modules:
        for block in mod.blocks:
            if block.kind != "resource" or block.type != "google_api_gateway_api_config":
                continue
            for docs in block.body.get("openapi_documents", []):
                for document in docs.get("document", []):
                    contents = document.get("contents")
                    why = _document_problem(mod, _unexpr(str(contents)))
                    if why:
                        msg = f"{block.address}.openapi_documents.document: {why}"
                        problems.append(Problem(block.path, block.line, msg))
    return problems


# --- API enablement --------------------------------------------------------------------------


def _depends_on(body: dict[str, Any]) -> set[str]:
    value = body.get("depends_on", [])
    items = value if isinstance(value, list) else [value]
    return {_unexpr(str(v)).strip() for v in items}


def _creates_resources(tree: Tree, mod: Module, seen: frozenset[Path] = frozenset()) -> bool:
    if mod.directory in seen:
        return False
    if any(b.kind == "resource" for b in mod.blocks):
        return True
    for body, _, _ in mod.modules.values():
        child = tree.child(mod, body)
        if child is not None and _creates_resources(tree, child, seen | {mod.directory}):
            return True
    return False


def _enabled_services(tree: Tree, mod: Module, body: dict[str, Any], child: Module) -> set[str]:
    literal = body.get("services")
    if isinstance(literal, list):
        return {_unquote(str(s)) for s in literal}
    for doc in child.parsed.values():
        for name, var in _labelled(doc.get("variable", [])):
            if name == "services" and isinstance(var.get("default"), list):
                return {_unquote(str(s)) for s in var["default"]}
    return set()


def _all_resources(tree: Tree, mod: Module, seen: frozenset[Path] = frozenset()) -> list[Any]:
    if mod.directory in seen:
        return []
    found = [b for b in mod.blocks if b.kind == "resource"]
    for body, _, _ in mod.modules.values():
        child = tree.child(mod, body)
        if child is not None:
            found += _all_resources(tree, child, seen | {mod.directory})
    return found


def api_of(rtype: str) -> str | None:
    matches = [p for p in API_OF_PREFIX if rtype.startswith(p)]
    return API_OF_PREFIX[max(matches, key=len)] if matches else None


def enablement(tree: Tree) -> list[Problem]:
    problems: list[Problem] = []
    for mod in tree.modules:
        enablers = {}
        for name, (body, _, _) in mod.modules.items():
            child = tree.child(mod, body)
            # The module enabling the platform's APIs: google_project_service over var.services
            # (api_gateway's single managed-service enablement is not one).
            if (
                child is not None
                and "services" in child.variables
                and any(b.type == ENABLER_TYPE for b in child.blocks)
            ):
                enablers[name] = (body, child)
        for enabler, (ebody, echild) in enablers.items():
            ref = f"module.{enabler}"
            for name, (body, path, line) in mod.modules.items():
                child = tree.child(mod, body)
                if name == enabler or child is None or not _creates_resources(tree, child):
                    continue
                if ref not in _depends_on(body):
                    problems.append(
                        Problem(
                            path,
                            line,
                            f"module.{name} creates resources but does not depend on {ref}"
                            f" (add depends_on = [{ref}]): one apply would race API enablement",
                        )
                    )
            # Resources of this module: depend on the enabler, or on a resource that does.
            resources = {f"{b.type}.{b.name}": b for b in mod.blocks if b.kind == "resource"}
            ok: set[str] = set()
            changed = True
            while changed:
                changed = False
                for address, block in resources.items():
                    deps = _depends_on(block.body)
                    if address not in ok and (ref in deps or deps & ok):
                        ok.add(address)
                        changed = True
            for address, block in resources.items():
                if address not in ok:
                    msg = (
                        f"{address} does not depend on {ref} (add depends_on = [{ref}]):"
                        " one apply would race API enablement"
                    )
                    problems.append(Problem(block.path, block.line, msg))
            # Every API the tree's resources need is in the enabled list.
            enabled = _enabled_services(tree, mod, ebody, echild)
            for block in _all_resources(tree, mod):
                api = api_of(block.type)
                if api and api not in enabled:
                    msg = f"{block.address} needs {api}, which {ref} does not enable"
                    problems.append(Problem(block.path, block.line, msg))
    return problems
