"""Ingestion: parse → scan → chunk → embed (worker thread, in batches) → store (one transaction) → index.

The database write is a single transaction that replaces a source of the same name, so a failure at
any step leaves the specialist exactly as it was. The index is rebuilt from the database afterwards.
Everything read from a file, its name included, is scanned under the specialist's content policy
(``bot.governance.content``) before anything is embedded or stored.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, col, delete, func, select

from bot.domain import AppError, Outcome, safe_filename, unique_filename
from bot.governance import content
from bot.governance.content import PiiPolicy
from bot.llm.errors import EmbeddingEndpointError, EmbeddingRefused
from bot.llm.pii import Found
from bot.messages import Msg
from bot.rag import chunking, extract, loaders
from bot.rag.embeddings import Embedder
from bot.rag.errors import IngestError
from bot.rag.retrieval import Retriever
from bot.store import Database
from bot.store.models import Chunk, Source, SourceFile, Specialist

Progress = Callable[[int, int], Awaitable[None]]  # (passages embedded, passages in total)

__all__ = ["IngestResult", "Ingestor", "PiiPolicy", "Prepared", "Progress"]


@dataclass
class IngestResult:
    source: str
    kind: str
    chunks: int
    pages: int | None
    replaced: bool
    seconds: float
    warnings: list[str | Msg] = field(default_factory=list)
    pii: dict[str, int] = field(default_factory=dict)  # personal data found in the text, per kind


@dataclass
class Read:
    """A file read, scanned under a content policy and split into passages; nothing embedded yet."""

    name: str
    data: bytes
    loaded: loaders.LoadedSource
    passages: list[chunking.Passage]
    found: dict[str, int]  # personal data the file carried, per kind
    held: dict[str, int]  # what of it is stored (the CPR numbers are gone when redacted)
    started: float


@dataclass
class Prepared:
    """A source ready to store: read, scanned, chunked and embedded (``Ingestor.store`` writes it)."""

    read: Read
    vectors: Any  # numpy array, one row per passage
    embedding_model: str

    @property
    def name(self) -> str:
        return self.read.name


class Ingestor:
    def __init__(
        self,
        db: Database,
        embedder: Embedder,
        retriever: Retriever,
        max_bytes: int,
        extract_timeout_s: float = extract.TIMEOUT_S,
    ) -> None:
        self.db = db
        self.embedder = embedder
        self.retriever = retriever
        self.max_bytes = max_bytes
        self.extract_timeout_s = extract_timeout_s

    def check_size(self, filename: str, size: int) -> None:
        if size > self.max_bytes:
            raise IngestError(
                content.scrub_name(safe_filename(filename)[0]),
                "too_large",
                size_mb=size / 1024 / 1024,
                limit_mb=self.max_bytes // (1024 * 1024),
            )

    async def ingest(
        self,
        spec: Specialist,
        filename: str,
        data: bytes,
        actor: str,
        progress: Progress | None = None,
        rebuild_index: bool = True,
        pii: PiiPolicy = "keep",
        kind: str | None = None,
    ) -> IngestResult:
        """Add (or replace) one source. Raises ``IngestError``; stores nothing in that case.

        ``pii`` is what to do with CPR numbers in the file and its name (``refuse_cpr``: refuse the
        file; ``redact_cpr``: store the text and name with them removed, not the original file).
        ``kind`` overrides the type the name implies (a redacted source is stored as text)."""
        prepared = await self.prepare(spec, filename, data, progress, pii=pii, kind=kind)
        replaced = await asyncio.to_thread(self.store, spec, prepared, actor)
        if rebuild_index:
            await asyncio.to_thread(self.db.after_transaction, lambda: self.retriever.rebuild(spec))
        return self.result(prepared, replaced)

    async def prepare(
        self,
        spec: Specialist,
        filename: str,
        data: bytes,
        progress: Progress | None = None,
        *,
        pii: PiiPolicy = "keep",
        kind: str | None = None,
    ) -> Prepared:
        """Read, scan and embed one file for ``spec`` (its classification picks the embedder);
        nothing is stored. Raises ``IngestError``."""
        read = await asyncio.to_thread(self.read, spec, filename, data, pii, kind)
        embedder = self.retriever.embedder_for(spec)
        try:
            vectors = await self._embed(embedder, [p.index_text for p in read.passages], progress)
        except EmbeddingRefused as exc:  # block mode: the endpoint may not see what the file holds
            raise IngestError(
                content.scrub_name(read.name), "embedding_refused", found=Found(exc.kinds)
            ) from None
        except EmbeddingEndpointError as exc:
            raise IngestError(
                content.scrub_name(read.name), "embedding_failed", detail=type(exc).__name__
            ) from None
        return Prepared(read, vectors, embedder.id)

    def read(
        self, spec: Specialist, filename: str, data: bytes, pii: PiiPolicy = "keep", kind: str | None = None
    ) -> Read:
        """Blocking: the safe name, the text, what it carries, the passages. Raises ``IngestError``."""
        started = time.monotonic()
        name, altered = safe_filename(filename)
        self.check_size(name, len(data))
        try:
            loaded = extract.load_isolated(name, data, self.extract_timeout_s, kind=kind)
        except IngestError as exc:  # a refusal never repeats a CPR number from the name
            raise IngestError(content.scrub_name(exc.filename), exc.reason, **exc.values) from None
        found = content.found([name, *loaded.texts()])
        held = found
        if content.outranks(pii, found) and pii == "refuse_cpr":
            raise IngestError(content.scrub_name(name), "personal_data", found=Found(found), name=spec.name)
        if content.outranks(pii, found):  # redact_cpr
            loaded.rewritten(content.scrub)
            loaded.kind = "text"  # the original (with the numbers) is not kept
            data = loaded.as_text().encode("utf-8")
            loaded.warnings.append(Msg("cpr_removed", found=Found({"cpr": found["cpr"]})))
            scrubbed = safe_filename(content.scrub(name))[0]
            name, altered = scrubbed, altered or scrubbed != name
            held = {k: v for k, v in found.items() if k != content.FORBIDDEN_BELOW_PERSONAL_DATA}
        elif found:
            loaded.warnings.append(Msg("pii_in_source", found=Found(found)))
        if altered:  # a name we had to make up or change never silently replaces another source
            name = unique_filename(name, self._names(spec))
        passages = chunking.split(loaded.sections, spec.chunk_size, spec.chunk_overlap)
        if not passages:
            raise IngestError(content.scrub_name(name), "no_text")
        return Read(name, data, loaded, passages, found, held, started)

    def result(self, prepared: Prepared, replaced: bool) -> IngestResult:
        read = prepared.read
        return IngestResult(
            read.name,
            read.loaded.kind,
            len(read.passages),
            read.loaded.pages,
            replaced,
            time.monotonic() - read.started,
            read.loaded.warnings,
            read.found,
        )

    async def _embed(self, embedder: Embedder, texts: list[str], progress: Progress | None):  # type: ignore[no-untyped-def]
        """Encode batch by batch on a worker thread, reporting progress on the loop between batches."""
        import numpy as np

        parts = []
        step = embedder.batch_size * 4
        for start in range(0, len(texts), step):
            parts.append(await asyncio.to_thread(embedder.encode_passages, texts[start : start + step]))
            if progress:
                await progress(min(start + step, len(texts)), len(texts))
        return np.concatenate(parts) if parts else np.zeros((0, 0), dtype=np.float32)

    def _names(self, spec: Specialist) -> set[str]:
        if spec.id is None:
            return set()
        with self.db.session() as s:
            return set(s.exec(select(Source.name).where(Source.specialist_id == spec.id)).all())

    def store(
        self,
        spec: Specialist,
        prepared: Prepared,
        actor: str,
        replaces: int | None = None,
        origin: dict[str, Any] | None = None,
    ) -> bool:
        """Blocking: write ``prepared`` in one transaction, replacing the source of the same name (and
        ``replaces``, a source id, when the name changed). Returns whether one was replaced.
        ``origin``: a connected document's identity (``Source.connection_id``, ``doc_key``, ``url``,
        ``modified``, ``fetched_sha256``), written with it.

        The specialist's row is locked and its content policy asked again here, so a screening that
        lowered its classification while the file was read refuses the file (``IngestError``)."""
        read = prepared.read
        loaded, passages, vectors, data = read.loaded, read.passages, prepared.vectors, read.data
        with self.db.session() as s:
            row = s.get(Specialist, spec.id, with_for_update=True)
            if row is None:
                raise AppError(Outcome.NOT_FOUND, "specialist_gone")
            if content.outranks(content.policy(row.classification, row.source_cpr), read.held):
                found = Found(read.held)
                raise IngestError(content.scrub_name(read.name), "personal_data", found=found, name=row.name)
            old_ids = set(
                s.exec(
                    select(Source.id).where(
                        Source.specialist_id == spec.id, func.lower(Source.name) == read.name.lower()
                    )
                ).all()
            )
            if replaces is not None:
                old_ids.add(replaces)
            if old_ids:
                s.exec(delete(Source).where(col(Source.id).in_(old_ids)))  # their chunks cascade
                s.flush()
            source = Source(
                specialist_id=spec.id,
                name=read.name,
                kind=loaded.kind,
                title=(loaded.title or "")[:500] or None,
                size_bytes=len(data),
                sha256=hashlib.sha256(data).hexdigest(),
                pages=loaded.pages,
                chunk_count=len(passages),
                embedding_model=prepared.embedding_model,
                warnings=json.dumps([str(w) for w in loaded.warnings], ensure_ascii=False),
                added_by=actor,
                **(origin or {}),
            )
            s.add(source)
            s.flush()
            s.add(SourceFile(source_id=source.id, data=data))
            s.add_all(
                [
                    Chunk(
                        source_id=source.id,
                        specialist_id=spec.id,
                        ordinal=p.ordinal,
                        text=p.text,
                        page=p.page,
                        heading=p.heading,
                        embedding=vectors[i].astype("float32").tobytes(),
                    )
                    for i, p in enumerate(passages)
                ]
            )
            _bump_and_commit(s, spec)
        return bool(old_ids)

    def held(self, spec: Specialist) -> list[tuple[int, str, dict[str, int]]]:
        """Blocking: personal data in everything ``spec`` holds, per source (id, name, kinds): its name,
        title, headings and passages (table headers are in the passages)."""
        with self.db.session() as s:
            sources = s.exec(
                select(Source.id, Source.name, Source.title)
                .where(Source.specialist_id == spec.id)
                .order_by(col(Source.name))
            ).all()
            out = []
            for source_id, name, title in sources:
                rows = s.exec(select(Chunk.heading, Chunk.text).where(Chunk.source_id == source_id)).all()
                kinds = content.found([name, title, *(r[0] for r in rows), *(r[1] for r in rows)])
                out.append((source_id, name, kinds))  # type: ignore[arg-type]
        return out

    def redact(self, spec: Specialist, source_id: int, actor: str) -> IngestResult:
        """Blocking: read a stored source again with what ``spec`` may not hold removed from its text,
        headings, title and name; the original bytes are not kept. Replaces it in one transaction."""
        with self.db.session() as s:
            row = s.exec(
                select(Source.name, Source.kind, SourceFile.data)
                .join(SourceFile, col(SourceFile.source_id) == Source.id)
                .where(Source.id == source_id)
            ).one()
        read = self.read(spec, row[0], row[2], "redact_cpr", kind=row[1])
        embedder = self.retriever.embedder_for(spec)
        vectors = embedder.encode_passages([p.index_text for p in read.passages])
        prepared = Prepared(read, vectors, embedder.id)
        self.store(spec, prepared, actor, replaces=source_id)
        return self.result(prepared, True)

    async def reembed(self, spec: Specialist, progress: Progress | None = None) -> int:
        """Embed again, with this process's embedder, every chunk of the sources another model
        embedded; one source per transaction, then one index rebuild. The old index keeps serving
        (lexically, since its vectors are of another model) until the new one is complete and swapped.
        Returns the number of chunks embedded."""
        import numpy as np

        embedder = self.retriever.embedder_for(spec)

        def stale() -> list[tuple[int, list[tuple[int, str]]]]:
            with self.db.session() as s:
                sources = s.exec(
                    select(Source.id).where(
                        Source.specialist_id == spec.id, Source.embedding_model != embedder.id
                    )
                ).all()
                out = []
                for source_id in sources:
                    rows = s.exec(
                        select(Chunk.id, Chunk.heading, Chunk.text)
                        .where(Chunk.source_id == source_id)
                        .order_by(col(Chunk.ordinal))
                    ).all()
                    out.append((source_id, [(r[0], f"{r[1]}\n{r[2]}" if r[1] else r[2]) for r in rows]))
            return out

        def store(source_id: int, chunk_ids: list[int], vectors: np.ndarray) -> None:
            with self.db.session() as s:
                for chunk_id, vector in zip(chunk_ids, vectors, strict=True):
                    chunk = s.get(Chunk, chunk_id)
                    if chunk is not None:
                        chunk.embedding = vector.astype("float32").tobytes()
                        s.add(chunk)
                source = s.get(Source, source_id)
                if source is not None:
                    source.embedding_model = embedder.id
                    s.add(source)
                _bump_and_commit(s, spec)

        work = await asyncio.to_thread(stale)
        total = sum(len(chunks) for _, chunks in work)
        done = 0
        for source_id, chunks in work:

            async def step(n: int, _total: int, before: int = done) -> None:
                if progress:
                    await progress(before + n, total)

            vectors = await self._embed(embedder, [text for _, text in chunks], step)
            await asyncio.to_thread(store, source_id, [c for c, _ in chunks], vectors)
            done += len(chunks)
        if work:
            await asyncio.to_thread(self.retriever.rebuild, spec)
        return total

    async def reindex(
        self, spec: Specialist, progress: Progress | None = None, pii: PiiPolicy = "keep"
    ) -> list[IngestResult]:
        """Read every stored source again with the specialist's current chunking, embedding model and
        content policy (``pii``)."""

        def read() -> list[tuple[int, str, str, bytes, str]]:
            with self.db.session() as s:
                rows = s.exec(
                    select(Source.id, Source.name, Source.added_by, SourceFile.data, Source.kind)
                    .join(SourceFile, col(SourceFile.source_id) == Source.id)
                    .where(Source.specialist_id == spec.id)
                    .order_by(col(Source.name))
                ).all()
            return [(r[0], r[1], r[2], r[3], r[4]) for r in rows]

        results = []
        for source_id, name, added_by, data, kind in await asyncio.to_thread(read):
            prepared = await self.prepare(spec, name, data, progress, pii=pii, kind=kind)
            replaced = await asyncio.to_thread(self.store, spec, prepared, added_by, source_id)
            results.append(self.result(prepared, replaced))
        await asyncio.to_thread(self.retriever.rebuild, spec)
        return results


def _bump_and_commit(session: Session, spec: Specialist) -> None:
    """The specialist's chunks changed: a new content version (every replica's index notices), one commit."""
    row = session.get(Specialist, spec.id)
    assert row is not None
    row.content_version += 1
    session.add(row)
    session.commit()
    spec.content_version = row.content_version
