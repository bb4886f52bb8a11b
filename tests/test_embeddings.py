"""The embedding model loads offline from the installed package and applies configured prefixes."""

import numpy as np

from bot.rag.embeddings import Embedder, shared_embedder


def test_packaged_model_gives_normalised_384_dim_vectors() -> None:
    embedder = shared_embedder(None, "", "")
    vectors = embedder.encode_passages(["Storskrald hentes hver anden uge.", "Beboerlicens til parkering."])
    assert vectors.shape == (2, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert embedder.name == "all-MiniLM-L6-v2"


def test_prefixes_are_applied_to_queries_and_passages() -> None:
    plain = shared_embedder(None, "", "")
    e5_style = Embedder(None, query_prefix="query: ", passage_prefix="passage: ")
    e5_style._model = plain._load()  # same weights, no second load
    assert np.allclose(e5_style.encode_query("affald"), plain.encode_query("query: affald"), atol=1e-6)
    assert np.allclose(
        e5_style.encode_passages(["affald"]), plain.encode_passages(["passage: affald"]), atol=1e-6
    )
    assert not np.allclose(e5_style.encode_query("affald"), plain.encode_query("affald"), atol=1e-3)
