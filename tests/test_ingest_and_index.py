"""Ingestion end to end on SQLite and PostgreSQL: stored chunks, replaced sources, nothing half-done,
and the atomic, versioned index swap (including a crash in the middle of a build)."""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlmodel import func, select

from bot.app import Services
from bot.rag.errors import IngestError
from bot.rag.index import IndexStore
from bot.rag.retrieval import Retriever
from bot.services import Actor
from bot.store.models import Chunk, Source, SourceFile, Specialist
from tests.support import documents

CORPUS = Path(__file__).parent / "data" / "corpus"


@pytest.fixture
def services(make_services: Callable[..., Services], db_url: str) -> Services:
    return make_services(database_url=db_url)


def _spec(services: Services, slug: str = "guide") -> Specialist:
    return services.stores.specialists.create("Guide", "builder-1", slug=slug)


def _counts(services: Services, spec: Specialist) -> tuple[int, int, int]:
    with services.db.session() as s:
        sources = s.exec(
            select(func.count()).select_from(Source).where(Source.specialist_id == spec.id)
        ).one()
        chunks = s.exec(select(func.count()).select_from(Chunk).where(Chunk.specialist_id == spec.id)).one()
        files = s.exec(select(func.count()).select_from(SourceFile)).one()
        return sources, chunks, files


async def test_ingest_stores_chunks_with_embeddings_and_builds_a_searchable_index(services: Services) -> None:
    spec = _spec(services)
    data = (CORPUS / "sygefravaer.md").read_bytes()
    steps: list[tuple[int, int]] = []

    async def progress(done: int, total: int) -> None:
        steps.append((done, total))

    result = await services.stores.ingestor.ingest(spec, "sygefravaer.md", data, "builder-1", progress)
    assert result.kind == "markdown" and result.chunks > 3 and not result.replaced
    assert steps and steps[-1] == (result.chunks, result.chunks)
    assert _counts(services, spec) == (1, result.chunks, 1)
    with services.db.session() as s:
        chunk = s.exec(select(Chunk).where(Chunk.specialist_id == spec.id)).first()
        assert chunk is not None and len(chunk.embedding) == 384 * 4 and chunk.heading
    hits = services.stores.retriever.search(services.stores.specialists.by_id(spec.id), "sygesamtale", 3)
    assert hits and "sygesamtale" in hits[0].text.lower() and hits[0].source == "sygefravaer.md"


async def test_pdf_passages_keep_their_page(services: Services) -> None:
    spec = _spec(services)
    data = documents.pdf(["Forside uden meget.", "Genbrugsstationen i Lisbjerg har åbent til kl. 19."])
    await services.stores.ingestor.ingest(spec, "aabningstider.pdf", data, "builder-1")
    [hit] = services.stores.retriever.search(
        services.stores.specialists.by_id(spec.id), "genbrugsstationen Lisbjerg", 1
    )
    assert (hit.source, hit.page) == ("aabningstider.pdf", 2)


async def test_same_name_replaces_the_source_without_duplicates(services: Services) -> None:
    spec = _spec(services)
    ingestor = services.stores.ingestor
    await ingestor.ingest(spec, "regler.md", b"# Regler\n\nGammel regel om cykelparkering.", "builder-1")
    second = await ingestor.ingest(
        spec, "regler.md", b"# Regler\n\nNy regel om el-ladestandere.", "builder-1"
    )
    assert second.replaced
    assert _counts(services, spec)[:2] == (1, 1)
    fresh = services.stores.specialists.by_id(spec.id)
    assert services.stores.retriever.search(fresh, "cykelparkering", 3) == []
    assert services.stores.retriever.search(fresh, "el-ladestandere", 3)


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("tom.md", b""),
        ("skannet.pdf", documents.scanned_pdf()),
        ("laast.pdf", documents.encrypted_pdf("x")),
        ("virus.exe", b"MZ"),
    ],
)
async def test_bad_input_leaves_nothing_behind(services: Services, name: str, data: bytes) -> None:
    spec = _spec(services)
    await services.stores.ingestor.ingest(spec, "god.md", b"# God\n\nEn god kilde om affald.", "builder-1")
    before = (
        _counts(services, spec),
        services.stores.specialists.by_id(spec.id).content_version,
        services.stores.retriever.indexes.current_folder(spec.slug),
    )
    with pytest.raises(IngestError):
        await services.stores.ingestor.ingest(spec, name, data, "builder-1")
    after = (
        _counts(services, spec),
        services.stores.specialists.by_id(spec.id).content_version,
        services.stores.retriever.indexes.current_folder(spec.slug),
    )
    assert after == before


async def test_a_failure_during_embedding_stores_nothing(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = _spec(services)

    def broken(*_a: object, **_k: object) -> None:
        raise RuntimeError("out of memory")

    monkeypatch.setattr(services.stores.ingestor.embedder, "encode_passages", broken)
    with pytest.raises(RuntimeError):
        await services.stores.ingestor.ingest(spec, "a.md", b"# A\n\nTekst om parkering.", "builder-1")
    assert _counts(services, spec) == (0, 0, 0)


async def test_too_large_is_refused_before_parsing(make_services: Callable[..., Services]) -> None:
    services = make_services(max_upload_mb=1)
    spec = _spec(services)
    with pytest.raises(IngestError) as err:
        await services.stores.ingestor.ingest(spec, "stor.txt", b"a" * (1024 * 1024 + 1), "builder-1")
    assert err.value.reason == "too_large" and "grænsen er 1 MB" in err.value.message()


async def test_crash_mid_build_keeps_the_previous_index_in_use(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = _spec(services)
    retriever = services.stores.retriever
    await services.stores.ingestor.ingest(
        spec, "a.md", b"# A\n\nStorskrald hentes hver anden uge.", "builder-1"
    )
    live = retriever.indexes.current_folder(spec.slug)

    real_rename = os.rename

    def crash(src: object, dst: object) -> None:
        raise OSError("power cut")

    monkeypatch.setattr(os, "rename", crash)
    with pytest.raises(OSError):
        await services.stores.ingestor.ingest(
            spec, "b.md", b"# B\n\nBeboerlicens koster 800 kr.", "builder-1"
        )
    monkeypatch.setattr(os, "rename", real_rename)

    base = retriever.indexes.root / spec.slug
    assert retriever.indexes.current_folder(spec.slug) == live  # CURRENT still names the old version
    assert list(base.glob(".tmp-*"))  # the half-built folder is there, and ignored
    # a fresh process (new retriever) serves the old index, then notices the DB moved on and rebuilds
    fresh_spec = services.stores.specialists.by_id(spec.id)
    replica = Retriever(services.db, IndexStore(retriever.indexes.root), retriever.embedder)
    assert replica.search(fresh_spec, "beboerlicens", 3)  # rebuilt from the database (b.md is stored)
    assert retriever.indexes.current_folder(spec.slug) != live
    assert not list(base.glob(".tmp-*"))  # the next build cleared the leftover


async def test_index_can_be_rebuilt_from_the_database_alone(services: Services) -> None:
    spec = _spec(services)
    await services.stores.ingestor.ingest(spec, "a.md", (CORPUS / "parkering.md").read_bytes(), "builder-1")
    retriever = services.stores.retriever
    before = [
        h.chunk_id for h in retriever.search(services.stores.specialists.by_id(spec.id), "kontrolafgift", 3)
    ]
    retriever.indexes.remove(spec.slug)  # the whole index dir is gone (a new pod, a wiped volume)
    fresh = Retriever(services.db, IndexStore(retriever.indexes.root), retriever.embedder)
    assert [
        h.chunk_id for h in fresh.search(services.stores.specialists.by_id(spec.id), "kontrolafgift", 3)
    ] == before


async def test_another_replica_notices_a_new_version(services: Services, tmp_path: Path) -> None:
    spec = _spec(services)
    retriever = services.stores.retriever
    await services.stores.ingestor.ingest(spec, "a.md", b"# A\n\nOm hjemmepleje og klippekort.", "builder-1")
    replica = Retriever(services.db, IndexStore(retriever.indexes.root), retriever.embedder)
    assert replica.search(services.stores.specialists.by_id(spec.id), "klippekort", 3)
    await services.stores.ingestor.ingest(
        spec, "b.md", b"# B\n\nOm storskrald og genbrugsstation.", "builder-1"
    )
    # same volume: the replica reloads the new CURRENT; its own volume: it rebuilds from the DB
    assert replica.search(services.stores.specialists.by_id(spec.id), "genbrugsstation", 3)
    elsewhere = Retriever(services.db, IndexStore(tmp_path / "other-volume"), retriever.embedder)
    assert elsewhere.search(services.stores.specialists.by_id(spec.id), "genbrugsstation", 3)


async def test_removing_a_source_removes_its_passages(services: Services) -> None:
    spec = _spec(services)
    ingestor = services.stores.ingestor
    await ingestor.ingest(spec, "a.md", b"# A\n\nOm udestue og carport.", "builder-1")
    await ingestor.ingest(spec, "b.md", b"# B\n\nOm beboerlicens.", "builder-1")
    services.stores.specialists.remove_source(spec.id, "A.md")  # case-insensitive name
    assert _counts(services, spec)[:2] == (1, 1)
    assert services.stores.retriever.search(services.stores.specialists.by_id(spec.id), "carport", 3) == []


async def test_ingestion_does_not_stall_the_event_loop(services: Services) -> None:
    spec = _spec(services)
    text = "\n\n".join(p.read_text(encoding="utf-8") for p in sorted(CORPUS.glob("*.md")))
    await asyncio.to_thread(services.stores.ingestor.embedder.encode_passages, ["opvarmning"])  # load model
    lags: list[float] = []
    done = threading.Event()

    async def ticker() -> None:
        while not done.is_set():
            start = time.perf_counter()
            await asyncio.sleep(0.01)
            lags.append(time.perf_counter() - start - 0.01)

    tick = asyncio.create_task(ticker())
    await services.stores.ingestor.ingest(spec, "alt.md", text.encode(), "builder-1")
    done.set()
    await tick
    assert len(lags) > 10 and max(lags) < 0.5  # the loop kept turning (the bench measures p99 properly)


async def test_removing_the_last_source_leaves_an_empty_searchable_index(services: Services) -> None:
    spec = _spec(services)
    await services.stores.ingestor.ingest(spec, "a.md", b"# A\n\nOm udestue og carport.", "builder-1")
    services.stores.specialists.remove_source(spec.id, "a.md")
    fresh = services.stores.specialists.by_id(spec.id)
    services.stores.retriever.rebuild(fresh)
    assert services.stores.retriever.search(fresh, "carport", 3) == []
    replica = Retriever(
        services.db, IndexStore(services.stores.retriever.indexes.root), services.stores.retriever.embedder
    )
    assert replica.search(fresh, "carport", 3) == []


def test_large_indexes_switch_to_ivf_and_still_find_nearest_neighbours() -> None:
    import faiss
    import numpy as np

    from bot.rag.index import IVF_FROM, dense_index

    rng = np.random.default_rng(3)
    vectors = rng.standard_normal((IVF_FROM + 500, 32)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    index = dense_index(vectors, 32)
    assert isinstance(index, faiss.IndexIVFFlat)
    _, found = index.search(vectors[:50], 1)
    assert (found[:, 0] == np.arange(50)).mean() >= 0.9  # each vector finds itself
    assert isinstance(dense_index(vectors[:100], 32), faiss.IndexFlatIP)


async def test_a_changed_embedder_never_meets_the_old_vectors_and_re_embeds(
    make_services: Callable[..., Services], db_url: str, tmp_path: Path
) -> None:
    """Sources embedded by MiniLM, then the service restarted on the e5 default (same database and
    index folder): search stays lexical until the re-embedding is done, then dense works again."""
    shared = {"database_url": db_url, "index_dir": tmp_path / "shared-indexes"}
    before = make_services(embedding_model="all-MiniLM-L6-v2", **shared)
    spec = before.stores.specialists.create("Guide", "u1", slug="guide")
    text = "# Storskrald\n\nStorskrald hentes den første mandag i måneden. Bestil afhentning på aarhus.dk."
    await before.stores.ingestor.ingest(spec, "affald.md", text.encode(), "u1")
    after = make_services(**shared)
    retriever = after.stores.retriever
    spec = after.stores.specialists.require("guide")
    assert retriever.embedder.id == "multilingual-e5-small" and retriever.needs_reembed(spec)
    retriever.rebuild(spec)  # what any write triggers: the old vectors are not used for the new model
    assert retriever.search(spec, "Hvornår hentes storskrald?", 3, mode="dense", gate=False) == []
    assert retriever.search(spec, "Hvornår hentes storskrald?", 3)  # lexical still answers
    events: list[tuple[int, int]] = []

    async def progress(done: int, total: int) -> None:
        events.append((done, total))

    done = await after.app.sources.reembed(Actor.cli("drift"), "guide", progress)
    assert [(s.slug, n) for s, n in done] == [("guide", 1)] and events[-1] == (1, 1)
    spec = after.stores.specialists.require("guide")
    assert not retriever.needs_reembed(spec)
    hits = retriever.search(spec, "Hvornår hentes storskrald?", 3, mode="dense", gate=False)
    assert hits and hits[0].dense is not None and hits[0].dense > 0.85
    with after.db.session() as s:
        assert s.exec(select(Source.embedding_model)).all() == ["multilingual-e5-small"]
    assert await after.app.sources.reembed(Actor.cli("drift"), "guide") == []  # nothing left to do
    audited = after.stores.audit.events(action="specialist.reindexed")
    assert audited and '"embedding_model": "multilingual-e5-small"' in audited[-1].details


def test_danish_compounds_are_split_into_known_parts() -> None:
    from bot.rag.lexical import Decompounder, LexicalIndex, tokenize

    texts = [
        "Parkeringstilladelsen koster 500 kr. om året.",
        "En tilladelse til at fælde træer søges hos Natur og Miljø.",
        "Hunden skal føres i snor i parken, og parkering er gratis om søndagen.",
        "Hjælpemiddeldepotet låner rollatorer ud.",
        "Et hjælpemiddel søges digitalt; depotet ligger i Viby.",
    ]
    vocabulary = {t for doc in tokenize(texts) for t in doc}
    parts = Decompounder(vocabulary)
    assert parts.parts(tokenize(["parkeringstilladelsen"])[0][0]) == ("parkering", "tillad")
    assert parts.parts(tokenize(["hjælpemiddeldepotet"])[0][0]) == ("hjælpemiddel", "depot")
    assert parts.parts("snor") == () and parts.parts("søndagen") == ()  # no known parts, no split
    with_parts = LexicalIndex.build(texts)
    positions, _ = with_parts.search("Tilladelse til parkering?", 5)
    assert int(positions[0]) == 0  # the compound holds both words of the question
    without = LexicalIndex.build(texts, decompound=False)
    positions, _ = without.search("Tilladelse til parkering?", 5)
    assert int(positions[0]) != 0


def test_an_index_saved_before_compound_splitting_loads_without_it(tmp_path: Path) -> None:
    from bot.rag.lexical import LexicalIndex

    index = LexicalIndex.build(["Parkeringstilladelsen koster 500 kr.", "Tilladelse til parkering."])
    index.save(tmp_path)
    assert LexicalIndex.load(tmp_path, 2).terms("parkeringstilladelse") == [
        "parkeringstillad",
        "parkering",
        "tillad",
    ]
    (tmp_path / "lexical.json").unlink()
    assert LexicalIndex.load(tmp_path, 2).terms("parkeringstilladelse") == ["parkeringstillad"]


def test_the_fast_tokenizer_and_search_agree_with_bm25s() -> None:
    """``lexical.tokenize`` and ``LexicalIndex.search`` skip bm25s's own wrappers for speed; they must
    give what those wrappers give, on the whole Danish test corpus and its questions."""
    import bm25s
    import numpy as np

    from bot.rag.evaluation import read_cases
    from bot.rag.lexical import DANISH_STOPWORDS, LexicalIndex, _stemmer, tokenize

    texts = [line for p in sorted(CORPUS.glob("*.md")) for line in p.read_text().splitlines() if line.strip()]
    questions = [c.question for c in read_cases(CORPUS.parent / "retrieval_cases.jsonl")]
    reference = bm25s.tokenize(
        texts + questions,
        stopwords=list(DANISH_STOPWORDS),
        stemmer=_stemmer(),
        show_progress=False,
        return_ids=False,
    )
    assert tokenize(texts + questions) == reference
    index = LexicalIndex.build(texts)
    for question in questions:
        positions, scores = index.search(question, 10)
        known = [t for t in index.terms(question) if t in index._retriever.vocab_dict]
        if not known:
            assert len(positions) == 0
            continue
        docs, expected = index._retriever.retrieve([known], k=10, show_progress=False, n_threads=1)
        keep = expected[0] > 0
        assert np.allclose(scores, expected[0][keep]), question
        assert set(positions.tolist()) <= set(docs[0].tolist()) | set(
            np.flatnonzero(index._retriever.get_scores(known) == expected[0][keep].min()).tolist()
        ), question  # the same passages, ties aside
