"""The Redis key schema of the whole platform: every key any part of the code names is built here.

Why one module: the same key was spelt in the adapter, in Lua strings, in the service, in the
devstack tools and in the tests; a rename (or the hash tags Redis Cluster needs, issue 19) had to
find every copy. Now a caller asks for ``home(uid)``, a script receives the key in ``KEYS``.

Hash tags. Redis Cluster places a key by the part between its first ``{`` and the next ``}``,
so every per-user key carries ``{uid}`` and every per-post key ``{pid}``: all keys of one user
(home timeline, own timeline, followee cache, activity flag, regeneration lock, profile card)
share one slot, and so do all keys of one post (mode, tombstone, cached body). A script or MULTI
over one user's keys, or over one post's keys, then never spans two slots.
Issue 19 (Redis Cluster): no script touches two slots; the adapter groups the keys of a call
by slot (``shared.adapters.clients.slot_of``; one group on a single Redis) and runs one script
or command per group, in one pipeline (the cluster client sends one round trip per node).
(A user id with a brace in it would move or empty the tag and scatter that user's keys: the
user id rule, ``shared.domain.users.USER_ID_RE``, admits no braces, and the users function
refuses such a caller before any profile, post or timeline exists for them. Rate-limit windows
are tagged by their subject, which may be any string: their limiter groups keys by the slot
Redis computes, so a brace there only changes which slot, never correctness.)

The builders also make scan patterns: ``home("*")`` is ``tl:{*}``, which matches every home
timeline (``{`` and ``}`` are not glob characters).

| key             | type   | tag    | what                                                     |
|-----------------|--------|--------|----------------------------------------------------------|
| ``tl:{uid}``    | zset   | user   | home timeline (pushed posts), capped: its newest entries |
| ``tl:{uid}:<i>``| zset   | user   | the home timeline's older pieces, i = 1 (newest) ... n   |
|                 |        |        | (docs/timeline.md "Pieces": each under 128 entries)      |
| ``ut:{uid}``    | zset   | user   | the author's own timeline (posts, reposts), capped: its  |
|                 |        |        | newest entries, the head taking the inserts              |
| ``ut:{uid}:<i>``| zset   | user   | the own timeline's older pieces, as ``tl:{uid}:<i>``     |
| ``fw:{uid}``    | set    | user   | followee cache (sentinel ``""`` = loaded)                |
| ``act:{uid}``   | string | user   | present while the user read within ``inactive_days``    |
| ``rg:{uid}``    | string | user   | regeneration lock                                        |
| ``pc:{uid}``    | hash   | user   | profile card: handle, display name, avatar (no TTL)      |
| ``pn:{uid}``    | string | user   | the author's live post count as list pages show it, TTL  |
| ``pm:{pid}``    | string | post   | the post's fan-out mode, set once                        |
| ``px:{pid}``    | string | post   | tombstone of a deleted post                              |
| ``pb:{pid}``    | string | post   | cached post body (JSON)                                  |
| ``en:{pid}``    | hash   | post   | engagement counters ``l r p ok`` and one field per       |
|                 |        |        | like/repost/reply record (``l:<uid>`` = ±version)        |
| ``am:{uid}``    | string | user   | present when the author has pull-mode posts (was the    |
|                 |        |        | global ``pullers`` set: a hot key on one shard)          |
| ``tr:{uid}``    | zset   | user   | originals with a repost entry in ``tl``: member = post  |
|                 |        |        | id, score = that entry's ms (Mastodon's reblogs set)    |
| ``th:{uid}``    | hash   | user   | reposts held back by the de-duplication rule: original  |
|                 |        |        | -> "entry@ms ..." (one takes over when the shown goes)  |
| ``rs:{pid}``    | hash   | post   | the post's reposts: reposter -> "<ms> <entry id>"       |
| ``rx:{pid}``    | hash   | post   | removed reposts: reposter -> "<guard ms> <entry id>"    |
| ``sl:{uid}``    | hash   | user   | blocks and mutes seen from the user: other -> flags     |
|                 |        |        | (``b`` blocks, ``k`` blocked by, ``m`` mutes), ``""``   |
|                 |        |        | loaded, ``#v`` write counter (docs/safety.md)           |
| ``sp:{uid}``    | string | user   | cached suspension state ``1``/``0`` (truth: Neo4j), TTL |
| ``rl:{name}:{subject}`` | zset | subject | sliding-window rate limit (posts, write limits)  |
| ``media:uploads:{uid}`` | zset | user | sliding-window limit of media uploads                |
| ``tg:{tag}:h:<hour>`` | HLL | tag | distinct accounts using a hashtag in one hour (trends)   |
| ``tg:{tag}:d:<day>``  | HLL | tag | the same per day, the tag's baseline (trends)             |
| ``tc:{<hour>}``       | set | hour | the hashtags used in one hour (trend candidates)         |
| ``td:{<hour>}``       | set | hour | hashtags of posts of that hour deleted since (recounted)  |
| ``nz:{uid}``    | zset   | user   | notification rows: group id -> seq of its latest activity |
| ``ng:{uid}``    | hash   | user   | notification rows: group id -> compact JSON row          |
| ``nh:{uid}:<group>`` | HLL | user | distinct actors of one grouped row (likes, reposts, follows) |
| ``nm:{uid}``    | hash   | user   | notifications meta: ``seq``, ``read`` mark, ``ok`` loaded |
| ``dk:{epoch}``  | string | —      | erasure epoch: INCR'd by each destroyed data key; every |
|                 |        |        | cached data key is checked against it (docs/privacy.md) |

Trends (issue 22): a tag's hour and day counters share the tag's slot, so one PFCOUNT
unions its window's hours. The candidates of an hour are one set: one slot per hour, which
moves on every hour (shard it by tag hash if one hour's writes ever outgrow a node).

A repost's timeline entry has an id of its own (shared.domain.reposts): its ``pb:{entry}`` holds
a pointer to the original (``{"r": pid, "u": reposter, "t": ms}``, no TTL), its ``px``/``pm``
are a post's.
"""

from __future__ import annotations

from collections.abc import Iterable

# The one spelling of each per-post key, as a template: the read round's script receives these
# templates (its post ids are only known once it has merged, so it cannot be handed the keys).
POST_BODY = "pb:{%s}"
TOMBSTONE = "px:{%s}"
CARD = "pc:{%s}"
ENGAGEMENT = "en:{%s}"


def _tagged(prefix: str, ident: str | int) -> str:
    return f"{prefix}:{{{ident}}}"


# ---- per user -------------------------------------------------------------------------------


def home(uid: str) -> str:
    return _tagged("tl", uid)


def home_pieces(uid: str, n: int) -> list[str]:
    """The head ``home(uid)`` and its ``n`` older pieces, newest first (one slot: the user's)."""
    return [f"tl:{{{uid}}}", *(f"tl:{{{uid}}}:{i}" for i in range(1, n + 1))]


def homes(uids: Iterable[str]) -> list[str]:
    """``home(u)`` of each; the writer builds 1,000 per batch, inlined as it is the hot loop."""
    return [f"tl:{{{u}}}" for u in uids]


def own(uid: str) -> str:
    return _tagged("ut", uid)


def own_pieces(uid: str, n: int) -> list[str]:
    """The head ``own(uid)`` and its ``n`` older pieces, newest first (one slot: the user's)."""
    return [f"ut:{{{uid}}}", *(f"ut:{{{uid}}}:{i}" for i in range(1, n + 1))]


def followees(uid: str) -> str:
    return _tagged("fw", uid)


def active(uid: str) -> str:
    return _tagged("act", uid)


def regen_lock(uid: str) -> str:
    return _tagged("rg", uid)


def card(uid: str) -> str:
    return CARD % uid


def author_mode(uid: str) -> str:
    """Present (``1``) when the author has pull-mode posts: readers merge their own timeline."""
    return _tagged("am", uid)


def home_reposts(uid: str) -> str:
    """The originals that have a repost entry in ``home(uid)``, scored by that entry's ms."""
    return _tagged("tr", uid)


def held_reposts(uid: str) -> str:
    """Reposts the de-duplication rule kept out of ``home(uid)``: original -> "entry@ms ..."."""
    return _tagged("th", uid)


def list_post_count(uid: str) -> str:
    """The author's post count cached for list pages (shared.adapters.redis_post_counts)."""
    return _tagged("pn", uid)


def silencing(uid: str) -> str:
    """The user's blocks and mutes, both directions of a block (shared.adapters.redis_silencing)."""
    return _tagged("sl", uid)


def suspension(uid: str) -> str:
    """The cached suspension state of the user (Neo4j holds the truth)."""
    return _tagged("sp", uid)


# ---- per post -------------------------------------------------------------------------------


def post_mode(pid: int | str) -> str:
    return _tagged("pm", pid)


def tombstone(pid: int | str) -> str:
    return TOMBSTONE % pid


def post_body(pid: int | str) -> str:
    return POST_BODY % pid


# ---- trends (distinct accounts per hashtag) ---------------------------------------------------


def trend_hour(tag: str, hour: int) -> str:
    return f"tg:{{{tag}}}:h:{hour}"


def trend_day(tag: str, day: int) -> str:
    return f"tg:{{{tag}}}:d:{day}"


def trend_candidates(hour: int) -> str:
    return f"tc:{{{hour}}}"


def trend_recounts(hour: int) -> str:
    """Tags that lost a post of that hour: their counts are checked against the index."""
    return f"td:{{{hour}}}"


def reposts(pid: int | str) -> str:
    """Who reposted the post: reposter -> "<reposted ms> <entry id>"."""
    return _tagged("rs", pid)


def removed_reposts(pid: int | str) -> str:
    """Un-reposts seen: reposter -> "<guard ms> <entry id>" (late events, redelivery)."""
    return _tagged("rx", pid)


def engagement(pid: int | str) -> str:
    """The post's counters and the records behind them (shared.adapters.redis_engagement)."""
    return ENGAGEMENT % pid


# ---- rate limits (shared/adapters/redis_ratelimit.py) -----------------------------------------


def rate_window_in(prefix: str, subject: str) -> str:
    """A sliding window of the limiter whose keys start with ``prefix``, for ``subject`` (a
    user, an address, a follow pair, or a write-limit window id), tagged by the subject."""
    return f"{prefix}{{{subject}}}"


def rate_window(name: str, subject: str) -> str:
    """The sliding window of limiter ``name`` (e.g. ``posts``) for ``subject``."""
    return rate_window_in(f"rl:{name}:", subject)


# ---- notifications (shared/adapters/redis_notifications.py), tagged by the recipient ----------


def notification_rows(uid: str) -> str:
    """The recipient's rows by position: group id -> seq of its latest activity."""
    return _tagged("nz", uid)


def notification_bodies(uid: str) -> str:
    """The recipient's rows: group id -> compact JSON (shared.domain.notifications)."""
    return _tagged("ng", uid)


def notification_actors(uid: str, group_id: str) -> str:
    """The distinct actors of one grouped row (a HyperLogLog: 12 KB at most, whatever the count)."""
    return f"{_tagged('nh', uid)}:{group_id}"


def notification_actors_restore(uid: str, group_id: str) -> str:
    """Where a durable copy's actors are put back before being merged in (then deleted)."""
    return f"{notification_actors(uid, group_id)}:r"


def notification_meta(uid: str) -> str:
    """``seq`` (the recipient's counter), ``read`` (their read mark), ``ok`` (rows loaded)."""
    return _tagged("nm", uid)


# ---- crypto-shredding (issue 23) --------------------------------------------------------------


def erasure_epoch() -> str:
    """One global counter: bumped by every destroyed data key, read on every cached key's use."""
    return "dk:{epoch}"
