"""The embedding models load offline from their installed packages, give normalised vectors, apply
configured prefixes, and speak LangChain's ``Embeddings`` interface."""

import numpy as np
import pytest
from langchain_core.embeddings import Embeddings

from bot.rag.embeddings import (
    E5_SMALL,
    MINILM,
    Embedder,
    QueryCache,
    SentenceTransformerEmbedder,
    shared_embedder,
)


def test_the_default_is_the_bundled_multilingual_e5() -> None:
    embedder = shared_embedder(None)
    assert embedder.id == E5_SMALL and isinstance(embedder, Embeddings)
    vectors = embedder.encode_passages(["Storskrald hentes hver anden uge.", "Beboerlicens til parkering."])
    assert vectors.shape == (2, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    question = embedder.encode_query("Hvornår bliver storskraldet hentet?")[0]
    assert question @ vectors[0] > question @ vectors[1]  # it reads Danish
    assert np.allclose(embedder.embed_query("affald"), embedder.encode_query("affald")[0], atol=1e-6)
    assert len(embedder.embed_documents(["a", "b"])) == 2


def test_packaged_minilm_gives_normalised_384_dim_vectors() -> None:
    embedder = shared_embedder(MINILM)
    vectors = embedder.encode_passages(["Storskrald hentes hver anden uge.", "Beboerlicens til parkering."])
    assert vectors.shape == (2, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert embedder.id == MINILM


def test_prefixes_are_applied_to_queries_and_passages() -> None:
    plain = shared_embedder(MINILM)
    e5_style = SentenceTransformerEmbedder(None, query_prefix="query: ", passage_prefix="passage: ")
    e5_style._model = plain._load()  # type: ignore[attr-defined]  # same weights, no second load
    assert np.allclose(e5_style.encode_query("affald"), plain.encode_query("query: affald"), atol=1e-6)
    assert np.allclose(
        e5_style.encode_passages(["affald"]), plain.encode_passages(["passage: affald"]), atol=1e-6
    )
    assert not np.allclose(e5_style.encode_query("affald"), plain.encode_query("affald"), atol=1e-3)


class Counting(Embedder):
    """An embedder that counts what it is asked to embed (a vector per text, from the text)."""

    id = "counting"

    def __init__(self) -> None:
        self.asked: list[str] = []

    @property
    def dimension(self) -> int:
        return 4

    def _encode(self, texts: list[str], query: bool) -> np.ndarray:
        self.asked.extend(texts)
        return np.array([[len(t), t.count("a"), float(query), 1.0] for t in texts], dtype=np.float32)


def test_a_repeated_query_is_embedded_once_and_its_vector_cannot_be_changed() -> None:
    embedder = Counting()
    first = embedder.encode_query("Hvad koster et pas?")
    again = embedder.encode_query("Hvad koster et pas?")
    other = embedder.encode_query("Hvad koster et pas ?")  # another text is another query
    assert embedder.asked == ["Hvad koster et pas?", "Hvad koster et pas ?"]
    assert np.array_equal(first, again) and not np.array_equal(first, other)
    assert first.shape == (1, 4)
    with pytest.raises(ValueError):
        again[0, 0] = 99.0  # shared by every caller: read-only
    assert embedder.encode_query("Hvad koster et pas?")[0, 0] == len("Hvad koster et pas?")


def test_the_query_cache_forgets_the_least_recently_used_and_keeps_no_text() -> None:
    embedder = Counting()
    embedder._queries = QueryCache(size=2)
    for text in ("a", "b", "a", "c"):  # "a" used again: "b" is the least recently used when "c" comes
        embedder.encode_query(text)
    embedder.encode_query("a")
    embedder.encode_query("b")
    assert embedder.asked == ["a", "b", "c", "b"]
    assert len(embedder._queries) == 2
    assert all(isinstance(k, bytes) and len(k) == 16 for k in embedder._queries._vectors)


def test_many_queries_share_the_cache_with_the_answer_path_and_embed_each_new_text_once() -> None:
    """The themes of the insights embed many questions at once through the same cache as a single
    question: a weekly digest embeds only what it has not seen, a repeated text once."""
    embedder = Counting()
    embedder.batch_size = 2
    embedder.encode_query("pas")
    vectors = embedder.encode_queries(["pas", "kørekort", "pas", "sygesikring", "kørekort", "affald"])
    assert embedder.asked == ["pas", "kørekort", "sygesikring", "affald"]  # in batches of two, once each
    assert vectors.shape == (6, 4)
    expected = [
        [len(t), t.count("a"), 1.0, 1.0]
        for t in ("pas", "kørekort", "pas", "sygesikring", "kørekort", "affald")
    ]
    assert np.array_equal(vectors, np.array(expected, dtype=np.float32))
    with pytest.raises(ValueError):
        vectors[0, 0] = 99.0
    embedder.asked.clear()
    assert np.array_equal(embedder.encode_query("affald"), vectors[5:6])
    assert embedder.encode_queries([]).shape == (0, 4)
    assert embedder.asked == []
