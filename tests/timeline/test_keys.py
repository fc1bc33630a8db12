"""The key schema (shared.adapters.redis_keys) and the scripts' use of it, without Redis."""

from __future__ import annotations

import re
from importlib import resources

from redis.crc import key_slot

from shared.adapters import lua
from shared.adapters import redis_keys as keys

PER_USER = (keys.home, keys.own, keys.followees, keys.active, keys.regen_lock,
            keys.card, keys.author_mode, keys.home_reposts, keys.held_reposts)  # fmt: skip
PER_POST = (keys.post_mode, keys.tombstone, keys.post_body, keys.reposts, keys.removed_reposts)


def test_a_users_keys_share_one_slot_and_a_posts_keys_another() -> None:
    for uid in ("alice", "u1", "f1", "9xYz0AbC"):
        slots = {key_slot(k(uid).encode()) for k in PER_USER}
        assert slots == {key_slot(f"{{{uid}}}".encode())}
    for pid in (1, 7_234_567_890_123_456_789):
        assert len({key_slot(k(pid).encode()) for k in PER_POST}) == 1


def test_a_home_timelines_pieces_share_its_slot() -> None:
    for uid in ("alice", "u1"):
        ks = keys.home_pieces(uid, 18)
        assert ks[0] == keys.home(uid) and len(set(ks)) == 19
        assert {key_slot(k.encode()) for k in ks} == {key_slot(keys.home(uid).encode())}


def test_an_own_timelines_pieces_share_its_slot_and_not_the_home_timelines_names() -> None:
    for uid in ("alice", "u1"):
        ks = keys.own_pieces(uid, 18)
        assert ks[0] == keys.own(uid) and len(set(ks)) == 19
        assert {key_slot(k.encode()) for k in ks} == {key_slot(keys.home(uid).encode())}
        assert not set(ks) & set(keys.home_pieces(uid, 18))


def test_keys_are_distinct_per_kind() -> None:
    made = [k("42") for k in PER_USER] + [k("42") for k in PER_POST]
    assert len(set(made)) == len(made)
    assert keys.rate_window("posts", "alice") == "rl:posts:{alice}"
    assert keys.homes(["a", "b"]) == [keys.home("a"), keys.home("b")]


def test_templates_are_the_builders_spelling() -> None:
    assert keys.post_body(5) == keys.POST_BODY % 5
    assert keys.tombstone(5) == keys.TOMBSTONE % 5
    assert keys.card("a") == keys.CARD % "a"


def test_scripts_build_no_key() -> None:
    """No script spells a key prefix: keys come in KEYS (or, for the read round's hydration,
    as templates from the keys module)."""
    names = [
        f.name[:-4]
        for f in resources.files("shared.adapters.lua").iterdir()
        if f.name.endswith(".lua")
    ]
    assert "round" in names and len(names) >= 10
    for name in names:
        src = lua.source(name)
        assert not re.search(r"""['"][a-z:]+:['"]\s*\.\.""", src), name
        assert not re.search(r"""['"](tl|ut|fw|act|rg|pc|pm|px|pb|up|tr|th|rs|rx):""", src), name
        code = "\n".join(line.split("--")[0] for line in src.splitlines())
        assert "pullers" not in code, name
