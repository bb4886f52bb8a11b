"""Retrieval evaluation as a service: the specialist's own index, with and without its reranker, and
the same sources embedded by other local embedders side by side in one run.

A comparison copies the specialist's stored source files into a throwaway SQLite database and index
folder (deleted afterwards) and ingests them with the other embedder exactly as ingestion does. Only
local embedders (bundled or by path) are accepted, so a comparison sends nothing out of the process;
the gate's thresholds are the configured ones for every embedder (they are calibrated for the default).
"""

from __future__ import annotations

import asyncio
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from bot.domain import AppError, Outcome
from bot.rag.embeddings import E5_SMALL, MINILM, Embedder, shared_embedder
from bot.rag.evaluation import Case, Scores, evaluate
from bot.rag.index import IndexStore
from bot.rag.ingest import Ingestor
from bot.rag.retrieval import Retriever
from bot.services.actor import Actor
from bot.services.answering import AnsweringService
from bot.services.base import Service, Stores
from bot.specialists import SpecialistStore
from bot.store import Database, migrate
from bot.store.models import Specialist

MODES = ("dense", "lexical", "hybrid")


def _local_embedder(name: str) -> bool:
    """A bundled model or a folder on disk: nothing to download, nothing sent out."""
    return name in (E5_SMALL, MINILM) or Path(name).is_dir()


@dataclass
class RetrievalReport:
    specialist: str
    reranker: str | None
    # embedder id -> scores per mode; the specialist's own embedder first
    embedders: dict[str, list[Scores]] = field(default_factory=dict)


class EvaluationService(Service):
    def __init__(self, stores: Stores, answering: AnsweringService) -> None:
        super().__init__(stores)
        self.answering = answering

    async def retrieval(
        self, actor: Actor, ref: str, cases: list[Case], compare: tuple[str, ...] = ()
    ) -> RetrievalReport:
        """hit@1, hit@5, MRR and the gate per mode on ``ref``'s index (plus ``hybrid+rerank`` when a
        reranker is cleared for it), then for each embedder named in ``compare``."""
        spec = self.target(actor, ref)  # edit rights: it reads every source of the specialist
        unknown = await asyncio.to_thread(lambda: [n for n in compare if not _local_embedder(n)])
        if unknown:
            raise AppError(Outcome.INVALID, "embedder_unknown", name=unknown[0])
        own = await asyncio.to_thread(self._scores, self.answering, spec, cases)
        reranker = self.answering.reranker_id(spec)
        if reranker is not None:
            own.append(await asyncio.to_thread(evaluate, self.answering, spec, cases, "hybrid", 5, True))
        report = RetrievalReport(spec.slug, reranker)
        report.embedders[self.stores.retriever.embedder_for(spec).id] = own
        for name in compare:
            s = self.settings
            embedder = shared_embedder(
                name, s.embedding_query_prefix, s.embedding_passage_prefix, s.embedding_threads
            )
            if embedder.id not in report.embedders:
                report.embedders[embedder.id] = await self._with_embedder(spec, embedder, cases)
        return report

    @staticmethod
    def _scores(searcher: AnsweringService | Retriever, spec: Specialist, cases: list[Case]) -> list[Scores]:
        return [evaluate(searcher, spec, cases, mode) for mode in MODES]

    async def _with_embedder(self, spec: Specialist, embedder: Embedder, cases: list[Case]) -> list[Scores]:
        kinds = {s.name: s.kind for s in self.stores.specialists.sources(spec.id)}  # type: ignore[arg-type]
        files = self.stores.specialists.source_files(spec.id)  # type: ignore[arg-type]
        with tempfile.TemporaryDirectory(prefix="aarhusai-eval-") as tmp:
            db = Database(f"sqlite:///{Path(tmp) / 'eval.db'}")
            try:
                await asyncio.to_thread(migrate.upgrade, db)
                live = self.stores.retriever
                retriever = Retriever(
                    db,
                    IndexStore(Path(tmp) / "indexes"),
                    embedder,
                    min_dense_score=live.min_dense_score,
                    min_lexical_coverage=live.min_lexical_coverage,
                    dense_weight=live.dense_weight,
                )
                copy = SpecialistStore(db).create(
                    spec.name,
                    "eval",
                    slug=spec.slug,
                    settings={"chunk_size": spec.chunk_size, "chunk_overlap": spec.chunk_overlap},
                )
                ingestor = Ingestor(
                    db, embedder, retriever, self.settings.max_upload_bytes, self.settings.extract_timeout_s
                )
                for name, data in files:
                    await ingestor.ingest(copy, name, data, "eval", rebuild_index=False, kind=kinds.get(name))
                copy = SpecialistStore(db).require(spec.slug)
                await asyncio.to_thread(retriever.rebuild, copy)
                return await asyncio.to_thread(self._scores, retriever, copy, cases)
            finally:
                db.dispose()
