"""The index on disk: immutable segments, versions that list them, and a pointer to the published one.

    <index_dir>/CURRENT                       name of the published version (replaced atomically)
    <index_dir>/versions/<name>/manifest.json what the version holds: its segments (each pinned by the
                                              sha256 of its segment.json), documents, model, chunker
    <index_dir>/versions/<name>/deleted/<segment>.npy   rows of that segment this version no longer has
    <index_dir>/segments/<name>/              one segment (see index.segment); shared between versions
    <index_dir>/build.lock                    held by the one build that may run

A new version writes only what changed: a new segment for new and changed documents, and deletion
marks for the rows they replace (Lucene's commit points). Everything is written and fsynced before
CURRENT points at it, so a crash at any moment leaves the previous version published and loadable.
Segments no kept version lists are removed by the next build.
"""

from __future__ import annotations

import json
import os
from collections.abc import Collection
import shutil
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from corpus import Chunk
from index.errors import CorruptIndex, IndexMismatch
from index.lexical import LexicalMatches, LexicalSearch
from index.manifest import FORMAT_VERSION, Manifest, sha256_file
from index.pointer import POINTER, VERSIONS, current_version, published_version  # noqa: F401 — re-exported
from index.segment import SEGMENT_FILE, Segment, read_chunks  # noqa: F401 — read_chunks: for tools
from index.segment import json_line as _json_line  # noqa: F401 — kept for callers of the old name

SEGMENTS = "segments"


class VectorView:
    """The stored float32 vectors by global row, with the FAISS-style calls older callers use."""

    def __init__(self, index: LoadedIndex):
        self._index = index
        self.ntotal = index.rows
        self.d = int(index.manifest.model["dimension"])

    def reconstruct(self, row: int) -> np.ndarray:
        return self._index.vectors_of(np.array([row]))[0]

    def reconstruct_batch(self, rows) -> np.ndarray:
        return self._index.vectors_of(np.asarray(rows, dtype=np.int64))


class ChunkView:
    """`index.chunks`: indexing takes a global row (as search returns); iterating and len() cover the
    live chunks only. Reads lazily; iterating everything is for tools and tests, not questions."""

    def __init__(self, index: LoadedIndex):
        self._index = index

    def __getitem__(self, row: int) -> Chunk:
        return self._index.chunk(int(row))

    def __len__(self) -> int:
        return self._index.live

    @property
    def total(self) -> int:
        """Rows over all segments, deleted ones included: the bound of a row search returns."""
        return self._index.rows

    def __iter__(self):
        for row in self._index.live_rows():
            yield self._index.chunk(int(row))


@dataclass(frozen=True, eq=False)
class LoadedIndex:
    version: str
    manifest: Manifest
    segments: tuple[Segment, ...]
    deleted: tuple[np.ndarray, ...]  # per segment: sorted local rows this version no longer has
    offsets: np.ndarray  # global row where each segment starts, then the total

    @property
    def rows(self) -> int:
        """Rows over all segments, deleted ones included (global rows run 0..rows-1)."""
        return int(self.offsets[-1])

    @property
    def live(self) -> int:
        return self.rows - sum(len(d) for d in self.deleted)

    @cached_property
    def lexical(self) -> LexicalSearch:
        return LexicalSearch([s.lexical for s in self.segments], self.offsets, list(self.deleted))

    @property
    def vectors(self) -> VectorView:
        return VectorView(self)

    @property
    def chunks(self) -> ChunkView:
        return ChunkView(self)

    def _locate(self, rows: np.ndarray) -> np.ndarray:
        return np.searchsorted(self.offsets, rows, side="right") - 1

    def chunk(self, row: int) -> Chunk:
        """The chunk at a global row (a row search returned)."""
        part = int(self._locate(np.array([row]))[0])
        return self.segments[part].chunk(int(row) - int(self.offsets[part]))

    def unit_vectors(self, row: int) -> np.ndarray | None:
        """The vectors of a row's answer units (`corpus.sentences.answer_units`), float32; None when its
        segment was written without them."""
        part = int(self._locate(np.array([row]))[0])
        units = self.segments[part].units
        return None if units is None else units.of(int(row) - int(self.offsets[part]))

    def doc_of(self, rows) -> dict[int, str]:
        """{row: document id} for the given global rows."""
        rows = np.asarray(list(rows), dtype=np.int64)
        parts = self._locate(rows)
        out: dict[int, str] = {}
        for p in np.unique(parts):
            at = rows[parts == p]
            names = self.segments[p].doc_ids
            out.update(zip(at.tolist(), [names[c] for c in self.segments[p].docs[at - int(self.offsets[p])].tolist()]))
        return {int(row): out[int(row)] for row in rows}

    def document_rows(self, row: int, limit: int = 64) -> list[int]:
        """The global rows of the document that holds `row`, in order (a document's chunks are written
        together, so they lie next to each other in its segment); at most `limit` around `row`."""
        part = int(self._locate(np.array([row]))[0])
        docs, local = self.segments[part].docs, int(row) - int(self.offsets[part])
        first = last = local
        while first > 0 and docs[first - 1] == docs[local] and local - first < limit:
            first -= 1
        while last + 1 < len(docs) and docs[last + 1] == docs[local] and last - first + 1 < limit:
            last += 1
        offset = int(self.offsets[part])
        return list(range(first + offset, last + offset + 1))

    def live_rows(self) -> np.ndarray:
        out = [np.setdiff1d(np.arange(s.rows), d) + int(o) for s, d, o in zip(self.segments, self.deleted, self.offsets)]
        return np.concatenate(out) if out else np.zeros(0, np.int64)

    def vectors_of(self, rows: np.ndarray) -> np.ndarray:
        rows = np.asarray(rows, dtype=np.int64)
        out = np.zeros((len(rows), int(self.manifest.model["dimension"])), dtype=np.float32)
        parts = self._locate(rows)
        for p in np.unique(parts):
            at = np.flatnonzero(parts == p)
            out[at] = self.segments[p].vectors_of(rows[at] - int(self.offsets[p]))
        return out

    def search_dense(self, query_vector: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The k live rows nearest the query, best first: exact, or IVF re-scored exactly on large segments."""
        query = np.asarray(query_vector, dtype=np.float32).reshape(-1)
        found = [seg.search(query, k, dead) for seg, dead in zip(self.segments, self.deleted)]
        rows = np.concatenate([r + int(o) for (r, _), o in zip(found, self.offsets)]) if found else np.zeros(0, np.int64)
        scores = np.concatenate([s for _, s in found]) if found else np.zeros(0, np.float32)
        order = np.lexsort((rows, -scores))[:k]
        return rows[order].astype(np.int64), scores[order].astype(np.float32)

    def search_lexical(self, question: str) -> LexicalMatches:
        """BM25 scores of the live rows holding a word of the question (`.top(k)`, `.scores_of(rows)`)."""
        return self.lexical.query(question)

    def search_both(self, query_vector: np.ndarray, question: str, k: int) -> tuple[tuple[np.ndarray, np.ndarray],
                                                                                    LexicalMatches]:
        """search_dense and search_lexical together (an index server answers both in one round trip)."""
        return self.search_dense(query_vector, k), self.search_lexical(question)

    def words(self) -> dict[str, int]:
        """The index's words as written, with the rows holding each: what misspelt question words are
        corrected to."""
        return self.lexical.words()

    @property
    def variant(self) -> str:
        """The model variant the vectors were made with (indexes from before variants: fp32)."""
        return self.manifest.model.get("variant", "fp32")

    def stored_vectors(self) -> np.ndarray:
        return self.vectors_of(self.live_rows())




def publish(index_dir: Path, name: str) -> None:
    """Point CURRENT at versions/<name>: os.replace of a temp file, then fsync of the folder."""
    tmp = Path(index_dir) / f".{POINTER}.{os.getpid()}.tmp"
    with open(tmp, "w") as handle:
        handle.write(name + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, Path(index_dir) / POINTER)
    fsync_dir(Path(index_dir))


def read_manifest(folder: Path) -> Manifest:
    try:
        return Manifest.from_json((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, TypeError, KeyError) as exc:
        raise CorruptIndex(f"Index file {folder / 'manifest.json'} is missing or not readable") from exc


def load_index(index_dir: Path, expected_model: str | None = None, version: str | None = None,
               check_data: Collection[str] | None = None, opened: LoadedIndex | None = None,
               expected_variant: str | None = None) -> LoadedIndex:
    """The published (or named) version, every file checked against its sha256. `check_data` names the
    segments whose data files are hashed (None: all; the manifest, deletion marks and segment records
    always are): a build checks the segments it wrote, having just checked the ones it reuses, whose
    open Segment objects it passes as `opened` (segments are immutable).
    IndexMismatch when it was made with another model or, given `expected_variant`, another model
    variant than the one that will embed the questions."""
    index_dir = Path(index_dir)
    version = version or published_version(index_dir)
    folder = index_dir / VERSIONS / version
    manifest = read_manifest(folder)
    if manifest.format_version != FORMAT_VERSION:
        raise IndexMismatch(f"Index {index_dir} has format {manifest.format_version}, this version reads "
                            f"{FORMAT_VERSION} — run `assistant build --full`.")
    if expected_model and manifest.model["name"] != expected_model:
        raise IndexMismatch(f"Index {index_dir} was built with model {manifest.model['name']!r} but the settings "
                            f"name {expected_model!r} — run `assistant build --full` to rebuild it with "
                            f"{expected_model!r}, or set the model back.")
    variant = manifest.model.get("variant", "fp32")
    if expected_variant and variant != expected_variant:
        raise IndexMismatch(f"Index {index_dir} was built with the {variant} variant of its model but the questions "
                            f"would be embedded with {expected_variant} — restart to pick up the index's variant, "
                            f"or run `assistant build --full` to rebuild it.")
    records = verify(index_dir, folder, manifest, check_data)
    segments, deleted = [], []
    reuse = {s.name: s for s in opened.segments} if opened is not None else {}
    for entry, record in zip(manifest.segments, records):
        segments.append(reuse.get(entry["name"]) or Segment.open(index_dir / SEGMENTS / entry["name"], record))
        deleted.append(_deleted(folder, entry))
    offsets = np.concatenate([[0], np.cumsum([s.rows for s in segments])]).astype(np.int64)
    return LoadedIndex(version, manifest, tuple(segments), tuple(deleted), offsets)


def _deleted(folder: Path, entry: dict) -> np.ndarray:
    if not entry.get("deleted"):
        return np.zeros(0, np.int64)
    try:
        rows = np.load(folder / "deleted" / f"{entry['name']}.npy")
    except (OSError, ValueError) as exc:
        raise CorruptIndex(f"Index file {folder / 'deleted' / (entry['name'] + '.npy')} cannot be read ({exc})") from exc
    if len(rows) != entry["deleted"] or (len(rows) and (rows.min() < 0 or rows.max() >= entry["rows"])):
        raise CorruptIndex(f"Deletion marks of segment {entry['name']} in {folder} do not match the manifest")
    return rows.astype(np.int64)


def verify(index_dir: Path, folder: Path, manifest: Manifest, check_data: Collection[str] | None = None) -> list[dict]:
    """Check every file of the version and its segments against its sha256 (files hashed two at a time);
    return each segment's record."""
    expected = {folder / rel: sha for rel, sha in manifest.files.items()}
    records = []
    for entry in manifest.segments:
        seg = index_dir / SEGMENTS / entry["name"]
        _check(seg / SEGMENT_FILE, entry["sha256"])
        try:
            record = json.loads((seg / SEGMENT_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise CorruptIndex(f"Index file {seg / SEGMENT_FILE} is not readable ({exc})") from exc
        records.append(record)
        if check_data is None or entry["name"] in check_data:
            expected.update({seg / rel: sha for rel, sha in record["files"].items()})
    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(lambda item: _check(*item), sorted(expected.items(), key=lambda i: -_size(i[0]))))
    return records


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _check(path: Path, sha: str) -> None:
    if not path.is_file() or sha256_file(path) != sha:
        raise CorruptIndex(f"Index file {path} is missing or altered (checksum mismatch)")


def referenced_segments(index_dir: Path, versions: list[str]) -> set[str]:
    names = set()
    for version in versions:
        try:
            data = json.loads((Path(index_dir) / VERSIONS / version / "manifest.json").read_text(encoding="utf-8"))
            names |= {s["name"] for s in data.get("segments", [])}
        except (OSError, ValueError, TypeError, KeyError):
            continue
    return names


def remove_old_versions(index_dir: Path, keep: int) -> list[str]:
    """Delete versions beyond the newest `keep` (never the published one), unfinished leftovers, and
    segments no remaining version lists. Only a build (holding the lock) calls this."""
    root = Path(index_dir) / VERSIONS
    if not root.is_dir():
        return []
    current = current_version(index_dir)
    names = sorted((p.name for p in root.iterdir() if p.is_dir()), reverse=True)
    finished = [n for n in names if (root / n / "manifest.json").is_file()]
    keep_names = set(finished[:max(1, keep)]) | {current}
    removed = [n for n in names if n not in keep_names]
    for name in removed:
        shutil.rmtree(root / name, ignore_errors=True)
    for tmp in Path(index_dir).glob(f".{POINTER}.*.tmp"):
        tmp.unlink(missing_ok=True)
    segments = Path(index_dir) / SEGMENTS
    if segments.is_dir():
        used = referenced_segments(index_dir, [n for n in keep_names if n])
        for folder in segments.iterdir():
            if folder.name not in used:
                shutil.rmtree(folder, ignore_errors=True)
    return removed


def fsync_tree(folder: Path) -> None:
    for root, _, names in os.walk(folder):
        for name in names:
            fd = os.open(os.path.join(root, name), os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        fsync_dir(Path(root))
    fsync_dir(folder.parent)


def fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
