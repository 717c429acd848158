"""The index on disk: a folder of immutable versions and a pointer to the published one.

    <index_dir>/CURRENT                 name of the published version (replaced atomically)
    <index_dir>/versions/<name>/        manifest.json, vectors.faiss, chunks.jsonl, lexical/
    <index_dir>/build.lock              held by the one build that may run

A version is written completely, fsynced and verified before CURRENT points at it, so a crash at
any moment leaves the previous version published and loadable.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np

from corpus import Chunk
from index.errors import CorruptIndex, IndexMismatch, MissingIndex
from index.lexical import LexicalIndex
from index.manifest import FORMAT_VERSION, Manifest, checksums, sha256_file

POINTER = "CURRENT"
VERSIONS = "versions"
CHUNKS = "chunks.jsonl"


@dataclass(frozen=True)
class LoadedIndex:
    version: str
    manifest: Manifest
    vectors: faiss.Index
    chunks: tuple[Chunk, ...]
    lexical: LexicalIndex

    def search_dense(self, query_vector: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        k = min(k, self.vectors.ntotal)
        if k <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        scores, rows = self.vectors.search(query_vector.reshape(1, -1).astype(np.float32), k)
        keep = rows[0] >= 0
        return rows[0][keep].astype(np.int64), scores[0][keep]

    def stored_vectors(self) -> np.ndarray:
        return self.vectors.reconstruct_n(0, self.vectors.ntotal) if self.vectors.ntotal else np.zeros(
            (0, self.vectors.d), dtype=np.float32)


def current_version(index_dir: Path) -> str | None:
    try:
        name = (Path(index_dir) / POINTER).read_text().strip()
    except OSError:
        return None
    return name or None


def write_version(folder: Path, vectors: np.ndarray, chunks: list[Chunk], manifest: Manifest) -> Manifest:
    """Write every file of a version, fsync them, and return the manifest with their checksums."""
    folder.mkdir(parents=True)
    index = faiss.IndexFlatIP(int(manifest.model["dimension"]))
    if len(vectors):
        index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    faiss.write_index(index, str(folder / "vectors.faiss"))
    with open(folder / CHUNKS, "w", encoding="utf-8", newline="\n") as handle:
        for chunk in chunks:
            handle.write(_json_line(chunk.to_dict()))
    LexicalIndex.build([c.embed_text for c in chunks]).save(folder / "lexical")
    manifest = Manifest(**{**manifest.__dict__, "files": checksums(folder)})
    (folder / "manifest.json").write_text(manifest.to_json(), encoding="utf-8")
    _fsync_tree(folder)
    return manifest


def publish(index_dir: Path, name: str) -> None:
    """Point CURRENT at versions/<name>: os.replace of a temp file, then fsync of the folder."""
    tmp = Path(index_dir) / f".{POINTER}.{os.getpid()}.tmp"
    with open(tmp, "w") as handle:
        handle.write(name + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, Path(index_dir) / POINTER)
    _fsync_dir(Path(index_dir))


def load_index(index_dir: Path, expected_model: str | None = None, version: str | None = None) -> LoadedIndex:
    index_dir = Path(index_dir)
    version = version or current_version(index_dir)
    if not version:
        raise MissingIndex(f"No index at {index_dir} — run `assistant build` first.")
    folder = index_dir / VERSIONS / version
    try:
        manifest = Manifest.from_json((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, TypeError, KeyError) as exc:
        raise CorruptIndex(f"Index file {folder / 'manifest.json'} is missing or not readable") from exc
    if manifest.format_version != FORMAT_VERSION:
        raise IndexMismatch(f"Index {index_dir} has format {manifest.format_version}, this version reads "
                            f"{FORMAT_VERSION} — run `assistant build --full`.")
    if expected_model and manifest.model["name"] != expected_model:
        raise IndexMismatch(f"Index {index_dir} was built with model {manifest.model['name']!r} but the settings "
                            f"name {expected_model!r} — run `assistant build --full` to rebuild it with "
                            f"{expected_model!r}, or set the model back.")
    _verify(folder, manifest)
    chunks = read_chunks(folder / CHUNKS)
    try:
        vectors = faiss.read_index(str(folder / "vectors.faiss"))
        lexical = LexicalIndex.load(folder / "lexical")
    except (OSError, RuntimeError, ValueError, TypeError, KeyError) as exc:
        raise CorruptIndex(f"Index {folder} cannot be read ({exc})") from exc
    if vectors.ntotal != len(chunks) or lexical.size != len(chunks):
        raise CorruptIndex(f"Index {folder} is inconsistent ({vectors.ntotal} vectors, {len(chunks)} chunks, "
                           f"{lexical.size} lexical entries)")
    return LoadedIndex(version=version, manifest=manifest, vectors=vectors, chunks=chunks, lexical=lexical)


def _json_line(record: dict) -> str:
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
                    chunks.append(_chunk_from_line(line, path, number))
    except (OSError, UnicodeDecodeError) as exc:
        raise CorruptIndex(f"Index file {path} cannot be read ({exc})") from exc
    return tuple(chunks)


def _chunk_from_line(line: str, path: Path, number: int) -> Chunk:
    try:
        return Chunk.from_dict(json.loads(line))
    except (ValueError, TypeError, KeyError) as exc:
        raise CorruptIndex(f"Index file {path}, line {number}, is not a chunk record ({exc})") from exc


def _verify(folder: Path, manifest: Manifest) -> None:
    for rel, expected in manifest.files.items():
        path = folder / rel
        if not path.is_file() or sha256_file(path) != expected:
            raise CorruptIndex(f"Index file {path} is missing or altered (checksum mismatch)")


def remove_old_versions(index_dir: Path, keep: int) -> list[str]:
    """Delete versions beyond the newest `keep` (never the published one) and unfinished leftovers."""
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
    return removed


def _fsync_tree(folder: Path) -> None:
    for root, _, names in os.walk(folder):
        for name in names:
            fd = os.open(os.path.join(root, name), os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        _fsync_dir(Path(root))
    _fsync_dir(folder.parent)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
