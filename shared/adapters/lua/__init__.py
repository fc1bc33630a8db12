"""The Redis adapters' Lua scripts, loaded once per process as package resources.

Every key a script touches arrives in ``KEYS`` (built by shared.adapters.redis_keys), except the
read round's hydration keys, which depend on what the round merged (see round.lua).
"""

from __future__ import annotations

from functools import cache
from importlib import resources


@cache
def source(name: str) -> str:
    """The text of ``<name>.lua`` in this package (read once per process)."""
    return resources.files(__name__).joinpath(f"{name}.lua").read_text(encoding="utf-8")
