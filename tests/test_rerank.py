"""Reranking is a model too: a ``rerank:`` endpoint reorders a specialist's fused passages only when it
is cleared for the specialist's classification, its ``min_score`` gates, and a failing or lying endpoint
leaves the fused order in place (the answer is never lost to it). Off when the catalogue has none."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiohttp import web

from bot.app import Services
from bot.listen import listen
from bot.llm import ModelRouter
from bot.llm.catalogue import CatalogueError, ModelCatalogue
from bot.rag.evaluation import Case, evaluate
from bot.rag.rerank import RerankError, RerankGate
from bot.services import Actor

SCREEN = "formål=vejledning; data={data}; kilder={kilder}; hjemmel=intern vejledning; dpia=nej; ansvarlig=Bo"
PAS = (
    "# Pas\n\n## Priser\n\nEt pas til en voksen koster 688 kr., og et pas til et barn koster 166 kr.\n\n"
    "## Bestilling\n\nBestil tid til pas hos Borgerservice på aarhus.dk.\n\n"
    "## Ekspres\n\nEkspreslevering af et pas koster 300 kr. ekstra og tager 3 hverdage."
)
SAG = "# Sag\n\nBorgeren Jens Hansen har fået bevilget hjemmehjælp to gange om ugen."


class RecordingReranker:
    """``POST /v1/rerank`` in the Cohere/Jina shape; scores by ``score(query, document)``; records all."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.score: Callable[[str, str], float] = lambda q, d: 0.5
        self.reply: Callable[[list[float]], Any] | None = None
        self.port = 0
        self._runner: web.AppRunner | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    async def start(self) -> RecordingReranker:
        app = web.Application()
        app.router.add_post("/v1/rerank", self._rerank)
        self._runner, self.port = await listen(app)
        return self

    async def stop(self) -> None:
        if self._runner:
            await self._runner.cleanup()

    async def _rerank(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.requests.append(body)
        if "FEJL" in body["query"]:
            return web.json_response({"error": "overloaded"}, status=503)
        scores = [self.score(body["query"], d) for d in body["documents"]]
        if self.reply is not None:
            return web.json_response(self.reply(scores))
        ranked = sorted(enumerate(scores), key=lambda item: item[1], reverse=True)
        return web.json_response(
            {"results": [{"index": i, "relevance_score": s} for i, s in ranked], "model": body["model"]}
        )

    def saw(self, fragment: str) -> bool:
        return any(
            fragment in body["query"] or any(fragment in d for d in body["documents"])
            for body in self.requests
        )


@pytest.fixture
async def endpoint() -> AsyncIterator[RecordingReranker]:
    server = await RecordingReranker().start()
    yield server
    await server.stop()


def _catalogue(tmp_path: Path, endpoint: RecordingReranker, **extra: Any) -> Path:
    path = tmp_path / "models.yaml"
    spec = {"id": "bge", "base_url": endpoint.base_url, "model": "BAAI/bge-reranker-v2-m3"}
    path.write_text(
        yaml.safe_dump(
            {"rerank": {"default": "bge", "models": [{**spec, "max_classification": "intern", **extra}]}},
            allow_unicode=True,
        ),
        encoding="utf-8",
    )
    return path


async def _specialist(services: Services, slug: str, text: str, data: str, kilder: str) -> Any:
    app, who = services.app, Actor("adm")
    app.specialists.create(who, slug.capitalize(), slug=slug)
    app.publishing.screen(who, SCREEN.format(data=data, kilder=kilder), slug)
    outcome = await app.sources.add(who, app.specialists.lookup(who, slug), f"{slug}.md", text.encode())
    assert type(outcome).__name__ == "Added", outcome
    return services.stores.specialists.require(slug)


def _gate(endpoint: RecordingReranker, endpoint_id: str) -> RerankGate:
    """The router's gate to ``endpoint`` (the only way to a rerank endpoint)."""
    spec = {"id": endpoint_id, "base_url": endpoint.base_url, "model": "m"}
    gate = (
        ModelRouter(ModelCatalogue.model_validate({"rerank": {"models": [spec]}}))
        .plan_turn("offentlig")
        .rerank
    )
    assert gate is not None
    return gate


def _express_first(query: str, document: str) -> float:
    return 0.9 if "Ekspres" in document else 0.2


async def test_a_cleared_reranker_reorders_and_an_uncleared_one_never_sees_the_text(
    make_services: Callable[..., Services], endpoint: RecordingReranker, tmp_path: Path, db_url: str
) -> None:
    services = make_services(database_url=db_url, admins="adm", models_file=_catalogue(tmp_path, endpoint))
    endpoint.score = _express_first
    public = await _specialist(services, "pas", PAS, "ingen", "offentlige")
    personal = await _specialist(services, "sager", SAG, "følsomme", "interne")
    search = services.stores.retriever.search
    plain = await asyncio.to_thread(search, public, "Hvad koster et pas?", 3, gate=False, rerank=False)
    assert "688 kr." in plain[0].text and plain[0].rerank is None and endpoint.requests == []
    hits = await asyncio.to_thread(search, public, "Hvad koster et pas?", 3, gate=False)
    assert "Ekspres" in (hits[0].heading or "") and hits[0].rerank == pytest.approx(0.9)
    body = endpoint.requests[-1]
    assert body["model"] == "BAAI/bge-reranker-v2-m3" and body["query"] == "Hvad koster et pas?"
    assert any(d.startswith("Pas › Ekspres\n") for d in body["documents"])  # the heading path travels along
    seen = len(endpoint.requests)
    assert await asyncio.to_thread(search, personal, "Hvor ofte kommer hjemmehjælpen?", 3, gate=False)
    assert len(endpoint.requests) == seen and not endpoint.saw("Jens")  # personfølsom: never sent


async def test_the_rerankers_score_is_the_gate_when_it_has_one(
    make_services: Callable[..., Services], endpoint: RecordingReranker, tmp_path: Path, db_url: str
) -> None:
    catalogue = _catalogue(tmp_path, endpoint, min_score=0.5)
    services = make_services(database_url=db_url, admins="adm", models_file=catalogue)
    endpoint.score = lambda q, d: 0.8 if "pas" in q.lower() and "688" in d else 0.05
    spec = await _specialist(services, "pas", PAS, "ingen", "offentlige")
    search = services.stores.retriever.search
    hits = await asyncio.to_thread(search, spec, "Hvad koster et pas til en voksen?", 5)
    assert [h.rerank for h in hits] == [pytest.approx(0.8)] and "688 kr." in hits[0].text
    assert await asyncio.to_thread(search, spec, "Hvad koster en sofa i IKEA?", 5) == []
    scores = evaluate(
        services.app.answering,
        spec,
        [Case("Hvad koster et pas til en voksen?", ("688 kr.",)), Case("Hvad koster en sofa?", ())],
        "hybrid",
        rerank=True,
    )
    assert (scores.mode, scores.hit1, scores.no_answer_correct, scores.false_no_answer) == (
        "hybrid+rerank",
        1.0,
        1,
        0,
    )
    assert services.app.answering.reranker_id(spec) == "bge:BAAI/bge-reranker-v2-m3"


async def test_a_failing_reranker_keeps_the_fused_order(
    make_services: Callable[..., Services],
    endpoint: RecordingReranker,
    tmp_path: Path,
    db_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    services = make_services(database_url=db_url, admins="adm", models_file=_catalogue(tmp_path, endpoint))
    spec = await _specialist(services, "pas", PAS, "ingen", "offentlige")
    search = services.stores.retriever.search
    expected = await asyncio.to_thread(search, spec, "FEJL Hvad koster et pas?", 3, rerank=False)
    with caplog.at_level(logging.WARNING, logger="bot.rag.retrieval"):
        hits = await asyncio.to_thread(search, spec, "FEJL Hvad koster et pas?", 3)
    assert hits == expected and hits and all(h.rerank is None for h in hits)
    assert "reranking skipped" in caplog.text and "bge" in caplog.text


@pytest.mark.parametrize(
    "reply",
    [
        lambda scores: {"results": [{"index": 7, "relevance_score": 1.0}]},  # an index it was not given
        lambda scores: {
            "results": [{"index": 0, "relevance_score": "NaN"}, {"index": 1, "relevance_score": 1}]
        },
        lambda scores: {"results": [{"index": 0, "relevance_score": 1.0}]},  # a score missing
        lambda scores: {"data": []},
        lambda scores: "ikke json-objekt",
    ],
)
async def test_a_lying_reranker_is_an_error_not_an_order(
    endpoint: RecordingReranker, reply: Callable[[list[float]], Any]
) -> None:
    endpoint.reply = reply
    reranker = _gate(endpoint, "bge")
    with pytest.raises(RerankError, match="rerank endpoint bge"):
        await asyncio.to_thread(reranker.scores, "spørgsmål", ["a", "b"])


async def test_the_native_tei_shape_is_read_too(endpoint: RecordingReranker) -> None:
    endpoint.reply = lambda scores: [{"index": i, "score": s} for i, s in reversed(list(enumerate(scores)))]
    endpoint.score = lambda q, d: {"a": 0.1, "b": 0.7}[d]
    reranker = _gate(endpoint, "tei")
    assert await asyncio.to_thread(reranker.scores, "q", ["a", "b"]) == [0.1, 0.7]


def test_reranking_is_off_without_a_section_and_a_bad_default_is_a_catalogue_error(tmp_path: Path) -> None:
    assert ModelCatalogue.load(None).rerank.models == []
    path = tmp_path / "models.yaml"
    path.write_text("rerank:\n  default: x\n  models: []\n", encoding="utf-8")
    with pytest.raises(CatalogueError, match="rerank"):
        ModelCatalogue.load(path)
