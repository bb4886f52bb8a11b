"""The bot the Teams tests talk to over HTTP: one local model on the recording model server, and the
"Regler" specialist (the sick-leave and parking pages) published to the organisation and chosen in the
test's conversations, served on a free loopback port."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from aiohttp import web

from bot.app import Services
from bot.server import start
from tests.conftest import write_catalogue
from tests.support.openai_server import RecordingModelServer

CORPUS = Path(__file__).parents[1] / "data" / "corpus"


async def serve(services: Services) -> tuple[web.AppRunner, str]:
    """Serve the bot on a free loopback port: the runner (to clean up) and the base URL."""
    runner, port = await start(services, "127.0.0.1", 0)
    return runner, f"http://127.0.0.1:{port}"


def local_model(path: Path, model_server: RecordingModelServer, **extra: object) -> Path:
    """A catalogue of one model, ``lokal``, on ``model_server``; no retries, so a test sees each call."""
    model = {"id": "lokal", "name": "Lokal", "base_url": model_server.base_url, "model": "lokal"}
    return write_catalogue(path, {**model, "max_retries": 0, **extra})


async def serve_rules(
    services: Services, owner: str, conversations: Iterable[str], editing: bool = False
) -> tuple[web.AppRunner, str]:
    """Build "Regler" as ``owner`` (who then edits it, when ``editing``), choose it in
    ``conversations``, start serving; the runner (to clean up) and the base URL."""
    spec = services.stores.specialists.create("Regler", owner, slug="regler")
    services.stores.specialists.update(
        spec.id, status="published", sharing="organisation", classification="intern"
    )
    for name in ("sygefravaer.md", "parkering.md"):
        await services.stores.ingestor.ingest(spec, name, (CORPUS / name).read_bytes(), owner)
    if editing:
        services.stores.specialists.set_editing(owner, spec.id)  # type: ignore[arg-type]
    for conversation in conversations:
        services.stores.specialists.select(conversation, spec.id, owner)  # type: ignore[arg-type]
    return await serve(services)
