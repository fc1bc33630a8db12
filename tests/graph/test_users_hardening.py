"""Issue 16 on the real services: names that lie about what they say, handles that look like
someone else's, and a followers page that counts posts one author at a time."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from shared.adapters import redis_keys as keys
from shared.adapters.firestore_posts import FirestorePosts
from shared.adapters.neo4j_graph import Neo4jGraph
from shared.bootstrap import Container
from shared.domain import users
from shared.domain.model import User
from shared.entrypoints.http.users import router
from shared.ids import now_ms

from .conftest import Api, app_for

pytestmark = pytest.mark.integration


def register(api: Api, uid: str, handle: str, name: str = "Some One") -> Any:
    return api.call("POST", "/v1/users", uid, json={"handle": handle, "display_name": name})


@pytest.mark.parametrize(
    "name",
    [
        "evil\u202egpj.exe",  # RIGHT-TO-LEFT OVERRIDE: shows as "evilexe.jpg"
        "\u2066Admin\u2069",  # isolates
        "a\u200eb",  # LRM
        "x\u061cy",  # ARABIC LETTER MARK
        "Ad\u200bmin",  # ZERO WIDTH SPACE
        "Ad\u200dmin",  # ZERO WIDTH JOINER
        "Ad\u2060min",  # WORD JOINER
        "Ad\ufeffmin",  # BOM
        "Ad\u00admin",  # SOFT HYPHEN
        "Admin\u3164",  # HANGUL FILLER (Lo, default-ignorable)
        "Ad\u034fmin",  # COMBINING GRAPHEME JOINER (Mn, default-ignorable)
        "A\ufe0fdmin",  # a presentation selector after a letter
        "\U000e0041dmin",  # TAG LATIN CAPITAL LETTER A
    ],
)
def test_names_with_bidi_controls_or_invisible_characters_are_refused(api: Api, name: str) -> None:
    r = register(api, "uid-m", "mallory", name)
    assert r.status_code == 422, r.json
    assert r.json["error"]["code"] == "validation_failed"
    assert r.json["error"]["details"]["field"] == "display_name"


@pytest.mark.parametrize("name", ["Zoë", "\u2764\ufe0f Ann", "محمد", "山田 太郎", "Ana 🙂"])
def test_ordinary_names_still_pass(api: Api, name: str) -> None:
    assert register(api, "uid-n", "nice_name", name).status_code == 201


@pytest.mark.parametrize(
    ("first", "second"),
    [("user1", "userl"), ("paypal", "paypaI"), ("PayPal", "paypaI"), ("rn_rn", "m_m"),
     ("m_m", "RN_rn"), ("Il_0", "ll_O"), ("userl", "USER1")],
)  # fmt: skip
def test_a_handle_that_looks_like_an_existing_one_is_refused(
    api: Api, first: str, second: str
) -> None:
    assert register(api, "uid-first", first).status_code == 201
    r = register(api, "uid-second", second)
    assert r.status_code == 409, r.json
    err = r.json["error"]
    assert err["code"] == "conflict" and err["details"]["field"] == "handle"
    assert "looks like an existing handle" in err["message"] and f"@{first}" in err["message"]
    # Lookups stay exact (case-insensitive): the look-alike is not found as the original.
    assert api.call("GET", f"/v1/users/by-handle/{second}", "uid-x").status_code == 404
    assert api.call("GET", f"/v1/users/by-handle/{first.lower()}", "uid-x").json["id"] == (
        "uid-first"
    )
    # The same person registering again is a repeat, not a look-alike.
    assert register(api, "uid-first", first).status_code == 200


def test_distinct_handles_are_still_free(api: Api) -> None:
    for i, h in enumerate(["user1", "user11", "user_1", "il_x", "ll_x", "alice", "alicia"]):
        assert register(api, f"uid-{i}", h).status_code == 201, h


def test_the_migration_gives_existing_users_their_skeletons(graph: Neo4jGraph) -> None:
    # Users made before skeletons existed: no property, two of them look alike.
    with graph.driver.session(database=graph.database) as s:
        s.run(
            "UNWIND $rows AS r CREATE (:User {id: r[0], handle: r[1], handle_key: toLower(r[1]),"
            " display_name: r[1], created_ms: 1})",
            rows=[["old-1", "Old_One"], ["old-2", "pay1"], ["old-3", "payl"]],
        ).consume()
    graph.ensure_schema()  # what `python3 -m shared.migrate` runs
    with graph.driver.session(database=graph.database) as s:
        stored = {
            r["id"]: r["sk"]
            for r in s.run("MATCH (u:User) RETURN u.id AS id, u.handle_skeleton AS sk")
        }
    assert stored == {"old-1": users.handle_skeleton("Old_One"), "old-2": "payl", "old-3": None}
    # From now on the constraint holds: a new look-alike of a backfilled handle is refused.
    assert graph.create_user("new-1", "o1d_One", "x") == users.HandleRefused("Old_One", True)
    assert graph.backfill_handle_skeletons() == ["old-3"]  # a second run changes nothing


class CountingPosts(FirestorePosts):
    """The real post store, counting how the users use cases ask it for post counts."""

    def __init__(self, *a: Any) -> None:
        super().__init__(*a)
        self.single = self.batched = 0

    def count_user_posts(self, author_id: str) -> int:
        self.single += 1
        return super().count_user_posts(author_id)

    def count_user_posts_many(self, author_ids: Any) -> dict[str, int]:
        self.batched += 1
        return super().count_user_posts_many(author_ids)


def star_with_fans(
    container: Container, graph: Neo4jGraph, posts: CountingPosts, n: int
) -> tuple[Api, str, list[tuple[str, str, str]]]:
    """The users API over ``posts``, and a star followed by ``n`` fans (ids, handles, names)."""
    c = Container(container.settings, neo4j_driver=graph.driver, graph=graph, posts=posts)
    tag = f"{now_ms() % 10**8}"
    star = f"star-{tag}"
    fans = [(f"fan-{tag}-{i:03d}", f"f{tag}_{i:03d}", f"Fan {i}") for i in range(n)]
    graph.import_users([(star, f"s{tag}", "Star"), *fans], now=1)
    graph.import_follows([(f[0], star) for f in fans], now=1)
    return Api(app_for(router(c.users))), star, fans


def test_a_followers_page_counts_posts_in_one_batched_read(
    container: Container, graph: Neo4jGraph
) -> None:
    posts = CountingPosts(container.firestore)
    api, star, fans = star_with_fans(container, graph, posts, 100)
    for i, (uid, _, _) in enumerate(fans[:3]):
        for n in range(i + 1):
            posts.create_post(uid, f"post {n}", None, now_ms() * 1000 + i * 10 + n)

    r = api.call("GET", f"/v1/users/{star}/followers?limit=100", "uid-x")
    assert r.status_code == 200, r.json
    counts = {u["id"]: u["post_count"] for u in r.json["items"]}
    assert len(counts) == 100
    assert [counts[f[0]] for f in fans[:4]] == [1, 2, 3, 0]
    assert (posts.batched, posts.single) == (1, 0)


class AskedPosts(CountingPosts):
    """Also remembers which authors each batched read asked for."""

    def __init__(self, *a: Any) -> None:
        super().__init__(*a)
        self.asked: list[list[str]] = []

    def count_user_posts_many(self, author_ids: Any) -> dict[str, int]:
        self.asked.append(list(author_ids))
        return super().count_user_posts_many(author_ids)


@pytest.fixture
def with_redis(container: Container, graph: Neo4jGraph, redis_url: str) -> Container:
    """The suite's container, with the session's real Redis (the cards and the count cache)."""
    settings = dataclasses.replace(container.settings, redis_url=redis_url)
    return Container(settings, neo4j_driver=graph.driver, graph=graph)


def test_list_pages_take_post_counts_from_redis_and_a_profile_asks_the_store(
    with_redis: Container, graph: Neo4jGraph
) -> None:
    posts = AskedPosts(with_redis.firestore)
    api, star, fans = star_with_fans(with_redis, graph, posts, 3)
    posts.create_post(fans[0][0], "one", None, now_ms() * 1000)
    url = f"/v1/users/{star}/followers?limit=10"

    def listed() -> dict[str, int]:
        r = api.call("GET", url, "uid-x")
        assert r.status_code == 200, r.json
        return {u["id"]: u["post_count"] for u in r.json["items"]}

    ids = [f[0] for f in fans]
    assert listed() == dict(zip(ids, [1, 0, 0], strict=True))
    assert sorted(posts.asked[-1]) == sorted(ids)
    ttl = with_redis.redis.ttl(keys.list_post_count(ids[0]))
    assert 0 < ttl <= with_redis.settings.list_count_ttl_s

    # A new post: the list may show the cached count for up to the TTL ...
    posts.create_post(ids[1], "two", None, now_ms() * 1000 + 1)
    assert listed() == dict(zip(ids, [1, 0, 0], strict=True))
    assert len(posts.asked) == 1  # ... read from Redis, the store not asked
    # ... while that person's profile is exact at once.
    assert api.call("GET", f"/v1/users/{ids[1]}", "uid-x").json["post_count"] == 1
    # An expired count (dropped here) is the only one asked for again.
    with_redis.redis.delete(keys.list_post_count(ids[1]))
    assert listed() == dict(zip(ids, [1, 1, 0], strict=True))
    assert posts.asked[-1] == [ids[1]]


def test_list_avatars_come_from_the_profile_cards(with_redis: Container, graph: Neo4jGraph) -> None:
    container = with_redis
    tag = f"{now_ms() % 10**8}"
    star, fan, bare = f"star-{tag}", f"fan-{tag}", f"bare-{tag}"
    graph.import_users([(star, f"s{tag}", "Star"), (fan, f"f{tag}", "Fan"),
                        (bare, f"b{tag}", "Bare")], now=1)  # fmt: skip
    graph.import_follows([(fan, star), (bare, star)], now=1)
    avatar = {"media_id": f"m-{tag}", "url": "https://cdn.test/a.webp", "variants": []}
    container.profile_cards.put_cards([User(id=fan, handle=f"f{tag}", display_name="Fan",
                                            avatar=avatar)])  # fmt: skip
    api = Api(app_for(router(container.users)))
    r = api.call("GET", f"/v1/users/{star}/followers?limit=10", "uid-x")
    assert r.status_code == 200, r.json
    shown = {u["id"]: u["avatar"] for u in r.json["items"]}
    # The fan's card is the truth (the media store has no avatar of theirs); the person without
    # a card was looked up in the media store, which has none either.
    assert shown == {fan: avatar, bare: None}
