"""Which index store the settings name, in one place: the local segment store or Milvus; opening it.

    open_index(settings, version=None, expected_variant=None, like=None)   LoadedIndex or MilvusIndex
    published(settings, index=None) -> str | None    the published version's name (the pointer)
    server_problem(settings, index=None) -> str | None  why the index server cannot be reached now (None: it can)
    require_published(settings) -> str               the same, or MissingIndex saying to build first
    milvus_target(settings) -> MilvusTarget
    index_info(index, settings) -> dict               what the served index holds (`assistant info`, the page's header)
    store_of(settings) -> LocalStore | MilvusStore    where a build writes (index.build.run_build)

The Milvus token comes from the environment only (MILVUS_TOKEN, read by assistant.config into
settings.milvus.token, a secret no config file may hold): it is never written to a manifest, a log or a
report, and `assistant config --show` masks it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from assistant.config import Settings

if TYPE_CHECKING:
    from index.milvus.client import MilvusTarget



def is_milvus(settings: Settings) -> bool:
    return settings.index.backend == "milvus"


def milvus_target(settings: Settings) -> MilvusTarget:
    from index.milvus.client import MilvusTarget

    milvus = settings.milvus
    return MilvusTarget(milvus.uri, milvus.collection, milvus.token, index_type=milvus.index_type)


def open_index(settings: Settings, version: str | None = None, expected_variant: str | None = None, like=None):
    """The published (or named) version of the settings' index. `like`: an index already open, whose
    connection a Milvus index reuses."""
    if is_milvus(settings):
        from index.milvus import connect, open_version

        Path(settings.index.dir).mkdir(parents=True, exist_ok=True)  # still local: build lock, serve's address
        conn = getattr(like, "conn", None) or connect(milvus_target(settings))
        return open_version(conn, version, settings.model.name, expected_variant)
    from index import load_index

    return load_index(settings.index.dir, expected_model=settings.model.name, version=version,
                      expected_variant=expected_variant)


def require_published(settings: Settings) -> str:
    """The published version's name, reading only the pointer; MissingIndex (naming the next step) when
    there is none, BackendUnavailable when Milvus does not answer."""
    if not is_milvus(settings):
        from index.pointer import published_version

        return published_version(settings.index.dir)
    from index.milvus import connect
    from index.milvus.versions import published as published_in

    conn = connect(milvus_target(settings))
    try:
        return published_in(conn)
    finally:
        conn.close()


def published(settings: Settings, index=None) -> str | None:
    """The published version; None when there is none (or Milvus cannot be asked right now: questions
    report that, with a 503, and the next poll asks again)."""
    if not is_milvus(settings):
        from index import current_version

        return current_version(settings.index.dir)
    from index.errors import BackendUnavailable
    from index.milvus import connect
    from index.milvus.versions import current

    try:
        return current(getattr(index, "conn", None) or connect(milvus_target(settings)))
    except BackendUnavailable:
        return None


def server_problem(settings: Settings, index=None) -> str | None:
    """Why the configured index server does not answer right now, with its address; None when it does, and
    always for the local backend. One quick request (the pointer collection's existence), no retries:
    what a readiness probe asks every few seconds."""
    if not is_milvus(settings):
        return None
    from index.errors import BackendUnavailable
    from index.milvus import connect
    from index.milvus.versions import meta_name

    conn = getattr(index, "conn", None)
    fresh = conn is None
    try:
        if fresh:
            conn = connect(milvus_target(settings), timeout=2.0)
        conn.call("has_collection", meta_name(conn), retries=0, timeout=2.0, during="the health check")
    except BackendUnavailable as exc:
        return f"the index server at {exc.uri} cannot be reached ({exc.reason})"
    finally:
        if fresh and conn is not None:
            conn.close()
    return None


def index_info(index, settings: Settings) -> dict:
    """What the served index holds: documents by type, chunks, model, build time, segments, search."""
    m = index.manifest
    return {"index_dir": str(settings.index.dir), "version": index.version, "documents": len(m.documents),
            "by_type": m.counts_by_type(), "chunks": m.chunks, "model": m.model["name"],
            "dimension": m.model["dimension"], "built_at": m.built_at, "content_dir": m.content_dir,
            "segments": len(m.segments), "search": m.ann_summary(),
            "sources": list(getattr(m, "sources", None) or [])}


def store_of(settings: Settings):
    """Where a build of these settings writes: the local segment store, or the Milvus collection (with the
    local index folder holding its build lock)."""
    if is_milvus(settings):
        from index.milvus.build import MilvusStore

        return MilvusStore(milvus_target(settings), Path(settings.index.dir))
    from index.local import LocalStore

    return LocalStore(Path(settings.index.dir))
