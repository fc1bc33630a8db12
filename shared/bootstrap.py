"""The one place that wires adapters to use cases and use cases to entry points.

One ``Container`` per process builds every dependency once, on first use, so a function only
connects to the services it needs (one Neo4j driver, one Redis pool, one Firestore client).

Each kind of entry point is built one way:
- an HTTP function: ``http_function(name)``, its router built on the first request;
- a Pub/Sub function: ``event_function(name)``, its consumer built on the first message.
``functions/<name>/main.py`` is those few lines and nothing else.

Substituting a dependency (tests, tools) is done one way too: pass it to the container by
name, ``Container(settings, graph=graph_on_a_test_database)``; everything built from the
container then uses it. Unknown names are refused, so a typo cannot silently do nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from typing import TYPE_CHECKING, Any

from shared import config

if TYPE_CHECKING:
    import flask
    import neo4j
    import redis as redis_lib
    from google.cloud import firestore as firestore_lib

    from shared.adapters.firestore_posts import FirestorePosts
    from shared.adapters.neo4j_graph import Neo4jGraph
    from shared.adapters.pubsub import PubSubPublisher
    from shared.adapters.redis_cards import RedisProfileCards
    from shared.adapters.redis_timeline import RedisTimelines
    from shared.entrypoints.http.api import Router
    from shared.ports import AvatarSource
    from shared.usecases.fanout import FanoutPlanner, FollowSync, TimelineWriter
    from shared.usecases.rebuild import TimelineRebuild
    from shared.usecases.timeline import TimelineReader


class Container:
    def __init__(self, settings: config.Settings | None = None, **overrides: Any) -> None:
        self.settings = settings or config.load()
        unknown = sorted(
            n for n in overrides if not isinstance(getattr(type(self), n, None), cached_property)
        )
        if unknown:
            raise TypeError(f"Container has no dependency named {', '.join(unknown)}")
        # cached_property reads the instance dict first: an override is simply "already built".
        self.__dict__.update(overrides)

    # ---- clients -------------------------------------------------------------------------

    @cached_property
    def redis(self) -> redis_lib.Redis[bytes]:
        import redis as redis_lib

        return redis_lib.Redis.from_url(
            self.settings.redis_url, decode_responses=False, health_check_interval=30
        )

    @cached_property
    def neo4j_driver(self) -> neo4j.Driver:
        from neo4j import GraphDatabase

        s = self.settings
        auth = (s.neo4j_user, s.neo4j_password) if s.neo4j_password else None
        return GraphDatabase.driver(s.neo4j_uri, auth=auth)

    @cached_property
    def firestore(self) -> firestore_lib.Client:
        from google.cloud import firestore as firestore_lib

        return firestore_lib.Client(project=self.settings.project_id)

    @cached_property
    def publisher(self) -> PubSubPublisher:
        from shared.adapters.pubsub import PubSubPublisher

        return PubSubPublisher(self.settings.project_id)

    # ---- adapters ------------------------------------------------------------------------

    @cached_property
    def graph(self) -> Neo4jGraph:
        from shared.adapters.neo4j_graph import Neo4jGraph

        graph = Neo4jGraph(self.neo4j_driver, self.settings.neo4j_database)
        graph.ensure_schema()
        return graph

    @cached_property
    def posts(self) -> FirestorePosts:
        from shared.adapters.firestore_posts import FirestorePosts

        return FirestorePosts(self.firestore)

    @cached_property
    def timelines(self) -> RedisTimelines:
        from shared.adapters.redis_timeline import RedisTimelines

        return RedisTimelines(self.redis, self.settings)

    # ---- timelines -----------------------------------------------------------------------

    @cached_property
    def profile_cards(self) -> RedisProfileCards:
        """ports.ProfileCards: put on registration and profile changes, set_avatar on an
        avatar change; the timeline reads them (and fills the missing ones)."""
        from shared.adapters.redis_cards import RedisProfileCards

        return RedisProfileCards(self.redis)

    @cached_property
    def avatars(self) -> AvatarSource:
        # The media repository; read only to fill a missing profile card.
        from shared.services.media import MediaContext

        return MediaContext(self).repo

    @cached_property
    def timeline_reader(self) -> TimelineReader:
        from shared.usecases.timeline import TimelineReader

        return TimelineReader(
            self.timelines, self.graph, self.posts, self.profile_cards, self.avatars
        )

    @cached_property
    def fanout_planner(self) -> FanoutPlanner:
        from shared.usecases.fanout import FanoutPlanner

        return FanoutPlanner(self.timelines, self.graph, self.publisher, self.settings)

    @cached_property
    def timeline_writer(self) -> TimelineWriter:
        from shared.usecases.fanout import TimelineWriter

        return TimelineWriter(self.timelines)

    @cached_property
    def follow_sync(self) -> FollowSync:
        from shared.usecases.fanout import FollowSync

        return FollowSync(self.timelines, self.graph, self.posts, self.settings)

    @cached_property
    def timeline_rebuild(self) -> TimelineRebuild:
        from shared.usecases.rebuild import TimelineRebuild

        return TimelineRebuild(self.timelines, self.graph, self.posts, self.settings)


# ---- entry points ------------------------------------------------------------------------


def _users_router(c: Container) -> Router:
    from shared.services.users import build_router

    return build_router(c)


def _posts_router(c: Container) -> Router:
    from shared.services.posts import build_router

    return build_router(c)


def _timeline_router(c: Container) -> Router:
    from shared.entrypoints.http.timeline import router

    return router(lambda: c.timeline_reader)


def _media_router(c: Container) -> Router:
    from shared.services.media import build_router

    return build_router(c)


HTTP_FUNCTIONS: dict[str, Callable[[Container], Router]] = {
    "users": _users_router,
    "posts": _posts_router,
    "timeline": _timeline_router,
    "media": _media_router,
}


def _fanout_planner(c: Container) -> Callable[[Any], None]:
    from shared.entrypoints.pubsub.consumer import consume

    handle = c.fanout_planner.handle
    return lambda ce: consume(ce, "fanout_planner", handle, c.publisher)


def _timeline_writer(c: Container) -> Callable[[Any], None]:
    from shared.entrypoints.pubsub.consumer import consume

    handle = c.timeline_writer.handle
    return lambda ce: consume(ce, "timeline_writer", handle, c.publisher)


def _follow_sync(c: Container) -> Callable[[Any], None]:
    from shared.entrypoints.pubsub.consumer import consume

    handle = c.follow_sync.handle
    return lambda ce: consume(ce, "follow_sync", handle, c.publisher)


def _media_processor(c: Container) -> Callable[[Any], None]:
    from shared.entrypoints.pubsub.consumer import message_of
    from shared.services.media import processor_from

    processor = processor_from(c)

    def handle(ce: Any) -> None:
        data, attributes, _ = message_of(ce)
        processor.handle_notification(data, attributes)

    return handle


def _outbox_relay(c: Container) -> Callable[[Any], None]:
    from shared.services.outbox import relay_from

    relay = relay_from(c)

    def handle(_tick: Any) -> None:
        # A tick carries nothing: it is not decoded as an event (and never dead-lettered).
        relay.run_once()

    return handle


EVENT_FUNCTIONS: dict[str, Callable[[Container], Callable[[Any], None]]] = {
    "fanout_planner": _fanout_planner,
    "timeline_writer": _timeline_writer,
    "follow_sync": _follow_sync,
    "media_processor": _media_processor,
    "outbox_relay": _outbox_relay,
}


def http_function(
    name: str, c: Container | None = None
) -> Callable[[flask.Request], flask.Response]:
    """The request handler of HTTP function ``name``; nothing connects before the first call."""
    build = HTTP_FUNCTIONS[name]
    built: list[Router] = []

    def handle(request: flask.Request) -> flask.Response:
        if not built:
            built.append(build(c or container()))
        return built[0].dispatch(request)

    return handle


def event_function(name: str, c: Container | None = None) -> Callable[[Any], None]:
    """The CloudEvent handler of Pub/Sub function ``name``, built on the first message."""
    build = EVENT_FUNCTIONS[name]
    built: list[Callable[[Any], None]] = []

    def handle(cloud_event: Any) -> None:
        if not built:
            built.append(build(c or container()))
        built[0](cloud_event)

    return handle


_container: Container | None = None


def container() -> Container:
    """The process's container (functions); tests and tools build their own ``Container``."""
    global _container
    if _container is None:
        _container = Container()
        from shared.observability import setup_logging

        setup_logging(_container.settings.project_id)
    return _container
