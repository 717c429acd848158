"""Embedding, the FAISS and BM25 indexes, the manifest, and crash-safe publishing.

Public surface (imported on first use, so `import index.embedding` needs neither FAISS nor BM25):
    Embedder, EmbedderSpec, make_embedder   the embedding protocol and its one factory (index.embedding)
    run_build(store, loader, ...)    the one build path: load, chunk, embed what changed, publish atomically
    build_index(...) -> BuildReport  the same into the local segment store (LocalStore; index.milvus: MilvusStore)
    load_index(dir, ...) -> LoadedIndex
    current_version(dir) -> str | None
    AnnSettings                      when a segment gets an IVF index, and the recall it must reach
    IndexStoreError and subclasses (see index.errors)
"""

from corpus.lazy import lazy_getattr
from index.errors import (
    BackendMissing,
    BackendUnavailable,
    BuildLocked,
    CorruptIndex,
    IndexMismatch,
    IndexStoreError,
    MissingIndex,
    ModelError,
    NothingIndexed,
)

_LAZY = {
    "AnnSettings": "index.ann",
    "BuildOptions": "index.build", "BuildReport": "index.build", "build_index": "index.build",
    "plan_build": "index.build", "run_build": "index.build", "plan": "index.build", "LocalStore": "index.local",
    "DEFAULT_MODEL": "index.embedding", "Embedder": "index.embedding", "EmbedderSpec": "index.embedding",
    "make_embedder": "index.embedding",
    "LoadedIndex": "index.store", "load_index": "index.store",
    "current_version": "index.pointer", "published_version": "index.pointer",
}

__getattr__ = lazy_getattr("index", _LAZY, globals())

__all__ = [
    "AnnSettings",
    "BackendMissing",
    "BackendUnavailable",
    "DEFAULT_MODEL",
    "BuildLocked",
    "BuildOptions",
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
    "published_version",
]
