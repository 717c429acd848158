"""Embedding, the FAISS and BM25 indexes, the manifest, and crash-safe publishing.

Public surface:
    Embedder, EmbedderSpec, make_embedder   the embedding protocol and its one factory (index.embedding)
    build_index(...) -> BuildReport  load, chunk, embed what changed, publish atomically
    load_index(dir, ...) -> LoadedIndex
    current_version(dir) -> str | None
    IndexStoreError and subclasses (see index.errors)
"""

from index.build import BuildReport, build_index, plan_build
from index.embedding import DEFAULT_MODEL, Embedder, EmbedderSpec, make_embedder
from index.errors import (
    BuildLocked,
    CorruptIndex,
    IndexMismatch,
    IndexStoreError,
    MissingIndex,
    ModelError,
    NothingIndexed,
)
from index.store import LoadedIndex, current_version, load_index

__all__ = [
    "DEFAULT_MODEL",
    "BuildLocked",
    "BuildReport",
    "CorruptIndex",
    "Embedder",
    "EmbedderSpec",
    "IndexMismatch",
    "IndexStoreError",
    "LoadedIndex",
    "MissingIndex",
    "ModelError",
    "NothingIndexed",
    "build_index",
    "current_version",
    "load_index",
    "make_embedder",
    "plan_build",
]
