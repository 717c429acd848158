"""Milvus as a build's `Store` (index.build.run_build, the one build path): a version is the published
one's rows, deletion marks, and one new segment of rows.

    MilvusStore(target, lock_dir)   lock, published version, writer, verify, publish, release
    write_version(conn, chunks, vectors, units, manifest) -> version   chunks already embedded (benches)

All versions share `<collection>_rows` (index.milvus.rows). An incremental build finds the changed and
removed documents' rows, marks them deleted in the new version, and appends the new chunks as rows
numbered on from the highest any version has: nothing is copied, so publishing one article costs its
own rows. A full build appends every chunk as one segment. The version is checked as a question would
read it, its manifest and vocabulary written, and only then does the pointer move: a builder killed at
any moment leaves the pointer on the old version, whose rows are untouched, and the next build deletes
the rows it left. Releasing a version beyond `keep_versions` deletes the rows no kept version has
(index.milvus.versions).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import numpy as np

from corpus import Chunk
from index.build import BuildOptions, build_lock
from index.embedding import Embedder
from index.errors import IndexStoreError
from index.lexical import surface_words
from index.manifest import Manifest
from index.milvus.client import Connection, MilvusTarget, connect
from index.milvus.rows import layout, mark_deleted, where
from index.milvus.schema import COPIED, to_chunk, to_record
from index.milvus.store import MilvusIndex, open_version
from index.milvus.versions import (
    current,
    ensure_meta,
    ensure_rows,
    new_version,
    next_row,
    publish,
    remove_old_versions,
    rows_name,
    save_manifest,
    save_words,
)

INSERT_BATCH = 1000
QUERY_BATCH = 16_384  # Milvus's largest query limit


class MilvusStore:
    """A Milvus collection family as a build's `Store` (index.build): the local `lock_dir` holds build.lock."""

    def __init__(self, target: MilvusTarget, lock_dir: Path):
        self.target, self.lock_dir = target, Path(lock_dir)
        self.where = f"{target.shown_uri} ({target.collection})"
        self.conn: Connection | None = None

    @contextmanager
    def opened(self) -> Iterator[None]:
        self.conn = connect(self.target)
        try:
            ensure_meta(self.conn)
            yield
        finally:
            self.conn.close()
            self.conn = None

    def lock(self, timeout: float):
        return build_lock(self.lock_dir, timeout, self.where)

    def published(self) -> MilvusIndex | None:
        return open_version(self.conn) if current(self.conn) is not None else None

    def writer(self, previous: MilvusIndex | None, drop_docs: frozenset[str], options: BuildOptions) -> MilvusWriter:
        return MilvusWriter(self.conn, previous, drop_docs, options.sentence_vectors)

    def verify(self, name: str, manifest: Manifest, chunks: list[Chunk], embedder: Embedder, previous) -> None:
        _check(self.conn, manifest.server, manifest.chunks, chunks, int(manifest.server["first"]), embedder)

    def publish(self, name: str) -> None:
        publish(self.conn, name)

    def release(self, keep: int) -> None:
        remove_old_versions(self.conn, keep)

    def search(self, manifest: Manifest) -> dict:
        return {"kind": "milvus", "index": self.target.index_type, "collection": rows_name(self.conn)}


class MilvusWriter:
    """New chunks appended as rows numbered on from the highest any version has; the replaced rows marked
    deleted; the version's manifest (its segments, row layout) and vocabulary saved, not yet published."""

    def __init__(self, conn: Connection, previous: MilvusIndex | None, drop_docs: frozenset[str], sentence_vectors: bool):
        self.conn, self.previous, self.sentence_vectors = conn, previous, sentence_vectors
        self.segments = mark_deleted(previous.manifest.segments, document_rows(conn, previous, sorted(drop_docs))) \
            if previous is not None else []
        self.first, self.others, self.rows = None, None, 0
        self.words = dict(previous.words()) if previous is not None else {}

    def append(self, chunks: list[Chunk], vectors: np.ndarray, units: list[np.ndarray] | None) -> None:
        if self.first is None:
            ensure_rows(self.conn, vectors.shape[1])
            self.first, self.others = next_row(self.conn)
        insert_rows(self.conn, rows_name(self.conn), self.first + self.rows, chunks, vectors, units)
        self.rows += len(chunks)
        for word, count in surface_words([c.embed_text for c in chunks]).items():
            self.words[word] = self.words.get(word, 0) + count

    def commit(self, manifest: Manifest) -> tuple[str, Manifest]:
        if self.first is None:  # only removals: no new rows
            self.first, self.others = next_row(self.conn)
        _ready(self.conn, rows_name(self.conn))
        segments = self.segments + ([new_segment(self.first, self.rows)] if self.rows else [])
        server = {**layout(segments, self.first + self.rows, self.others), "sentence_vectors": self.sentence_vectors,
                  "first": self.first}
        manifest = replace(manifest, segments=segments, server=server)
        version = new_version()
        save_words(self.conn, version, self.words)
        save_manifest(self.conn, version, manifest)
        return version, manifest


def document_rows(conn: Connection, previous: MilvusIndex, doc_ids: list[str]) -> list[int]:
    """The rows the published version holds for these documents."""
    rows: list[int] = []
    for start in range(0, len(doc_ids), 500):
        records = conn.call("query", rows_name(conn), filter=f"doc_id in {json.dumps(doc_ids[start:start + 500])} "
                            f"and {previous.where}", output_fields=["row"], limit=QUERY_BATCH,
                            during="finding the rows of changed documents")
        rows += [int(r["row"]) for r in records]
    return rows


def new_segment(first: int, rows: int) -> dict:
    return {"name": "s" + new_version()[1:], "first": int(first), "rows": int(rows), "deleted": 0, "dead": []}


def insert_rows(conn: Connection, name: str, first: int, chunks: list[Chunk], vectors, units=None) -> None:
    """Chunks (with their vectors, and sentence vectors or None) as rows first, first + 1, …"""
    units = units if units is not None else [None] * len(chunks)
    for start in range(0, len(chunks), INSERT_BATCH):
        records = [to_record(first + start + n, c, v, u) for n, (c, v, u) in
                   enumerate(zip(chunks[start:start + INSERT_BATCH], vectors[start:start + INSERT_BATCH],
                                 units[start:start + INSERT_BATCH]))]
        conn.call("insert", name, records, timeout=120.0, during="inserting chunks")


def _ready(conn: Connection, name: str) -> None:
    conn.call("flush", name, timeout=600.0, during="flushing the new version")
    conn.call("load_collection", name, timeout=600.0, during="loading the new version")


def write_version(conn: Connection, chunks: list[Chunk], vectors, units, manifest: Manifest) -> str:
    """A full version of chunks already embedded (what a full build writes, without the model), checked
    and published; `manifest` gets its segment and row count. For benchmarks and imports."""
    ensure_meta(conn)
    ensure_rows(conn, vectors.shape[1])
    first, others = next_row(conn)
    insert_rows(conn, rows_name(conn), first, chunks, vectors, units)
    _ready(conn, rows_name(conn))
    segments = [new_segment(first, len(chunks))]
    server = {**layout(segments, first + len(chunks), others), "sentence_vectors": units is not None}
    manifest = replace(manifest, chunks=len(chunks), segments=segments, server=server)
    if _count(conn, server) != len(chunks):
        raise IndexStoreError(f"The new version does not hold the {len(chunks)} chunks written; nothing was "
                              "published.")
    version = new_version()
    save_manifest(conn, version, manifest)
    publish(conn, version)
    return version


def _count(conn: Connection, server: dict) -> int:
    counted = conn.call("query", rows_name(conn), filter=where(server["end"], server["hidden"]),
                        output_fields=["count(*)"], during="checking the new version")
    return int(counted[0]["count(*)"]) if counted else 0


def _check(conn: Connection, server: dict, expected: int, chunks: list[Chunk], first: int, embedder: Embedder) -> None:
    """The new version as a question reads it: every chunk there, the new ones exactly as written, and
    one of them found by its own vector. Raises before anything is published."""
    name, found = rows_name(conn), _count(conn, server)
    if found != expected:
        raise IndexStoreError(f"The new version in {name} holds {found} chunks, not the {expected} written. Nothing "
                              "was published; the previous version stays in use. Run the build again.")
    sample = list(range(first, first + len(chunks)))[:2000]
    records = conn.call("query", name, filter=f"row in {sample}", output_fields=list(COPIED[:-1]),
                        limit=max(1, len(sample)), during="checking the new version") if sample else []
    if sorted((to_chunk(r) for r in records), key=lambda c: c.chunk_id) != sorted(
            chunks[:len(sample)], key=lambda c: c.chunk_id):
        raise IndexStoreError(f"The new version {name} reads back differently from what was written. Nothing was "
                              "published; the previous version stays in use. This is a bug: please report it.")
    if chunks:
        probe = chunks[len(chunks) // 2]
        hits = conn.call("search", name, data=[embedder.embed_query(probe.embed_text).tolist()], anns_field="vector",
                         limit=5, filter=where(server["end"], server["hidden"]), output_fields=["chunk_id"],
                         during="checking the new version")
        if not any(h["entity"]["chunk_id"] == probe.chunk_id for h in hits[0]):
            raise IndexStoreError(f"The new version {name} failed its smoke query; the previous one stays published.")


