"""What a search may ask, and what it gets refused (pure; docs/search.md "Queries").

A post query is words, ``"quoted phrases"``, ``#tag`` filters and one ``from:handle`` filter.
It never reaches the engine as a query language: the adapter builds ``match`` /
``match_phrase`` / ``term`` clauses from the parsed parts, so no user text is ever a regular
expression, a wildcard or a Lucene query string. Wildcards and regex-looking terms are refused
with a 400 rather than silently searched for, so a client learns they are not supported.

Pages are keyset cursors over the engine's sort values (``search_after``), never offsets: page
1,000 costs what page 1 costs, and there is no ``from`` to abuse.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from typing import Literal

from shared.domain import errors, facets
from shared.domain.users import HANDLE_RE

MAX_QUERY_CHARS = 200
MAX_WORDS = 16
MAX_PHRASES = 3
MAX_TAGS = 3
MAX_PAGE = 50
DEFAULT_PAGE = 20
MAX_PREFIX_CHARS = 30
MAX_CURSOR_CHARS = 200

Sort = Literal["relevance", "newest"]
SORTS: tuple[Sort, ...] = ("relevance", "newest")

_TOKEN = re.compile(r'"([^"]*)"|(\S+)')
# Characters that make a term a pattern: more than half of a term of 3+ such characters.
_PATTERN_CHARS = frozenset("()[]{}|+*?^$\\.")


@dataclass(frozen=True)
class PostQuery:
    words: tuple[str, ...] = ()
    phrases: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    from_handle: str | None = None
    sort: Sort = "relevance"

    @property
    def has_text(self) -> bool:
        return bool(self.words or self.phrases)


def _refuse(message: str, reason: str) -> errors.InvalidInput:
    return errors.InvalidInput(message, details={"field": "q", "reason": reason})


def _check_term(term: str) -> None:
    if "*" in term:
        raise _refuse("wildcards are not supported: search for whole words", "wildcard")
    if len(term) >= 3 and term.startswith("/") and term.endswith("/"):
        raise _refuse("regular expressions are not supported", "regex")
    meta = sum(1 for c in term if c in _PATTERN_CHARS)
    if meta >= 3 and meta * 2 > len(term):
        raise _refuse("this looks like a pattern; search for words instead", "pattern")


def parse_post_query(raw: str | None, sort: str | None = None) -> PostQuery:
    """``q`` and ``sort`` of GET /v1/search/posts; InvalidInput for anything refused."""
    q = (raw or "").strip()
    if not q:
        raise errors.InvalidInput("q is required", details={"field": "q"})
    if len(q) > MAX_QUERY_CHARS:
        raise _refuse(f"q has at most {MAX_QUERY_CHARS} characters", "too_long")
    if any(ord(c) < 0x20 for c in q):
        raise _refuse("q must not contain control characters", "control")
    chosen = sort or "relevance"
    if chosen not in SORTS:
        raise errors.InvalidInput("sort must be relevance or newest", details={"field": "sort"})
    words: list[str] = []
    phrases: list[str] = []
    tags: list[str] = []
    from_handle: str | None = None
    if q.count('"') % 2:
        q = q + '"'  # an unclosed quote: the rest is the phrase, as a person meant it
    for m in _TOKEN.finditer(q):
        phrase, term = m.group(1), m.group(2)
        if phrase is not None:
            if phrase.strip():
                _check_term(phrase)
                phrases.append(" ".join(phrase.split()))
            continue
        assert term is not None
        if term[:1] in ("#", "\uff03") and len(term) > 1:
            tags.append(facets.normalize_tag(term))
            continue
        if term.lower().startswith("from:"):
            handle = term[5:].removeprefix("@")
            if from_handle is not None:
                raise _refuse("at most one from: filter", "from")
            if not HANDLE_RE.fullmatch(handle):
                raise errors.InvalidInput(
                    "from: takes a handle", details={"field": "q", "reason": "from"}
                )
            from_handle = handle.lower()
            continue
        _check_term(term)
        words.append(term)
    if len(words) > MAX_WORDS:
        raise _refuse(f"at most {MAX_WORDS} words", "too_many_words")
    if len(phrases) > MAX_PHRASES:
        raise _refuse(f"at most {MAX_PHRASES} phrases", "too_many_phrases")
    if len(tags) > MAX_TAGS:
        raise _refuse(f"at most {MAX_TAGS} hashtags", "too_many_tags")
    if not (words or phrases or tags or from_handle):
        raise errors.InvalidInput("q has nothing to search for", details={"field": "q"})
    order: Sort = "newest" if chosen == "newest" else "relevance"
    return PostQuery(tuple(words), tuple(phrases), tuple(dict.fromkeys(tags)), from_handle, order)


def parse_prefix(raw: str | None) -> str:
    """``q`` of GET /v1/search/users: the start of a handle or a name."""
    q = " ".join((raw or "").split()).removeprefix("@")
    if not q:
        raise errors.InvalidInput("q is required", details={"field": "q"})
    if len(q) > MAX_PREFIX_CHARS:
        raise _refuse(f"q has at most {MAX_PREFIX_CHARS} characters", "too_long")
    if any(ord(c) < 0x20 for c in q):
        raise _refuse("q must not contain control characters", "control")
    _check_term(q)
    return q


# ---- cursors --------------------------------------------------------------------------------

# The sort values each kind of page continues after: (score, post id) or (post id,).
CURSOR_VALUES = {"relevance": 2, "newest": 1, "tag": 1}


def encode_cursor(kind: str, values: list[float | int]) -> str:
    raw = json.dumps([kind, *values], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(raw: str | None, kind: str) -> tuple[float | int, ...] | None:
    """The sort values a cursor of ``kind`` carries; InvalidInput for any other string (a
    cursor of a relevance page does not continue a newest page)."""
    if raw is None or raw == "":
        return None
    bad = errors.InvalidInput(
        "cursor is not one this endpoint gave out", details={"field": "cursor"}
    )
    if len(raw) > MAX_CURSOR_CHARS or not raw.isascii():
        raise bad
    try:
        data = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
    except (binascii.Error, ValueError) as exc:
        raise bad from exc
    if not isinstance(data, list) or not data or data[0] != kind:
        raise bad
    if len(data) - 1 != CURSOR_VALUES.get(kind):
        raise bad
    values = data[1:]
    for v in values:
        if isinstance(v, bool) or not isinstance(v, int | float) or abs(v) > 2**63:
            raise bad
    return tuple(values)
