"""Write a new version from the published one and a change, touching only what changed.

    Change(drop_docs, chunks, vectors, units)  documents to drop (changed or removed) and chunks to add
    commit_version(index_dir, base, change, manifest, policy) -> (name, manifest)
    merge_plan(segments, max_segments) -> indexes of the segments to merge (pure)

The new chunks become one new segment; rows of dropped documents get deletion marks in the new
version. When there are more than `max_segments` segments, or a segment is mostly deleted, the small
and the mostly-deleted segments are rewritten as one (the big, healthy segment stays as it is).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from corpus import Chunk
from index.ann import AnnSettings
from index.manifest import Manifest, checksums, sha256_file
from index.segment import SEGMENT_FILE, UnitVectors, write_segment
from index.store import SEGMENTS, VERSIONS, LoadedIndex, fsync_dir, fsync_tree

MOSTLY_DELETED = 0.5


@dataclass(frozen=True)
class Change:
    drop_docs: frozenset[str] = frozenset()
    chunks: list[Chunk] = field(default_factory=list)
    vectors: np.ndarray | None = None
    units: list[np.ndarray] | None = None  # each chunk's answer-unit vectors (None: not embedded)


@dataclass(frozen=True)
class Policy:
    ann: AnnSettings = AnnSettings()
    max_segments: int = 8
    sentence_vectors: bool = True  # the build embeds each chunk's answer units (see index.segment)


@dataclass(frozen=True)
class Part:
    """A segment as the new version lists it: an existing one (with its rows to delete) or to be written."""
    entry: dict
    deleted: np.ndarray


def new_name(prefix: str) -> str:
    return datetime.now(timezone.utc).strftime(f"{prefix}%Y%m%dT%H%M%S%fZ") + (
        "" if prefix == "v" else "-" + secrets.token_hex(3))


def commit_version(index_dir: Path, base: LoadedIndex | None, change: Change, manifest: Manifest,
                   policy: Policy = Policy()) -> tuple[str, Manifest]:
    """Write the new segment (if any), merge when the policy says so, write and fsync the version folder.
    Nothing is published: the caller checks the version, then points CURRENT at it."""
    index_dir = Path(index_dir)
    parts = _kept_parts(base, change.drop_docs)
    chunks, vectors = list(change.chunks), change.vectors
    units = list(change.units) if change.units is not None else ([] if not chunks else None)
    merge = merge_plan([(p.entry["rows"], len(p.deleted)) for p in parts], policy.max_segments - bool(chunks))
    if merge:
        old_chunks, old_vectors, old_units = _live_rows(base, [parts[i] for i in merge])
        chunks = old_chunks + chunks
        vectors = old_vectors if vectors is None or not len(vectors) else np.concatenate([old_vectors, vectors])
        units = None if old_units is None or units is None else old_units + units
        parts = [p for i, p in enumerate(parts) if i not in set(merge)]
    if chunks:
        joined = None if units is None else UnitVectors.join(units, vectors.shape[1])
        parts.append(Part(write_new_segment(index_dir, chunks, vectors, policy.ann, joined), np.zeros(0, np.int64)))
    name = new_name("v")
    return name, write_version(index_dir / VERSIONS / name, parts, manifest)


def write_new_segment(index_dir: Path, chunks: list[Chunk], vectors: np.ndarray, ann: AnnSettings,
                      units: UnitVectors | None = None) -> dict:
    folder = index_dir / SEGMENTS / new_name("s")
    (index_dir / SEGMENTS).mkdir(parents=True, exist_ok=True)
    record = write_segment(folder, chunks, vectors, ann, units)
    fsync_tree(folder)
    return {"name": folder.name, "rows": record["rows"], "ann": record["ann"],
            "sha256": sha256_file(folder / SEGMENT_FILE)}


def write_version(folder: Path, parts: list[Part], manifest: Manifest) -> Manifest:
    folder.mkdir(parents=True)
    segments = []
    for part in parts:
        if len(part.deleted):
            (folder / "deleted").mkdir(exist_ok=True)
            np.save(folder / "deleted" / f"{part.entry['name']}.npy", np.sort(part.deleted).astype(np.int64))
        segments.append({**part.entry, "deleted": int(len(part.deleted))})
    live = sum(s["rows"] - s["deleted"] for s in segments)
    manifest = replace(manifest, chunks=live, segments=segments, files=checksums(folder))
    (folder / "manifest.json").write_text(manifest.to_json(), encoding="utf-8")
    fsync_tree(folder)
    fsync_dir(folder.parent.parent)
    return manifest


def _kept_parts(base: LoadedIndex | None, drop_docs: frozenset[str]) -> list[Part]:
    """The base's segments with the rows of dropped documents added to their deletion marks; segments
    left with no live row are not listed at all."""
    if base is None:
        return []
    parts = []
    for segment, dead, entry in zip(base.segments, base.deleted, base.manifest.segments):
        codes = [n for n, doc in enumerate(segment.doc_ids) if doc in drop_docs]
        if codes:
            dead = np.union1d(dead, np.flatnonzero(np.isin(segment.docs, codes))).astype(np.int64)
        if len(dead) < segment.rows:
            parts.append(Part({k: v for k, v in entry.items() if k != "deleted"}, dead))
    return parts


def merge_plan(segments: list[tuple[int, int]], max_segments: int) -> list[int]:
    """Which segments (rows, deleted) to rewrite as one: every mostly-deleted segment, and when there
    are more than `max_segments`, all but the largest live one."""
    mostly_deleted = [i for i, (rows, dead) in enumerate(segments) if rows and dead / rows >= MOSTLY_DELETED]
    if len(segments) <= max(1, max_segments):
        return mostly_deleted
    largest = max(range(len(segments)), key=lambda i: segments[i][0] - segments[i][1])
    merge = set(range(len(segments))) - {largest}
    if largest in mostly_deleted:
        merge.add(largest)
    return sorted(merge)


def _live_rows(base: LoadedIndex, parts: list[Part]) -> tuple[list[Chunk], np.ndarray, list[np.ndarray] | None]:
    """The live rows' chunks, vectors and answer-unit vectors (None unless every segment has them)."""
    by_name = {s.name: s for s in base.segments}
    chunks, vectors, units = [], [], []
    for part in parts:
        segment = by_name[part.entry["name"]]
        live = np.setdiff1d(np.arange(segment.rows), part.deleted)
        chunks += [segment.chunk(int(row)) for row in live]
        vectors.append(segment.vectors_of(live))
        if units is not None and segment.units is not None:
            units += [segment.units.of(int(row)) for row in live]
        else:
            units = None
    return chunks, np.concatenate(vectors), units
