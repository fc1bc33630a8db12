"""An avatar change updates the profile card (ProfileCards), in memory: no store needed."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, cast

from shared.domain import media as domain
from shared.domain.model import User
from shared.ports import MediaRecords, RateLimiter, Storage
from shared.usecases.media import MediaService

REF = domain.MediaRef(
    "a" * 32, "avatar", 400, 400, "", (domain.Variant("400", 400, 400, "https://cdn/400.webp"),)
)


class _Repo:
    def __init__(self) -> None:
        self.avatar: str | None = "b" * 32
        self.deleted: list[str] = []

    def set_avatar(
        self, owner_id: str, media_id: str | None
    ) -> tuple[domain.MediaRef | None, str | None]:
        previous, self.avatar = self.avatar, media_id
        return (REF if media_id else None), (previous if previous != media_id else None)

    def mark_deleted(self, owner_id: str, media_ids: Iterable[str]) -> list[str]:
        self.deleted += media_ids
        return list(media_ids)


class _Storage:
    def delete_variants(self, media_id: str) -> int:
        return 2


class _Cards:
    def __init__(self) -> None:
        self.avatars: list[tuple[str, dict[str, Any] | None]] = []

    def cards(self, user_ids: Sequence[str]) -> dict[str, User]:
        return {}

    def put_cards(self, users: Iterable[User]) -> None:
        pass

    def set_avatar(self, user_id: str, avatar: dict[str, Any] | None) -> None:
        self.avatars.append((user_id, avatar))


def test_setting_and_clearing_an_avatar_updates_the_card() -> None:
    repo, cards = _Repo(), _Cards()
    service = MediaService(
        cast(MediaRecords, repo), cast(Storage, _Storage()), cast(RateLimiter, None),
        uploads_per_hour=30, cards=cards,
    )  # fmt: skip
    assert service.set_avatar("alice", "a" * 32) == {"avatar": domain.media_json(REF)}
    assert repo.deleted == ["b" * 32]  # the replaced avatar
    assert service.set_avatar("alice", None) == {"avatar": None}
    assert cards.avatars == [("alice", domain.media_json(REF)), ("alice", None)]


def test_without_cards_the_avatar_is_still_set() -> None:
    repo = _Repo()
    service = MediaService(
        cast(MediaRecords, repo), cast(Storage, _Storage()), cast(RateLimiter, None),
        uploads_per_hour=30,
    )  # fmt: skip
    assert service.set_avatar("alice", "a" * 32)["avatar"]["id"] == "a" * 32
