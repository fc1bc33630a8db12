"""Keyed commands sent as one plain pipeline per Redis node, every node at once (issue 19).

The engine queues a call's commands on a recorder (a plain redis-py pipeline that is never
executed: its methods build exactly the commands and reply parsers a pipeline would), then
``NodePipelines.execute`` routes each command by its key to the master that serves the key's
slot (the cluster client's slot map; on one Redis, the one server), packs each node's commands
into one buffer, sends every buffer before reading any reply, and parses the replies with the
node client's own parsers.

Why not the cluster client's pipeline: in redis-py 8.1 it asks the server ``COMMAND GETKEYS``
for every ``EVALSHA`` it routes (a round trip per command, ~90 µs of client CPU each; the
writer sends one script per recipient on a cluster, where each recipient is its own slot).
That pipeline stays the fallback: any error here (MOVED or ASK after a failover or resharding,
TRYAGAIN, a dead node, NOSCRIPT) is raised for the caller, which sends the same commands
through the cluster client, which follows redirections and refreshes its slot map. So what is
sent through here must be idempotent: part of it may have run when the error comes.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import redis
from redis.cluster import RedisCluster
from redis.crc import key_slot

try:
    from hiredis import pack_command as _hiredis_pack
except ImportError:  # pragma: no cover - the functions' requirements pin hiredis
    _hiredis_pack = None

Command = tuple[tuple[Any, ...], dict[str, Any]]  # (args, options) as a pipeline stacks them

_SCRIPT_CALLS = frozenset({"EVAL", "EVALSHA", "EVAL_RO", "EVALSHA_RO", "FCALL", "FCALL_RO"})


@lru_cache(maxsize=1 << 16)
def slot(key: str | bytes) -> int:
    """The cluster hash slot of ``key`` (its hash tag's); cached: the engine asks again and
    again for the same users' keys, and CRC16 in a Python loop costs ~1.5 µs a key."""
    return int(key_slot(key.encode() if isinstance(key, str) else key))


def key_of(args: Sequence[Any]) -> Any:
    """The key a command is routed by, or None for a keyless one."""
    name = str(args[0]).upper()
    if name in _SCRIPT_CALLS:
        return args[3] if len(args) > 3 and int(args[2]) > 0 else None
    if name == "OBJECT":
        return args[2] if len(args) > 2 else None
    return args[1] if len(args) > 1 else None


class NodePipelines:
    """One plain pipeline per node for a stack of keyed commands (see the module text)."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self._cluster: RedisCluster[bytes] | None = (
            client if isinstance(client, RedisCluster) else None
        )

    def _default(self) -> redis.Redis[bytes]:
        if self._cluster is None:
            return self._client  # type: ignore[no-any-return]
        node = self._cluster.get_default_node()
        return node.redis_connection  # type: ignore[union-attr,return-value]

    def recorder(self) -> Any:
        """A pipeline to queue commands on; hand its ``command_stack`` to ``execute``."""
        return self._default().pipeline(transaction=False)

    def _node(self, args: Sequence[Any]) -> redis.Redis[bytes]:
        if self._cluster is None:
            return self._client  # type: ignore[no-any-return]
        k = key_of(args)
        if k is None:
            return self._default()
        node = self._cluster.nodes_manager.get_node_from_slot(slot(k))
        conn = node.redis_connection
        if conn is None:  # a node the map knows but never connected to: the fallback does it
            raise redis.exceptions.ConnectionError(f"no connection to {node.name}")
        return conn  # type: ignore[no-any-return]

    def execute(self, stack: Sequence[Command]) -> list[Any]:
        """The replies of ``stack``, in its order; raises on the first error reply or failed
        connection (the connections used are then dropped, not reused half-read)."""
        groups: dict[int, tuple[redis.Redis[bytes], list[int]]] = {}
        for i, (args, _) in enumerate(stack):
            node = self._node(args)
            groups.setdefault(id(node), (node, []))[1].append(i)
        out: list[Any] = [None] * len(stack)
        sent: list[tuple[redis.Redis[bytes], Any, list[int]]] = []
        failed = False
        try:
            for node, idx in groups.values():
                conn = node.connection_pool.get_connection()
                sent.append((node, conn, idx))
                conn.send_packed_command([_pack(conn, [stack[i][0] for i in idx])])
            for node, conn, idx in sent:
                for i in idx:
                    args, opts = stack[i]
                    out[i] = node.parse_response(conn, args[0], **dict(opts))
        except BaseException:
            failed = True
            raise
        finally:
            for node, conn, _ in sent:
                if failed:
                    conn.disconnect()
                node.connection_pool.release(conn)
        return out


def _pack(conn: Any, commands: Sequence[tuple[Any, ...]]) -> bytes:
    """One buffer of RESP commands (hiredis packs in C; redis-py's packer costs ~10 µs a
    command in Python)."""
    if _hiredis_pack is not None:
        try:
            return b"".join(_hiredis_pack(tuple(args)) for args in commands)
        except TypeError:  # an argument hiredis does not pack: redis-py's encoder does
            pass
    return b"".join(b"".join(conn.pack_command(*args)) for args in commands)
