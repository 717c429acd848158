"""A new index version is loaded back and checked before it is published (index.build)."""

from __future__ import annotations

from pathlib import Path

from corpus import Chunk
from index.embedding import Embedder
from index.errors import CorruptIndex, IndexStoreError
from index.store import VERSIONS, LoadedIndex, load_index, read_manifest


def smoke_test(index_dir: Path, name: str, embedder: Embedder, chunks: list[Chunk],
                previous: LoadedIndex | None) -> None:
    """Load the written version from disk through the code `serve` and `ask` use (load_index; segments
    reused from `previous` were checked when it was loaded, under this build's lock), check the new
    chunks read back exactly as written, and that one of them finds itself. Raises before anything is
    published, naming what failed."""
    try:
        reused = {s["name"] for s in previous.manifest.segments} if previous is not None else set()
        fresh = [s["name"] for s in read_manifest(index_dir / VERSIONS / name).segments if s["name"] not in reused]
        loaded = load_index(index_dir, embedder.name, version=name, check_data=fresh, opened=previous)
        written = _new_rows(loaded, chunks)
    except CorruptIndex as exc:
        raise IndexStoreError(f"The new index version did not load back as `assistant serve` would load it: "
                              f"{exc.problem}. Nothing was published; the previous version stays in use. "
                              "This is a bug: please report it with the file named.") from exc
    if written != chunks:
        changed = next((i for i, pair in enumerate(zip(written, chunks), 1) if pair[0] != pair[1]), len(written))
        raise IndexStoreError(f"The new index version {name} reads back differently from what was written "
                              f"(chunk {changed}). Nothing was published; the previous version stays in use. "
                              "This is a bug: please report it.")
    if not chunks:
        return
    probe = chunks[len(chunks) // 2]
    rows, _ = loaded.search_dense(embedder.embed_query(probe.embed_text), 5)
    if not any(loaded.chunk(int(r)).chunk_id == probe.chunk_id for r in rows):
        raise IndexStoreError(f"the new index version {name} failed its smoke query; the previous one stays published")


def _new_rows(loaded: LoadedIndex, chunks: list[Chunk]) -> list[Chunk]:
    """The last len(chunks) rows of the version: where commit_version put the new chunks."""
    start = loaded.rows - len(chunks)
    return [loaded.chunk(row) for row in range(start, loaded.rows)]
