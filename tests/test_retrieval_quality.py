"""Retrieval on the Danish test corpus (14 municipal guidelines: Markdown, PDF with headings, Word with
tables, intranet HTML; 110 questions + 3 with no answer, 32 more out-of-scope questions, 4 answerable
ones with a greeting or a signature), with the default embedder.

Guards the figures reported for the specialists issue; ``aarhusai eval retrieval`` prints them.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from bot.app import Services
from bot.rag.evaluation import corpus_files, evaluate, read_cases

DATA = Path(__file__).parent / "data"


@pytest.fixture
async def corpus_services(make_services: Callable[..., Services]) -> Services:
    services = make_services()
    spec = services.stores.specialists.create("Regler", "test", slug="regler")
    for path in corpus_files(DATA / "corpus"):
        await services.stores.ingestor.ingest(spec, path.name, path.read_bytes(), "test", rebuild_index=False)
    services.stores.retriever.rebuild(services.stores.specialists.by_id(spec.id))
    return services


def test_cases_file_is_well_formed() -> None:
    cases = read_cases(DATA / "retrieval_cases.jsonl")
    assert len([c for c in cases if c.expect]) >= 100 and len([c for c in cases if not c.expect]) >= 3
    kinds = {p.suffix for p in corpus_files(DATA / "corpus")}
    assert len(corpus_files(DATA / "corpus")) >= 12 and kinds >= {".md", ".pdf", ".docx", ".html"}


async def test_the_multilingual_default_finds_the_answer(corpus_services: Services) -> None:
    spec = corpus_services.stores.specialists.require("regler")
    cases = read_cases(DATA / "retrieval_cases.jsonl")
    retriever = corpus_services.stores.retriever
    dense, lexical, hybrid = (
        evaluate(retriever, spec, cases, mode) for mode in ("dense", "lexical", "hybrid")
    )
    assert lexical.hit5 >= 0.95 and lexical.mrr >= 0.87  # compound splitting (without it: 0.936 / 0.858)
    assert dense.hit5 >= 0.9 and dense.hit1 >= 0.75  # e5 reads Danish (MiniLM: hit@5 0.69, hit@1 0.33)
    assert hybrid.hit1 >= 0.85 and hybrid.hit5 >= 0.97 and hybrid.mrr >= 0.9  # the targets
    assert hybrid.false_no_answer <= 2  # the relevance gate refuses few answerable questions (≤ 2 %)


async def test_the_relevance_gate_on_out_of_scope_questions_and_extra_words(
    corpus_services: Services,
) -> None:
    """35 questions the corpus does not answer, and answerable ones wrapped in a greeting or an
    e-mail signature (which dilute the lexical coverage; the English model refused 1 in 4 of them)."""
    spec = corpus_services.stores.specialists.require("regler")
    retriever = corpus_services.stores.retriever
    outside = [c for c in read_cases(DATA / "retrieval_cases.jsonl") if not c.expect]
    outside += read_cases(DATA / "out_of_scope.jsonl")
    assert len(outside) >= 35
    refused = sum(1 for c in outside if not retriever.search(spec, c.question, 5))
    # measured 66 % (bench/embedders.py): under the 95 %, see bench/README.md; "found nothing"
    assert refused / len(outside) >= 0.6
    for case in read_cases(DATA / "with_extra_words.jsonl"):
        hits = retriever.search(spec, case.question, 5)
        assert hits, case.question
        assert any(all(w.lower() in h.text.lower() for w in case.expect) for h in hits), case.question


async def test_the_retriever_is_a_langchain_retriever(corpus_services: Services) -> None:
    from langchain_core.retrievers import BaseRetriever

    from bot.rag.langchain_retriever import SpecialistRetriever

    spec = corpus_services.stores.specialists.require("regler")
    retriever = SpecialistRetriever(retriever=corpus_services.stores.retriever, specialist=spec, k=3)
    assert isinstance(retriever, BaseRetriever)
    documents = await retriever.ainvoke("Hvad koster et pas til et barn?")
    assert 1 <= len(documents) <= 3 and "166 kr." in documents[0].page_content
    assert documents[0].metadata["source"].endswith(".md") and documents[0].metadata["score"] > 0
    assert set(documents[0].metadata) >= {"source", "page", "heading", "score"}
    assert retriever.invoke("Hvad koster en sofa i IKEA?") == []
