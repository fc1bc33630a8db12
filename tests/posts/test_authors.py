"""The author a post response shows: from the profile card when there is one (Redis only), else
from the profile and the avatar, which then make the card. In memory: no service is needed."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from shared.domain.media import MediaRef
from shared.domain.model import Post, User
from shared.usecases.posts import PostsService

ANN = User("ann", "ann", "Ann", follower_count=3)


class Cards:
    def __init__(self, *users: User) -> None:
        self.held = {u.id: u for u in users}
        self.reads = 0

    def cards(self, user_ids: Sequence[str]) -> dict[str, User]:
        self.reads += 1
        return {u: self.held[u] for u in user_ids if u in self.held}

    def put_cards(self, users: Iterable[User]) -> None:
        self.held.update((u.id, u) for u in users)

    def set_avatar(self, user_id: str, avatar: dict[str, Any] | None) -> None:
        raise AssertionError("not used by posts")


class Directory:
    def __init__(self) -> None:
        self.reads = 0

    def get_user(self, uid: str) -> User | None:
        self.reads += 1
        return ANN if uid == "ann" else None


class NoAvatars:
    def __init__(self) -> None:
        self.reads = 0

    def get_avatars(self, user_ids: Iterable[str]) -> dict[str, MediaRef]:
        self.reads += 1
        return {}


def _service(cards: Cards | None, directory: Directory, avatars: NoAvatars) -> PostsService:
    return PostsService(
        store=None,  # type: ignore[arg-type]  # author_of never reaches the store
        publisher=None,  # type: ignore[arg-type]
        authors=lambda: directory,
        avatars=avatars,
        cards=cards,
    )


POST = Post(id=1, author_id="ann", text="hi", created_ms=0)


def test_a_card_answers_without_the_graph_or_firestore() -> None:
    card = User("ann", "ann", "Ann", avatar={"id": "a" * 32})
    directory, avatars = Directory(), NoAvatars()
    assert _service(Cards(card), directory, avatars).author_of(POST) == card
    assert (directory.reads, avatars.reads) == (0, 0)


def test_a_missing_card_is_made_from_the_profile_and_the_avatar() -> None:
    cards, directory, avatars = Cards(), Directory(), NoAvatars()
    service = _service(cards, directory, avatars)
    author = service.author_of(POST)
    assert author is not None and (author.handle, author.avatar) == ("ann", None)
    assert (directory.reads, avatars.reads) == (1, 1)
    assert cards.held["ann"] == author
    assert service.author_of(POST) == author and avatars.reads == 1  # the card, from now on


def test_without_cards_the_author_is_read_as_before() -> None:
    directory, avatars = Directory(), NoAvatars()
    service = _service(None, directory, avatars)
    assert service.author_of(POST) == ANN
    assert service.author_of(POST) == ANN
    assert (directory.reads, avatars.reads) == (1, 2)  # the profile is remembered, avatars not
