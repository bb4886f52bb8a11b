"""On-disk search indexes per specialist: FAISS (dense) + BM25 (lexical), versioned, swapped atomically.

Layout under the index dir::

    <slug>/CURRENT                  name of the live version folder, replaced with os.replace
    <slug>/v000007-1a2b3c4d/        manifest.json, dense.faiss, chunk_ids.npy, lexical/
    <slug>/.tmp-<uuid>/             a build in progress (ignored; removed by the next build)

A build writes everything into a temporary folder, renames it into place and only then points
``CURRENT`` at it, so a crash at any moment leaves the previous index in use. The manifest carries
the specialist's ``content_version``, which lets every replica notice that the database has moved on.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import faiss
import numpy as np

from bot.rag.lexical import LexicalIndex

FORMAT = 1
KEEP_OLD_VERSIONS = 1
IVF_FROM = 20_000
IVF_PROBES = 16


@dataclass
class SpecialistIndex:
    slug: str
    version: int
    folder: str
    chunk_ids: np.ndarray
    dense: faiss.Index
    lexical: LexicalIndex
    embedding_model: str

    @property
    def size(self) -> int:
        return int(self.chunk_ids.shape[0])

    @property
    def memory_bytes(self) -> int:
        """Roughly what the loaded index holds: its vectors, ids and lexical matrix."""
        dense = int(self.dense.ntotal) * int(self.dense.d) * 4
        return dense + int(self.chunk_ids.nbytes) + self.lexical.memory_bytes

    def search_dense(self, query_vec: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Positions and cosine similarities of the ``k`` nearest passages."""
        k = min(k, self.size)
        if k == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        scores, positions = self.dense.search(query_vec.reshape(1, -1), k)
        keep = positions[0] >= 0
        return positions[0][keep].astype(np.int64), scores[0][keep]


def dense_index(vectors: np.ndarray, dim: int) -> faiss.Index:
    """Exact search while it is cheap; an inverted-file index from ``IVF_FROM`` passages on, where an exact
    scan of 100k vectors costs ~5 ms a query on one core and IVF (nprobe 16 of sqrt(n) lists) well under 1."""
    if not dim:
        return faiss.IndexFlatIP(1)
    if len(vectors) < IVF_FROM:
        index = faiss.IndexFlatIP(dim)
        index.add(vectors)
        return index
    lists = int(np.sqrt(len(vectors)))
    index = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, lists, faiss.METRIC_INNER_PRODUCT)
    index.train(vectors)
    index.add(vectors)
    index.nprobe = IVF_PROBES
    return index


class IndexStore:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def _dir(self, slug: str) -> Path:
        return self.root / slug

    def current_folder(self, slug: str) -> str | None:
        try:
            return (self._dir(slug) / "CURRENT").read_text().strip() or None
        except FileNotFoundError:
            return None

    def write(
        self,
        slug: str,
        version: int,
        chunk_ids: np.ndarray,
        embeddings: np.ndarray,
        index_texts: list[str],
        embedding_model: str,
    ) -> str:
        """Build and publish a new index version; return its folder name."""
        base = self._dir(slug)
        base.mkdir(parents=True, exist_ok=True)
        for stale in base.glob(".tmp-*"):
            shutil.rmtree(stale, ignore_errors=True)  # leftovers of a crashed build
        tmp = base / f".tmp-{uuid.uuid4().hex}"
        tmp.mkdir()
        dim = int(embeddings.shape[1]) if embeddings.ndim == 2 and embeddings.shape[0] else 0
        dense = dense_index(np.ascontiguousarray(embeddings, dtype=np.float32), dim)
        faiss.write_index(dense, str(tmp / "dense.faiss"))
        np.save(tmp / "chunk_ids.npy", np.asarray(chunk_ids, dtype=np.int64))
        LexicalIndex.build(index_texts).save(tmp / "lexical")
        manifest = {
            "format": FORMAT,
            "specialist": slug,
            "content_version": version,
            "chunks": len(index_texts),
            "dimension": dim,
            "embedding_model": embedding_model,
            "built_at": datetime.now(UTC).isoformat(),
        }
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2))
        _fsync_tree(tmp)
        folder = f"v{version:06d}-{uuid.uuid4().hex[:8]}"
        os.rename(tmp, base / folder)
        pointer = base / f".CURRENT-{uuid.uuid4().hex}"
        pointer.write_text(folder)
        _fsync_file(pointer)
        os.replace(pointer, base / "CURRENT")
        _fsync_dir(base)
        self._prune(slug, keep=folder)
        return folder

    def load(self, slug: str) -> SpecialistIndex | None:
        folder = self.current_folder(slug)
        if folder is None:
            return None
        path = self._dir(slug) / folder
        manifest = json.loads((path / "manifest.json").read_text())
        if manifest.get("format") != FORMAT:
            return None
        chunk_ids = np.load(path / "chunk_ids.npy")
        return SpecialistIndex(
            slug=slug,
            version=int(manifest["content_version"]),
            folder=folder,
            chunk_ids=chunk_ids,
            dense=_read_dense(path / "dense.faiss"),
            lexical=LexicalIndex.load(path / "lexical", size=int(chunk_ids.shape[0])),
            embedding_model=manifest.get("embedding_model", ""),
        )

    def remove(self, slug: str) -> None:
        shutil.rmtree(self._dir(slug), ignore_errors=True)

    def _prune(self, slug: str, keep: str) -> None:
        versions = sorted(p for p in self._dir(slug).glob("v*") if p.is_dir() and p.name != keep)
        for old in versions[: max(0, len(versions) - KEEP_OLD_VERSIONS)]:
            shutil.rmtree(old, ignore_errors=True)


def _read_dense(path: Path) -> faiss.Index:
    index = faiss.read_index(str(path))
    if isinstance(index, faiss.IndexIVF):
        index.nprobe = IVF_PROBES
    return index


def _fsync_file(path: Path) -> None:
    with open(path, "rb") as f:
        os.fsync(f.fileno())


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_tree(path: Path) -> None:
    for p in path.rglob("*"):
        if p.is_file():
            _fsync_file(p)
    _fsync_dir(path)
