"""Ingestion: parse → chunk → embed (worker thread, in batches) → store (one transaction) → index.

The database write is a single transaction that replaces a source of the same name, so a failure at
any step leaves the specialist exactly as it was. The index is rebuilt from the database afterwards.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Literal

from sqlmodel import Session, col, delete, func, select

from bot.domain import safe_filename, unique_filename
from bot.llm.pii import Found, remove_cpr
from bot.llm.pii import count as pii_count
from bot.messages import Msg
from bot.rag import chunking, extract, loaders
from bot.rag.embeddings import Embedder
from bot.rag.errors import IngestError
from bot.rag.retrieval import Retriever
from bot.store import Database
from bot.store.models import Chunk, Source, SourceFile, Specialist

Progress = Callable[[int, int], Awaitable[None]]  # (passages embedded, passages in total)


PiiPolicy = Literal["keep", "refuse_cpr", "redact_cpr"]


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
                safe_filename(filename)[0],
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

        ``pii`` is what to do with CPR numbers in the text (``refuse_cpr``: refuse the file;
        ``redact_cpr``: store the text with them removed, not the original file). ``kind`` overrides
        the type the name implies (a redacted source is stored as text)."""
        started = time.monotonic()
        name, altered = safe_filename(filename)
        if altered:  # a name we had to make up or change never silently replaces another source
            name = unique_filename(name, await asyncio.to_thread(self._names, spec))
        self.check_size(name, len(data))
        loaded = await asyncio.to_thread(extract.load_isolated, name, data, self.extract_timeout_s, kind=kind)
        found = pii_count(loaded.texts())
        if found.get("cpr") and pii == "refuse_cpr":
            raise IngestError(name, "personal_data", found=Found(found), name=spec.name)
        if found.get("cpr") and pii == "redact_cpr":
            loaded.rewritten(remove_cpr)
            loaded.kind = "text"  # the original (with the numbers) is not kept
            data = loaded.as_text().encode("utf-8")
            loaded.warnings.append(Msg("cpr_removed", found=Found({"cpr": found["cpr"]})))
        elif found:
            loaded.warnings.append(Msg("pii_in_source", found=Found(found)))
        passages = chunking.split(loaded.sections, spec.chunk_size, spec.chunk_overlap)
        if not passages:
            raise IngestError(name, "no_text")
        vectors = await self._embed([p.index_text for p in passages], progress, spec)
        replaced = await asyncio.to_thread(self._store, spec, name, data, loaded, passages, vectors, actor)
        if rebuild_index:
            await asyncio.to_thread(self.retriever.rebuild, spec)
        return IngestResult(
            name,
            loaded.kind,
            len(passages),
            loaded.pages,
            replaced,
            time.monotonic() - started,
            loaded.warnings,
            found,
        )

    async def _embed(self, texts: list[str], progress: Progress | None, spec: Specialist):  # type: ignore[no-untyped-def]
        """Encode batch by batch on a worker thread, reporting progress on the loop between batches."""
        import numpy as np

        embedder = self.retriever.embedder_for(spec)  # cleared for the specialist's data
        parts = []
        step = embedder.batch_size * 4
        for start in range(0, len(texts), step):
            parts.append(await asyncio.to_thread(embedder.encode_passages, texts[start : start + step]))
            if progress:
                await progress(min(start + step, len(texts)), len(texts))
        return np.concatenate(parts) if parts else np.zeros((0, 0), dtype=np.float32)

    def _names(self, spec: Specialist) -> set[str]:
        with self.db.session() as s:
            return set(s.exec(select(Source.name).where(Source.specialist_id == spec.id)).all())

    def _store(
        self,
        spec: Specialist,
        name: str,
        data: bytes,
        loaded: loaders.LoadedSource,
        passages: list[chunking.Passage],
        vectors,
        actor: str,
    ) -> bool:  # type: ignore[no-untyped-def]
        with self.db.session() as s:
            old = s.exec(
                select(Source).where(Source.specialist_id == spec.id, func.lower(Source.name) == name.lower())
            ).first()
            if old is not None:
                s.exec(delete(Source).where(col(Source.id) == old.id))  # its chunks cascade
                s.flush()
            source = Source(
                specialist_id=spec.id,
                name=name,
                kind=loaded.kind,
                title=(loaded.title or "")[:500] or None,
                size_bytes=len(data),
                sha256=hashlib.sha256(data).hexdigest(),
                pages=loaded.pages,
                chunk_count=len(passages),
                embedding_model=self.retriever.embedder_for(spec).id,
                warnings=json.dumps([str(w) for w in loaded.warnings], ensure_ascii=False),
                added_by=actor,
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
        return old is not None

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

            vectors = await self._embed([text for _, text in chunks], step, spec)
            await asyncio.to_thread(store, source_id, [c for c, _ in chunks], vectors)
            done += len(chunks)
        if work:
            await asyncio.to_thread(self.retriever.rebuild, spec)
        return total

    async def reindex(self, spec: Specialist, progress: Progress | None = None) -> list[IngestResult]:
        """Read every stored source again with the specialist's current chunking and embedding model."""

        def read() -> list[tuple[str, str, bytes, str]]:
            with self.db.session() as s:
                rows = s.exec(
                    select(Source.name, Source.added_by, SourceFile.data, Source.kind)
                    .join(SourceFile, col(SourceFile.source_id) == Source.id)
                    .where(Source.specialist_id == spec.id)
                    .order_by(col(Source.name))
                ).all()
            return [(r[0], r[1], r[2], r[3]) for r in rows]

        results = []
        for name, added_by, data, kind in await asyncio.to_thread(read):
            results.append(
                await self.ingest(spec, name, data, added_by, progress, rebuild_index=False, kind=kind)
            )
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
