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

    from shared.adapters.clients import FirestoreClient, Neo4jDriver, RedisClient
    from shared.adapters.data_keys import FirestoreDataKeys
    from shared.adapters.firebase_accounts import FirebaseAccounts, FirebaseRoles
    from shared.adapters.firestore_account import FirestoreAccountData
    from shared.adapters.firestore_engagement import FirestoreEngagement
    from shared.adapters.firestore_media import MediaRepository
    from shared.adapters.firestore_moderation import FirestoreModeration
    from shared.adapters.firestore_notifications import FirestoreNotifications
    from shared.adapters.firestore_posts import FirestorePosts
    from shared.adapters.gcs_exports import GcsExports
    from shared.adapters.gcs_media import GcsMedia
    from shared.adapters.neo4j_graph import Neo4jGraph
    from shared.adapters.opensearch_search import OpenSearchIndex
    from shared.adapters.pubsub import PubSubPublisher
    from shared.adapters.redis_cards import RedisProfileCards
    from shared.adapters.redis_engagement import RedisEngagement
    from shared.adapters.redis_erasure import RedisErasure
    from shared.adapters.redis_key_epoch import RedisErasureEpoch
    from shared.adapters.redis_notifications import RedisNotifications
    from shared.adapters.redis_ratelimit import RedisRateLimiter
    from shared.adapters.redis_timeline import RedisTimelines
    from shared.adapters.redis_trends import RedisTrends
    from shared.entrypoints.http.api import Router, WriteLimits
    from shared.ports import AvatarSource, PostCounter
    from shared.usecases.account import AccountEraser, AccountExporter, AccountService
    from shared.usecases.conversations import ConversationsReader
    from shared.usecases.engagement import EngagementCounter, EngagementService
    from shared.usecases.fanout import FanoutPlanner, FollowSync, TimelineWriter
    from shared.usecases.media import MediaProcessor, MediaService
    from shared.usecases.moderation import ModerationService
    from shared.usecases.notifications import NotificationsService, Notifier
    from shared.usecases.outbox import TickRelays
    from shared.usecases.posts import PostsService
    from shared.usecases.rebuild import TimelineRebuild
    from shared.usecases.safety import SafetyService, SilencingService, Suspensions
    from shared.usecases.search import SearchIndexer, SearchService
    from shared.usecases.timeline import TimelineReader
    from shared.usecases.users import UsersService


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
    def redis(self) -> RedisClient:
        from shared.adapters.clients import redis_client

        return redis_client(self.settings.redis_url, self.settings.redis_cluster)

    @cached_property
    def neo4j_driver(self) -> Neo4jDriver:
        from shared.adapters.clients import neo4j_driver

        s = self.settings
        return neo4j_driver(s.neo4j_uri, s.neo4j_user, s.neo4j_password)

    @cached_property
    def firestore(self) -> FirestoreClient:
        from shared.adapters.clients import firestore_client

        return firestore_client(self.settings.project_id)

    @cached_property
    def publisher(self) -> PubSubPublisher:
        from shared.adapters.pubsub import PubSubPublisher

        return PubSubPublisher(self.settings.project_id)

    # ---- adapters ------------------------------------------------------------------------

    @cached_property
    def graph(self) -> Neo4jGraph:
        from shared.adapters.neo4j_graph import Neo4jGraph

        # No schema work here: constraints and indexes are a deploy step (shared/migrate.py),
        # not something every cold start of six functions waits for.
        return Neo4jGraph(self.neo4j_driver, self.settings.neo4j_database)

    @cached_property
    def posts(self) -> FirestorePosts:
        from shared.adapters.firestore_posts import FirestorePosts

        # Posts are written sealed with their author's data key (crypto-shredding, issue 23).
        return FirestorePosts(self.firestore, keys=lambda: self.data_keys)

    @cached_property
    def data_keys(self) -> FirestoreDataKeys:
        """Per-user data keys (shared/sealing.py), wrapped by Cloud KMS (a local key beside
        the emulators only)."""
        from shared.adapters.data_keys import FirestoreDataKeys
        from shared.adapters.kms import key_wrapper

        s = self.settings
        return FirestoreDataKeys(
            self.firestore, key_wrapper(s.project_id, s.kms_key_name),
            epoch=lambda: self.erasure_epoch, epoch_every_s=s.data_key_epoch_every_ms / 1000,
        )  # fmt: skip

    @cached_property
    def erasure_epoch(self) -> RedisErasureEpoch:
        """A destroyed data key stops opening in every process at once (docs/privacy.md)."""
        from shared.adapters.redis_key_epoch import RedisErasureEpoch

        return RedisErasureEpoch(self.redis)

    @cached_property
    def timelines(self) -> RedisTimelines:
        from shared.adapters.redis_timeline import RedisTimelines

        return RedisTimelines(self.redis, self.settings)

    # ---- search (issue 22) -------------------------------------------------------------

    @cached_property
    def search_index(self) -> OpenSearchIndex:
        """ports.PostSearchIndex and ports.PeopleIndex (OpenSearch); connects on first use."""
        from shared.adapters.opensearch_search import OpenSearchIndex, opensearch_client

        s = self.settings
        return OpenSearchIndex(
            opensearch_client(s.opensearch_url), s.search_index_prefix,
            shards=s.search_shards, replicas=s.search_replicas,
        )  # fmt: skip

    @cached_property
    def trend_counter(self) -> RedisTrends:
        from shared.adapters.redis_trends import RedisTrends

        return RedisTrends(self.redis)

    @cached_property
    def search_indexer(self) -> SearchIndexer:
        from shared.usecases.search import SearchIndexer

        return SearchIndexer(self.search_index, self.posts, self.trend_counter)

    @cached_property
    def search_service(self) -> SearchService:
        from shared.usecases.search import PeopleDirectory, SearchService

        people = PeopleDirectory(self.profile_cards, self.graph)
        return SearchService(
            self.search_index, self.search_index, self.posts, people, self.trend_counter,
            silencing=self.silencing, suspensions=self.suspensions,
        )  # fmt: skip

    # ---- users ---------------------------------------------------------------------------

    @cached_property
    def users(self) -> UsersService:
        from shared.usecases.users import UsersService

        return UsersService(
            self.graph,
            self.publisher,
            self.posts,
            avatars=self.media_repo,
            cards=self.profile_cards,
            people=self.search_index,
            suspensions=self.suspensions,
            list_counts=self.list_post_counts,
            silencing=self.silencing,
        )

    @cached_property
    def list_post_counts(self) -> PostCounter:
        """The post counts list pages show, cached in Redis for LIST_COUNT_TTL_SECONDS."""
        from shared.adapters.redis_post_counts import CachedListPostCounts

        return CachedListPostCounts(self.redis, self.posts, self.settings.list_count_ttl_s)

    # ---- notifications (issue 21; docs/notifications.md) -------------------------------------

    @cached_property
    def notification_store(self) -> RedisNotifications:
        from shared.adapters.redis_notifications import RedisNotifications

        return RedisNotifications(self.redis)

    @cached_property
    def notification_archive(self) -> FirestoreNotifications:
        from shared.adapters.firestore_notifications import FirestoreNotifications

        return FirestoreNotifications(self.firestore)

    @cached_property
    def notifier(self) -> Notifier:
        from shared.usecases.notifications import Notifier

        return Notifier(
            self.notification_store, self.notification_archive, self.posts,
            self.engagement_records, lambda: self.graph, lambda: self.silencing,
        )  # fmt: skip

    @cached_property
    def notifications(self) -> NotificationsService:
        from shared.usecases.notifications import NotificationsService

        return NotificationsService(
            self.notification_store, self.notification_archive, self.profile_cards,
            lambda: self.graph, lambda: self.silencing,
        )  # fmt: skip

    # ---- safety: blocks, mutes, suspension, moderation (issue 21; docs/safety.md) ---------

    @cached_property
    def silencing(self) -> SilencingService:
        """ports.Silencing: ``silenced(uid, others)``, blocks both ways and mutes; Neo4j the
        truth, one Redis hash per user the fast path."""
        from shared.adapters.neo4j_safety import Neo4jSafety
        from shared.adapters.redis_silencing import RedisSilencing
        from shared.usecases.safety import SilencingService

        return SilencingService(Neo4jSafety(self.graph), RedisSilencing(self.redis))

    @cached_property
    def suspensions(self) -> Suspensions:
        from shared.adapters.neo4j_safety import Neo4jSafety
        from shared.adapters.redis_silencing import RedisSuspensions
        from shared.usecases.safety import Suspensions

        return Suspensions(Neo4jSafety(self.graph), RedisSuspensions(self.redis))

    @cached_property
    def moderation_store(self) -> FirestoreModeration:
        from shared.adapters.firestore_moderation import FirestoreModeration

        return FirestoreModeration(self.firestore)

    @cached_property
    def roles(self) -> FirebaseRoles:
        from shared.adapters.firebase_accounts import FirebaseRoles

        return FirebaseRoles(self.settings.project_id)

    @cached_property
    def moderation(self) -> ModerationService:
        from shared.usecases.moderation import ModerationService

        return ModerationService(
            self.moderation_store, self.suspensions,
            get_post=self.posts.get_post, get_user=self.graph.get_user,
            remove_post=self.posts_service.remove, roles=lambda: self.roles,
        )  # fmt: skip

    @cached_property
    def safety(self) -> SafetyService:
        from shared.usecases.safety import Homes, SafetyService

        return SafetyService(
            self.silencing, self.users.unfollow, self.users.complete, self.graph.get_users,
            homes=Homes(self.timelines, self.follow_sync.sync),
        )  # fmt: skip

    # ---- accounts: erasure and export (issue 23) ------------------------------------------

    @cached_property
    def account_data(self) -> FirestoreAccountData:
        from shared.adapters.firestore_account import FirestoreAccountData

        return FirestoreAccountData(self.firestore)

    @cached_property
    def account(self) -> AccountService:
        from shared.usecases.account import AccountService

        return AccountService(self.graph, self.account_data, self.publisher)

    @cached_property
    def sign_in_accounts(self) -> FirebaseAccounts:
        from shared.adapters.firebase_accounts import FirebaseAccounts

        return FirebaseAccounts(self.settings.project_id)

    @cached_property
    def timeline_erasure(self) -> RedisErasure:
        from shared.adapters.redis_erasure import RedisErasure

        return RedisErasure(self.redis, self.timelines)

    @cached_property
    def account_eraser(self) -> AccountEraser:
        from shared.usecases.account import AccountEraser

        return AccountEraser(
            graph=self.graph, data=self.account_data, timelines=self.timeline_erasure,
            media=self.media_storage, accounts=self.sign_in_accounts, keys=self.data_keys,
            engagement=self.engagement_records, mentions=self.posts, exports=self.export_files,
            notifications=lambda: self.notifications,
        )  # fmt: skip

    @cached_property
    def export_files(self) -> GcsExports:
        from shared.adapters.gcs_exports import GcsExports
        from shared.adapters.gcs_media import storage_client

        s = self.settings
        return GcsExports(storage_client(s.project_id), s.exports_bucket, s.project_id)

    @cached_property
    def exporter(self) -> AccountExporter:
        from shared.usecases.account import AccountExporter

        return AccountExporter(
            graph=self.graph, data=self.account_data, records=self.account_data,
            files=self.export_files, likes=self.engagement_records, avatars=self.media_repo,
            publisher=self.publisher,
        )  # fmt: skip

    # ---- posts and the outbox ------------------------------------------------------------

    @cached_property
    def post_limiter(self) -> RedisRateLimiter:
        from shared.adapters.redis_ratelimit import POSTS_PREFIX, RedisRateLimiter

        s = self.settings
        # Enforced in Redis: every instance of the function shares one window per user.
        return RedisRateLimiter(
            self.redis, POSTS_PREFIX, s.post_rate_limit, s.post_rate_window_seconds
        )

    # ---- write limits (every write route; shared/domain/limits.py) --------------------------

    @cached_property
    def write_limiter(self) -> RedisRateLimiter:
        from shared.adapters.redis_ratelimit import LIMITS_PREFIX, RedisRateLimiter

        # The windows' sizes come with each take_all; this instance's own window is unused.
        return RedisRateLimiter(self.redis, LIMITS_PREFIX, 0, 1)

    @cached_property
    def write_limits(self) -> WriteLimits:
        from shared.domain import limits
        from shared.entrypoints.http.api import WriteLimits

        s = self.settings
        rules = limits.scaled(
            limits.with_overrides(limits.RULES, s.limit_overrides), s.limit_window_max_seconds
        )
        return WriteLimits(self.write_limiter, rules, s.trusted_proxy_hops)

    @cached_property
    def posts_service(self) -> PostsService:
        from shared.usecases.posts import PostsService

        return PostsService(
            self.posts,
            self.publisher,
            # Providers: the graph (schema check, Neo4j) and Cloud Storage are reached only
            # when a request needs them, so a cold start does not wait for them.
            authors=lambda: self.graph,
            limiter=self.post_limiter,
            media=self.media_service,
            media_files=lambda: self.media_service,
            avatars=self.media_repo,
            cards=self.profile_cards,
            on_reply=lambda post: self.engagement.count_reply(post),
            suspensions=lambda: self.suspensions,
            blocks=lambda: self.silencing,
            handles=lambda: self.graph,
        )

    @cached_property
    def outbox_relays(self) -> TickRelays:
        from shared.usecases.outbox import OutboxRelay, TickRelays

        def social() -> int:
            from shared.usecases.users import relay_social_events

            return relay_social_events(self.graph, self.publisher)

        def engagement() -> int:
            from shared.usecases.engagement import EngagementRelay

            return EngagementRelay(self.engagement_records, self.publisher)()

        def export_requests() -> int:  # POST /v1/me/export's events (issue 23)
            return self.exporter.relay()

        return TickRelays(
            OutboxRelay(self.posts, self.publisher), social, engagement, exports=export_requests
        )

    # ---- conversations: likes, reposts, counts, threads -------------------------------------

    @cached_property
    def engagement_records(self) -> FirestoreEngagement:
        from shared.adapters.firestore_engagement import FirestoreEngagement

        return FirestoreEngagement(self.firestore)

    @cached_property
    def engagement_counters(self) -> RedisEngagement:
        from shared.adapters.redis_engagement import RedisEngagement

        return RedisEngagement(self.redis)

    @cached_property
    def engagement(self) -> EngagementService:
        from shared.usecases.engagement import EngagementService

        return EngagementService(
            self.engagement_records, self.engagement_counters, self.posts, self.publisher
        )

    @cached_property
    def engagement_counter(self) -> EngagementCounter:
        from shared.usecases.engagement import EngagementCounter

        return EngagementCounter(self.engagement)

    @cached_property
    def conversations(self) -> ConversationsReader:
        from shared.usecases.conversations import ConversationsReader

        return ConversationsReader(
            self.posts, self.engagement_records, self.engagement, self.timeline_reader, self.graph
        )

    # ---- media ---------------------------------------------------------------------------

    @cached_property
    def media_storage(self) -> GcsMedia:
        from shared.adapters.gcs_media import GcsMedia, storage_client

        s = self.settings
        return GcsMedia(storage_client(s.project_id), s.uploads_bucket, s.media_bucket)

    @cached_property
    def media_repo(self) -> MediaRepository:
        """The media records; also the AvatarSource of users, posts and timelines."""
        from shared.adapters.firestore_media import MediaRepository

        return MediaRepository(self.firestore, self.settings.media_base_url)

    @cached_property
    def media_upload_limiter(self) -> RedisRateLimiter:
        from shared.adapters.redis_ratelimit import UPLOADS_PREFIX, RedisRateLimiter

        # In Redis: every instance of the function shares one sliding hour per user.
        return RedisRateLimiter(
            self.redis, UPLOADS_PREFIX, self.settings.media_uploads_per_hour, 3600
        )

    @cached_property
    def media_service(self) -> MediaService:
        from shared.usecases.media import MediaService

        return MediaService(
            self.media_repo,
            self.media_storage,
            self.media_upload_limiter,
            uploads_per_hour=self.settings.media_uploads_per_hour,
            cards=self.profile_cards,
        )

    @cached_property
    def media_processor(self) -> MediaProcessor:
        from shared.usecases.media import MediaProcessor

        return MediaProcessor(self.media_repo, self.media_storage)

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
        return self.media_repo

    @cached_property
    def timeline_reader(self) -> TimelineReader:
        from shared.usecases.timeline import TimelineReader

        return TimelineReader(
            self.timelines, self.graph, self.posts, self.profile_cards, self.avatars,
            engagement=self.engagement, silencing=self.silencing, suspensions=self.suspensions,
        )  # fmt: skip

    @cached_property
    def fanout_planner(self) -> FanoutPlanner:
        from shared.usecases.fanout import FanoutPlanner

        return FanoutPlanner(
            self.timelines, self.graph, self.publisher, self.settings, self.posts,
            records=self.engagement_records,
        )  # fmt: skip

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

        return TimelineRebuild(
            self.timelines, self.graph, self.posts, self.settings, self.engagement_records
        )


# ---- entry points ------------------------------------------------------------------------


def _users_router(c: Container) -> Router:
    from shared.entrypoints.http.users import router

    return router(
        c.users, account=lambda: c.account, exporter=lambda: c.exporter,
        safety_service=lambda: c.safety, moderation=lambda: c.moderation,
        suspensions=lambda: c.suspensions,
    )  # fmt: skip


def _posts_router(c: Container) -> Router:
    from shared.entrypoints.http.posts import router

    return router(c.posts_service, lambda: c.engagement)


def _timeline_router(c: Container) -> Router:
    from shared.entrypoints.http.timeline import router

    return router(lambda: c.timeline_reader, lambda: c.conversations)


def _media_router(c: Container) -> Router:
    from shared.entrypoints.http import media

    return media.router(c.media_service)


def _search_router(c: Container) -> Router:
    from shared.entrypoints.http.search import router

    return router(lambda: c.search_service)


def _notifications_router(c: Container) -> Router:
    from shared.entrypoints.http.notifications import router

    return router(lambda: c.notifications)


HTTP_FUNCTIONS: dict[str, Callable[[Container], Router]] = {
    "users": _users_router,
    "posts": _posts_router,
    "timeline": _timeline_router,
    "media": _media_router,
    "search": _search_router,
    "notifications": _notifications_router,
}


def _fanout_planner(c: Container) -> Callable[[Any], None]:
    from shared.entrypoints.pubsub.consumer import consume

    handle = c.fanout_planner.handle
    return lambda ce: consume(ce, "fanout_planner", handle, c.publisher, keys=lambda: c.data_keys)


def _timeline_writer(c: Container) -> Callable[[Any], None]:
    from shared.entrypoints.pubsub.consumer import consume

    handle = c.timeline_writer.handle
    return lambda ce: consume(ce, "timeline_writer", handle, c.publisher, keys=lambda: c.data_keys)


def _follow_sync(c: Container) -> Callable[[Any], None]:
    from shared.entrypoints.pubsub.consumer import consume

    handle = c.follow_sync.handle
    return lambda ce: consume(ce, "follow_sync", handle, c.publisher, keys=lambda: c.data_keys)


def _account_eraser(c: Container) -> Callable[[Any], None]:
    from shared.entrypoints.pubsub.consumer import consume

    handle = c.account_eraser.handle
    return lambda ce: consume(ce, "account_eraser", handle, c.publisher)


def _account_exporter(c: Container) -> Callable[[Any], None]:
    from shared.entrypoints.pubsub.consumer import consume

    handle = c.exporter.handle
    return lambda ce: consume(ce, "account_exporter", handle, c.publisher)


def _engagement_counter(c: Container) -> Callable[[Any], None]:
    from shared.entrypoints.pubsub.consumer import consume

    handle = c.engagement_counter.handle
    return lambda ce: consume(ce, "engagement_counter", handle, c.publisher)


def _post_counter(c: Container) -> Callable[[Any], None]:
    from shared.entrypoints.pubsub.consumer import consume

    handle = c.engagement_counter.handle
    return lambda ce: consume(ce, "post_counter", handle, c.publisher, keys=lambda: c.data_keys)


def _search_indexer(c: Container) -> Callable[[Any], None]:
    from shared.entrypoints.pubsub.consumer import consume

    handle = c.search_indexer.handle
    # post-events carries sealed PostCreated (issue 23): consume() opens them first. (The
    # indexer itself reads the post from the store, but an unopened event would be retried.)
    return lambda ce: consume(ce, "search_indexer", handle, c.publisher, keys=lambda: c.data_keys)


def _notifier(c: Container) -> Callable[[Any], None]:
    from shared.entrypoints.pubsub.consumer import consume

    handle = c.notifier.handle
    # post-events carries sealed PostCreated: consume() opens them (the notifier itself reads
    # the stored post, but an unopened event would be retried).
    return lambda ce: consume(ce, "notifier", handle, c.publisher, keys=lambda: c.data_keys)


def _media_processor(c: Container) -> Callable[[Any], None]:
    from shared.entrypoints.pubsub.media_processor import consume_notification

    processor, dead_letters = c.media_processor, c.publisher

    def handle(ce: Any) -> None:
        consume_notification(ce, processor, dead_letters)

    return handle


def _outbox_relay(c: Container) -> Callable[[Any], None]:
    from shared.entrypoints.pubsub.outbox_relay import tick_handler

    return tick_handler(c.outbox_relays)


EVENT_FUNCTIONS: dict[str, Callable[[Container], Callable[[Any], None]]] = {
    "fanout_planner": _fanout_planner,
    "timeline_writer": _timeline_writer,
    "follow_sync": _follow_sync,
    "search_indexer": _search_indexer,
    "media_processor": _media_processor,
    "outbox_relay": _outbox_relay,
    "account_eraser": _account_eraser,
    "engagement_counter": _engagement_counter,
    "post_counter": _post_counter,
    "notifier": _notifier,
    "account_exporter": _account_exporter,
}


def http_function(
    name: str, c: Container | None = None
) -> Callable[[flask.Request], flask.Response]:
    """The request handler of HTTP function ``name``; nothing connects before the first call."""
    build = HTTP_FUNCTIONS[name]
    built: list[Router] = []

    def handle(request: flask.Request) -> flask.Response:
        if not built:
            cont = c or container()
            router = build(cont)
            router.limits = cont.write_limits  # every write route's limits, one mechanism
            built.append(router)
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
