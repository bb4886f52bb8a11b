"""Hybrid retrieval: dense (FAISS) and lexical (BM25, Danish stemming) rankings fused with RRF.

Reciprocal rank fusion needs no score calibration between the two rankings; ``dense_weight`` scales
the dense ranking's votes (2.0 for the multilingual e5 default, which ranks Danish better than BM25
does; 0.3 suited the English MiniLM). e5's cosine similarities are compressed (unrelated Danish text
scores ~0.80–0.87), hence a high ``min_dense_score``; the figures are in ``bench/embedders.py``.

A passage counts as relevant only if it covers enough of the question's rare words
(``min_lexical_coverage``) or is semantically very close (``min_dense_score``); with no relevant
passage the specialist says it found nothing instead of guessing. With a reranking endpoint cleared for
the specialist (``bot.rag.rerank``), the fused candidates are reordered by it, and its ``min_score``,
when set, is the gate.

A question in English meets Danish passages (``cross-lingual``): the Danish lexical analyser cannot read
it, so its lexical ranking (chance matches) is left out and the gate is the dense one, with two
conditions calibrated for e5 across the two languages (similarities run ~0.05 lower):
``min_cross_dense_score`` and ``min_cross_dense_margin`` over the ``CROSS_REFERENCE_RANK``-th best
passage, so a passage must stand out from the sources, not merely be as close as everything is.

A follow-up ("Hvor lang tid tager det?") says too little to be found alone: ``search_in_conversation``
searches it with the previous question too when it carries little information of its own in the
index's terms and few words the sources never use (a new topic), and shows the passages of the question
alone first, so an unrelated new question keeps its own best passage on top. Figures in
``bench/followups.py``.

Remote embeddings and reranking come from the router's turn plan (``ModelRouter.plan_turn``): the
retriever holds no client and chooses no endpoint; a caller that planned the turn passes its plan.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Literal

import numpy as np
from sqlmodel import col, select

from bot import metrics
from bot.llm import EmbeddingGate, EndpointRefused, RerankGate
from bot.locale import question_language
from bot.rag.embeddings import Embedder
from bot.rag.index import IndexStore, SpecialistIndex
from bot.rag.remote_embeddings import RemoteEmbedder
from bot.rag.rerank import reranked
from bot.store import Database
from bot.store.models import Chunk, Source, Specialist, VerifiedAnswer

if TYPE_CHECKING:
    from bot.llm import ModelRouter, TurnPlan

Mode = Literal["hybrid", "dense", "lexical"]
RETRIEVAL_THREADS = 2  # CPU work: more threads than cores only queue for the GIL
RRF_K = 60
CROSS_REFERENCE_RANK = 25  # a cross-lingual passage must stand out from the passage at this rank
FOLLOWUP_MAX_INFORMATION = 12.0  # IDF weight of known stems below which a question may lean on the last
FOLLOWUP_MAX_UNKNOWN = 0.3  # share of a question's weight in unknown stems above which it is a new topic
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Hit:
    chunk_id: int
    text: str
    source: str
    page: int | None
    heading: str | None
    score: float
    dense: float | None = None
    lexical: float | None = None
    rerank: float | None = None
    url: str | None = None  # where the document lives, when it has an address (a connected source)
    modified: str | None = None  # a connected document's own last-modified date (YYYY-MM-DD)
    verified: tuple[str, str] | None = None  # a verified answer: (who vouched for it, the ISO date)


class Retriever:
    def __init__(
        self,
        db: Database,
        indexes: IndexStore,
        embedder: Embedder,
        *,
        min_dense_score: float = 0.865,
        min_lexical_coverage: float = 0.3,
        dense_weight: float = 2.0,
        min_cross_dense_score: float = 0.79,
        min_cross_dense_margin: float = 0.035,
        cross_lingual: bool = True,
        router: ModelRouter | None = None,
        cache_bytes: int = 0,
    ) -> None:
        self.db = db
        self.indexes = indexes
        self.embedder = embedder  # the local one
        self.router = router  # None: local embedding only, no reranking (nothing leaves the process)
        self._remote: dict[int, RemoteEmbedder] = {}
        self.min_dense_score = min_dense_score
        self.min_lexical_coverage = min_lexical_coverage
        self.dense_weight = dense_weight
        self.min_cross_dense_score = min_cross_dense_score
        self.min_cross_dense_margin = min_cross_dense_margin
        self.cross_lingual = cross_lingual  # False: an English question is searched like a Danish one
        self.cache_bytes = cache_bytes  # 0: no bound
        self._executor: ThreadPoolExecutor | None = None
        self._loaded: OrderedDict[str, SpecialistIndex] = OrderedDict()  # least recently used first
        self._sizes: dict[str, int] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    async def asearch(
        self,
        spec: Specialist,
        query: str,
        k: int,
        plan: TurnPlan | None = None,
        previous: str | None = None,
    ) -> list[Hit]:
        """``search`` off the event loop, on retrieval's own threads: it is CPU work (embedding,
        scoring), and waiting behind database calls in the shared pool made it the slow part of a
        busy turn. ``plan``: the turn's plan, so retrieval and the answer use the same endpoints.
        ``previous``: the conversation's previous question (``search_in_conversation``)."""
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=RETRIEVAL_THREADS, thread_name_prefix="retrieval")
        return await asyncio.get_running_loop().run_in_executor(
            self._executor, lambda: self.search_in_conversation(spec, query, previous, k, plan=plan)
        )

    def _plan(self, spec: Specialist, plan: TurnPlan | None) -> TurnPlan | None:
        """The turn's plan when it was made for ``spec``'s classification, else the router's now."""
        if plan is not None and plan.classification == spec.classification:
            return plan
        return self.router.plan_turn(spec.classification) if self.router else None

    def embedder_for(self, spec: Specialist, plan: TurnPlan | None = None) -> Embedder:
        """The embedder cleared for ``spec``'s data: the router's gate for a catalogue endpoint, else
        the local one."""
        gate = planned.embeddings if (planned := self._plan(spec, plan)) else None
        return self._remote_embedder(gate) if gate else self.embedder

    def _remote_embedder(self, gate: EmbeddingGate) -> RemoteEmbedder:
        with self._guard:  # one per gate: it remembers the endpoint's dimension
            remote = self._remote.get(id(gate))
            if remote is None or remote.gate is not gate:
                remote = self._remote[id(gate)] = RemoteEmbedder(gate)
            return remote

    def _lock(self, slug: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(slug, threading.Lock())

    # -- index lifecycle (blocking) ---------------------------------------------------------------
    def index_for(self, spec: Specialist) -> SpecialistIndex | None:
        """The live index, reloaded when another process swapped it, rebuilt when the DB moved on."""
        loaded = self._loaded.get(spec.slug)
        folder = self.indexes.current_folder(spec.slug)
        if loaded is not None and loaded.folder == folder and loaded.version >= spec.content_version:
            self._touch(spec.slug)
            return loaded
        with self._lock(spec.slug):
            folder = self.indexes.current_folder(spec.slug)
            if folder is not None and (loaded is None or loaded.folder != folder):
                metrics.INDEX_CACHE_LOADS.labels("first" if loaded is None else "new_version").inc()
                loaded = self.indexes.load(spec.slug)
            if loaded is None or loaded.version < spec.content_version:
                metrics.INDEX_CACHE_LOADS.labels("rebuilt").inc()
                self.rebuild(spec)
                loaded = self.indexes.load(spec.slug)
            if loaded is not None:
                self._keep(spec.slug, loaded)
            return loaded

    def _touch(self, slug: str) -> None:
        with self._guard:
            if slug in self._loaded:
                self._loaded.move_to_end(slug)
                self._evict()

    def _keep(self, slug: str, index: SpecialistIndex) -> None:
        """Cache ``index`` as the most recently used."""
        with self._guard:
            self._loaded[slug] = index
            self._loaded.move_to_end(slug)
            self._sizes[slug] = index.memory_bytes
            self._evict()

    def _evict(self) -> None:
        """Beyond ``cache_bytes`` the least recently used indexes go (they load again from disk when
        asked); the one just used always stays, however big. Called with ``_guard`` held."""
        total = sum(self._sizes[slug] for slug in self._loaded)
        while self.cache_bytes and total > self.cache_bytes and len(self._loaded) > 1:
            slug, _ = self._loaded.popitem(last=False)
            total -= self._sizes.pop(slug)
        metrics.INDEX_CACHE_BYTES.set(total)

    @property
    def cached(self) -> list[str]:
        """Slugs of the indexes held in memory, least recently used first."""
        with self._guard:
            return list(self._loaded)

    def rebuild(self, spec: Specialist) -> str:
        """Write a fresh index version from the chunks in the database (the source of truth).

        The dense part is built only when every source was embedded by this process's embedder;
        otherwise the index is lexical only (recorded as no embedder) until ``Ingestor.reembed`` has
        brought every source over, so a query vector never meets passages of another model."""
        with self.db.session() as s:
            version = s.get(Specialist, spec.id).content_version if spec.id else 0  # type: ignore[union-attr]
            rows = s.exec(
                select(Chunk.id, Chunk.embedding, Chunk.heading, Chunk.text)
                .where(Chunk.specialist_id == spec.id)
                .order_by(col(Chunk.id))
            ).all()
            models = set(s.exec(select(Source.embedding_model).where(Source.specialist_id == spec.id)).all())
        ids = np.array([r[0] for r in rows], dtype=np.int64)
        embedder = self.embedder_for(spec)
        matching = bool(rows) and models == {embedder.id}
        vectors = (
            np.frombuffer(b"".join(r[1] for r in rows), dtype=np.float32).reshape(len(rows), -1)
            if matching
            else np.zeros((0, 0), dtype=np.float32)
        )
        if matching and vectors.shape[1] != embedder.dimension:  # same name, another model
            vectors, matching = np.zeros((0, 0), dtype=np.float32), False
        texts = [f"{r[2]}\n{r[3]}" if r[2] else r[3] for r in rows]
        folder = self.indexes.write(spec.slug, version, ids, vectors, texts, embedder.id if matching else "")
        with self._guard:
            self._loaded.pop(spec.slug, None)
            self._sizes.pop(spec.slug, None)
        return folder

    def needs_reembed(self, spec: Specialist) -> bool:
        """Some of ``spec``'s sources were embedded by another model than this process's."""
        with self.db.session() as s:
            models = set(s.exec(select(Source.embedding_model).where(Source.specialist_id == spec.id)).all())
        return bool(models - {self.embedder_for(spec).id})

    # -- search (blocking) ------------------------------------------------------------------------
    def reranker_for(self, spec: Specialist, plan: TurnPlan | None = None) -> RerankGate | None:
        """The router's gate to the reranking endpoint cleared for ``spec``'s data, if one is configured."""
        planned = self._plan(spec, plan)
        return planned.rerank if planned else None

    def search_in_conversation(
        self,
        spec: Specialist,
        query: str,
        previous: str | None,
        k: int,
        plan: TurnPlan | None = None,
    ) -> list[Hit]:
        """``query`` searched as a possible follow-up of ``previous`` (the conversation's previous
        question, or None): the passages of ``query`` alone and of both questions together, taken in
        turns (alone first), when ``query`` leans on ``previous``; else ``query`` alone."""
        alone = self.search(spec, query, k, plan=plan)
        if not previous or not previous.strip() or not self.leans_on_previous(spec, query):
            return alone
        joined = self.search(spec, f"{previous}\n{query}", k, plan=plan)
        return _interleave(alone, joined)[:k]

    def leans_on_previous(self, spec: Specialist, query: str) -> bool:
        """``query`` says too little on its own in the index's terms to be found alone, and is not
        about something the sources never mention (a new topic keeps to itself)."""
        index = self.index_for(spec)
        if index is None or index.size == 0:
            return False
        known, unknown = index.lexical.information(query)
        return known < FOLLOWUP_MAX_INFORMATION and unknown < FOLLOWUP_MAX_UNKNOWN

    def search(
        self,
        spec: Specialist,
        query: str,
        k: int,
        mode: Mode = "hybrid",
        gate: bool = True,
        rerank: bool = True,
        plan: TurnPlan | None = None,
    ) -> list[Hit]:
        index = self.index_for(spec)
        if index is None or index.size == 0 or not query.strip():
            return []
        plan = self._plan(spec, plan)
        pool = max(k * 5, 50)
        # a query is embedded only by the model the index was built with (else: lexical alone)
        embedder = self.embedder_for(spec, plan)
        use_dense = mode != "lexical" and index.embedding_model == embedder.id and index.dense.ntotal > 0
        query_vector = self._query_vector(embedder, query) if use_dense else None
        use_dense = query_vector is not None
        dense_pos, dense_sc = (
            index.search_dense(query_vector, pool)
            if query_vector is not None
            else (np.zeros(0, np.int64), np.zeros(0, np.float32))
        )
        # an English question over the Danish analyser: its lexical matches are chance, the dense
        # ranking reads both languages
        cross = self.cross_lingual and use_dense and question_language(query) == "en"
        lex_pos, lex_sc = (
            index.lexical.search(query, pool)
            if mode != "dense" and not cross
            else (np.zeros(0, np.int64), np.zeros(0, np.float32))
        )
        dense = {int(p): float(s) for p, s in zip(dense_pos, dense_sc, strict=True)}
        lexical = {int(p): float(s) for p, s in zip(lex_pos, lex_sc, strict=True)}
        fused: dict[int, float] = {}
        dense_weight = self.dense_weight if mode == "hybrid" else 1.0
        if mode == "dense" and not use_dense:
            return []
        for weight, ranking in ((dense_weight, dense_pos), (1.0, lex_pos)):
            for rank, pos in enumerate(ranking):
                fused[int(pos)] = fused.get(int(pos), 0.0) + weight / (RRF_K + rank + 1)
        reranker = self.reranker_for(spec, plan) if rerank and mode == "hybrid" else None
        limit = max(reranker.spec.candidates, k * 2) if reranker else (k * 2 if gate else k)
        best = sorted(fused.items(), key=lambda item: item[1], reverse=True)[:limit]
        hits = self._hits(index, best, dense, lexical)
        if reranker is not None:
            hits = reranked(reranker, query, hits)
        if gate:
            min_score = reranker.spec.min_score if reranker else None
            reference = float(dense_sc[min(len(dense_sc), CROSS_REFERENCE_RANK) - 1]) if cross else None
            hits = [h for h in hits if self._relevant(index, query, h, min_score, reference)]
            # an answer a person verified comes first when it matches at all (a stable sort)
            hits.sort(key=lambda h: h.verified is None)
        return hits[:k]

    @staticmethod
    def _query_vector(embedder: Embedder, query: str) -> np.ndarray | None:
        """The query's vector; None when the router's gate refused to send it (personal data in block
        mode): the search is then lexical alone, and nothing was sent."""
        try:
            return embedder.encode_query(query)
        except EndpointRefused as exc:
            log.warning("query not embedded, lexical search only: %s", exc)
            return None

    def _relevant(
        self,
        index: SpecialistIndex,
        query: str,
        hit: Hit,
        min_rerank_score: float | None = None,
        cross_reference: float | None = None,
    ) -> bool:
        """``cross_reference``: for a cross-lingual question, the dense score of the passage at
        ``CROSS_REFERENCE_RANK``; the passage must stand out from it (the lexical gate cannot judge)."""
        if min_rerank_score is not None and hit.rerank is not None:
            return hit.rerank >= min_rerank_score
        if cross_reference is not None:
            return (
                hit.dense is not None
                and hit.dense >= self.min_cross_dense_score
                and hit.dense - cross_reference >= self.min_cross_dense_margin
            )
        if hit.dense is not None and hit.dense >= self.min_dense_score:
            return True
        text = f"{hit.heading}\n{hit.text}" if hit.heading else hit.text
        return index.lexical.coverage(query, text) >= self.min_lexical_coverage

    def _hits(
        self,
        index: SpecialistIndex,
        best: list[tuple[int, float]],
        dense: dict[int, float],
        lexical: dict[int, float],
    ) -> list[Hit]:
        if not best:
            return []
        chunk_ids = [int(index.chunk_ids[p]) for p, _ in best]
        verified = VerifiedAnswer
        with self.db.statement() as connection:  # one statement, no BEGIN/ROLLBACK around it
            rows = connection.execute(
                select(
                    Chunk.id,
                    Chunk.text,
                    Chunk.page,
                    Chunk.heading,
                    Source.name,
                    verified.author_name,
                    verified.verified_at,
                    verified.review_at,
                    Source.url,  # a connected document's address and date, in the same statement
                    Source.modified,
                )
                .join(Source, col(Source.id) == Chunk.source_id)
                .outerjoin(
                    verified,
                    (col(verified.specialist_id) == Source.specialist_id)
                    & (col(verified.source_name) == Source.name),
                )
                .where(col(Chunk.id).in_(chunk_ids))
            ).all()
        by_id = {r[0]: r for r in rows}
        now = datetime.now(UTC)
        hits = []
        for (pos, score), chunk_id in zip(best, chunk_ids, strict=True):
            row = by_id.get(chunk_id)
            if row is None:  # removed since the index was built; the next search rebuilds
                continue
            hit = Hit(chunk_id, row[1], row[4], row[2], row[3], score, dense.get(pos), lexical.get(pos))
            if row[8]:
                hit = replace(hit, url=row[8], modified=f"{row[9]:%Y-%m-%d}" if row[9] else None)
            if row[7] is not None:  # a verified answer: served until its review date, cited by its author
                if _aware(row[7]) <= now:
                    continue
                hit = replace(hit, verified=(row[5], _aware(row[6]).date().isoformat()), heading=None)
            hits.append(hit)
        return hits


def _aware(moment: datetime) -> datetime:
    """SQLite gives timestamps back without their zone (they were written in UTC)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _interleave(first: list[Hit], second: list[Hit]) -> list[Hit]:
    """``first`` and ``second`` taken in turns, ``first`` leading, each passage once."""
    out: list[Hit] = []
    seen: set[int] = set()
    for i in range(max(len(first), len(second))):
        for hits in (first, second):
            if i < len(hits) and hits[i].chunk_id not in seen:
                seen.add(hits[i].chunk_id)
                out.append(hits[i])
    return out
