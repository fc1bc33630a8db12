"""Post and people search through the search function's router, on the real OpenSearch."""

from __future__ import annotations

import time

import pytest

from tests.search.conftest import Search

pytestmark = pytest.mark.integration


@pytest.fixture
def corpus(search: Search) -> dict[str, str]:
    search.register("alice", "alice_w", "Alice Wonder")
    search.register("bob", "bobby", "Bob Builder")
    texts = {
        "kittens": "Kittens are playing in the garden #Cats",
        "running": "I was running along the river this morning",
        "phrase": "the quick brown fox jumps over the lazy dog",
        "shuffled": "the lazy fox and the quick brown dog",
        "bobcats": "Bob likes #cats and #DOGS too",
        "gone": "kittens everywhere, soon deleted #cats",
    }
    out = {}
    for name, text in texts.items():
        author = "bob" if name.startswith("bob") else "alice"
        post, _ = search.post(author, text)
        out[name] = str(post.id)
    search.delete(next(p for p in [search.store.get_post(int(out["gone"]))] if p))
    return out


def test_words_are_stemmed_and_typo_tolerant(search: Search, corpus: dict[str, str]) -> None:
    assert search.ids("/v1/search/posts?q=run") == [corpus["running"]]
    assert search.ids("/v1/search/posts?q=kitens") == [corpus["kittens"]]  # one typo
    assert search.ids("/v1/search/posts?q=rivr%20mornin") == [corpus["running"]]


def test_phrases_keep_their_order(search: Search, corpus: dict[str, str]) -> None:
    assert search.ids("/v1/search/posts?q=%22quick%20brown%20fox%22") == [corpus["phrase"]]
    both = set(search.ids("/v1/search/posts?q=quick%20brown%20fox"))
    assert both == {corpus["phrase"], corpus["shuffled"]}


def test_hashtag_and_from_filters(search: Search, corpus: dict[str, str]) -> None:
    cats = search.ids("/v1/search/posts?q=%23cats&sort=newest")
    assert cats == [corpus["bobcats"], corpus["kittens"]]  # newest first, the deleted one gone
    assert search.ids("/v1/search/posts?q=%23CATS%20from:bobby") == [corpus["bobcats"]]
    foxes = set(search.ids("/v1/search/posts?q=from:@Alice_W%20fox"))
    assert foxes == {corpus["phrase"], corpus["shuffled"]}
    assert search.ids("/v1/search/posts?q=from:nobody_here") == []


def test_hashtag_pages_newest_first_with_cursor(search: Search) -> None:
    search.register("alice", "alice")
    posted = [search.post("alice", f"day {i} of #Kwetter")[0] for i in range(5)]
    search.post("alice", "not tagged kwetter")
    search.delete(posted[2])
    want = [str(p.id) for p in reversed(posted) if p is not posted[2]]
    search.index.refresh()
    got: list[str] = []
    cursor = ""
    while True:
        status, body = search.get(f"/v1/hashtags/%EF%BC%83KWETTER/posts?limit=2&cursor={cursor}")
        assert status == 200, body
        assert len(body["items"]) <= 2
        got += [p["id"] for p in body["items"]]
        if not body["next_cursor"]:
            break
        cursor = body["next_cursor"]
    assert got == want
    item = search.get("/v1/hashtags/kwetter/posts")[1]["items"][0]
    assert item["hashtags"] == ["kwetter"] and item["author"]["handle"] == "alice"


def test_relevance_pages_do_not_repeat_or_skip(search: Search) -> None:
    made = {str(search.post("bob", f"garden party {'garden ' * (i % 4)}number {i}")[0].id)
            for i in range(12)}  # fmt: skip
    search.index.refresh()
    got: list[str] = []
    cursor = ""
    while True:
        status, body = search.get(f"/v1/search/posts?q=garden%20party&limit=5&cursor={cursor}")
        assert status == 200, body
        got += [p["id"] for p in body["items"]]
        if not body["next_cursor"]:
            break
        cursor = body["next_cursor"]
    assert len(got) == len(set(got)) and set(got) == made
    # A relevance cursor does not continue a newest page.
    status, body = search.get(f"/v1/search/posts?q=garden&sort=newest&cursor={cursor or 'x'}")
    assert status == 400


HOSTILE = [
    "q=" + "a" * 201,  # too long
    "q=%2A",  # a bare wildcard
    "q=foo%2A",  # a trailing wildcard
    "q=%2A" + "a%2A" * 40,  # a huge wildcard
    "q=%2F(a%2B)%2B%24%2F",  # /(a+)+$/ a regex bomb
    "q=(a%7Caa)%2B%24",  # (a|aa)+$ the same without slashes
    "q=" + "%20".join(["w"] * 17),  # too many words
    "q=%23a%20%23b%20%23c%20%23d",  # too many tags
    "q=from:x",  # not a handle
    "q=from:alice_w%20from:bobby",
    "q=ok&from=10000",  # offsets do not exist
    "q=ok&limit=51",
    "q=ok&limit=0",
    "q=ok&sort=random",
    "q=ok&cursor=AAAA",
    "q=ok&cursor=" + "A" * 300,
    "q=",
    "q=%01",
]


@pytest.mark.parametrize("query", HOSTILE)
def test_hostile_queries_are_refused_quickly(search: Search, query: str) -> None:
    t0 = time.monotonic()
    status, body = search.get(f"/v1/search/posts?{query}")
    assert status == 400, body
    assert body["error"]["code"] == "bad_request"
    assert time.monotonic() - t0 < 2.0


@pytest.mark.parametrize("path", ["/v1/hashtags/1234/posts", "/v1/hashtags/a%2Ab/posts",
                                  "/v1/hashtags/" + "a" * 80 + "/posts",
                                  "/v1/search/users?q=" + "a" * 31, "/v1/search/users?q=",
                                  "/v1/search/users?q=ab%2A", "/v1/trends?window=1"])  # fmt: skip
def test_hostile_paths_are_refused(search: Search, path: str) -> None:
    status, body = search.get(path)
    assert status == 400, body


def test_odd_but_harmless_text_is_searched_not_refused(search: Search) -> None:
    post, _ = search.post("alice", "why? C++ (and C#) [really]")
    for q in ["why%3F", "C%2B%2B", "(and", "%5Breally%5D", "%22really%22"]:
        assert search.ids(f"/v1/search/posts?q={q}") == [str(post.id)], q


def test_users_typeahead_by_handle_and_name_prefix(search: Search) -> None:
    search.register("u1", "martina", "Martina Navratilova")
    search.register("u2", "mart_in", "Martin Luther")
    search.register("u3", "someone", "Marta Vieira")
    search.register("u4", "zed", "Zed Shaw")
    search.index.refresh()

    def handles(q: str) -> list[str]:
        status, body = search.get(f"/v1/search/users?q={q}")
        assert status == 200, body
        return [u["handle"] for u in body["items"]]

    assert set(handles("mar")) == {"martina", "mart_in", "someone"}
    assert handles("@MART_IN")[0] == "mart_in"
    assert handles("vie") == ["someone"]
    assert handles("luth") == ["mart_in"]
    assert handles("qqq") == []


def test_search_needs_a_caller(search: Search) -> None:
    import flask

    from shared.bootstrap import HTTP_FUNCTIONS
    from tests.search.conftest import app

    router = HTTP_FUNCTIONS["search"](search.container)
    with app.test_request_context("/v1/search/posts?q=x", method="GET"):
        assert router.dispatch(flask.request).status_code == 401


def test_an_engine_that_cannot_answer_is_a_503_not_a_500(search: Search) -> None:
    """A closed (or still starting) index: the engine's refusal is `unavailable`, retryable."""
    search.post("someone", "a word worth finding")
    search.index.refresh()
    client = search.index._os
    client.indices.close(index=search.index.posts_index)
    try:
        status, body = search.get("/v1/search/posts?q=word")
        assert status == 503 and body["error"]["code"] == "unavailable", body
        status, body = search.get("/v1/hashtags/word/posts")
        assert status == 503, body
    finally:
        client.indices.open(index=search.index.posts_index, wait_for_active_shards="all")
    status, body = search.get("/v1/search/posts?q=word")
    assert status == 200 and len(body["items"]) == 1, body
