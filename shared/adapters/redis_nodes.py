"""Keyed commands sent as one plain pipeline per Redis node, every node at once (issue 19).

The engine queues a call's commands on a recorder (a plain redis-py pipeline that is never
executed: its methods build exactly the commands and reply parsers a pipeline would), then
``NodePipelines.execute`` routes each command by its key to the master that serves the key's
slot (the cluster client's slot map; on one Redis, the one server), packs each node's commands
into one buffer, sends every buffer before reading any reply, reads the replies straight off
each connection's hiredis reader and hands them to the node client's own reply callbacks.

Why not the cluster client's pipeline: in redis-py 8.1 it asks the server ``COMMAND GETKEYS``
for every ``EVALSHA`` it routes (a round trip per command, ~90 µs of client CPU each; the
writer sends one script per recipient on a cluster, where each recipient is its own slot).
That pipeline stays the fallback: any error here (MOVED or ASK after a failover or resharding,
TRYAGAIN, a dead node, NOSCRIPT) is raised for the caller, which sends the same commands
through the cluster client, which follows redirections and refreshes its slot map. So what is
sent through here must be idempotent: part of it may have run when the error comes.

Beside the queued commands, ``Lanes`` carry commands the caller packed itself, one lane per
master, each on a connection of its own (the writer's young posts: a ``ZADD`` per recipient,
docs/timeline.md "Lanes"); and a ``wait`` ends every connection's commands with ``WAIT``, so a
durable write returns only once replicated (``ReplicationLag`` otherwise).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import redis
from redis.client import EMPTY_RESPONSE, NEVER_DECODE
from redis.cluster import RedisCluster
from redis.crc import key_slot

try:
    from hiredis import pack_command as _hiredis_pack
except ImportError:  # pragma: no cover - the functions' requirements pin hiredis
    _hiredis_pack = None  # type: ignore[assignment]
try:  # redis-py's hiredis reply parser, read directly by _replies (redis==8.1.0 is pinned)
    from redis._parsers.hiredis import NOT_ENOUGH_DATA as _NOT_ENOUGH_DATA
    from redis._parsers.hiredis import _HiredisParser
except ImportError:  # pragma: no cover
    _HiredisParser = None  # type: ignore[assignment,misc]
    _NOT_ENOUGH_DATA = None

Command = tuple[tuple[Any, ...], dict[str, Any]]  # (args, options) as a pipeline stacks them
SLOTS = 16384


class ReplicationLag(Exception):
    """A node's replicas did not acknowledge the writes in time (``WAIT``): they ran on the
    master, and may be lost if it fails now. Not a ``RedisError``: no fallback resends them;
    the caller fails, so its message is delivered again (the engine's writes are idempotent)."""


Wait = tuple[int, int]  # (replicas, timeout ms) a WAIT at the end of every node's writes asks

_SCRIPT_CALLS = frozenset({"EVAL", "EVALSHA", "EVAL_RO", "EVALSHA_RO", "FCALL", "FCALL_RO"})
# names (as queued: redis-py's upper case, and the engine's own) whose key is not args[1]
_KEY_ELSEWHERE = _SCRIPT_CALLS | {"OBJECT"} | {n.lower() for n in (*_SCRIPT_CALLS, "OBJECT")}


@lru_cache(maxsize=1 << 16)
def slot(key: str | bytes) -> int:
    """The cluster hash slot of ``key`` (its hash tag's); cached: the engine asks again and
    again for the same users' keys, and redis-py finds the hash tag in Python."""
    return int(key_slot(key.encode() if isinstance(key, str) else key))


def key_of(args: Sequence[Any]) -> Any:
    """The key a command is routed by, or None for a keyless one."""
    if args[0] not in _KEY_ELSEWHERE:  # the usual commands: their first argument
        return args[1] if len(args) > 1 else None
    name = str(args[0]).upper()
    if name in _SCRIPT_CALLS:
        return args[3] if len(args) > 3 and int(args[2]) > 0 else None
    return args[2] if len(args) > 2 else None  # OBJECT <subcommand> <key>


class Lanes:
    """One call's commands packed as RESP by the caller, each with an integer reply, in one
    lane per master: ``writes[n]``, whose replies are only checked for errors, then
    ``reads[n]``, whose replies ``execute`` returns, in order, beside the caller's
    ``tags[n]``. The writer's young posts go so, a command or two per recipient: it appends to
    the lane ``index[slot]`` names (``lane(slot)`` when that is -1, not yet known), so routing a
    command costs a list lookup, and nothing per command is parsed or built here."""

    def __init__(self, nodes: NodePipelines) -> None:
        self._nodes = nodes
        self.index = nodes.lane_index  # shared with ``nodes``, which resets it on any error
        k = len(nodes.lane_nodes)
        self.writes: list[list[bytes]] = [[] for _ in range(k)]
        self.reads: list[list[bytes]] = [[] for _ in range(k)]
        self.tags: list[list[Any]] = [[] for _ in range(k)]

    def lane(self, s: int) -> int:
        n = self.index[s]
        if n < 0:
            n = self._nodes.lane_of(s)
        while len(self.writes) <= n:
            self.writes.append([])
            self.reads.append([])
            self.tags.append([])
        return n


class NodePipelines:
    """One plain pipeline per node for a stack of keyed commands (see the module text)."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self._cluster: RedisCluster[bytes] | None = (
            client if isinstance(client, RedisCluster) else None
        )
        # slot -> the client of its master, filled from the cluster client's map as slots are
        # met and forgotten on any error (the fallback then refreshes that map)
        self._masters: dict[int, redis.Redis[bytes]] = {}
        # Lanes' routing: slot -> lane (-1 unknown; reset on any error), lane -> its master
        self.lane_index: list[int] = [-1] * SLOTS
        self.lane_nodes: list[redis.Redis[bytes]] = []

    def lane_of(self, s: int) -> int:
        node = self._client if self._cluster is None else self._masters.get(s) or self._master(s)
        try:
            n = self.lane_nodes.index(node)
        except ValueError:
            n = len(self.lane_nodes)
            self.lane_nodes.append(node)
        self.lane_index[s] = n
        return n

    def _default(self) -> redis.Redis[bytes]:
        if self._cluster is None:
            return self._client  # type: ignore[no-any-return]
        node = self._cluster.get_default_node()
        return node.redis_connection  # type: ignore[union-attr,return-value]

    def recorder(self) -> Any:
        """A pipeline to queue commands on; hand its ``command_stack`` to ``execute``."""
        return self._default().pipeline(transaction=False)

    def _master(self, s: int) -> redis.Redis[bytes]:
        assert self._cluster is not None
        node = self._cluster.nodes_manager.get_node_from_slot(s)  # type: ignore[arg-type]
        if node.redis_connection is None:  # known, never connected: the fallback does it
            raise redis.exceptions.ConnectionError(f"no connection to {node.name}")
        conn: redis.Redis[bytes] = node.redis_connection
        self._masters[s] = conn
        return conn

    def _groups(self, stack: Sequence[Command]) -> list[tuple[redis.Redis[bytes], list[int]]]:
        if self._cluster is None:
            return [(self._client, list(range(len(stack))))]
        groups: dict[redis.Redis[bytes], list[int]] = {}
        masters = self._masters
        for i, (args, _) in enumerate(stack):
            k = key_of(args)
            if k is None:
                node = self._default()
            else:
                s = slot(k)
                node = masters.get(s) or self._master(s)
            idx = groups.get(node)
            if idx is None:
                idx = groups[node] = []
            idx.append(i)
        return list(groups.items())

    def execute(
        self, stack: Sequence[Command], lanes: Lanes | None = None, wait: Wait | None = None
    ) -> tuple[list[Any], list[list[int]]]:
        """The replies of ``stack``, in its order, and of each lane's reads; raises on the first
        error reply or failed connection (the connections used are then dropped, not reused
        half-read). A lane goes on a connection of its own, whose replies are read as bytes
        and split, not parsed one by one. With ``wait``, every connection's commands end with
        ``WAIT replicas timeout`` (it waits for that connection's own writes), and fewer
        replicas than asked raise ``ReplicationLag``."""
        wait_cmd: tuple[Any, ...] = ("WAIT", *wait) if wait else ()
        wait_packed = _resp(b"WAIT", *wait) if wait else b""
        extra = 1 if wait else 0
        acks: list[int] = []
        out: list[Any] = [None] * len(stack)
        asked: list[list[int]] = []
        sent: list[tuple[redis.Redis[bytes], Any, list[int]]] = []  # the stack's connections
        lane_conns: list[tuple[redis.Redis[bytes], Any]] = []
        raw: list[tuple[Any, int, int]] = []
        failed = False
        try:
            for node, idx in self._groups(stack) if stack else ():
                conn = node.connection_pool.get_connection()
                sent.append((node, conn, idx))
                cmds = [stack[i][0] for i in idx]
                conn.send_packed_command([_pack(conn, [*cmds, wait_cmd] if wait else cmds)])
            for n, (w, r) in enumerate(
                zip(lanes.writes, lanes.reads, strict=True) if lanes is not None else ()
            ):
                if not w and not r:
                    raw.append((None, 0, 0))
                    continue
                node = self.lane_nodes[n]
                conn = node.connection_pool.get_connection()
                lane_conns.append((node, conn))
                raw.append((conn, len(w), len(r)))
                conn.send_packed_command([b"".join(w + r) + wait_packed])
            for node, conn, idx in sent:
                callbacks = node.response_callbacks  # case-blind: a Python call a lookup
                known: dict[str, Any] = {}
                replies = _replies(conn, len(idx) + extra)
                if wait:
                    acks.append(int(replies.pop()))
                for i, reply in zip(idx, replies, strict=True):
                    args, opts = stack[i]
                    if opts and (NEVER_DECODE in opts or EMPTY_RESPONSE in opts):
                        raise ValueError(f"{args[0]}: options this path does not parse: {opts}")
                    # what parse_response does, without its per-reply layers
                    name = args[0]
                    cb = (
                        known[name]
                        if name in known
                        else known.setdefault(name, callbacks.get(name))
                    )
                    out[i] = reply if cb is None else cb(reply, **_options(opts))
            for conn, nw, nr in raw:
                got = _int_replies(conn, nw, nr + extra) if conn is not None else []
                if wait and conn is not None:
                    acks.append(got.pop())
                asked.append(got)
            if wait and any(a < wait[0] for a in acks):
                raise ReplicationLag(f"replicas acknowledged {acks}, {wait[0]} asked")
        except BaseException:
            failed = True
            self._masters.clear()
            self.lane_index[:] = [-1] * SLOTS
            raise
        finally:
            for node, conn in [(node, conn) for node, conn, _ in sent] + lane_conns:
                if failed:
                    conn.disconnect()
                node.connection_pool.release(conn)
        return out, asked


def _replies(conn: Any, n: int) -> list[Any]:
    """``n`` replies read off ``conn``; the first error reply is raised. Straight from the
    connection's hiredis reader when it has one (redis-py 8.1's parser: ``_reader``,
    ``read_from_socket``), which costs a C call a reply instead of six Python ones."""
    parser = getattr(conn, "_parser", None)
    reader = getattr(parser, "_reader", None)
    if _HiredisParser is None or not isinstance(parser, _HiredisParser) or reader is None:
        return [conn.read_response() for _ in range(n)]
    out: list[Any] = []
    gets, fill = reader.gets, parser.read_from_socket
    while len(out) < n:
        reply = gets()
        if reply is _NOT_ENOUGH_DATA:
            fill()  # type: ignore[no-untyped-call]
        elif isinstance(reply, Exception):
            raise reply
        else:
            out.append(reply)
    return out


def unpack(packed: bytes) -> tuple[str, ...]:
    """A command's arguments from its RESP bytes, as a lane holds them (arguments without a
    line break, which neither keys nor numbers hold), for the cluster client's fallback."""
    parts = packed.split(b"\r\n")
    return tuple(a.decode() for a in parts[2:-1:2])


def _int_replies(conn: Any, skip: int, n: int) -> list[int]:
    """``skip + n`` integer replies read as bytes off ``conn``'s socket (nothing else is
    pending on it: a connection fresh from its pool), the last ``n`` of them parsed. Each is
    one line (``:12``), as is an error (``-MOVED ...``): so the lines are counted as they
    come, and split once."""
    sock, due = conn._sock, skip + n
    chunks: list[bytes] = []
    lines = 0
    while lines < due:
        data = sock.recv(65536)
        if not data:
            raise redis.exceptions.ConnectionError("connection closed while reading replies")
        chunks.append(data)
        lines += data.count(b"\n")
    body = b"".join(chunks)
    if lines != due or b"-" in body:  # an error reply (no integer here is negative)
        for line in body.split(b"\r\n"):
            if line[:1] == b"-":
                raise conn._parser.parse_error(line[1:].decode("utf-8", "replace"))
        raise redis.exceptions.InvalidResponse(f"{lines} replies where {due} were due")
    if not n:
        return []
    return list(map(int, body.replace(b":", b"").split(b"\r\n")[skip:-1]))


def _options(opts: dict[str, Any]) -> dict[str, Any]:
    """A command's options as its reply parser takes them (``keys`` serves the client cache)."""
    return {k: v for k, v in opts.items() if k != "keys"} if opts else opts


def _resp(*args: bytes | int) -> bytes:
    """A command packed as RESP, for the few this module sends of its own."""
    parts = [b"*%d\r\n" % len(args)]
    for a in args:
        v = a if isinstance(a, bytes) else b"%d" % a
        parts.append(b"$%d\r\n%b\r\n" % (len(v), v))
    return b"".join(parts)


def _pack(conn: Any, commands: Sequence[tuple[Any, ...]]) -> bytes:
    """One buffer of RESP commands (hiredis packs in C; redis-py's packer costs ~10 µs a
    command in Python)."""
    if _hiredis_pack is not None:
        try:
            return b"".join(_hiredis_pack(args) for args in commands)
        except TypeError:  # an argument hiredis does not pack: redis-py's encoder does
            pass
    return b"".join(b"".join(conn.pack_command(*args)) for args in commands)
