"""Extracts a compact provider schema from the jsii assembly of cdktn-provider-google.

The assembly (131 MB of JSON) describes, for every resource and data source, a `...Config`
struct of its arguments (each with `optional`, nested blocks as structs of their own) and a
class whose getters are every readable attribute. The cache written here keeps only what the
checker needs and is keyed by the package version, so a test run loads a few MB instead.

Cache layout (JSON):
    {"package": "21.1.0", "provider": "8.7.0",
     "resources": {"google_x": node_id}, "data": {"google_x": node_id}, "provider_node": id,
     "nodes": {node_id: {"args": {name: required}, "blocks": {name: [required, node_id]},
                         "attrs": {name: node_id | null}}}}
"args" are the assignable attributes, "blocks" the nested blocks, "attrs" everything that can
be read through a reference (arguments, blocks and computed attributes), with the node of an
object-valued attribute so that `x.block[0].attr` can be followed.
"""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
CACHE_DIR = REPO_ROOT / ".local" / "tfschema"
_ANCHOR = re.compile(r"registry\.terraform\.io/providers/hashicorp/[\w-]+/[^#\s]+#(\w+) ")
_TYPE_LINK = re.compile(
    r"\{@link https://registry\.terraform\.io/providers/hashicorp/[\w-]+/([\d.]+)/\S* ([\w-]+)\}"
)
_SUFFIXES = ("OutputReference", "List", "Map")


@dataclass(frozen=True)
class Package:
    """A PyPI package of prebuilt CDK Terrain bindings for one Terraform provider."""

    name: str
    version: str

    @property
    def short(self) -> str:
        return self.name.removeprefix("cdktn-provider-")

    @property
    def module(self) -> str:
        return self.name.replace("-", "_")

    @property
    def fqn_prefix(self) -> str:
        return f"@cdktn/provider-{self.short}."


# Provider local name -> bindings package. google and google-beta 21.1.0 are generated from the
# providers' 8.7.0 release (versions.tf pins `~> 8.7`), archive 14.0.1 from archive 2.8.1.
PACKAGES: dict[str, Package] = {
    "google": Package("cdktn-provider-google", "21.1.0"),
    "google-beta": Package("cdktn-provider-google-beta", "21.1.0"),
    "archive": Package("cdktn-provider-archive", "14.0.1"),
}

Node = dict[str, Any]


def cache_path(pkg: Package) -> Path:
    return CACHE_DIR / f"schema-{pkg.short}-{pkg.version}.json"


def snake(camel: str) -> str:
    return re.sub(r"[A-Z]", lambda m: "_" + m.group(0).lower(), camel)


def _docs_text(prop: dict[str, Any]) -> str:
    docs = prop.get("docs", {})
    parts = [docs.get("summary", ""), docs.get("remarks", "")]
    parts += [str(v) for v in docs.get("custom", {}).values()]
    return "\n".join(parts)


def _tf_name(prop: dict[str, Any]) -> str:
    # The registry link's anchor is the exact argument name; jsii's camelCase is not always
    # reversible (hugepageSize1G is hugepage_size_1g, buildAttribute is build).
    m = _ANCHOR.search(_docs_text(prop))
    return m.group(1) if m else snake(prop["name"])


class _Extractor:
    def __init__(self, types: dict[str, dict[str, Any]], prefix: str) -> None:
        self.types = types
        self.prefix = prefix
        self.nodes: dict[str, Node] = {}

    def _refs(self, t: Any) -> list[str]:
        """Every fqn of this provider that a property type mentions (unions, collections)."""
        found = re.findall(r'"fqn": "([^"]+)"', json.dumps(t))
        return [f for f in found if f.startswith(self.prefix)]

    def node(self, struct_fqn: str) -> str:
        """Node id of a block struct (its config properties + its output reference getters)."""
        node_id = struct_fqn.removeprefix(self.prefix)
        if node_id in self.nodes:
            return node_id
        node: Node = {"args": {}, "blocks": {}, "attrs": {}}
        self.nodes[node_id] = node  # registered first: recursive structs terminate
        names: dict[str, str] = {}
        struct = self.types.get(struct_fqn, {})
        for prop in struct.get("properties", []):
            name = _tf_name(prop)
            names[prop["name"]] = name
            required = not prop.get("optional", False)
            refs = self._refs(prop["type"])
            if refs:
                # Only nested blocks are typed as structs: the docs of each say "... block."
                child = self.node(refs[0])
                node["blocks"][name] = [required, child]
                node["attrs"][name] = child
            else:
                node["args"][name] = required
                node["attrs"].setdefault(name, None)
        self._getters(struct_fqn + "OutputReference", node, names)
        return node_id

    def _getters(self, class_fqn: str, node: Node, names: dict[str, str]) -> None:
        """Adds the computed attributes: every getter of the resource or block class."""
        cls = self.types.get(class_fqn)
        if cls is None:
            return
        for prop in cls.get("properties", []):
            camel = prop["name"]
            if camel.endswith("Input") or camel in ("internalValue", "tfResourceType"):
                continue
            name = names.get(camel) or snake(camel.removesuffix("Attribute"))
            child = None
            for ref in self._refs(prop["type"]):
                base = ref
                for suffix in _SUFFIXES:
                    if base.endswith(suffix):
                        base = base[: -len(suffix)]
                        break
                if base != ref or base in self.types:
                    child = self.node(base)
                    break
            if node["attrs"].get(name) is None:
                node["attrs"][name] = child

    def top_level(self, cls_fqn: str, cls: dict[str, Any]) -> tuple[str, str, str]:
        """(Terraform type name, provider version, node id) of a resource/data/provider class."""
        m = _TYPE_LINK.search(cls.get("docs", {}).get("summary", ""))
        if not m:
            raise ValueError(f"no Terraform type name in the docs of {cls_fqn}")
        params = cls["initializer"]["parameters"]
        config_fqn = next(p["type"]["fqn"] for p in params if p["name"] == "config")
        node_id = self.node(config_fqn)
        props = self.types[config_fqn].get("properties", [])
        self._getters(cls_fqn, self.nodes[node_id], {p["name"]: _tf_name(p) for p in props})
        return m.group(2), m.group(1), node_id


def extract(assembly: dict[str, Any], pkg: Package) -> dict[str, Any]:
    ex = _Extractor(assembly["types"], pkg.fqn_prefix)
    resources: dict[str, str] = {}
    data: dict[str, str] = {}
    provider_node = provider_version = ""
    for fqn, cls in assembly["types"].items():
        base = cls.get("base")
        if base == "cdktn.TerraformResource":
            name, _, node_id = ex.top_level(fqn, cls)
            resources[name] = node_id
        elif base == "cdktn.TerraformDataSource":
            name, _, node_id = ex.top_level(fqn, cls)
            data[name] = node_id
        elif base == "cdktn.TerraformProvider":
            _, provider_version, provider_node = ex.top_level(fqn, cls)
    return {
        "package": pkg.name,
        "package_version": assembly["version"],
        "provider_version": provider_version,
        "resources": dict(sorted(resources.items())),
        "data": dict(sorted(data.items())),
        "provider_node": provider_node,
        "nodes": ex.nodes,
    }


def _wheel(pkg: Package) -> Path:
    wheel = CACHE_DIR / f"{pkg.module}-{pkg.version}-py3-none-any.whl"
    if not wheel.exists():
        CACHE_DIR.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet",
             "--disable-pip-version-check", f"{pkg.name}=={pkg.version}", "-d", str(CACHE_DIR)],
            check=True,
        )  # fmt: skip
    return wheel


def _assembly(pkg: Package) -> dict[str, Any]:
    member = f"{pkg.module}/_jsii/provider-{pkg.short}@{pkg.version}.jsii.tgz"
    with zipfile.ZipFile(_wheel(pkg)) as zf:
        tgz = zf.read(member)
    with tarfile.open(fileobj=io.BytesIO(tgz)) as tf:
        f = tf.extractfile("package/.jsii")
        if f is None:
            raise FileNotFoundError(f"package/.jsii missing from {member}")
        assembly: dict[str, Any] = json.load(f)
    return assembly


def build(pkg: Package) -> Path:
    """Downloads the wheel if needed, extracts the schema and writes the cache atomically."""
    schema = extract(_assembly(pkg), pkg)
    out = cache_path(pkg)
    fd, tmp = tempfile.mkstemp(dir=out.parent, suffix=".tmp")
    with os.fdopen(fd, "w") as f:
        json.dump(schema, f, separators=(",", ":"))
    os.replace(tmp, out)
    return out


def load(provider: str) -> dict[str, Any]:
    """The cached schema of a provider, built first when missing (once per fresh clone)."""
    pkg = PACKAGES[provider]
    path = cache_path(pkg)
    if not path.exists():
        build(pkg)
    schema: dict[str, Any] = json.loads(path.read_text())
    return schema


def main() -> None:
    for name, pkg in PACKAGES.items():
        print(f"{name}: {build(pkg)}")


if __name__ == "__main__":
    main()
