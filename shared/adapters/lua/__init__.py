"""The Redis adapters' Lua scripts, loaded once per process as package resources.

Every key a script touches arrives in ``KEYS`` (built by shared.adapters.redis_keys), except the
read round's hydration keys, which depend on what the round merged (see round.lua).

A line ``-- #include NAME`` is replaced by ``NAME.lua`` (the functions of a home timeline made of
pieces live once, in pieces.lua, and every script that touches one includes them).
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources


@cache
def source(name: str) -> str:
    """The text of ``<name>.lua`` in this package (read once per process)."""
    text = resources.files(__name__).joinpath(f"{name}.lua").read_text(encoding="utf-8")
    return "".join(
        source(line.split()[2]) if line.startswith("-- #include ") else line
        for line in text.splitlines(keepends=True)
    )


def constant(name: str, var: str) -> int:
    """The integer ``local VAR = N`` of ``<name>.lua``: a bound both sides use lives there once."""
    m = re.search(rf"^local {var} = (\d+)", source(name), re.MULTILINE)
    if m is None:
        raise LookupError(f"{name}.lua has no integer {var}")
    return int(m.group(1))
