"""Checks Terraform modules against the real provider schemas, offline.

What `terraform validate` would prove, for the providers we have schemas of (schema.PACKAGES):
every `resource` and `data` type exists; every argument and nested block is known at its nesting
level (attribute vs block included); every required argument and block is present; every
reference `google_x.name.attr...` / `data.google_x.name.attr...` names a declared block and an
attribute that exists (followed into nested blocks); `var.`, `local.` and `module.x.out`
references are declared; module calls pass only declared variables and every required one; each
provider's version constraint admits the version the schema was generated from.
Expressions are not evaluated: types of values and functions are not checked.
rules.py adds checks of values the schema cannot express (redis_configs keys, YAML aliases in
API Gateway documents, API enablement ordering).
"""

from __future__ import annotations

import difflib
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hcl2

from infra.tfcheck import schema as schema_mod

META_ARGS = {
    "count", "for_each", "depends_on", "provider", "lifecycle", "provisioner", "connection"
}  # fmt: skip
MODULE_META = {"source", "version", "providers", "count", "for_each", "depends_on"}
# Providers built into Terraform itself, and so never in required_providers.
BUILTIN_TYPES = {"terraform_data", "terraform_remote_state"}
_REF_START = re.compile(r"(?<![\w.\-\"])(data\.)?([a-z][a-z0-9]*_[a-z0-9_]+)\.([A-Za-z_][\w-]*)")
_SIMPLE_REF = re.compile(
    r"(?<![\w.\-])(var|local|module)\.([A-Za-z_][\w-]*)(?:\.([A-Za-z_][\w-]*))?"
)
_IDENT = re.compile(r"[A-Za-z_][\w-]*")
_CONSTRAINT = re.compile(r"^\s*(~>|>=|<=|!=|=|>|<)?\s*([\d.]+)\s*$")

Node = dict[str, Any]


@dataclass(frozen=True, order=True)
class Problem:
    path: Path
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


@dataclass
class Block:
    """A resource or data block of a module."""

    kind: str  # "resource" or "data"
    type: str
    name: str
    body: dict[str, Any]
    path: Path
    line: int

    @property
    def address(self) -> str:
        prefix = "data." if self.kind == "data" else ""
        return f"{prefix}{self.type}.{self.name}"

    @property
    def provider(self) -> str:
        """Local provider name: the `provider` meta-argument, else the type's first word."""
        meta = self.body.get("provider")
        if isinstance(meta, str):
            return _unexpr(meta).split(".")[0]
        return self.type.split("_")[0]


@dataclass
class Module:
    directory: Path
    files: dict[Path, str] = field(default_factory=dict)
    parsed: dict[Path, dict[str, Any]] = field(default_factory=dict)
    blocks: list[Block] = field(default_factory=list)
    variables: dict[str, bool] = field(default_factory=dict)  # name -> required
    outputs: set[str] = field(default_factory=set)
    locals: set[str] = field(default_factory=set)
    modules: dict[str, tuple[dict[str, Any], Path, int]] = field(default_factory=dict)
    providers: dict[str, tuple[str, str]] = field(default_factory=dict)  # local -> source, ver
    problems: list[Problem] = field(default_factory=list)


def _unquote(label: str) -> str:
    return label[1:-1] if len(label) >= 2 and label[0] == label[-1] == '"' else label


def _unexpr(value: str) -> str:
    value = _unquote(value)
    return value[2:-1] if value.startswith("${") and value.endswith("}") else value


def _is_block(value: Any) -> bool:
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(v, dict) and v.get("__is_block__") for v in value)
    )


def _line_of(text: str, *needles: str) -> int:
    """1-based line of the first needle found in order (each searched after the previous)."""
    pos = 0
    for needle in needles:
        found = text.find(needle, pos)
        if found < 0:
            break
        pos = found
    return text.count("\n", 0, pos) + 1


def _labelled(entries: list[dict[str, Any]]) -> Iterator[tuple[str, dict[str, Any]]]:
    for entry in entries:
        for label, body in entry.items():
            if not label.startswith("__") and isinstance(body, dict):
                yield _unquote(label), body


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            if not k.startswith("__"):
                yield from _strings(k)
                yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def parse_module(directory: Path) -> Module:
    mod = Module(directory)
    for path in sorted(directory.glob("*.tf")):
        text = path.read_text()
        mod.files[path] = text
        try:
            doc: dict[str, Any] = hcl2.loads(text)
        except Exception as exc:  # the parser raises several unrelated exception types
            mod.problems.append(Problem(path, 1, f"cannot parse: {exc}"))
            continue
        mod.parsed[path] = doc
        for kind in ("resource", "data"):
            for rtype, named in _labelled(doc.get(kind, [])):
                for name, body in _labelled([named]):
                    needle = f'{kind} "{rtype}" "{name}"'
                    mod.blocks.append(Block(kind, rtype, name, body, path, _line_of(text, needle)))
        for name, body in _labelled(doc.get("variable", [])):
            mod.variables[name] = "default" not in body
        for name, _ in _labelled(doc.get("output", [])):
            mod.outputs.add(name)
        for entry in doc.get("locals", []):
            mod.locals.update(k for k in entry if not k.startswith("__"))
        for name, body in _labelled(doc.get("module", [])):
            mod.modules[name] = (body, path, _line_of(text, f'module "{name}"'))
        for tf in doc.get("terraform", []):
            for req in tf.get("required_providers", []):
                for local, spec in req.items():
                    if isinstance(spec, dict):
                        source = _unquote(str(spec.get("source", f'"hashicorp/{local}"')))
                        version = _unquote(str(spec.get("version", '""')))
                        mod.providers[local] = (source, version)
    return mod


def _version_ok(constraint: str, version: str) -> bool:
    """Terraform version constraint semantics for the operators modules actually use."""

    def parts(v: str) -> list[int]:
        return [int(x) for x in v.split(".")]

    have = parts(version)
    for clause in constraint.split(","):
        m = _CONSTRAINT.match(clause)
        if not m:
            return False
        op, want_s = m.group(1) or "=", m.group(2)
        want = parts(want_s)
        padded = want + [0] * (len(have) - len(want))
        if op == "~>":
            # ~> 8.7 means >= 8.7, < 9.0; ~> 8.7.1 means >= 8.7.1, < 8.8.0
            prefix = want[:-1] if len(want) > 1 else want
            if have < padded or have[: len(prefix)] != prefix:
                return False
        elif not {
            "=": have == padded,
            "!=": have != padded,
            ">=": have >= padded,
            "<=": have <= padded,
            ">": have > padded,
            "<": have < padded,
        }[op]:
            return False
    return True


class Checker:
    def __init__(self) -> None:
        self._schemas: dict[str, dict[str, Any]] = {}
        self._modules: dict[Path, Module] = {}
        self.counts = {"modules": 0, "resource": 0, "data": 0, "references": 0}

    def schema(self, provider_source: str) -> dict[str, Any] | None:
        """Schema of a provider source like hashicorp/google, None when we have none."""
        namespace, _, name = provider_source.partition("/")
        if namespace != "hashicorp" or name not in schema_mod.PACKAGES:
            return None
        if name not in self._schemas:
            self._schemas[name] = schema_mod.load(name)
        return self._schemas[name]

    def module(self, directory: Path) -> Module:
        directory = directory.resolve()
        if directory not in self._modules:
            self._modules[directory] = parse_module(directory)
        return self._modules[directory]

    def check_module(self, directory: Path) -> list[Problem]:
        mod = self.module(directory)
        problems = list(mod.problems)
        self.counts["modules"] += 1
        problems += self._check_providers(mod)
        declared: dict[tuple[str, str, str], Block] = {}
        for block in mod.blocks:
            key = (block.kind, block.type, block.name)
            if key in declared:
                problems.append(Problem(block.path, block.line, f"duplicate {block.address}"))
            declared[key] = block
            problems += self._check_block(mod, block)
        problems += self._check_module_calls(mod)
        problems += self._check_references(mod, declared)
        return sorted(set(problems))

    def _check_providers(self, mod: Module) -> list[Problem]:
        problems: list[Problem] = []
        for local, (source, version) in mod.providers.items():
            sch = self.schema(source)
            path = next(iter(mod.files))
            line = _line_of(mod.files[path], "required_providers", f"{local}")
            if sch is None:
                continue
            if not version:
                problems.append(Problem(path, line, f"provider {local} has no version pin"))
            elif not _version_ok(version, sch["provider_version"]):
                problems.append(
                    Problem(
                        path,
                        line,
                        f"provider {local} constraint {version!r} excludes "
                        f"{sch['provider_version']}, the version the schema comes from",
                    )
                )
        for path, doc in mod.parsed.items():
            for local, body in _labelled(doc.get("provider", [])):
                node = self._provider_node(mod, local, "provider_node")
                if node is not None:
                    where = f'provider "{local}"'
                    line = _line_of(mod.files[path], where)
                    problems += self._check_body(node[0], node[1], body, where, path, line, True)
        return problems

    def _provider_node(
        self, mod: Module, local: str, key: str
    ) -> tuple[dict[str, Any], Node] | None:
        source = mod.providers.get(local, (f"hashicorp/{local}", ""))[0]
        sch = self.schema(source)
        if sch is None:
            return None
        return sch, sch["nodes"][sch[key]]

    def _block_schema(self, mod: Module, block: Block) -> tuple[dict[str, Any], Node] | None:
        source = mod.providers.get(block.provider, (f"hashicorp/{block.provider}", ""))[0]
        sch = self.schema(source)
        if sch is None:
            return None
        node_id = sch["resources" if block.kind == "resource" else "data"].get(block.type)
        if node_id is None:
            return sch, {}
        return sch, sch["nodes"][node_id]

    def _check_block(self, mod: Module, block: Block) -> list[Problem]:
        if block.type in BUILTIN_TYPES:
            return []
        if block.provider not in mod.providers and self.schema(f"hashicorp/{block.provider}"):
            return [
                Problem(
                    block.path,
                    block.line,
                    f"{block.address}: provider {block.provider} is not in required_providers",
                )
            ]
        found = self._block_schema(mod, block)
        if found is None:
            return []
        sch, node = found
        self.counts[block.kind] += 1
        if not node:
            section = "resources" if block.kind == "resource" else "data"
            hint = _suggest(block.type, sch[section])
            for local, (source, _) in mod.providers.items():
                other = self.schema(source) if local != block.provider else None
                if other is not None and block.type in other[section]:
                    hint = f" (it is in {local}: add provider = {local})"
            what = "resource type" if block.kind == "resource" else "data source"
            msg = f"{block.address}: unknown {what} {block.type} in {block.provider}{hint}"
            return [Problem(block.path, block.line, msg)]
        return self._check_body(sch, node, block.body, block.address, block.path, block.line, True)

    def _check_body(
        self,
        sch: dict[str, Any],
        node: Node,
        body: dict[str, Any],
        where: str,
        path: Path,
        line: int,
        top: bool,
    ) -> list[Problem]:
        problems: list[Problem] = []
        present: set[str] = set()
        for key, value in body.items():
            if key.startswith("__") or (top and key in META_ARGS):
                continue
            if key == "dynamic" and isinstance(value, list):
                for name, dyn in _labelled(value):
                    present.add(name)
                    child = node["blocks"].get(name)
                    if child is None:
                        problems.append(self._unknown(node, name, where, path, line, block=True))
                        continue
                    inner = sch["nodes"][child[1]]
                    for content in dyn.get("content", []):
                        problems += self._check_body(
                            sch, inner, content, f"{where}.{name}", path, line, False
                        )
                continue
            present.add(key)
            if _is_block(value):
                child = node["blocks"].get(key)
                if child is None:
                    problems.append(self._unknown(node, key, where, path, line, block=True))
                    continue
                for instance in value:
                    problems += self._check_body(
                        sch, sch["nodes"][child[1]], instance, f"{where}.{key}", path, line, False
                    )
            elif key not in node["args"]:
                problems.append(self._unknown(node, key, where, path, line, block=False))
        for name, required in node["args"].items():
            if required and name not in present:
                msg = f"{where}: missing required argument {name}"
                problems.append(Problem(path, line, msg))
        for name, (required, _) in node["blocks"].items():
            if required and name not in present:
                problems.append(Problem(path, line, f"{where}: missing required block {name}"))
        return problems

    @staticmethod
    def _unknown(node: Node, key: str, where: str, path: Path, line: int, block: bool) -> Problem:
        if block and key in node["args"]:
            msg = f"{where}: {key} is an argument, write `{key} = ...`, not a block"
        elif not block and key in node["blocks"]:
            msg = f"{where}: {key} is a block, write `{key} {{ ... }}`"
        else:
            kind = "block" if block else "argument"
            pool = node["blocks"] if block else node["args"]
            msg = f"{where}: unknown {kind} {key}{_suggest(key, pool)}"
        return Problem(path, line, msg)

    def _check_module_calls(self, mod: Module) -> list[Problem]:
        problems: list[Problem] = []
        for name, (body, path, line) in mod.modules.items():
            source = _unquote(str(body.get("source", "")))
            if not source.startswith("."):
                continue
            child_dir = (mod.directory / source).resolve()
            if not child_dir.is_dir():
                problems.append(Problem(path, line, f"module.{name}: no module at {source}"))
                continue
            child = self.module(child_dir)
            for key in body:
                if key in MODULE_META or key.startswith("__"):
                    continue
                if key not in child.variables:
                    hint = _suggest(key, child.variables)
                    problems.append(
                        Problem(path, line, f"module.{name}: {source} has no variable {key}{hint}")
                    )
            for var, required in child.variables.items():
                if required and var not in body:
                    msg = f"module.{name}: missing required variable {var}"
                    problems.append(Problem(path, line, msg))
        return problems

    def _check_references(
        self, mod: Module, declared: dict[tuple[str, str, str], Block]
    ) -> list[Problem]:
        problems: list[Problem] = []
        seen: set[tuple[Path, str]] = set()
        for path, doc in mod.parsed.items():
            text = mod.files[path]
            for s in _strings(doc):
                for ref, message in self._refs_in(mod, s, declared):
                    if message and (path, ref) not in seen:
                        seen.add((path, ref))
                        problems.append(Problem(path, _line_of(text, ref), message))
        return problems

    def _refs_in(
        self, mod: Module, s: str, declared: dict[tuple[str, str, str], Block]
    ) -> Iterator[tuple[str, str]]:
        for m in _SIMPLE_REF.finditer(s):
            kind, name, attr = m.group(1), m.group(2), m.group(3)
            self.counts["references"] += 1
            if kind == "var" and name not in mod.variables:
                yield m.group(0), f"var.{name} is not declared{_suggest(name, mod.variables)}"
            elif kind == "local" and name not in mod.locals:
                yield m.group(0), f"local.{name} is not declared{_suggest(name, mod.locals)}"
            elif kind == "module":
                if name not in mod.modules:
                    yield m.group(0), f"module.{name} is not declared"
                elif attr is not None:
                    source = _unquote(str(mod.modules[name][0].get("source", "")))
                    child_dir = (mod.directory / source).resolve()
                    if source.startswith(".") and child_dir.is_dir():
                        outputs = self.module(child_dir).outputs
                        if attr not in outputs:
                            hint = _suggest(attr, outputs)
                            yield m.group(0), f"module.{name} has no output {attr}{hint}"
        for m in _REF_START.finditer(s):
            is_data, rtype, name = bool(m.group(1)), m.group(2), m.group(3)
            block = declared.get(("data" if is_data else "resource", rtype, name))
            if block is None:
                provider = rtype.split("_")[0]
                if provider in mod.providers or (is_data and rtype in BUILTIN_TYPES):
                    kind = "data source" if is_data else "resource"
                    yield m.group(0), f"reference to undeclared {kind} {m.group(0)}"
                continue
            self.counts["references"] += 1
            segments, indexed, end = _traversal(s, m.end())
            ref = s[m.start() : end]
            found = self._block_schema(mod, block)
            if found is None or not found[1]:
                continue
            sch, node = found
            multi = "count" in block.body or "for_each" in block.body
            if multi and segments and not indexed:
                yield ref, f"{ref}: {block.address} has count/for_each, index it first"
            for seg in segments:
                if seg not in node["attrs"]:
                    yield ref, f"{ref}: no attribute {seg}{_suggest(seg, node['attrs'])}"
                    break
                child = node["attrs"][seg]
                if child is None:
                    break
                node = sch["nodes"][child]


def _traversal(s: str, pos: int) -> tuple[list[str], bool, int]:
    """Attribute names after `type.name` (indexes and splats skipped), whether the first one
    was preceded by an index, and where the traversal ends."""
    segments: list[str] = []
    indexed = False
    while pos < len(s):
        if s[pos] == "[":
            depth, quote, i = 0, False, pos
            while i < len(s):
                c = s[i]
                if c == '"' and s[i - 1] != "\\":
                    quote = not quote
                elif not quote and c == "[":
                    depth += 1
                elif not quote and c == "]":
                    depth -= 1
                    if depth == 0:
                        break
                i += 1
            if not segments:
                indexed = True
            pos = i + 1
        elif s[pos] == "." and pos + 1 < len(s) and s[pos + 1] == "*":
            if not segments:
                indexed = True
            pos += 2
        elif s[pos] == ".":
            m = _IDENT.match(s, pos + 1)
            if not m:
                break
            segments.append(m.group(0))
            pos = m.end()
        else:
            break
    return segments, indexed, pos


def _suggest(name: str, pool: Any) -> str:
    close = difflib.get_close_matches(name, list(pool), n=1, cutoff=0.75)
    return f" (did you mean {close[0]}?)" if close else ""


def module_dirs(root: Path) -> list[Path]:
    skip = {".terraform", ".build"}
    dirs = {p.parent for p in root.rglob("*.tf") if not skip & set(p.parts)}
    return sorted(dirs)


def check_tree(root: Path) -> tuple[list[Problem], dict[str, int]]:
    from infra.tfcheck import rules  # rules builds on this module

    checker = Checker()
    problems: list[Problem] = []
    directories = module_dirs(root)
    for directory in directories:
        problems += checker.check_module(directory)
    problems += rules.check_rules(checker, directories)
    return problems, checker.counts


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    roots = [Path(a) for a in args] or [schema_mod.REPO_ROOT / "infra" / "terraform"]
    total: list[Problem] = []
    for root in roots:
        problems, counts = check_tree(root)
        total += problems
        print(
            f"tfcheck {root}: {counts['modules']} modules, {counts['resource']} resources, "
            f"{counts['data']} data sources, {counts['references']} references checked "
            f"against {', '.join(f'{k} {v.version}' for k, v in schema_mod.PACKAGES.items())}"
        )
    for p in total:
        print(p)
    if total:
        print(f"tfcheck: {len(total)} problem(s)")
    return 1 if total else 0


if __name__ == "__main__":
    raise SystemExit(main())
