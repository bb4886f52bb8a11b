"""Retrieval-augmented answers: loaders, chunking, embeddings, FAISS + BM25 indexes, retrieval."""
