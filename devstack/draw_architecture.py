"""Draws docs/architecture.svg from the code: the layers of shared/ and who imports whom.

Every module of functions/ and shared/ is read (its imports, TYPE_CHECKING ones included) and
put in its layer; an arrow from one layer to another is drawn when some module of the first
imports one of the second, labelled with how many imports there are. A layer rule broken in the
code shows up as an arrow going the wrong way. ``python3 -m devstack.draw_architecture``.
"""

from __future__ import annotations

import argparse
import ast
from collections import Counter
from html import escape
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

# (layer, row, column): rows top to bottom are the direction of the dependencies.
LAYERS: list[tuple[str, int, int]] = [
    ("functions/*/main.py", 0, 1),
    ("bootstrap", 1, 1),
    ("entrypoints/http", 2, 0),
    ("entrypoints/pubsub", 2, 2),
    ("usecases", 3, 1),
    ("ports", 4, 0),
    ("adapters", 4, 2),
    ("domain", 5, 1),
]
STORES = "Redis · Neo4j · Firestore · Pub/Sub · Cloud Storage · Firebase Auth"


def layer_of(path: Path) -> str | None:
    rel = path.relative_to(REPO).as_posix()
    if rel.startswith("functions/"):
        return "functions/*/main.py"
    if not rel.startswith("shared/"):
        return None
    parts = rel.split("/")[1:]
    if parts[0] == "entrypoints" and len(parts) > 2:
        return f"entrypoints/{parts[1]}"
    name = parts[0].removesuffix(".py")
    return name if name in {n for n, _, _ in LAYERS} else None


def _module_layer(module: str) -> str | None:
    if not module.startswith("shared."):
        return None
    parts = module.split(".")[1:]
    if parts[0] == "entrypoints" and len(parts) > 1:
        return f"entrypoints/{parts[1]}"
    return parts[0] if parts[0] in {n for n, _, _ in LAYERS} else None


def edges() -> Counter[tuple[str, str]]:
    found: Counter[tuple[str, str]] = Counter()
    files = [*(REPO / "functions").glob("*/main.py"), *(REPO / "shared").rglob("*.py")]
    for path in files:
        src = layer_of(path)
        if src is None:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            modules: list[str] = []
            if isinstance(node, ast.Import):
                modules = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                # `from shared import bootstrap` names the module in the alias
                modules = [f"{node.module}.{a.name}" for a in node.names]
            for m in modules:
                dst = _module_layer(m)
                if dst is not None and dst != src:
                    found[(src, dst)] += 1
    return found


def svg(found: Counter[tuple[str, str]]) -> str:
    w, h, bw, bh = 760, 640, 200, 46
    pos = {n: (70 + c * 240, 30 + r * 95) for n, r, c in LAYERS}
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" '
        f'viewBox="0 0 {w} {h}" font-family="sans-serif" font-size="13">',
        '<defs><marker id="a" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#555"/></marker></defs>',
        f'<rect width="{w}" height="{h}" fill="white"/>',
    ]
    for (src, dst), n in sorted(found.items()):
        (x1, y1), (x2, y2) = pos[src], pos[dst]
        ax, ay = x1 + bw / 2, y1 + (bh if y2 > y1 else 0 if y2 < y1 else bh / 2)
        bx, by = x2 + bw / 2, y2 + (0 if y2 > y1 else bh if y2 < y1 else bh / 2)
        up = y2 < y1  # an import against the direction of the layers
        color = "#c62828" if up else "#555"
        out.append(
            f'<line x1="{ax:.0f}" y1="{ay:.0f}" x2="{bx:.0f}" y2="{by:.0f}" stroke="{color}" '
            f'stroke-width="1.4" marker-end="url(#a)"/>'
        )
        out.append(
            f'<text x="{(ax + bx) / 2 + 4:.0f}" y="{(ay + by) / 2:.0f}" fill="{color}" '
            f'font-size="11">{n}</text>'
        )
    for name, _, _ in LAYERS:
        x, y = pos[name]
        out.append(
            f'<rect x="{x}" y="{y}" width="{bw}" height="{bh}" rx="8" fill="#e3f2fd" '
            f'stroke="#1565c0"/><text x="{x + bw / 2}" y="{y + 28}" text-anchor="middle">'
            f"{escape(name)}</text>"
        )
    out.append(
        f'<text x="{w / 2}" y="{h - 32}" text-anchor="middle" fill="#333">adapters talk to: '
        f"{escape(STORES)}</text>"
    )
    out.append(
        f'<text x="{w / 2}" y="{h - 12}" text-anchor="middle" fill="#333">arrows: imports '
        "between layers (how many); red would be an import against the layers</text>"
    )
    out.append("</svg>")
    return "\n".join(out) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "architecture.svg")
    args = parser.parse_args()
    found = edges()
    args.out.write_text(svg(found))
    for (src, dst), n in sorted(found.items()):
        print(f"{src:>20} -> {dst:<20} {n}")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
