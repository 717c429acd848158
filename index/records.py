"""A segment's chunk records: one zstd frame a row, compressed against a dictionary trained on the segment.

    write_records(folder, chunks)           chunks.zst (the frames), offsets.npy (each row's byte range),
                                            chunks.dict (the dictionary; none for a few rows)
    ChunkRecords.open(folder)               memory-maps chunks.zst; .chunk(row) decompresses one frame
    json_line(record), read_chunks(path)    one record a line, as tools read a plain chunks.jsonl

Records of one help centre share their titles, headings, URLs and field names, which a 64 KB
dictionary trained on the segment's own records holds once: SciFact's records take 3.7 MB instead of
20.9 MB (as much as zstd over blocks of 16 rows), and a row still reads on its own, one slice of a
memory map and a decompression of about 2 µs. A record's embed_text is stored as its head when it ends
with the text, so the text is not written twice. The last chunks read are kept.
"""

from __future__ import annotations

import json
import mmap
import threading
from pathlib import Path

import numpy as np
import zstandard

from corpus import Chunk
from index.errors import CorruptIndex

LEVEL = 6  # zstd level: 20 µs a record to write, within 3% of level 9's size
DICTIONARY = 65_536  # bytes of the trained dictionary
TRAIN_ROWS = 20_000  # records it is trained on, spread over the segment (a few seconds)
MIN_ROWS = 256  # fewer rows: no dictionary (plain frames)
TEXT, OFFSETS, DICT = "chunks.zst", "offsets.npy", "chunks.dict"
KEEP_CHUNKS = 4096  # Chunk objects kept per segment (frozen: shared by every reader)


def json_line(record: dict) -> str:
    """One JSON line, UTF-8 text where it can be; a record holding a lone surrogate (which UTF-8
    cannot carry) is written with \\u escapes instead, so it still reads back exactly."""
    line = json.dumps(record, ensure_ascii=False) + "\n"
    try:
        line.encode("utf-8")
    except UnicodeEncodeError:
        line = json.dumps(record) + "\n"
    return line


def stored(chunk: Chunk) -> dict:
    """The record as written: embed_text as its head when it ends with the text."""
    data = chunk.to_dict()
    if chunk.text and chunk.embed_text.endswith(chunk.text):
        data["embed_head"] = chunk.embed_text[:len(chunk.embed_text) - len(chunk.text)]
        del data["embed_text"]
    return data


def from_stored(data: dict) -> Chunk:
    if "embed_head" in data:
        head = data.pop("embed_head")
        data["embed_text"] = head + data["text"]
    return Chunk.from_dict(data)


def write_records(folder: Path, chunks: list[Chunk]) -> None:
    lines = [json_line(stored(c)).encode("utf-8") for c in chunks]
    dictionary = train(lines)
    if dictionary is not None:
        (folder / DICT).write_bytes(dictionary.as_bytes())
    compressor = zstandard.ZstdCompressor(level=LEVEL, dict_data=dictionary, write_content_size=True)
    offsets = np.zeros(len(lines) + 1, dtype=np.int64)
    with open(folder / TEXT, "wb") as handle:
        for row, line in enumerate(lines):
            frame = compressor.compress(line)
            handle.write(frame)
            offsets[row + 1] = offsets[row] + len(frame)
    np.save(folder / OFFSETS, offsets)


def train(lines: list[bytes]) -> zstandard.ZstdCompressionDict | None:
    """A dictionary of the records' common strings; None for a few rows, or when zstd finds too little."""
    if len(lines) < MIN_ROWS:
        return None
    step = max(1, len(lines) // TRAIN_ROWS)
    try:
        return zstandard.train_dictionary(DICTIONARY, lines[::step][:TRAIN_ROWS], level=LEVEL)
    except zstandard.ZstdError:
        return None


class ChunkRecords:
    def __init__(self, path: Path, offsets: np.ndarray, text: mmap.mmap | None,
                 dictionary: zstandard.ZstdCompressionDict | None):
        self.path, self.offsets, self._text, self._dictionary = path, offsets, text, dictionary
        self._chunks: dict[int, Chunk] = {}
        self._lock = threading.Lock()
        self._local = threading.local()  # a decompressor per thread (one is not safe to share)

    @classmethod
    def open(cls, folder: Path) -> ChunkRecords:
        offsets = np.load(folder / OFFSETS)
        text = None
        if offsets[-1] > 0:
            with open(folder / TEXT, "rb") as handle:
                text = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        dictionary = zstandard.ZstdCompressionDict((folder / DICT).read_bytes()) if (folder / DICT).is_file() else None
        return cls(folder / TEXT, offsets, text, dictionary)

    @property
    def rows(self) -> int:
        return len(self.offsets) - 1

    def chunk(self, row: int) -> Chunk:
        found = self._chunks.get(row)  # a dict's get is atomic: no lock to read
        if found is None:
            try:
                found = from_stored(json.loads(self._decompress(row)))
            except (ValueError, TypeError, KeyError, IndexError, zstandard.ZstdError) as exc:
                raise CorruptIndex(f"Index file {self.path}, row {row + 1}, is not a chunk record ({exc})") from exc
            with self._lock:
                self._chunks[row] = found
                while len(self._chunks) > KEEP_CHUNKS:
                    del self._chunks[next(iter(self._chunks))]
        return found

    def _decompress(self, row: int) -> bytes:
        if self._text is None or not 0 <= row < self.rows:
            raise IndexError(f"no row {row}")
        decompressor = getattr(self._local, "decompressor", None)
        if decompressor is None:
            decompressor = self._local.decompressor = zstandard.ZstdDecompressor(dict_data=self._dictionary)
        return decompressor.decompress(self._text[int(self.offsets[row]):int(self.offsets[row + 1])])


def read_chunks(path: Path) -> tuple[Chunk, ...]:
    """Chunks as written one JSON object per "\\n"-ended line (a plain chunks.jsonl). Only "\\n" ends a
    line: JSON escapes it inside strings, while text may hold U+2028, U+0085 and other characters that
    str.splitlines() would also split on."""
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
        return from_stored(json.loads(line))
    except (ValueError, TypeError, KeyError) as exc:
        raise CorruptIndex(f"Index file {path}, line {number}, is not a chunk record ({exc})") from exc
