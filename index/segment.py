"""A segment: an immutable slice of the index, written once, shared by every version that lists it.

    <index_dir>/segments/<name>/
        segment.json     rows, dimension, ANN parameters, sha256 of every file below
        vectors.npy      float32 (rows × dim), memory-mapped: exact scores and re-ranking
        ann.faiss        IVF index (segments of `AnnSettings.threshold` rows or more)
        chunks.jsonl     one Chunk as a JSON object per line, read by row on demand (fields may grow)
        offsets.npy      int64 (rows + 1) byte offsets of those lines
        docs.npy         int32 (rows) the row's document, an index into doc_ids.json
        doc_ids.json     the segment's document ids
        lexical/         bm25s over the rows' embed_text
        units.npy        float16 (answer units × dim), memory-mapped: every row's sentences or cues
        unit_offsets.npy int64 (rows + 1): row r's units are units[unit_offsets[r]:unit_offsets[r + 1]]
                         (both optional: without them the answering sentence is embedded per question)

    write_segment(folder, chunks, vectors, ann, units) -> dict   the segment.json record
    Segment.open(folder, record)                          memory-maps it; nothing per row in Python
"""

from __future__ import annotations

import json
import mmap
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from corpus import Chunk
from index.ann import AnnSettings, ann_search, build_ann, exact_search
from index.errors import CorruptIndex
from index.lexical import LexicalIndex
from index.manifest import checksums

if TYPE_CHECKING:
    import faiss

SEGMENT_FILE = "segment.json"


def write_segment(folder: Path, chunks: list[Chunk], vectors: np.ndarray, ann: AnnSettings,
                  units: UnitVectors | None = None) -> dict:
    """Write every file of a segment (not fsynced: the caller syncs the tree) and return its record."""
    folder.mkdir(parents=True)
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    np.save(folder / "vectors.npy", vectors)
    if units is not None:
        np.save(folder / "units.npy", np.ascontiguousarray(units.vectors, dtype=np.float16))
        np.save(folder / "unit_offsets.npy", units.offsets.astype(np.int64))
    index, params = build_ann(vectors, ann)
    if index is not None:
        import faiss

        faiss.write_index(index, str(folder / "ann.faiss"))
    offsets = np.zeros(len(chunks) + 1, dtype=np.int64)
    with open(folder / "chunks.jsonl", "wb") as handle:
        for row, chunk in enumerate(chunks):
            line = json_line(chunk.to_dict()).encode("utf-8")
            handle.write(line)
            offsets[row + 1] = offsets[row] + len(line)
    np.save(folder / "offsets.npy", offsets)
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
    """The answer units' vectors of consecutive rows: row r's are vectors[offsets[r]:offsets[r + 1]]."""
    vectors: np.ndarray
    offsets: np.ndarray

    @classmethod
    def join(cls, per_row: list[np.ndarray], dimension: int) -> UnitVectors:
        offsets = np.zeros(len(per_row) + 1, dtype=np.int64)
        offsets[1:] = np.cumsum([len(v) for v in per_row])
        joined = np.concatenate(per_row) if per_row and offsets[-1] else np.zeros((0, dimension), np.float16)
        return cls(joined.astype(np.float16), offsets)

    def of(self, row: int) -> np.ndarray:
        return self.vectors[int(self.offsets[row]):int(self.offsets[row + 1])]


def _read_ann(path: Path):
    import faiss

    return faiss.read_index(str(path))


def json_line(record: dict) -> str:
    """One JSON line, UTF-8 text where it can be; a record holding a lone surrogate (which UTF-8
    cannot carry) is written with \\u escapes instead, so it still reads back exactly."""
    line = json.dumps(record, ensure_ascii=False) + "\n"
    try:
        line.encode("utf-8")
    except UnicodeEncodeError:
        line = json.dumps(record) + "\n"
    return line


def read_chunks(path: Path) -> tuple[Chunk, ...]:
    """Chunks as written, one JSON object per "\\n"-ended line. Only "\\n" ends a line: JSON escapes it
    inside strings, while text may hold U+2028, U+0085 and other characters that str.splitlines()
    would also split on."""
    chunks = []
    try:
        with open(path, encoding="utf-8", newline="\n") as handle:
            for number, line in enumerate(handle, start=1):
                if line.strip():
                    chunks.append(chunk_from_line(line, path, number))
    except (OSError, UnicodeDecodeError) as exc:
        raise CorruptIndex(f"Index file {path} cannot be read ({exc})") from exc
    return tuple(chunks)


def chunk_from_line(line: str, path: Path, number: int) -> Chunk:
    try:
        return Chunk.from_dict(json.loads(line))
    except (ValueError, TypeError, KeyError) as exc:
        raise CorruptIndex(f"Index file {path}, line {number}, is not a chunk record ({exc})") from exc


@dataclass(frozen=True, eq=False)
class Segment:
    name: str
    folder: Path
    rows: int
    ann_params: dict
    vectors: np.ndarray  # memory-mapped
    offsets: np.ndarray
    docs: np.ndarray
    doc_ids: tuple[str, ...]
    lexical: LexicalIndex
    ann: faiss.Index | None
    _text: mmap.mmap | None
    units: UnitVectors | None = None

    @classmethod
    def open(cls, folder: Path, record: dict) -> Segment:
        try:
            vectors = np.load(folder / "vectors.npy", mmap_mode="r")
            offsets = np.load(folder / "offsets.npy")
            docs = np.load(folder / "docs.npy")  # 4 bytes a row, read for every ranked row: in memory
            doc_ids = tuple(json.loads((folder / "doc_ids.json").read_text(encoding="utf-8")))
            lexical = LexicalIndex.load(folder / "lexical")
            ann = _read_ann(folder / "ann.faiss") if record["ann"]["kind"] == "ivf" else None
            units = None
            if (folder / "unit_offsets.npy").is_file():
                units = UnitVectors(np.load(folder / "units.npy", mmap_mode="r"), np.load(folder / "unit_offsets.npy"))
            text = None
            if offsets[-1] > 0:
                with open(folder / "chunks.jsonl", "rb") as handle:
                    text = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        except (OSError, RuntimeError, ValueError, TypeError, KeyError) as exc:
            raise CorruptIndex(f"Index segment {folder} cannot be read ({exc})") from exc
        rows = int(record["rows"])
        if units is not None and (len(units.offsets) != rows + 1 or units.offsets[-1] != len(units.vectors)):
            raise CorruptIndex(f"Index segment {folder} is inconsistent ({len(units.offsets) - 1} rows of answer "
                               f"units for {rows} rows, {len(units.vectors)} unit vectors)")
        if not (len(vectors) == len(docs) == lexical.size == rows == len(offsets) - 1):
            raise CorruptIndex(f"Index segment {folder} is inconsistent ({len(vectors)} vectors, {len(offsets) - 1} "
                               f"chunks, {lexical.size} lexical entries, {rows} rows in {SEGMENT_FILE})")
        return cls(folder.name, folder, rows, record["ann"], vectors, offsets, docs, doc_ids, lexical, ann, text, units)

    def line(self, row: int) -> str:
        return self._text[int(self.offsets[row]):int(self.offsets[row + 1])].decode("utf-8")

    def chunk(self, row: int) -> Chunk:
        try:
            line = self.line(row)
        except (UnicodeDecodeError, IndexError, TypeError) as exc:
            raise CorruptIndex(f"Index file {self.folder / 'chunks.jsonl'}, line {row + 1}, cannot be read "
                               f"({exc})") from exc
        return chunk_from_line(line, self.folder / "chunks.jsonl", row + 1)

    def doc_id(self, row: int) -> str:
        return self.doc_ids[int(self.docs[row])]

    def search(self, query: np.ndarray, k: int, deleted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Top-k local rows, exact scores, deleted rows never among them."""
        if self.ann is not None:
            return ann_search(self.ann, self.ann_params, query, k, deleted, self.vectors)
        return exact_search(self.vectors, query, k, deleted)
