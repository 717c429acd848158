"""The local segment store as a build's `Store` (index.build): a folder of versions and shared segments.

A build's new chunks become one new segment and the rows of changed and removed documents deletion
marks in the new version (index.commit); the version is loaded back by the code `serve` uses and checked
(index.verify), then CURRENT moves to it atomically. A build lock (`build.lock`) keeps one build at a time.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from corpus import Chunk
from index.build import BuildOptions, build_lock
from index.commit import Change, Policy, commit_version
from index.embedding import Embedder
from index.errors import MissingIndex
from index.manifest import Manifest
from index.store import LoadedIndex, load_index, publish, remove_old_versions
from index.verify import smoke_test


class LocalStore:
    def __init__(self, index_dir: Path):
        self.index_dir = Path(index_dir)
        self.where = str(self.index_dir)

    @contextmanager
    def opened(self) -> Iterator[None]:
        yield

    def lock(self, timeout: float):
        return build_lock(self.index_dir, timeout, str(self.index_dir))

    def published(self) -> LoadedIndex | None:
        try:
            return load_index(self.index_dir)
        except MissingIndex:
            return None

    def writer(self, previous: LoadedIndex | None, drop_docs: frozenset[str], options: BuildOptions) -> LocalWriter:
        return LocalWriter(self.index_dir, previous, drop_docs,
                           Policy(options.ann, options.max_segments, options.sentence_vectors))

    def verify(self, name: str, manifest: Manifest, chunks: list[Chunk], embedder: Embedder,
               previous: LoadedIndex | None) -> None:
        smoke_test(self.index_dir, name, embedder, chunks, previous)

    def publish(self, name: str) -> None:
        publish(self.index_dir, name)

    def release(self, keep: int) -> None:
        remove_old_versions(self.index_dir, keep)

    def search(self, manifest: Manifest) -> dict:
        return manifest.ann_summary()


class LocalWriter:
    """The new chunks gathered, then written as one segment of a new version (with merges, deletion marks)."""

    def __init__(self, index_dir: Path, previous: LoadedIndex | None, drop_docs: frozenset[str], policy: Policy):
        self.index_dir, self.previous, self.drop_docs, self.policy = index_dir, previous, drop_docs, policy
        self.chunks: list[Chunk] = []
        self.vectors: list[np.ndarray] = []
        self.units: list[np.ndarray] | None = [] if policy.sentence_vectors else None

    def append(self, chunks: list[Chunk], vectors: np.ndarray, units: list[np.ndarray] | None) -> None:
        self.chunks += chunks
        self.vectors.append(vectors)
        if self.units is not None and units is not None:
            self.units += units

    def commit(self, manifest: Manifest) -> tuple[str, Manifest]:
        dimension = int(manifest.model["dimension"])
        vectors = np.concatenate(self.vectors) if self.vectors else np.zeros((0, dimension), np.float32)
        change = Change(self.drop_docs, self.chunks, vectors, self.units)
        return commit_version(self.index_dir, self.previous, change, manifest, self.policy)


__all__ = ["LocalStore", "LocalWriter"]
