"""The aiohttp application: ``/api/messages`` (Teams), ``/v1`` and ``/mcp`` (case systems, with API
keys), ``/healthz``, ``/readyz`` and ``/metrics``."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hmac
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from aiohttp import web

from bot import metrics
from bot.config import Settings, host_header_is_loopback
from bot.dispatcher import Dispatcher
from bot.governance.apikeys import ApiKeyStore
from bot.governance.audit import AuditLog
from bot.governance.retention import purge_forever
from bot.governance.roles import RoleStore
from bot.llm import ModelCatalogue, ModelError, ModelRouter
from bot.rag.embeddings import shared_embedder
from bot.rag.index import IndexStore
from bot.rag.ingest import Ingestor
from bot.rag.retrieval import Retriever
from bot.replica import replica_id
from bot.services import SYSTEM, Application, Stores
from bot.specialists import SpecialistStore
from bot.specialists.cases import CaseStore
from bot.store import Database, migrate
from bot.store.conversations import ConversationStore

if TYPE_CHECKING:
    from bot.teams import TeamsBot

log = logging.getLogger(__name__)


@dataclass
class Services:
    """Everything built from the settings once, shared by the server and the local chat.

    The doors' heavy SDKs (the Agents SDK here, MCP, A2A and FastAPI in ``create_app``) are imported
    when a door is first built, not with this module: a CLI command that only reads the database
    starts in about 2 s instead of 5.4 (``tests/test_cli.py`` holds it)."""

    settings: Settings
    stores: Stores
    app: Application
    dispatcher: Dispatcher

    @functools.cached_property
    def teams(self) -> TeamsBot:
        """The Teams door (the Agents SDK), built on first use."""
        from bot.teams import build_teams_bot

        return build_teams_bot(self.settings, self.dispatcher, self.app.delivery)

    @property
    def db(self) -> Database:
        return self.stores.db

    @property
    def router(self) -> ModelRouter:
        return self.stores.router

    def close(self) -> None:
        self.db.dispose()


SERVICES_KEY = web.AppKey("services", Services)


def build_services(settings: Settings) -> Services:
    """Cheap: nothing here loads a model or touches the network (the embedder loads on first use)."""
    db = Database(settings.effective_database_url)
    catalogue = ModelCatalogue.load(settings.models_file)
    router = ModelRouter(catalogue, settings.pii_mode)
    embedder = shared_embedder(
        settings.embedding_model,
        settings.embedding_query_prefix,
        settings.embedding_passage_prefix,
        settings.embedding_threads,
    )
    retriever = Retriever(
        db,
        IndexStore(settings.index_dir),
        embedder,
        min_dense_score=settings.min_dense_score,
        min_lexical_coverage=settings.min_lexical_coverage,
        dense_weight=settings.dense_weight,
        min_cross_dense_score=settings.min_cross_dense_score,
        min_cross_dense_margin=settings.min_cross_dense_margin,
        router=router,  # remote embeddings and reranking only through the router's gates
        cache_bytes=settings.index_cache_mb * 1024 * 1024,
    )
    ingestor = Ingestor(db, embedder, retriever, settings.max_upload_bytes, settings.extract_timeout_s)
    stores = Stores(
        settings=settings,
        db=db,
        specialists=SpecialistStore(db),
        roles=RoleStore(db, settings),
        audit=AuditLog(db),
        conversations=ConversationStore(db),
        router=router,
        retriever=retriever,
        ingestor=ingestor,
        apikeys=ApiKeyStore(db),
        cases=CaseStore(db),
    )
    app = Application.build(stores)
    dispatcher = Dispatcher(app)
    return Services(settings, stores, app, dispatcher)


async def healthz(_request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


def _schema_check(db: Database) -> str:
    """ "ok" when the schema is at this version's head; a replica must not serve a schema it does not
    know (a migration pending, or a database restored from an older backup while it ran)."""
    current = migrate.current_revision(db)
    if current == migrate.head_revision(db):
        return "ok"
    head = migrate.head_revision(db)
    return f"fejl: databasen er på {current or 'ingen version'}, ikke {head} (kør: aarhusai db upgrade)"


async def readyz(request: web.Request) -> web.Response:
    """Ready when the database answers at this version's schema and every configured model endpoint
    is reachable."""
    services = request.app[SERVICES_KEY]
    checks: dict[str, str] = {}
    try:
        await asyncio.to_thread(services.db.ping)
        checks["database"] = "ok"
        checks["migrations"] = await asyncio.to_thread(_schema_check, services.db)
    except Exception as exc:
        checks.setdefault("database", f"fejl: {type(exc).__name__}")
    if not services.router.has_models:
        checks["models"] = "ingen sprogmodel forbundet (kun kilder)"
    for client in services.router.all_clients():
        try:
            await client.check()
            checks[f"model:{client.id}"] = "ok"
        except ModelError as exc:
            checks[f"model:{client.id}"] = f"fejl: {exc.detail or exc}"
    ready = all(v == "ok" or k == "models" for k, v in checks.items())
    return web.json_response(
        {"status": "ready" if ready else "not ready", "checks": checks}, status=200 if ready else 503
    )


async def metrics_endpoint(request: web.Request) -> web.Response:
    """Prometheus text format. Outside local mode it needs ``AARHUSAI_METRICS_TOKEN`` as a Bearer
    token: the port also faces Teams, and the figures say how the service is used."""
    settings = request.app[SERVICES_KEY].settings
    if settings.local_mode:  # open on loopback, but not to a page that rebinds its name to loopback
        if not host_header_is_loopback(request.host):
            return web.json_response({"error": "not found"}, status=404)
    else:
        token = settings.metrics_token
        given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if not token or not hmac.compare_digest(given.encode(), token.encode()):
            return web.json_response({"error": "not found"}, status=404)
    body, content_type = metrics.render()
    return web.Response(body=body, headers={"Content-Type": content_type})


async def _retention(app: web.Application):  # type: ignore[no-untyped-def]
    """The retention purge runs inside the service for as long as it serves."""
    services = app[SERVICES_KEY]
    task = asyncio.create_task(
        purge_forever(
            services.db, services.stores.audit, services.settings.retention_days, replica=replica_id()
        )
    )
    yield
    task.cancel()


async def _reembed(app: web.Application):  # type: ignore[no-untyped-def]
    """Sources embedded by another model than the configured one are embedded again in the
    background; until a specialist is done its search is lexical (never a mismatched vector)."""
    services = app[SERVICES_KEY]

    async def run() -> None:
        try:
            for spec, chunks in await services.app.sources.reembed(SYSTEM):
                log.info("re-embedded %s: %d passages", spec.slug, chunks)
        except Exception:
            log.exception("re-embedding failed; search stays lexical for the specialists not done")

    task = asyncio.create_task(run())
    yield
    task.cancel()


async def _notifications(app: web.Application):  # type: ignore[no-untyped-def]
    """One notification sender per serving process (rows are claimed, so replicas share the work)."""
    from bot.teams.notify import NotificationSender

    services = app[SERVICES_KEY]
    sender = NotificationSender(
        services.teams, services.app.notifications, services.settings.notify_interval_s
    )
    task = asyncio.create_task(sender.run())
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def _digest(app: web.Application):  # type: ignore[no-untyped-def]
    """The weekly insights digest: every replica asks hourly, the one that claims the week writes it."""
    services = app[SERVICES_KEY]
    task = asyncio.create_task(services.app.insights.digest_forever(replica_id()))
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def _connections(app: web.Application):  # type: ignore[no-untyped-def]
    """Connected sources are synced on their schedule by the serving processes (one replica a period)."""
    services = app[SERVICES_KEY]
    task = asyncio.create_task(services.app.connections.run_forever())
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def _loop_lag(app: web.Application):  # type: ignore[no-untyped-def]
    task = asyncio.create_task(metrics.watch_loop_lag())
    yield
    task.cancel()
    await app[SERVICES_KEY].router.aclose()  # the model clients' pools belong to this loop


def create_app(services: Services) -> web.Application:
    from bot.api import add_api_routes
    from bot.rag.grounding import prompt_template
    from bot.teams.http import MAX_ACTIVITY_BYTES, add_message_routes

    prompt_template()  # loaded now, not on the event loop with the first question
    services.router.load_client_libraries()  # the same for the first model call, when there is a model
    app = web.Application(client_max_size=MAX_ACTIVITY_BYTES)
    app[SERVICES_KEY] = services
    app.cleanup_ctx.append(_loop_lag)
    app.cleanup_ctx.append(_retention)
    app.cleanup_ctx.append(_reembed)
    app.cleanup_ctx.append(_notifications)
    app.cleanup_ctx.append(_digest)
    app.cleanup_ctx.append(_connections)
    add_message_routes(app, services.teams)
    add_api_routes(app, services.app)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics_endpoint)
    return app
