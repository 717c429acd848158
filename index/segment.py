"""A segment: an immutable slice of the index, written once, shared by every version that lists it.

    <index_dir>/segments/<name>/
        segment.json     rows, dimension, ANN parameters, sha256 of every file below
        vectors.npy      float16 (rows × dim): the chunk vectors of a segment searched exactly (below
                         `AnnSettings.threshold` rows), read into memory as float32 on its first search
        ann.faiss        IVF,SQfp16 (segments of `AnnSettings.threshold` rows or more): the chunk vectors,
                         stored there once (no vectors.npy), memory-mapped
        chunks.zst       the Chunk records, a zstd frame each against chunks.dict, a dictionary trained on
                         them (index.records); offsets.npy: int64 (rows + 1) byte offsets of the frames
        docs.npy         int32 (rows) the row's document, an index into doc_ids.json
        doc_ids.json     the segment's document ids
        lexical/         bm25s over the rows' embed_text, and the rows' words (index.lexical)
        units.npy        int8 (answer units × dim) and unit_scales.npy float32 (answer units): every row's
                         sentences or cues, vector = scale × codes (index.quantize), memory-mapped
        unit_offsets.npy int64 (rows + 1): row r's units are units[unit_offsets[r]:unit_offsets[r + 1]]
                         (all three optional: without them the answering sentence is embedded per question)

    write_segment(folder, chunks, vectors, ann, units) -> dict   the segment.json record
    Segment.open(folder, record)                          maps it; nothing per row in Python
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from corpus import Chunk
from index.ann import AnnSettings, ann_search, build_ann, exact_search, read_ann
from index.records import ChunkRecords, chunk_from_line, json_line, read_chunks, write_records  # noqa: F401
from index.errors import CorruptIndex
from index.lexical import LexicalIndex
from index.manifest import checksums
from index.quantize import dequantize_int8, quantize_int8

if TYPE_CHECKING:
    import faiss

SEGMENT_FILE = "segment.json"


def write_segment(folder: Path, chunks: list[Chunk], vectors: np.ndarray, ann: AnnSettings,
                  units: UnitVectors | None = None) -> dict:
    """Write every file of a segment (not fsynced: the caller syncs the tree) and return its record."""
    folder.mkdir(parents=True)
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    if units is not None:
        codes, scales = quantize_int8(units.vectors)
        np.save(folder / "units.npy", codes)
        np.save(folder / "unit_scales.npy", scales)
        np.save(folder / "unit_offsets.npy", units.offsets.astype(np.int64))
    index, params = build_ann(vectors, ann)
    if index is not None:
        import faiss

        faiss.write_index(index, str(folder / "ann.faiss"))
    else:
        np.save(folder / "vectors.npy", vectors.astype(np.float16))
    write_records(folder, chunks)
    doc_ids = list(dict.fromkeys(c.doc_id for c in chunks))
    code = {doc: n for n, doc in enumerate(doc_ids)}
    np.save(folder / "docs.npy", np.fromiter((code[c.doc_id] for c in chunks), dtype=np.int32, count=len(chunks)))
    (folder / "doc_ids.json").write_text(json.dumps(doc_ids, ensure_ascii=True), encoding="utf-8")
    LexicalIndex.build([c.embed_text for c in chunks]).save(folder / "lexical")
    record = {"rows": len(chunks), "dimension": int(vectors.shape[1]), "ann": params,
              "files": {k: v for k, v in checksums(folder).items() if k != SEGMENT_FILE}}
    (folder / SEGMENT_FILE).write_text(json.dumps(record, indent=1, sort_keys=True), encoding="utf-8")
    return record


@dataclass(frozen=True)
class UnitVectors:
    """The answer units' vectors of consecutive rows: row r's are vectors[offsets[r]:offsets[r + 1]]
    (float32 or float16 as embedded; `scales` given: int8 codes as stored, vector = scale × codes)."""
    vectors: np.ndarray
    offsets: np.ndarray
    scales: np.ndarray | None = None

    @classmethod
    def join(cls, per_row: list[np.ndarray], dimension: int) -> UnitVectors:
        """One array of the rows' unit vectors, in the type they came in (a build's are float16)."""
        offsets = np.zeros(len(per_row) + 1, dtype=np.int64)
        offsets[1:] = np.cumsum([len(v) for v in per_row])
        joined = np.concatenate(per_row) if per_row and offsets[-1] else np.zeros((0, dimension), np.float32)
        return cls(joined, offsets)

    def of(self, row: int) -> np.ndarray:
        """Row's unit vectors, float32."""
        start, end = int(self.offsets[row]), int(self.offsets[row + 1])
        if self.scales is None:
            return np.asarray(self.vectors[start:end], dtype=np.float32)
        return dequantize_int8(self.vectors[start:end], self.scales[start:end])


@dataclass(frozen=True, eq=False)
class Segment:
    name: str
    folder: Path
    rows: int
    ann_params: dict
    docs: np.ndarray
    doc_ids: tuple[str, ...]
    lexical: LexicalIndex
    ann: faiss.Index | None  # large segments: the IVF index, which holds the vectors
    stored: np.ndarray | None  # small segments: the float16 vectors, memory-mapped
    text: ChunkRecords
    units: UnitVectors | None = None
    _decoded: dict = field(default_factory=dict, repr=False)  # "vectors": the float32 copy, once searched
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def open(cls, folder: Path, record: dict) -> Segment:
        try:
            docs = np.load(folder / "docs.npy")  # 4 bytes a row, read for every ranked row: in memory
            doc_ids = tuple(json.loads((folder / "doc_ids.json").read_text(encoding="utf-8")))
            lexical = LexicalIndex.load(folder / "lexical")
            ann = stored = None
            if record["ann"]["kind"] == "ivf":
                ann = read_ann(folder / "ann.faiss")
            else:
                stored = np.load(folder / "vectors.npy", mmap_mode="r")
            units = None
            if (folder / "unit_offsets.npy").is_file():
                units = UnitVectors(np.load(folder / "units.npy", mmap_mode="r"), np.load(folder / "unit_offsets.npy"),
                                    np.load(folder / "unit_scales.npy", mmap_mode="r"))
            text = ChunkRecords.open(folder)
        except (OSError, RuntimeError, ValueError, TypeError, KeyError) as exc:
            raise CorruptIndex(f"Index segment {folder} cannot be read ({exc})") from exc
        rows = int(record["rows"])
        _check_units(folder, units, rows)
        count = int(ann.ntotal) if ann is not None else len(stored)
        if not (count == len(docs) == lexical.size == text.rows == rows):
            raise CorruptIndex(f"Index segment {folder} is inconsistent ({count} vectors, {text.rows} chunk "
                               f"records, {lexical.size} lexical entries, {rows} rows in {SEGMENT_FILE})")
        return cls(folder.name, folder, rows, record["ann"], docs, doc_ids, lexical, ann, stored, text, units)

    def chunk(self, row: int) -> Chunk:
        return self.text.chunk(row)

    def doc_id(self, row: int) -> str:
        return self.doc_ids[int(self.docs[row])]

    def vectors_of(self, rows: np.ndarray) -> np.ndarray:
        """The float32 vectors of local rows (as stored: float16 precision)."""
        rows = np.asarray(rows, dtype=np.int64)
        if self.ann is not None:
            return self.ann.reconstruct_batch(rows) if len(rows) else np.zeros((0, self.ann.d), np.float32)
        return self._vectors()[rows]

    def _vectors(self) -> np.ndarray:
        """A small segment's vectors as float32, decoded on first use (at most `threshold` rows)."""
        found = self._decoded.get("vectors")
        if found is None:
            with self._lock:
                found = self._decoded.get("vectors")
                if found is None:
                    found = self._decoded["vectors"] = np.asarray(self.stored, dtype=np.float32)
        return found

    def search(self, query: np.ndarray, k: int, deleted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Top-k local rows, deleted rows never among them."""
        if self.ann is not None:
            return ann_search(self.ann, self.ann_params, query, k, deleted)
        return exact_search(self._vectors(), query, k, deleted)


def _check_units(folder: Path, units: UnitVectors | None, rows: int) -> None:
    if units is not None and (len(units.offsets) != rows + 1 or units.offsets[-1] != len(units.vectors)
                              or len(units.scales) != len(units.vectors)):
        raise CorruptIndex(f"Index segment {folder} is inconsistent ({len(units.offsets) - 1} rows of answer "
                           f"units for {rows} rows, {len(units.vectors)} unit vectors)")
