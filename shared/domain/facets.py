"""Facets of a post's text: the spans that mean something more than words: hashtags and
mentions (``@handle``).

A facet is a kind, a span of the text in code points (what Python's ``str`` indexes and what a
client renders from the same NFC text) and a normalised value. Pure: no I/O.

Hashtag rules (docs/search.md):
- ``#`` (or the full-width U+FF03) not preceded by a letter, digit, mark, ``_`` or ``&`` (so
  ``a#b`` and ``&#39;`` are not tags), then a run of Unicode letters, digits, combining marks
  (Devanagari vowel signs, for one) and ``_``;
- the run must hold at least one letter (``#1`` is a ranking, not a tag);
- the value is NFKC, then case-folded, then NFKC again (case folding can leave a string that
  is not NFKC): full-width ``#Kweet``, ``#KWEET`` and ``#kweet`` are one tag; ``#Straße`` and
  ``#STRASSE`` too;
- at most ``MAX_TAG_CHARS`` code points (a longer run is not a tag at all, rather than a
  truncated one) and the first ``MAX_HASHTAGS`` distinct tags of a post are kept.

Mention rules (docs/notifications.md):
- ``@`` (or the full-width U+FF20) not preceded by a letter, digit, mark, ``_`` or another
  ``@`` (so ``mail@example.com`` is not a mention), then a handle as shared.domain.users defines
  it (``HANDLE_RE``: 3-30 of A-Z a-z 0-9 _);
- Unicode-aware end: the run may not continue into any other letter, digit, mark or ``_``
  (``@josé`` is not a mention of ``@jos``; a 31-character run is not a mention of its first
  30), nor into another ``@`` (``@alice@other.example`` is someone elsewhere);
- the value is the handle's case-insensitive key (``users.handle_key``);
- at most ``MAX_MENTIONS`` mentions (every occurrence counts) a post: more is refused with 422
  ``too_many_mentions`` rather than silently linking the first ten.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Literal

from shared.domain import errors, users
from shared.domain.model import Mention

FacetKind = Literal["hashtag", "mention"]

MAX_TAG_CHARS = 64
MAX_MENTIONS = 10
_AT = frozenset("@\uff20")
MAX_HASHTAGS = 10
_HASH = frozenset("#\uff03")


@dataclass(frozen=True)
class Facet:
    kind: FacetKind
    start: int  # first code point of the facet, the "#" included
    end: int  # one past its last code point
    value: str  # normalised: the tag without "#", or (mentions) the handle without "@"

    def to_json(self) -> dict[str, object]:
        return {"type": self.kind, "start": self.start, "end": self.end, "value": self.value}


def _tag_char(ch: str) -> bool:
    return ch == "_" or unicodedata.category(ch)[0] in "LNM"


def _fold(raw: str) -> str:
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", raw).casefold())


def _has_letter(s: str) -> bool:
    return any(unicodedata.category(ch)[0] == "L" for ch in s)


def hashtag_facets(text: str) -> list[Facet]:
    """Every hashtag of ``text`` in order, with its span (duplicates included)."""
    out: list[Facet] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch not in _HASH or (i > 0 and (_tag_char(text[i - 1]) or text[i - 1] == "&")):
            i += 1
            continue
        j = i + 1
        while j < n and _tag_char(text[j]):
            j += 1
        run = text[i + 1 : j]
        # A run ending in another "#" ("#a#b") is glued text, not a tag.
        glued = j < n and text[j] in _HASH
        if run and not glued and _has_letter(run):
            value = _fold(run)
            if len(value) <= MAX_TAG_CHARS:
                out.append(Facet("hashtag", i, j, value))
        i = max(j, i + 1)
    return out


def mention_facets(text: str) -> list[Facet]:
    """Every ``@handle`` of ``text`` in order, with its span; TooManyMentions past
    MAX_MENTIONS (what the handles resolve to is the use case's question)."""
    out: list[Facet] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch not in _AT or (i > 0 and (_tag_char(text[i - 1]) or text[i - 1] in _AT)):
            i += 1
            continue
        j = i + 1
        while j < n and text[j].isascii() and (text[j].isalnum() or text[j] == "_"):
            j += 1
        run = text[i + 1 : j]
        glued = j < n and (_tag_char(text[j]) or text[j] in _AT)
        if not glued and users.is_valid_handle(run):
            out.append(Facet("mention", i, j, users.handle_key(run)))
        i = max(j, i + 1)
    if len(out) > MAX_MENTIONS:
        raise errors.TooManyMentions(
            f"a post mentions at most {MAX_MENTIONS} people (@handles); this one has {len(out)}",
            details={"field": "text", "max": MAX_MENTIONS, "found": len(out)},
        )
    return out


def facets(text: str) -> list[Facet]:
    """All facets of ``text``, ordered by position."""
    return sorted(hashtag_facets(text) + mention_facets(text), key=lambda f: f.start)


def hashtags(text: str) -> list[str]:
    """The distinct tags of ``text`` as stored with the post: first use first, at most
    MAX_HASHTAGS."""
    seen: dict[str, None] = {}
    for f in hashtag_facets(text):
        seen.setdefault(f.value, None)
        if len(seen) == MAX_HASHTAGS:
            break
    return list(seen)


def normalize_tag(raw: str) -> str:
    """A tag a client names (a route's ``{tag}``, a ``#tag`` search term): with or without its
    "#", normalised as in a post; InvalidInput when it could not be a hashtag."""
    body = raw[1:] if raw[:1] in _HASH else raw
    if not body or not all(_tag_char(c) for c in body) or not _has_letter(body):
        raise errors.InvalidInput(
            "a hashtag is letters, digits and _ with at least one letter",
            details={"field": "tag"},
        )
    value = _fold(body)
    if len(value) > MAX_TAG_CHARS:
        raise errors.InvalidInput(
            f"a hashtag has at most {MAX_TAG_CHARS} characters", details={"field": "tag"}
        )
    return value


def resolve_mentions(found: list[Facet], user_ids: dict[str, str]) -> tuple[Mention, ...]:
    """The mentions whose handle names a user (``user_ids``: handle key -> id); the others stay
    plain text."""
    return tuple(Mention(f.start, f.end, user_ids[f.value]) for f in found if f.value in user_ids)
