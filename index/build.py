"""Build or refresh an index: only new and changed documents are chunked and embedded.

    plan_build(content_dir, index_dir, model_name, chunker, options)  -> BuildPlan    what would change
                                                                         (the --dry-run view), writes nothing
    build_index(content_dir, index_dir, embedder, chunker, options)   -> BuildReport  does it, under a lock,
                                                                         and publishes atomically

`options` is a frozen BuildOptions (keyword overrides of its fields are accepted too). Documents come
one way: a `loader` given the documents already indexed (corpus.sources; default: the content folder).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
from filelock import FileLock, Timeout

from corpus import Chunk, ChunkSettings, Document, LoadResult, Skipped, chunk_document, load_folder
from corpus.sentences import answer_units, unit_text
from index.embedding import Embedder
from index.errors import IndexStoreError, NothingIndexed
from index.manifest import DocumentEntry, Manifest, library_versions
from index.ann import AnnSettings
from index.commit import Change, Policy, commit_version
from index.errors import BuildLocked
from index.store import LoadedIndex, load_index, publish, remove_old_versions
from index.verify import smoke_test

Progress = Callable[[float, str], None]  # (fraction done, what is happening)
Loader = Callable[[Mapping[str, Document]], LoadResult]  # documents already indexed -> what to index now


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


def _options(options: BuildOptions | None, overrides: dict) -> BuildOptions:
    return replace(options or BuildOptions(), **overrides)


def folder_loader(content_dir: Path, index_dir: Path, base_url: str | None) -> Loader:
    """The content folder's documents (the index folder inside it left out)."""
    return lambda known: load_folder(Path(content_dir), base_url=base_url, exclude=Path(index_dir), known=known)


@dataclass(frozen=True)
class BuildPlan:
    added: tuple[str, ...]
    changed: tuple[str, ...]
    removed: tuple[str, ...]
    unchanged: tuple[str, ...]
    full: bool
    full_reason: str | None
    loaded: LoadResult = field(repr=False)
    previous: LoadedIndex | None = field(default=None, repr=False)  # the published index, when reusable

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


def plan_build(content_dir: Path, index_dir: Path, model_name: str, chunker: ChunkSettings,
               options: BuildOptions | None = None, *, variant: str = "fp32", loader: Loader | None = None,
               loaded: LoadResult | None = None, **overrides) -> BuildPlan:
    """What a build would do. `loader` reads the documents (default: content_dir's files); `loaded`:
    documents made elsewhere, read as they are."""
    options = _options(options, overrides)
    loader = _loader(content_dir, index_dir, options, loader, loaded)
    previous, reason = _previous(index_dir, model_name, chunker, options.base_url, variant)
    if options.full:
        reason = "--full was asked for"
    return compare(previous, reason, loader)


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


def _loader(content_dir: Path, index_dir: Path, options: BuildOptions, loader: Loader | None,
            loaded: LoadResult | None) -> Loader:
    if loaded is not None:
        return lambda known: loaded
    return loader or folder_loader(content_dir, index_dir, options.base_url)


@dataclass(frozen=True)
class _Job:
    """One build under its lock: what it reads, where it writes, with what."""
    plan: BuildPlan
    content_dir: Path
    index_dir: Path
    embedder: Embedder
    chunker: ChunkSettings
    options: BuildOptions
    progress: Progress
    started: float


def build_index(content_dir: Path, index_dir: Path, embedder: Embedder, chunker: ChunkSettings,
                options: BuildOptions | None = None, *, progress: Progress | None = None,
                loader: Loader | None = None, loaded: LoadResult | None = None, **overrides) -> BuildReport:
    """Load, chunk and embed what changed, write it as a new segment of a new version (deletion marks for
    what it replaces), verify it, publish it."""
    started = time.perf_counter()
    options = _options(options, overrides)
    index_dir = Path(index_dir)
    index_dir.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(index_dir / "build.lock"))
    try:
        lock.acquire(timeout=options.lock_timeout)
    except Timeout as exc:
        raise BuildLocked(f"Another build is running on {index_dir} (lock {index_dir / 'build.lock'}) — "
                          "wait for it to finish, then run this again.") from exc
    try:
        remove_old_versions(index_dir, options.keep_versions)
        progress = progress or (lambda fraction, message: None)
        progress(0.0, "reading content")
        plan = plan_build(content_dir, index_dir, embedder.name, chunker, options, variant=embedder.variant,
                          loader=loader, loaded=loaded)
        return _build_locked(_Job(plan, Path(content_dir), index_dir, embedder, chunker, options, progress, started))
    finally:
        lock.release()


def _build_locked(job: _Job) -> BuildReport:
    plan, embedder, progress = job.plan, job.embedder, job.progress
    documents = plan.loaded.documents
    if not documents:
        why = "".join(f"{w}; " for w in plan.loaded.warnings[:3])  # e.g. why a site could not be read
        raise NothingIndexed(f"No document in {', '.join(job.options.sources) or job.content_dir} could be indexed "
                             f"({len(plan.loaded.skipped)} skipped); {why}the previous index is unchanged. "
                             "Fix the files listed, or point at another folder.", plan.loaded.skipped)
    previous = plan.previous
    if previous is not None and not plan.has_changes:
        progress(1.0, "nothing changed")
        return _report(plan, job.index_dir, previous.version, len(documents), previous.manifest.chunks, 0,
                       job.started, False, previous.manifest)
    fresh_docs = set(plan.added) | set(plan.changed) if previous is not None else {d.doc_id for d in documents}
    progress(0.05, "chunking")
    chunks = [chunk for doc in documents if doc.doc_id in fresh_docs
              for chunk in chunk_document(doc, embedder.count_tokens, job.chunker)]
    progress(0.1, f"embedding {len(chunks)} chunks")
    vectors = _embed_all(embedder, [c.embed_text for c in chunks], lambda done: progress(
        0.1 + 0.5 * done / max(1, len(chunks)), f"embedded {done}/{len(chunks)} chunks"))
    units, sentences = _embed_units(embedder, chunks, lambda f, what: progress(0.6 + 0.3 * f, what)) \
        if job.options.sentence_vectors else (None, 0)
    progress(0.9, "writing")
    manifest = _manifest(job, fresh_docs, _count_by_document(chunks))
    change = Change(frozenset(plan.changed) | frozenset(plan.removed), chunks, vectors, units)
    policy = Policy(job.options.ann, job.options.max_segments, job.options.sentence_vectors)
    name, manifest = commit_version(job.index_dir, previous, change, manifest, policy)
    smoke_test(job.index_dir, name, embedder, chunks, previous)
    publish(job.index_dir, name)
    remove_old_versions(job.index_dir, job.options.keep_versions)
    progress(1.0, "published")
    report = _report(plan, job.index_dir, name, len(documents), manifest.chunks, len(chunks), job.started, True, manifest)
    return replace(report, encoder_inputs=len(chunks) + sentences)


def _manifest(job: _Job, fresh_docs: set[str], per_doc: dict[str, int]) -> Manifest:
    embedder, previous = job.embedder, job.plan.previous
    counts = dict(previous.manifest.documents) if previous is not None else {}
    return Manifest(
        model={"name": embedder.name, "dimension": embedder.dimension, "max_seq_length": embedder.max_tokens,
               "variant": embedder.variant, "backend": embedder.backend},
        chunker=job.chunker.as_dict(),
        documents={d.doc_id: DocumentEntry(d.content_hash, d.title, d.url, d.source_type,
                                           per_doc.get(d.doc_id, 0) if d.doc_id in fresh_docs
                                           else counts[d.doc_id].chunks, d.topic) for d in job.plan.loaded.documents},
        chunks=0,
        built_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        content_dir=str(job.content_dir.resolve()),
        base_url=job.options.base_url,
        libraries=library_versions(),
        sources=list(job.options.sources),
    )


def _embed_all(embedder: Embedder, texts: list[str], done: Callable[[int], None]) -> np.ndarray:
    """Every text's vector, embedded shortest first (similar lengths: less padding) in blocks."""
    vectors = np.zeros((len(texts), embedder.dimension), dtype=np.float32)
    order = sorted(range(len(texts)), key=lambda r: len(texts[r]))
    block = getattr(embedder, "bulk_size", 512)
    for start in range(0, len(order), block):
        rows = order[start:start + block]
        vectors[rows] = embedder.embed([texts[r] for r in rows], progress=False)
        done(min(start + block, len(order)))
    return vectors


def _embed_units(embedder: Embedder, chunks: list[Chunk], progress: Progress) -> tuple[list[np.ndarray], int]:
    """Each chunk's answer units (sentences, or a recording's cues) embedded, so a question only compares
    vectors to find the answering sentence; and how many texts that took (a unit shared by overlapping
    chunks is embedded once)."""
    per_chunk = [[unit_text(u) for u in answer_units(c)] for c in chunks]
    texts = list(dict.fromkeys(t for units in per_chunk for t in units))
    progress(0.0, f"embedding {len(texts)} sentences")
    vectors = _embed_all(embedder, texts, lambda done: progress(done / max(1, len(texts)),
                                                                f"embedded {done}/{len(texts)} sentences"))
    at = {text: n for n, text in enumerate(texts)}
    return [vectors[[at[t] for t in units]].astype(np.float16) if units
            else np.zeros((0, embedder.dimension), np.float16) for units in per_chunk], len(texts)


def _report(plan: BuildPlan, index_dir: Path, version: str, documents: int, chunks: int, embedded: int,
            started: float, published: bool, manifest: Manifest) -> BuildReport:
    return BuildReport(
        segments=len(manifest.segments), deleted=sum(s["deleted"] for s in manifest.segments),
        search=manifest.ann_summary(),
        index_dir=str(index_dir), version=version, documents=documents, chunks=chunks,
        added=len(plan.added), changed=len(plan.changed), removed=len(plan.removed), unchanged=len(plan.unchanged),
        chunks_embedded=embedded, skipped=plan.loaded.skipped, warnings=plan.loaded.warnings,
        seconds=round(time.perf_counter() - started, 2), full=plan.full, full_reason=plan.full_reason,
        published=published, fetch=plan.loaded.fetch,
    )


def _previous(index_dir: Path, model_name: str, chunker: ChunkSettings, base_url: str | None, variant: str):
    """(the published index, None) when it can be reused; (None, why a full build is needed) otherwise."""
    try:
        previous = load_index(index_dir)
    except IndexStoreError as exc:
        return None, None if "No index" in str(exc) else f"the published index cannot be reused ({exc})"
    if previous.manifest.model["name"] != model_name:
        return None, f"the model changed ({previous.manifest.model['name']} → {model_name})"
    if previous.variant != variant:
        return None, f"the model variant changed ({previous.variant} → {variant})"
    if previous.manifest.chunker != chunker.as_dict():
        return None, "the chunker settings changed"
    if previous.manifest.base_url != base_url:
        return None, "base_url changed"
    return previous, None


def _count_by_document(chunks: list[Chunk]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for chunk in chunks:
        counts[chunk.doc_id] = counts.get(chunk.doc_id, 0) + 1
    return counts
