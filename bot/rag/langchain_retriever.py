"""The hybrid retriever as a LangChain ``BaseRetriever``, so a chain can compose with a specialist's
sources like with any other retriever (``retriever.invoke("spørgsmål")`` → ``Document``s).

The index underneath stays this project's own (``bot.rag.index``) rather than LangChain's ``FAISS``
vector store: it is written to a temporary folder and swapped atomically by version (a crash never
leaves a half-written index, and every replica notices a newer one), it holds no pickle (LangChain's
store loads one, which executes code from disk), and it keeps BM25 with Danish stemming beside the
vectors for the fusion and the relevance gate.
"""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from bot.rag.retrieval import Mode, Retriever
from bot.store.models import Specialist


class SpecialistRetriever(BaseRetriever):
    """Passages of one specialist; the caller has checked that whoever asks may use it."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    retriever: Retriever
    specialist: Specialist
    k: int = 5
    mode: Mode = "hybrid"
    gate: bool = True

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun, **_: Any
    ) -> list[Document]:
        hits = self.retriever.search(self.specialist, query, self.k, mode=self.mode, gate=self.gate)
        return [
            Document(
                page_content=h.text,
                metadata={
                    "source": h.source,
                    "page": h.page,
                    "heading": h.heading,
                    "score": h.score,
                    "dense": h.dense,
                    "lexical": h.lexical,
                    "rerank": h.rerank,
                    "chunk_id": h.chunk_id,
                    "specialist": self.specialist.slug,
                },
            )
            for h in hits
        ]
