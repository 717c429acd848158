"""Embedding, the FAISS and BM25 indexes, the manifest, and crash-safe publishing.

Public surface:
    Embedder                         sentence-transformers adapter (embed, count_tokens)
    build_index(...) -> BuildReport  load, chunk, embed what changed, publish atomically
    load_index(dir, ...) -> LoadedIndex
    current_version(dir) -> str | None
    AnnSettings                      when a segment gets an IVF index, and the recall it must reach
    IndexStoreError and subclasses (see index.errors)
"""

from index.ann import AnnSettings
from index.build import BuildReport, build_index, plan_build
from index.embedder import DEFAULT_MODEL, Embedder
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
    "AnnSettings",
    "DEFAULT_MODEL",
    "BuildLocked",
    "BuildReport",
    "CorruptIndex",
    "Embedder",
    "IndexMismatch",
    "IndexStoreError",
    "LoadedIndex",
    "MissingIndex",
    "ModelError",
    "NothingIndexed",
    "build_index",
    "current_version",
    "load_index",
    "plan_build",
]
