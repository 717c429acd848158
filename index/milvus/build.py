"""Build into Milvus: a version is the published one's rows, deletion marks, and one new segment of rows.

    plan_milvus(conn, job) -> BuildPlan       what would change (the --dry-run view); writes nothing
    build_milvus(target, job) -> BuildReport  does it, under the local build lock, and publishes
    write_version(conn, chunks, vectors, units, manifest) -> version   chunks already embedded (benches)

All versions share `<collection>_rows` (index.milvus.rows). An incremental build finds the changed and
removed documents' rows, marks them deleted in the new version, and appends the new chunks as rows
numbered on from the highest any version has: nothing is copied, so publishing one article costs its
own rows. A full build appends every chunk as one segment. Chunks are embedded and inserted in blocks,
the version is checked as a question would read it, its manifest written, and only then does the
pointer move: a builder killed at any moment leaves the pointer on the old version, whose rows are
untouched, and the next build deletes the rows it left. Releasing a version beyond `keep_versions`
deletes the rows no kept version has (index.milvus.versions).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path

from corpus import Chunk, ChunkSettings, Document, LoadResult, chunk_document, load_folder
from index.build import BuildPlan, BuildReport, _embed_all, _embed_units, compare
from index.embedding import Embedder
from index.errors import BuildLocked, IndexStoreError, NothingIndexed
from index.lexical import surface_words
from index.manifest import DocumentEntry, Manifest, library_versions
from index.milvus.client import Connection, MilvusTarget, connect
from index.milvus.rows import layout, mark_deleted, where
from index.milvus.schema import COPIED, to_chunk, to_record
from index.milvus.store import MilvusIndex, open_version
from index.milvus.versions import (current, ensure_meta, ensure_rows, new_version, next_row, publish,
                                   remove_old_versions, rows_name, save_manifest, save_words)

BLOCK = 512  # chunks embedded and inserted at a time
INSERT_BATCH = 1000
QUERY_BATCH = 16_384  # Milvus's largest query limit
Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class MilvusJob:
    """What to build (the Milvus side of a build's options)."""
    content_dir: Path
    lock_dir: Path  # the local folder holding build.lock (and a web source's fetch cache)
    embedder: Embedder = field(repr=False)
    chunker: ChunkSettings
    base_url: str | None = None
    full: bool = False
    keep_versions: int = 2
    sentence_vectors: bool = True
    sources: tuple[str, ...] = ()
    loaded: LoadResult | None = field(default=None, repr=False)
    loader: Callable[[Mapping[str, Document]], LoadResult] | None = field(default=None, repr=False)


def plan_milvus(conn: Connection, job: MilvusJob) -> BuildPlan:
    previous, reason = _previous(conn, job)
    if job.full:
        reason = "--full was asked for"
    return compare(previous, reason, lambda known: job.loaded or (
        job.loader(known) if job.loader else
        load_folder(Path(job.content_dir), base_url=job.base_url, exclude=job.lock_dir, known=known)))


def dry_run(target: MilvusTarget, job: MilvusJob) -> BuildPlan:
    conn = connect(target)
    try:
        return plan_milvus(conn, job)
    finally:
        conn.close()


def build_milvus(target: MilvusTarget, job: MilvusJob, progress: Progress | None = None,
                 lock_timeout: float = 0) -> BuildReport:
    from filelock import FileLock, Timeout

    started = time.perf_counter()
    progress = progress or (lambda fraction, message: None)
    Path(job.lock_dir).mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(Path(job.lock_dir) / "build.lock"))
    try:
        lock.acquire(timeout=lock_timeout)
    except Timeout as exc:
        raise BuildLocked(f"Another build is running (lock {Path(job.lock_dir) / 'build.lock'}) — wait for it to "
                          "finish, then run this again.") from exc
    conn = connect(target)
    try:
        ensure_meta(conn)
        remove_old_versions(conn, job.keep_versions)
        progress(0.0, "reading content")
        return _build_locked(conn, job, plan_milvus(conn, job), progress, started)
    finally:
        conn.close()
        lock.release()


def _build_locked(conn: Connection, job: MilvusJob, plan: BuildPlan, progress: Progress, started: float):
    documents = plan.loaded.documents
    if not documents:
        raise NothingIndexed(f"No document in {', '.join(job.sources) or job.content_dir} could be indexed "
                             f"({len(plan.loaded.skipped)} skipped); the previous index is unchanged.",
                             plan.loaded.skipped)
    previous: MilvusIndex | None = plan.previous
    if previous is not None and not plan.has_changes:
        progress(1.0, "nothing changed")
        return _report(plan, conn, previous.version, previous.manifest, 0, started, False)
    fresh = set(plan.added) | set(plan.changed) if previous is not None else {d.doc_id for d in documents}
    ensure_rows(conn, job.embedder.dimension)
    first, others = next_row(conn)
    segments = []
    if previous is not None:
        progress(0.02, "finding the rows of changed and removed documents")
        segments = mark_deleted(previous.manifest.segments,
                                document_rows(conn, previous, sorted(set(plan.changed) | set(plan.removed))))
    progress(0.05, "chunking")
    chunks = [c for doc in documents if doc.doc_id in fresh for c in chunk_document(doc, job.embedder.count_tokens,
                                                                                    job.chunker)]
    _insert(conn, chunks, first, job, progress)
    if chunks:
        segments.append(new_segment(first, len(chunks)))
    server = {**layout(segments, first + len(chunks), others), "sentence_vectors": job.sentence_vectors}
    manifest = _manifest(job, documents, fresh, chunks, previous, segments, server)
    _check(conn, server, manifest.chunks, chunks, first, job.embedder)
    version = new_version()
    words = dict(previous.words()) if previous is not None else {}
    for word, count in surface_words([c.embed_text for c in chunks]).items():
        words[word] = words.get(word, 0) + count
    save_words(conn, version, words)
    save_manifest(conn, version, manifest)
    publish(conn, version)
    remove_old_versions(conn, job.keep_versions)
    progress(1.0, "published")
    return _report(plan, conn, version, manifest, len(chunks), started, True)


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


def _insert(conn: Connection, chunks: list[Chunk], first: int, job: MilvusJob, progress: Progress):
    """Embed (chunks, and their sentences when sentence_vectors) and insert, a block at a time."""
    name = rows_name(conn)
    for start in range(0, len(chunks), BLOCK):
        block = chunks[start:start + BLOCK]
        progress(0.1 + 0.8 * start / max(1, len(chunks)), f"embedding {start + len(block)}/{len(chunks)} chunks")
        vectors = _embed_all(job.embedder, [c.embed_text for c in block], lambda done: None)
        units = _embed_units(job.embedder, block, lambda f, what: None)[0] if job.sentence_vectors else None
        insert_rows(conn, name, first + start, block, vectors, units)
    progress(0.9, "checking the new version")
    _ready(conn, name)


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


def _manifest(job: MilvusJob, documents, fresh: set[str], chunks: list[Chunk], previous: MilvusIndex | None,
              segments: list[dict], server: dict) -> Manifest:
    per_doc: dict[str, int] = {}
    for chunk in chunks:
        per_doc[chunk.doc_id] = per_doc.get(chunk.doc_id, 0) + 1
    counts = previous.manifest.documents if previous is not None else {}
    entries = {d.doc_id: DocumentEntry(d.content_hash, d.title, d.url, d.source_type,
                                       per_doc.get(d.doc_id, 0) if d.doc_id in fresh else counts[d.doc_id].chunks,
                                       d.topic) for d in documents}
    embedder = job.embedder
    return Manifest(
        model={"name": embedder.name, "dimension": embedder.dimension, "max_seq_length": embedder.max_tokens,
               "variant": embedder.variant, "backend": embedder.backend},
        chunker=job.chunker.as_dict(), documents=entries, chunks=sum(e.chunks for e in entries.values()),
        built_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        content_dir=str(Path(job.content_dir).resolve()), base_url=job.base_url, libraries=library_versions(),
        sources=list(job.sources), segments=segments, server=server)


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


def _previous(conn: Connection, job: MilvusJob) -> tuple[MilvusIndex | None, str | None]:
    if current(conn) is None:
        return None, None
    try:
        previous = open_version(conn)
    except IndexStoreError as exc:
        return None, f"the published index cannot be reused ({exc})"
    embedder = job.embedder
    for what, old, new in (("model", previous.manifest.model["name"], embedder.name),
                           ("model variant", previous.variant, embedder.variant)):
        if old != new:
            return None, f"the {what} changed ({old} → {new})"
    if previous.manifest.chunker != job.chunker.as_dict():
        return None, "the chunker settings changed"
    if previous.manifest.base_url != job.base_url:
        return None, "base_url changed"
    if previous.manifest.server.get("sentence_vectors") != job.sentence_vectors:
        return None, "sentence_vectors changed"
    return previous, None


def _report(plan: BuildPlan, conn: Connection, version: str, manifest: Manifest, embedded: int, started: float,
            published: bool) -> BuildReport:
    return BuildReport(
        index_dir=f"{conn.target.shown_uri} ({conn.target.collection})", version=version,
        documents=len(manifest.documents), chunks=manifest.chunks, added=len(plan.added), changed=len(plan.changed),
        removed=len(plan.removed), unchanged=len(plan.unchanged), chunks_embedded=embedded,
        skipped=plan.loaded.skipped, warnings=plan.loaded.warnings, seconds=round(time.perf_counter() - started, 2),
        full=plan.full, full_reason=plan.full_reason, published=published, segments=len(manifest.segments),
        deleted=sum(s.get("deleted", 0) for s in manifest.segments),
        search={"kind": "milvus", "index": conn.target.index_type, "collection": rows_name(conn)},
        fetch=plan.loaded.fetch)
