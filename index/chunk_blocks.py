"""A segment's chunk records: JSON lines compressed with zstd in blocks of BLOCK rows, read by row.

    write_chunks(folder, chunks)            chunks.zst + blocks.npy (the byte offset of every block)
    ChunkBlocks.open(folder)                memory-maps chunks.zst; .chunk(row) decompresses one block
    json_line(record), read_chunks(path)    one record a line, as tools read a plain chunks.jsonl

A block holds a document's consecutive chunks, whose titles, headings and overlapping text compress
against each other: SciFact's records take 3.8 MB instead of 20.9 MB. A record's embed_text is stored
as its head (title and section path) when it ends with the text, so the text is not written twice.
Reading one chunk decompresses its block (about 20 kB, 15 µs); the last blocks and chunks read are kept,
so a question reading a passage's chunk again (its candidates, then the passage) decompresses nothing.
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

BLOCK = 16  # rows a block
LEVEL = 9  # zstd level: 5× smaller than the JSON lines, written at about 100 MB/s
TEXT, OFFSETS = "chunks.zst", "blocks.npy"
KEEP = 64  # decompressed blocks kept per segment
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


def write_chunks(folder: Path, chunks: list[Chunk]) -> None:
    compressor = zstandard.ZstdCompressor(level=LEVEL)
    offsets = np.zeros((len(chunks) + BLOCK - 1) // BLOCK + 1, dtype=np.int64)
    with open(folder / TEXT, "wb") as handle:
        for number, start in enumerate(range(0, len(chunks), BLOCK)):
            lines = "".join(json_line(stored(c)) for c in chunks[start:start + BLOCK]).encode("utf-8")
            block = compressor.compress(lines)
            handle.write(block)
            offsets[number + 1] = offsets[number] + len(block)
    np.save(folder / OFFSETS, offsets)


class ChunkBlocks:
    def __init__(self, path: Path, offsets: np.ndarray, text: mmap.mmap | None):
        self.path, self.offsets, self._text = path, offsets, text
        self._blocks = Kept(KEEP)
        self._chunks = Kept(KEEP_CHUNKS)
        self._local = threading.local()  # a decompressor per thread (one is not safe to share)

    @classmethod
    def open(cls, folder: Path) -> ChunkBlocks:
        offsets = np.load(folder / OFFSETS)
        text = None
        if offsets[-1] > 0:
            with open(folder / TEXT, "rb") as handle:
                text = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        return cls(folder / TEXT, offsets, text)

    @property
    def capacity(self) -> int:
        """Rows the blocks can hold (the last block may hold fewer)."""
        return (len(self.offsets) - 1) * BLOCK

    def chunk(self, row: int) -> Chunk:
        found = self._chunks.get(row)
        if found is None:
            try:
                found = from_stored(json.loads(self._lines(row // BLOCK)[row % BLOCK]))
            except (ValueError, TypeError, KeyError, IndexError, zstandard.ZstdError) as exc:
                raise CorruptIndex(f"Index file {self.path}, row {row + 1}, is not a chunk record ({exc})") from exc
            self._chunks.put(row, found)
        return found

    def _lines(self, block: int) -> list[bytes]:
        lines = self._blocks.get(block)
        if lines is not None:
            return lines
        if self._text is None or not 0 <= block < len(self.offsets) - 1:
            raise IndexError(f"no block {block}")
        decompressor = getattr(self._local, "decompressor", None)
        if decompressor is None:
            decompressor = self._local.decompressor = zstandard.ZstdDecompressor()
        raw = decompressor.decompress(self._text[int(self.offsets[block]):int(self.offsets[block + 1])])
        lines = raw.split(b"\n")[:-1]  # JSON escapes "\n" inside strings: only record ends are newlines
        self._blocks.put(block, lines)
        return lines


class Kept:
    """At most `size` values by key, the oldest put dropped first; reads take no lock (a dict's get is atomic)."""

    def __init__(self, size: int):
        self.size, self._items, self._lock = size, {}, threading.Lock()

    def get(self, key):
        return self._items.get(key)

    def put(self, key, value) -> None:
        with self._lock:
            self._items[key] = value
            while len(self._items) > self.size:
                del self._items[next(iter(self._items))]


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
