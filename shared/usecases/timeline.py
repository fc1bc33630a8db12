"""Reading timelines: a user's home page (``GET /v1/timeline``) and own posts
(``GET /v1/users/{id}/posts``).

Why it exists: a page is a bounded merge of a few newest-first sources (domain.timeline), served
from Redis in one script run per round, with the post store as the fallback below what Redis
holds. What it promises:

- a page is the newest ``limit`` live posts below the cursor of the reader's followees and the
  reader (home), or of the user (own posts), each with its author's profile card;
- reading touches Redis only, when the cards are there: a missing card is filled from the graph
  and the avatars, then put (write-through cards, ports.ProfileCards);
- a reader whose home timeline was dropped while idle is served by pull, and their home timeline
  is regenerated inside the same request (Cloud Run gives a function CPU only while it serves a
  request, so work after the response may never run); the regeneration lock keeps it to one
  request per user, and the work is one server-side script bounded by the followees' capped
  own timelines.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from shared.domain import errors, safety
from shared.domain.conversations import reaches_home
from shared.domain.media import media_json
from shared.domain.model import Engagement, Post, User
from shared.domain.reposts import Entry, RepostedBy, dedupe, reposted_by
from shared.domain.safety import hidden_everywhere, hidden_from_home
from shared.domain.timeline import (
    HEAD_SIZE,
    Source,
    count_newer,
    fallback_for,
    head_tag,
    merge_newest,
    next_cursor,
)
from shared.ports import (
    AvatarSource,
    FollowerSource,
    PostStore,
    ProfileCards,
    RelationFlags,
    SuspendedAmong,
    TimelineStore,
)

if TYPE_CHECKING:
    from shared.usecases.engagement import EngagementService

log = logging.getLogger(__name__)

MAX_ROUNDS = 4  # bounded refills when filtering (deleted, unfollowed) thins a page
STORE_FANOUT_THREADS = 16
MAX_USER_ID = 128


@dataclass
class Page:
    posts: list[Post]
    authors: dict[str, User] = field(default_factory=dict)
    next_cursor: str | None = None
    regenerating: bool = False
    engagement: dict[int, Engagement] = field(default_factory=dict)
    # home items shown by a repost: post id -> who reposted it (shared.domain.reposts)
    reposted_by: dict[int, RepostedBy] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "items": [
                self._repost_fields(
                    p, p.to_json(self.authors.get(p.author_id), self.engagement.get(p.id))
                )
                for p in self.posts
            ],
            "next_cursor": self.next_cursor,
            "regenerating": self.regenerating,
        }  # fmt: skip

    def _repost_fields(self, p: Post, item: dict[str, Any]) -> dict[str, Any]:
        by = self.reposted_by.get(p.id)
        if by is not None:
            users = [self.authors[u] for u in by.users if u in self.authors]
            item["reposted_by"] = {
                "users": [
                    {"id": u.id, "handle": u.handle, "display_name": u.display_name} for u in users
                ],
                "count": by.count,
            }
        return item


@dataclass(frozen=True)
class Newer:
    count: int
    head: str
    regenerating: bool

    def to_json(self) -> dict[str, Any]:
        return {"count": self.count, "head": self.head, "regenerating": self.regenerating}


class TimelineReader:
    def __init__(
        self,
        timelines: TimelineStore,
        graph: FollowerSource,
        posts: PostStore,
        cards: ProfileCards,
        avatars: AvatarSource | None = None,
        engagement: EngagementService | None = None,
        silencing: RelationFlags | None = None,
        suspensions: SuspendedAmong | None = None,
    ) -> None:
        # issue 21 (docs/safety.md): blocks, mutes and suspensions filtered at read, so pushed,
        # pulled and already stored entries alike are hidden (None: nothing is filtered)
        self.silencing = silencing
        self.suspensions = suspensions
        self.tl = timelines
        self.graph = graph
        self.posts = posts
        self.cards = cards
        self.avatars = avatars  # fills missing cards; None: cards are filled without avatars
        # completes the counts the page round read (None: every post shows zeros)
        self.engagement = engagement

    def home(self, uid: str, limit: int, before: int | None = None) -> Page:
        st = self.tl.reader_state(uid)
        pulls = st.pull_authors
        if not st.followees_cached:
            loaded = frozenset(self.graph.following_ids(uid))
            self.tl.store_followees(uid, loaded)
            pulls = self.tl.pull_authors_of(loaded)

        def everyone() -> frozenset[str]:
            return self.tl.followees(uid) | {uid}

        # a pulled author the reader mutes or blocks is not read at all (their posts would only
        # be dropped, page after page); pushed entries are filtered per round (_hidden)
        pulls = self._unsilenced(uid, pulls)
        sources: list[Source]
        if st.active:
            # the home timeline stands for every followee when it runs dry (Source.authors)
            sources = [Source.home_of(uid), Source.own(uid)] + [Source.own(a) for a in pulls]
            page = self._collect(uid, sources, limit, before, everyone, home=True)
        else:
            # Fan-out skipped this reader while inactive: serve every followee by pull (each
            # bounded to `limit`), then rebuild their home timeline before answering.
            authors = everyone()
            sources = [Source.own(a) for a in sorted(self._unsilenced(uid, authors))]
            page = self._collect(uid, sources, limit, before, everyone, home=True)
            self._regenerate(uid, authors - {uid})
        # Following nobody there is nothing to rebuild: "being rebuilt" would be a wrong message.
        page.regenerating = not st.active and bool(self.tl.followees(uid))
        return page

    def newer(self, uid: str, after: int) -> Newer:
        """What a poller needs to know: how many head posts are newer than ``after``, and the
        head's tag (a deletion changes it too). The read is the head page's (one script round);
        the answer leaves out every body and profile."""
        page = self.home(uid, HEAD_SIZE)
        ids = [p.id for p in page.posts]
        return Newer(count_newer(ids, after), head_tag(ids), page.regenerating)

    def user_posts(
        self, uid: str, limit: int, before: int | None = None, viewer: str | None = None
    ) -> Page:
        if not 1 <= len(uid) <= MAX_USER_ID:
            raise errors.InvalidInput(f"id must be 1-{MAX_USER_ID} characters")
        seen_by_other = viewer is not None and viewer != uid and self.silencing is not None
        if seen_by_other and self._blocked(viewer or "", uid):
            raise safety.blocked(uid)  # 403 blocked: the profile says so, nothing more
        only = frozenset({uid})
        page = self._collect(
            uid, [Source.own(uid)], limit, before, lambda: only, home=False, viewer=viewer
        )
        if not page.posts and uid not in page.authors:
            raise errors.NotFound(f"no user {uid}")
        return page

    def _collect(
        self,
        uid: str,
        sources: list[Source],
        limit: int,
        before: int | None,
        everyone: Callable[[], frozenset[str]],
        *,
        home: bool,
        viewer: str | None = None,
    ) -> Page:
        page: list[Post] = []
        entries: list[int] = []  # the entry ids of the page (a repost's is not its post's)
        as_repost: set[int] = set()  # posts the page shows by a repost entry
        by: dict[int, RepostedBy] = {}
        cards: dict[str, User] = {}
        counts: dict[int, Engagement | None] = {}
        cursor = before
        exhausted = False
        for _ in range(MAX_ROUNDS):
            # A user's own timeline missing from Redis (lost, not yet rebuilt) costs one query.
            # One script run: merge, bodies, tombstones, authors' cards and follow flags.
            rd = self.tl.round(
                sources, cursor, limit, uid, home=home, truncate_empty=not home, viewer=viewer
            )
            merged = rd.merged
            counts.update(rd.engagement)
            fb = fallback_for(rd.runs)
            known: dict[int, Post] = {}
            if fb is not None and fb.needed(merged, limit):
                authors = fb.authors | (everyone() if fb.all_followees else frozenset())
                known = self._store_recent(authors, cursor, limit)
                merged = merge_newest([merged, sorted(known, reverse=True)], limit)
            posts = {**rd.live, **{k: v for k, v in known.items() if k not in rd.dead}}
            miss = [m for m in rd.missing if m not in known]
            if miss:
                stored = self.posts.get_posts(miss)
                self.tl.cache_posts(stored.values())
                posts.update({pid: p for pid, p in stored.items() if not p.deleted})
            follows = set(rd.follows)
            cards.update(rd.cards)
            # authors the script did not see (posts from the store): one more round trip
            people = {a for p in posts.values() for a in (p.author_id, p.reply_to_author_id) if a}
            unseen = sorted(people - rd.seen)
            if unseen:
                more, found = self.tl.author_info(uid if home else None, unseen)
                follows |= more
                cards.update(found)
            via: dict[int, str] = {}  # who put each entry here: its author, or its reposter
            if rd.reposts:  # home, and a profile's own reposts (as Twitter lists them)
                resolved, silenced = self._reposts(
                    uid, rd.reposts, posts, cards, by, counts, viewer=viewer or uid, home=home
                )
                # an entry put here by a silenced reposter stands for the post's reposts the
                # reader may see (the writer's dedupe may have kept theirs out): it is theirs
                via = {e: who if who not in silenced else by[pid].users[0]
                       for e, (pid, who) in rd.reposts.items() if e in resolved}  # fmt: skip
                follows |= {u for e in resolved for u in by[rd.reposts[e][0]].users}
            hidden = self._hidden(viewer or uid, merged, posts, via, home=home)
            kept: list[Entry] = []
            for pid in merged:
                p = posts.get(pid)
                if p is None or (pid in rd.reposts and pid not in via) or pid in hidden:
                    continue
                who = via.get(pid, p.author_id)
                # unfollowed authors' (reposters') entries may linger in the home timeline
                if not (who == uid or (home and who in follows)):
                    continue
                # a reply reaches home only by the conversation rule (the pulled ones: here);
                # a repost of a reply is the reposter's choice, shown like any repost
                reply_elsewhere = home and pid not in via
                if reply_elsewhere and not reaches_home(
                    uid, p.author_id, p.reply_to_author_id, follows
                ):
                    continue
                kept.append(Entry(pid, p.id))
            for e in dedupe(kept, {p.id for p in page}):
                if len(page) < limit:
                    page.append(posts[e.entry])
                    entries.append(e.entry)
                    if e.repost:
                        as_repost.add(e.post_id)
            exhausted = len(merged) < limit
            if len(page) >= limit or exhausted:
                break
            cursor = merged[-1]
        nxt = next_cursor(entries, limit, exhausted, scanned=cursor)
        shown_by = {i: b for i, b in by.items() if i in as_repost}
        wanted = {p.author_id for p in page} | {uid}
        wanted |= {u for b in shown_by.values() for u in b.users}
        missing = sorted(a for a in wanted if a not in cards)
        if missing:
            cards.update(self._fill_cards(missing))
        shown = {a: u for a, u in cards.items() if a in wanted}
        engagement = (
            self.engagement.complete([p.id for p in page], viewer or uid, counts)
            if self.engagement is not None
            else {}
        )
        return Page(
            posts=page, authors=shown, next_cursor=nxt, engagement=engagement,
            reposted_by=shown_by,
        )  # fmt: skip

    def _unsilenced(self, uid: str, authors: Iterable[str]) -> list[str]:
        got = list(authors)
        if self.silencing is None or not got:
            return got
        flags = self.silencing.flags(uid, got)
        return [a for a in got if not hidden_from_home(flags.get(a, ""))]

    def _blocked(self, viewer: str, uid: str) -> bool:
        assert self.silencing is not None
        return hidden_everywhere(self.silencing.flags(viewer, [uid]).get(uid, ""))

    def _hidden(
        self, reader: str, merged: list[int], posts: dict[int, Post], via: dict[int, str],
        *, home: bool,
    ) -> set[int]:  # fmt: skip
        """The entries of a round the reader must not see: by (or reposted by, or answering)
        someone blocked either way, muted (home only), or suspended. One HMGET of the reader's
        relations and one pipeline of suspension flags, whatever the page's size."""
        if self.silencing is None and self.suspensions is None:
            return set()
        people: dict[int, tuple[str, str | None, str | None]] = {}
        for pid in merged:
            p = posts.get(pid)
            if p is not None:
                people[pid] = (p.author_id, via.get(pid), p.reply_to_author_id)
        names = {a for t in people.values() for a in t if a and a != reader}
        if not names:
            return set()
        flags = self.silencing.flags(reader, names) if self.silencing is not None else {}
        gone = self.suspensions.suspended_among(names) if self.suspensions is not None else set()
        if not flags and not gone:
            return set()
        rule = hidden_from_home if home else hidden_everywhere

        def hides(author: str, reposter: str | None, parent: str | None) -> bool:
            if author in gone or reposter in gone:
                return True
            if any(rule(flags.get(a, "")) for a in (author, reposter) if a):
                return True
            return bool(parent) and hidden_everywhere(flags.get(parent or "", ""))

        return {pid for pid, t in people.items() if hides(*t)}

    def cards_of(self, uids: Iterable[str]) -> dict[str, User]:
        """The profile cards of ``uids`` (Redis; missing ones filled and put)."""
        wanted = sorted(set(uids))
        if not wanted:
            return {}
        found = self.cards.cards(wanted)
        missing = [u for u in wanted if u not in found]
        if missing:
            found.update(self._fill_cards(missing))
        return found

    # ---- reposts (issue 20; docs/timeline.md "Reposts") ----------------------------------

    def _reposts(
        self,
        uid: str,
        reposts: dict[int, tuple[int, str]],
        posts: dict[int, Post],
        cards: dict[str, User],
        by: dict[int, RepostedBy],
        counts: dict[int, Engagement | None],
        *,
        viewer: str,
        home: bool,
    ) -> tuple[set[int], set[str]]:
        """Resolve a round's repost entries to their originals (in ``posts``, under the
        entry's id) and who reposted each (``by``, the reader's followees and the reader,
        never one ``viewer`` mutes (home), blocks either way or who is suspended: issue 21);
        the entries that can be shown, and the reposters left out. Two pipelines (+ one for a
        viral post, + the originals' store misses, + the silenced lookup), the cards and the
        originals' engagement (``counts``) included."""
        originals = sorted({pid for pid, _ in reposts.values()})
        rr = self.tl.repost_round(uid, originals, known=cards.keys())
        cards.update(rr.cards)
        counts.update(rr.engagement)
        found = dict(rr.live)
        if rr.missing:
            stored = self.posts.get_posts(rr.missing)
            self.tl.cache_posts(stored.values())
            found.update({pid: p for pid, p in stored.items() if not p.deleted})
        visible = rr.followed | {uid}
        named = {u for pid in originals for u in rr.reposters.get(pid, ()) if u in visible}
        silenced = self._silenced(viewer, named, home=home)
        visible -= silenced
        for pid in originals:
            b = reposted_by(rr.reposters.get(pid, ()), visible)
            if b is not None:
                by[pid] = b
        shown: set[int] = set()
        for entry, (pid, _) in reposts.items():
            p = found.get(pid)
            if p is not None and pid not in rr.dead and pid in by:
                posts[entry] = p
                shown.add(entry)
        # a chosen reposter past the newest few of a post: their card (rare, one round trip)
        unseen = sorted({u for b in by.values() for u in b.users} - cards.keys())
        if unseen:
            cards.update(self.tl.author_info(None, unseen)[1])
        return shown, silenced  # cards still missing are filled with the page's (_fill_cards)

    def _silenced(self, viewer: str, people: set[str], *, home: bool) -> set[str]:
        """Who of ``people`` the viewer must not see named: muted (home), blocked either way,
        suspended. One HMGET and one pipeline, none when nobody is asked."""
        others = people - {viewer}
        if not others:
            return set()
        out: set[str] = set()
        if self.silencing is not None:
            rule = hidden_from_home if home else hidden_everywhere
            out |= {u for u, f in self.silencing.flags(viewer, others).items() if rule(f)}
        if self.suspensions is not None:
            out |= self.suspensions.suspended_among(others)
        return out

    def _fill_cards(self, uids: list[str]) -> dict[str, User]:
        """Cards missing from Redis (never put, or lost with it): from the graph and the
        avatars, then put, so the next page needs neither."""
        users = self.graph.get_users(uids)
        if not users:
            return {}
        found = {}
        if self.avatars is not None:
            try:
                found = self.avatars.get_avatars(sorted(users))
            except Exception:  # a picture is not worth failing the page for
                log.warning("avatar lookup failed; authors shown without", exc_info=True)
                # not put: a card without its avatar would hide the avatar until it changes
                return {u.id: _card(u, None) for u in users.values()}
        filled = {
            u.id: _card(u, media_json(found[u.id]) if u.id in found else None)
            for u in users.values()
        }
        self.cards.put_cards(filled.values())
        return filled

    def _store_recent(
        self, authors: Iterable[str], before: int | None, limit: int
    ) -> dict[int, Post]:
        wanted = sorted(authors)
        if not wanted:
            return {}

        def one(a: str) -> list[Post]:
            return self.posts.list_user_posts(a, limit, before)

        if len(wanted) == 1:
            lists = [one(wanted[0])]
        else:
            with ThreadPoolExecutor(min(STORE_FANOUT_THREADS, len(wanted))) as pool:
                lists = list(pool.map(one, wanted))
        found = {p.id: p for ps in lists for p in ps if not p.deleted}
        self.tl.cache_posts(found.values())
        return found

    def _regenerate(self, uid: str, followees: Iterable[str]) -> None:
        if not self.tl.try_lock_regeneration(uid):
            return  # another request is on it; this read is served by pull meanwhile
        try:
            self.tl.regenerate(uid, sorted(followees))
        except Exception:  # the page is served anyway; the next read retries
            log.exception("regenerating the home timeline of %s failed", uid)
        finally:
            self.tl.unlock_regeneration(uid)


def _card(u: User, avatar: dict[str, Any] | None) -> User:
    """What a page shows of a person: no counts (ports.ProfileCards)."""
    return User(id=u.id, handle=u.handle, display_name=u.display_name, avatar=avatar)
