"""Milvus as the index backend (`index_backend = "milvus"`): the same versions, answers and reports as
the local segment store, in a server that shards and replicates.

    MilvusTarget(uri, collection, token)        where the index lives
    connect(target) -> Connection
    open_version(conn, version=None, ...) -> MilvusIndex    what Assistant reads, as LoadedIndex
    current(conn) -> str | None                  the published version (the pointer row)
    MilvusStore(target, lock_dir)              where a build writes (index.build.run_build, the one build path)
    LiteServer(db_file, port)                    a local milvus-lite server process (tests, benches, trying it)

Needs pymilvus (and milvus-lite for a local server): pip install 'pmo-help-assistant[milvus]'.
Failures raise index.errors.BackendUnavailable (server down) or BackendMissing (not installed).
"""

from corpus.lazy import lazy_getattr

_LAZY = {
    "MilvusTarget": "index.milvus.client", "connect": "index.milvus.client", "Connection": "index.milvus.client",
    "MilvusIndex": "index.milvus.store", "open_version": "index.milvus.store",
    "current": "index.milvus.versions",
    "MilvusStore": "index.milvus.build",
    "LiteServer": "index.milvus.lite",
}

__getattr__ = lazy_getattr("index.milvus", _LAZY, globals())

__all__ = sorted(_LAZY)
