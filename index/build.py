"""Build or refresh an index, one path for every store: only new and changed documents are chunked and
embedded; what differs between the local segment store and Milvus is the `Store` alone.

    plan(store, loader, model, variant, chunker, options)          -> BuildPlan    what would change (--dry-run)
    run_build(store, loader, embedder, chunker, options, progress) -> BuildReport  does it under the store's
                                                                                   lock and publishes atomically
    build_index(content_dir, index_dir, embedder, chunker, options) the local store's build (index.local)
    embed_texts(embedder, texts), embed_units(embedder, chunks)     the vectors a build stores

A build, whatever the store: read the documents (a `loader`, given those already indexed), compare them
with the published version, chunk what is new or changed, embed it a block at a time into the store's
new version (the rows of changed and removed documents marked deleted), write the manifest, have the
store check the version as a question would read it, and only then publish it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Protocol

import numpy as np

from corpus import (
    Chunk,
    ChunkSettings,
    Document,
    LoadResult,
    Skipped,
    chunk_document,
    load_folder,
)
from corpus.sentences import answer_units, unit_text
from index.ann import AnnSettings
from index.embedding import Embedder
from index.errors import BuildLocked, IndexStoreError, NothingIndexed
from index.manifest import DocumentEntry, Manifest, library_versions

Progress = Callable[[float, str], None]  # (fraction done, what is happening)
Loader = Callable[[Mapping[str, Document]], LoadResult]  # documents already indexed -> what to index now
BLOCK = 4096  # chunks embedded and handed to the store at a time (a million chunks never in memory at once)


@dataclass(frozen=True)
class BuildOptions:
    """How a build runs and what it writes."""
    base_url: str | None = None  # joined to document paths that name no url; a change forces a full build
    full: bool = False  # re-embed everything
    keep_versions: int = 2
    ann: AnnSettings = field(default_factory=AnnSettings)  # when large segments get an IVF index
    max_segments: int = 8  # more after a build: the small ones are merged
    sentence_vectors: bool = True  # embed each chunk's sentences (cues) too, for answers without a model call
    sources: tuple[str, ...] = ()  # recorded in the manifest (credentials removed): what an admin rebuild reads
    lock_timeout: float = 0  # seconds to wait for another build's lock


class Writer(Protocol):
    """A new version being written (never published by itself)."""

    def append(self, chunks: list[Chunk], vectors: np.ndarray, units: list[np.ndarray] | None) -> None: ...

    def commit(self, manifest: Manifest) -> tuple[str, Manifest]:
        """Write the version (its new rows, the deletion marks, the manifest completed with its segments);
        (its name, the manifest as written)."""


class Store(Protocol):
    """Where a build writes: the local segment store (index.local) or a Milvus collection (index.milvus)."""
    where: str  # what the report names: a folder, or a server and collection

    def opened(self) -> AbstractContextManager[None]:
        """The store ready for reading and writing (a connection, for a server) while the block runs."""

    def lock(self, timeout: float) -> AbstractContextManager[None]:
        """One build at a time (BuildLocked, naming the lock, when another runs)."""

    def published(self):
        """The published version (an index as questions read it), or None; IndexStoreError when unreadable."""

    def writer(self, previous, drop_docs: frozenset[str], options: BuildOptions) -> Writer: ...

    def verify(self, name: str, manifest: Manifest, chunks: list[Chunk], embedder: Embedder, previous) -> None:
        """Read the new version back as a question would; raise, naming what failed, before it is published."""

    def publish(self, name: str) -> None: ...

    def release(self, keep: int) -> None:
        """Versions beyond the newest `keep` and a crashed build's leftovers removed."""

    def search(self, manifest: Manifest) -> dict:
        """How dense search runs in this version, for the report."""


@dataclass(frozen=True)
class BuildPlan:
    added: tuple[str, ...]
    changed: tuple[str, ...]
    removed: tuple[str, ...]
    unchanged: tuple[str, ...]
    full: bool
    full_reason: str | None
    loaded: LoadResult = field(repr=False)
    previous: object | None = field(default=None, repr=False)  # the published index, when reusable

    @property
    def has_changes(self) -> bool:
        return bool(self.added or self.changed or self.removed) or self.full

    def as_dict(self) -> dict:
        return {
            "dry_run": True, "added": list(self.added), "changed": list(self.changed), "removed": list(self.removed),
            "unchanged": len(self.unchanged), "full": self.full, "full_reason": self.full_reason,
            "skipped": [{"path": s.path, "reason": s.reason} for s in self.loaded.skipped],
            "warnings": list(self.loaded.warnings), "fetch": list(self.loaded.fetch),
        }


@dataclass(frozen=True)
class BuildReport:
    index_dir: str
    version: str | None
    documents: int
    chunks: int
    added: int
    changed: int
    removed: int
    unchanged: int
    chunks_embedded: int
    skipped: tuple[Skipped, ...]
    warnings: tuple[str, ...]
    seconds: float
    full: bool
    full_reason: str | None
    published: bool
    segments: int = 0  # segments the published version lists
    deleted: int = 0  # rows marked deleted in them, dropped at the next merge
    search: dict = field(default_factory=dict)  # {"kind": "exact"} or the IVF parameters and measured recall@10
    fetch: tuple[dict, ...] = ()  # one summary per web source: requests, downloaded, not_modified, …
    notes: tuple[str, ...] = ()  # what the caller adds for the owner (the answer rules' calibration)
    encoder_inputs: int = 0  # texts the model read: the chunks, and the sentences embedded for highlights

    def as_dict(self) -> dict:
        data = dict(self.__dict__)
        data["fetch"] = list(self.fetch)
        data["skipped"] = [{"path": s.path, "reason": s.reason} for s in self.skipped]
        data["warnings"] = list(self.warnings)
        data["notes"] = list(self.notes)
        return data


@contextmanager
def build_lock(folder: Path, timeout: float, where: str) -> Iterator[None]:
    """One build at a time on a store (`folder/build.lock`); BuildLocked, naming the lock, when another runs."""
    from filelock import FileLock, Timeout

    Path(folder).mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(Path(folder) / "build.lock"))
    try:
        lock.acquire(timeout=timeout)
    except Timeout as exc:
        raise BuildLocked(f"Another build is running on {where} (lock {Path(folder) / 'build.lock'}) — wait for "
                          "it to finish, then run this again.") from exc
    try:
        yield
    finally:
        lock.release()


def folder_loader(content_dir: Path, exclude: Path | None, base_url: str | None) -> Loader:
    """The content folder's documents (the index folder inside it left out)."""
    return lambda known: load_folder(Path(content_dir), base_url=base_url, exclude=exclude, known=known)


def plan(store: Store, loader: Loader, model: str, variant: str, chunker: ChunkSettings,
         options: BuildOptions = BuildOptions()) -> BuildPlan:
    """What a build would do against the store's published version; writes nothing."""
    previous, reason = _reusable(store, model, variant, chunker, options)
    return compare(previous, "--full was asked for" if options.full else reason, loader)


def compare(previous, reason: str | None, loader: Loader) -> BuildPlan:
    """The plan against the published version (`previous`, whose manifest lists its documents; none
    when `reason` says everything is rebuilt): documents added, changed, removed and unchanged."""
    old = previous.manifest.documents if previous and not reason else {}
    known = {doc_id: Document(doc_id, e.title, e.url, e.source_type, (), e.content_hash, topic=e.topic)
             for doc_id, e in old.items()}
    loaded = loader(known)
    new = {doc.doc_id: doc for doc in loaded.documents}
    added = tuple(d for d in new if d not in old)
    changed = tuple(d for d in new if d in old and old[d].content_hash != new[d].content_hash)
    unchanged = tuple(d for d in new if d in old and old[d].content_hash == new[d].content_hash)
    removed = tuple(d for d in old if d not in new)
    return BuildPlan(added, changed, removed, unchanged, bool(reason), reason, loaded, None if reason else previous)


def run_build(store: Store, loader: Loader, content_dir: Path, embedder: Embedder, chunker: ChunkSettings,
              options: BuildOptions = BuildOptions(), progress: Progress | None = None) -> BuildReport:
    """Load, chunk and embed what changed, write it as the store's new version, verify it, publish it.
    `content_dir`: the folder documents' paths are relative to (recorded for the reader)."""
    started = time.perf_counter()
    progress = progress or (lambda fraction, message: None)
    with store.opened(), store.lock(options.lock_timeout):
        store.release(options.keep_versions)
        progress(0.0, "reading content")
        planned = plan(store, loader, embedder.name, embedder.variant, chunker, options)
        documents = planned.loaded.documents
        if not documents:
            why = "".join(f"{w}; " for w in planned.loaded.warnings[:3])  # e.g. why a site could not be read
            raise NothingIndexed(f"No document in {', '.join(options.sources) or content_dir} could be indexed "
                                 f"({len(planned.loaded.skipped)} skipped); {why}the previous index is unchanged. "
                                 "Fix the files listed, or point at another folder.", planned.loaded.skipped)
        previous = planned.previous
        if previous is not None and not planned.has_changes:
            progress(1.0, "nothing changed")
            return _report(store, planned, previous.version, previous.manifest, 0, 0, started, False)
        fresh = set(planned.added) | set(planned.changed) if previous is not None else {d.doc_id for d in documents}
        progress(0.05, "chunking")
        chunks = [chunk for doc in documents if doc.doc_id in fresh
                  for chunk in chunk_document(doc, embedder.count_tokens, chunker)]
        writer = store.writer(previous, frozenset(planned.changed) | frozenset(planned.removed), options)
        inputs = 0
        for start, block in _blocks(chunks):
            progress(0.1 + 0.8 * start / max(1, len(chunks)), f"embedding {start + len(block)}/{len(chunks)} chunks")
            vectors = embed_texts(embedder, [c.embed_text for c in block])
            units, sentences = embed_units(embedder, block) if options.sentence_vectors else (None, 0)
            writer.append(block, vectors, units)
            inputs += len(block) + sentences
            progress(0.1 + 0.8 * (start + len(block)) / max(1, len(chunks)),
                     f"embedded {start + len(block)}/{len(chunks)} chunks")
        progress(0.9, "writing")
        name, manifest = writer.commit(_manifest(embedder, chunker, options, planned, fresh, chunks, content_dir))
        progress(0.95, "checking the new version")
        store.verify(name, manifest, chunks, embedder, previous)
        store.publish(name)
        store.release(options.keep_versions)
        progress(1.0, "published")
        return _report(store, planned, name, manifest, len(chunks), inputs, started, True)


def build_index(content_dir: Path, index_dir: Path, embedder: Embedder, chunker: ChunkSettings,
                options: BuildOptions = BuildOptions(), *, progress: Progress | None = None,
                loader: Loader | None = None, loaded: LoadResult | None = None) -> BuildReport:
    """The local segment store's build of a content folder (`loader`: another source of documents;
    `loaded`: documents made elsewhere, read as they are)."""
    from index.local import LocalStore

    source = (lambda known: loaded) if loaded is not None else loader or folder_loader(
        content_dir, Path(index_dir), options.base_url)
    return run_build(LocalStore(Path(index_dir)), source, Path(content_dir), embedder, chunker, options, progress)


def plan_build(content_dir: Path, index_dir: Path, model: str, chunker: ChunkSettings,
               options: BuildOptions = BuildOptions(), *, variant: str = "fp32", loader: Loader | None = None,
               loaded: LoadResult | None = None) -> BuildPlan:
    """What the local store's build would do; writes nothing."""
    from index.local import LocalStore

    source = (lambda known: loaded) if loaded is not None else loader or folder_loader(
        content_dir, Path(index_dir), options.base_url)
    store = LocalStore(Path(index_dir))
    with store.opened():
        return plan(store, source, model, variant, chunker, options)


def embed_texts(embedder: Embedder, texts: list[str]) -> np.ndarray:
    """Every text's vector, embedded shortest first (similar lengths: less padding) in the embedder's bulk blocks."""
    vectors = np.zeros((len(texts), embedder.dimension), dtype=np.float32)
    order = sorted(range(len(texts)), key=lambda r: len(texts[r]))
    block = getattr(embedder, "bulk_size", 512)
    for start in range(0, len(order), block):
        rows = order[start:start + block]
        vectors[rows] = embedder.embed([texts[r] for r in rows], progress=False)
    return vectors


def embed_units(embedder: Embedder, chunks: list[Chunk]) -> tuple[list[np.ndarray], int]:
    """Each chunk's answer units (sentences, or a recording's cues) embedded, so a question only compares
    vectors to find the answering sentence; and how many texts that took (a unit shared by overlapping
    chunks is embedded once)."""
    per_chunk = [[unit_text(u) for u in answer_units(c)] for c in chunks]
    texts = list(dict.fromkeys(t for units in per_chunk for t in units))
    vectors = embed_texts(embedder, texts)
    at = {text: n for n, text in enumerate(texts)}
    return [vectors[[at[t] for t in units]].astype(np.float16) if units
            else np.zeros((0, embedder.dimension), np.float16) for units in per_chunk], len(texts)


def _blocks(chunks: list[Chunk]) -> Iterator[tuple[int, list[Chunk]]]:
    for start in range(0, len(chunks), BLOCK):
        yield start, chunks[start:start + BLOCK]


def _reusable(store: Store, model: str, variant: str, chunker: ChunkSettings, options: BuildOptions):
    """(the published version, None) when a build can add to it; (None, why everything is rebuilt) when not."""
    try:
        previous = store.published()
    except IndexStoreError as exc:
        return None, f"the published index cannot be reused ({exc})"
    if previous is None:
        return None, None
    manifest = previous.manifest
    recorded = (getattr(manifest, "server", None) or {}).get("sentence_vectors", options.sentence_vectors)
    for what, old, new in (("model", manifest.model["name"], model), ("model variant", previous.variant, variant),
                           ("sentence_vectors", recorded, options.sentence_vectors)):
        if old != new:
            return None, f"the {what} changed ({old} → {new})"
    if manifest.chunker != chunker.as_dict():
        return None, "the chunker settings changed"
    if manifest.base_url != options.base_url:
        return None, "base_url changed"
    return previous, None


def _manifest(embedder: Embedder, chunker: ChunkSettings, options: BuildOptions, planned: BuildPlan,
              fresh: set[str], chunks: list[Chunk], content_dir: Path) -> Manifest:
    """The new version's manifest, before the store adds its segments and files."""
    per_doc: dict[str, int] = {}
    for chunk in chunks:
        per_doc[chunk.doc_id] = per_doc.get(chunk.doc_id, 0) + 1
    counts = dict(planned.previous.manifest.documents) if planned.previous is not None else {}
    documents = {d.doc_id: DocumentEntry(d.content_hash, d.title, d.url, d.source_type,
                                         per_doc.get(d.doc_id, 0) if d.doc_id in fresh else counts[d.doc_id].chunks,
                                         d.topic) for d in planned.loaded.documents}
    return Manifest(
        model={"name": embedder.name, "dimension": embedder.dimension, "max_seq_length": embedder.max_tokens,
               "variant": embedder.variant, "backend": embedder.backend},
        chunker=chunker.as_dict(), documents=documents, chunks=sum(e.chunks for e in documents.values()),
        built_at=datetime.now(timezone.utc).isoformat(timespec="seconds"), content_dir=str(Path(content_dir).resolve()),
        base_url=options.base_url, libraries=library_versions(), sources=list(options.sources))


def _report(store: Store, planned: BuildPlan, version: str, manifest: Manifest, embedded: int, inputs: int,
            started: float, published: bool) -> BuildReport:
    return BuildReport(
        index_dir=store.where, version=version, documents=len(planned.loaded.documents), chunks=manifest.chunks,
        added=len(planned.added), changed=len(planned.changed), removed=len(planned.removed),
        unchanged=len(planned.unchanged), chunks_embedded=embedded, skipped=planned.loaded.skipped,
        warnings=planned.loaded.warnings, seconds=round(time.perf_counter() - started, 2), full=planned.full,
        full_reason=planned.full_reason, published=published, segments=len(manifest.segments),
        deleted=sum(s.get("deleted", 0) for s in manifest.segments), search=store.search(manifest),
        fetch=planned.loaded.fetch, encoder_inputs=inputs)


__all__ = ["BuildOptions", "BuildPlan", "BuildReport", "Loader", "Progress", "Store", "Writer", "build_index", "build_lock",
           "compare", "embed_texts", "embed_units", "folder_loader", "plan", "plan_build", "run_build"]
