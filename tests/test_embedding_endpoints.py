"""Embedding endpoints are models and see the data: a specialist's passages and questions reach an
``embeddings:`` endpoint only when it is cleared for the specialist's classification; otherwise the
bundled model embeds them in-process. The protocol is checked against llama.cpp's real server."""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from aiohttp import web

from bot.app import Services
from bot.listen import listen
from bot.llm import ModelCatalogue, ModelRouter
from bot.rag.remote_embeddings import RemoteEmbedder
from bot.services import Actor
from tests.conftest import llama_cpp_server

SCREEN = "formål=vejledning; data={data}; kilder={kilder}; hjemmel=intern vejledning; dpia=nej; ansvarlig=Bo"
PUBLIC_TEXT = (
    "# Storskrald\n\nStorskrald hentes den første mandag i måneden. Bestil afhentning senest fredag."
)
PERSONAL_TEXT = "# Sag\n\nBorgeren Jens Hansen har fået bevilget hjemmehjælp to gange om ugen."


class RecordingEmbeddings:
    """``POST /v1/embeddings`` with hashed bag-of-words vectors (so retrieval works), recording inputs."""

    def __init__(self) -> None:
        self.inputs: list[str] = []
        self.port = 0
        self._runner: web.AppRunner | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    async def start(self) -> RecordingEmbeddings:
        app = web.Application()
        app.router.add_post("/v1/embeddings", self._embed)
        self._runner, self.port = await listen(app)
        return self

    async def stop(self) -> None:
        if self._runner:
            await self._runner.cleanup()

    async def _embed(self, request: web.Request) -> web.Response:
        body = await request.json()
        texts = body["input"] if isinstance(body["input"], list) else [body["input"]]
        self.inputs += texts
        data = [{"object": "embedding", "index": i, "embedding": _vector(t)} for i, t in enumerate(texts)]
        return web.json_response({"object": "list", "data": data, "model": body["model"]})

    def saw(self, fragment: str) -> bool:
        return any(fragment in text for text in self.inputs)


def _vector(text: str, dim: int = 64) -> list[float]:
    v = np.zeros(dim, dtype=np.float32)
    for word in re.findall(r"\w+", text.lower()):
        v[int(hashlib.sha256(word.encode()).hexdigest(), 16) % dim] += 1.0
    return (v / max(float(np.linalg.norm(v)), 1e-9)).tolist()


def _off_loop(blocking: Callable[..., Any]) -> Callable[..., Any]:
    """The retriever blocks (the service calls it from a thread); the endpoint runs on this loop."""

    async def call(*args: Any, **kwargs: Any) -> Any:
        return await asyncio.to_thread(blocking, *args, **kwargs)

    return call


@pytest.fixture
async def endpoint() -> AsyncIterator[RecordingEmbeddings]:
    server = await RecordingEmbeddings().start()
    yield server
    await server.stop()


@pytest.fixture
def services(
    make_services: Callable[..., Services], endpoint: RecordingEmbeddings, tmp_path: Path, db_url: str
) -> Services:
    catalogue = tmp_path / "models.yaml"
    catalogue.write_text(
        yaml.safe_dump(
            {
                "embeddings": {
                    "default": "ekstern-emb",
                    "models": [
                        {
                            "id": "ekstern-emb",
                            "base_url": endpoint.base_url,
                            "model": "e5-large",
                            "max_classification": "intern",
                            "query_prefix": "query: ",
                            "passage_prefix": "passage: ",
                        }
                    ],
                }
            },
            allow_unicode=True,
        ),
        encoding="utf-8",
    )
    return make_services(database_url=db_url, admins="adm", models_file=catalogue)


async def _specialist(services: Services, slug: str, text: str, data: str, kilder: str) -> Any:
    app, who = services.app, Actor("adm")
    spec = app.specialists.create(who, slug.capitalize(), slug=slug)
    app.publishing.screen(who, SCREEN.format(data=data, kilder=kilder), slug)
    spec = app.specialists.lookup(who, slug)
    outcome = await app.sources.add(who, spec, f"{slug}.md", text.encode())
    assert type(outcome).__name__ == "Added", outcome
    return services.stores.specialists.require(slug)


async def test_a_cleared_endpoint_embeds_and_an_uncleared_one_never_sees_the_text(
    services: Services, endpoint: RecordingEmbeddings
) -> None:
    public = await _specialist(services, "affald", PUBLIC_TEXT, "ingen", "offentlige")
    personal = await _specialist(services, "sager", PERSONAL_TEXT, "følsomme", "interne")
    assert (public.classification, personal.classification) == ("offentlig", "personfølsom")
    retriever = services.stores.retriever
    search, index_for = _off_loop(retriever.search), _off_loop(retriever.index_for)
    assert endpoint.saw("passage: Storskrald\nStorskrald hentes")
    hits = await search(public, "Hvornår hentes storskrald?", 3, mode="dense", gate=False)
    assert hits and endpoint.saw("query: Hvornår hentes storskrald?")
    assert (await index_for(public)).embedding_model == "ekstern-emb:e5-large"  # recorded with the index
    assert await search(personal, "Hvor ofte kommer hjemmehjælpen til Jens?", 3, gate=False)
    assert not endpoint.saw("Jens") and not endpoint.saw("hjemmehjælp")  # embedded in-process only
    assert (await index_for(personal)).embedding_model == "multilingual-e5-small"


async def test_a_specialist_screened_above_the_endpoint_stops_using_it(
    services: Services, endpoint: RecordingEmbeddings
) -> None:
    spec = await _specialist(services, "affald", PUBLIC_TEXT, "ingen", "offentlige")
    services.app.publishing.screen(Actor("adm"), SCREEN.format(data="cpr", kilder="interne"), "affald")
    spec = services.stores.specialists.require("affald")
    seen = len(endpoint.inputs)
    retriever = services.stores.retriever
    search = _off_loop(retriever.search)
    assert retriever.needs_reembed(spec)
    assert await search(spec, "Hvornår hentes storskrald mandag?", 3)  # lexical meanwhile
    assert len(endpoint.inputs) == seen  # the question did not go to the endpoint
    done = await services.app.sources.reembed(Actor("adm"), "affald")
    assert [(s.slug, n) for s, n in done] == [("affald", 1)] and len(endpoint.inputs) == seen
    hits = await search(spec, "Hvornår hentes storskrald?", 3, mode="dense", gate=False)
    assert hits and len(endpoint.inputs) == seen
    assert (await _off_loop(retriever.index_for)(spec)).embedding_model == "multilingual-e5-small"


def test_an_unknown_embeddings_default_is_a_catalogue_error(tmp_path: Path) -> None:
    from bot.llm.catalogue import CatalogueError, ModelCatalogue

    path = tmp_path / "models.yaml"
    path.write_text("embeddings:\n  default: x\n  models: []\n", encoding="utf-8")
    with pytest.raises(CatalogueError, match="embeddings"):
        ModelCatalogue.load(path)


@pytest.fixture(scope="module")
def llama_embeddings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """llama.cpp's server in embedding mode, on the GGUF the tests already ship."""
    log = tmp_path_factory.mktemp("llama-embed") / "server.log"
    with llama_cpp_server(log, "--embedding", "true", "--n_ctx", "512") as url:
        yield url


@pytest.mark.llm
def test_the_remote_embedder_speaks_the_protocol_of_a_real_server(llama_embeddings: str) -> None:
    spec = {"id": "llama", "base_url": llama_embeddings, "model": "smollm2", "max_classification": "intern"}
    gate = ModelRouter(ModelCatalogue.model_validate({"embeddings": {"models": [spec]}})).plan_turn("intern")
    assert gate.embeddings is not None
    embedder = RemoteEmbedder(gate.embeddings)
    vectors = embedder.encode_passages(["Storskrald hentes mandag.", "Pas koster 688 kr.", "Tredje tekst."])
    assert vectors.shape == (3, embedder.dimension) and embedder.dimension > 16
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert not np.allclose(vectors[0], vectors[1])
    assert len(embedder.embed_query("Hvornår hentes storskrald?")) == embedder.dimension
