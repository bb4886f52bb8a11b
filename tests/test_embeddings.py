"""The embedding models load offline from their installed packages, give normalised vectors, apply
configured prefixes, and speak LangChain's ``Embeddings`` interface."""

import numpy as np
from langchain_core.embeddings import Embeddings

from bot.rag.embeddings import E5_SMALL, MINILM, SentenceTransformerEmbedder, shared_embedder


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
