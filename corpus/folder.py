"""Walk a content folder and turn every supported file into a Document, skipping bad files with a reason."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from corpus.errors import LoadError
from corpus.loaders import html, markdown, pdf, plain, transcript
from corpus.loaders.base import Parsed
from corpus.model import Document
from corpus.text import (READER_PATH, clean_line, decode, document_url, meta_text, meta_topic, read_sidecar,
                         sidecar_bytes, title_from_filename)

LOADER_VERSION = "4"  # bump when loaders change what they extract: forces re-chunking
MAX_FILE_BYTES = 20_000_000  # docs/content.md's "20 MB limit"; checked before a byte is read
TEXT_LOADERS = {
    ".md": markdown.load,
    ".markdown": markdown.load,
    ".html": html.load,
    ".htm": html.load,
    ".txt": plain.load,
    ".vtt": transcript.load_vtt,
    ".srt": transcript.load_srt,
}
SUPPORTED_SUFFIXES = (*TEXT_LOADERS, ".pdf")


@dataclass(frozen=True)
class Skipped:
    path: str
    reason: str


@dataclass(frozen=True)
class LoadResult:
    documents: tuple[Document, ...]
    skipped: tuple[Skipped, ...]
    warnings: tuple[str, ...]  # "path: message" for files that loaded with a caveat
    fetch: tuple[dict, ...] = field(default=(), compare=False)  # one summary per web source (corpus.sources)


def load_folder(root: Path, base_url: str | None = None, max_bytes: int = MAX_FILE_BYTES,
                exclude: Path | None = None, known: Mapping[str, Document] | None = None) -> LoadResult:
    """Every supported file below `root`, in path order. Never raises for one bad file.
    `exclude` is a folder left out of the walk (the index, when it lives inside the content).
    `known` maps doc ids to documents already indexed: a file whose content hash is unchanged is
    not parsed again, and its known document (which may have no segments) is returned."""
    root = Path(root)
    if not root.is_dir():
        raise LoadError(f"content folder {root} does not exist or is not a folder")
    documents, skipped, warnings = [], [], []
    seen_urls: dict[str, str] = {}
    for path, problem in _walk(root.resolve(), Path(exclude).resolve() if exclude else None):
        rel = path.relative_to(root.resolve()).as_posix()
        if not problem and not _utf8(rel):
            rel, problem = rel.encode("utf-8", "surrogateescape").decode("utf-8", "replace"), \
                "file or folder name is not valid UTF-8; rename it"
        if problem:
            skipped.append(Skipped(rel, problem))
            continue
        try:
            doc = load_file(path, root, base_url, max_bytes, known)
        except LoadError as exc:
            skipped.append(Skipped(rel, _one_line(str(exc))))
            continue
        except (RecursionError, MemoryError):
            skipped.append(Skipped(rel, "too deeply nested or too large to parse; simplify the file"))
            continue
        if doc.url in seen_urls and not doc.url.startswith(READER_PATH):
            skipped.append(Skipped(rel, f"same url as {seen_urls[doc.url]} (the first file in path order wins)"))
            continue
        seen_urls[doc.url] = rel
        documents.append(doc)
        warnings.extend(f"{rel}: {w}" for w in doc.warnings)
    return LoadResult(tuple(documents), tuple(skipped), tuple(warnings))


def load_file(path: Path, root: Path, base_url: str | None = None, max_bytes: int = MAX_FILE_BYTES,
              known: Mapping[str, Document] | None = None) -> Document:
    """One file as a Document; raises LoadError with a one-line reason."""
    path, root = Path(path), Path(root)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise LoadError(f"unsupported file type {suffix or '(none)'}")
    doc_id = _relative_id(path, root)
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise LoadError(f"{_size(size)} is over the {_size(max_bytes)} limit; split the file")
        raw = path.read_bytes()
        extra = sidecar_bytes(path)
        digest = hashlib.sha256(LOADER_VERSION.encode() + raw + b"\0" + extra + str(base_url).encode()).hexdigest()
        if known and doc_id in known and known[doc_id].content_hash == digest[:32]:
            return known[doc_id]
        sidecar = read_sidecar(path)
    except OSError as exc:
        raise LoadError(f"cannot read: {exc.strerror or exc}") from exc
    if not raw.strip():
        raise LoadError("empty file")
    parsed = _parse(raw, suffix)
    if not parsed.segments:
        raise LoadError("no text found (only markup, scripts or whitespace)")
    meta_warnings: list[str] = []
    side = {key: meta_text(sidecar, key, meta_warnings) for key in ("url", "title", "date", "updated", "type")}
    url, url_warnings = document_url(side["url"] or parsed.url, base_url, doc_id)
    title = clean_line(str(side["title"] or parsed.title or title_from_filename(path)))[:300] or path.name
    updated = side["date"] or side["updated"] or parsed.updated
    segments = parsed.segments if parsed.anchors else tuple(replace(s, anchor=None) for s in parsed.segments)
    topic = meta_topic(sidecar, meta_warnings) or parsed.topic
    return Document(
        doc_id=doc_id,
        title=title,
        url=url,
        source_type=side["type"] or parsed.source_type,
        segments=segments,
        content_hash=digest[:32],
        updated=str(updated) if updated else None,
        warnings=tuple(meta_warnings) + tuple(url_warnings) + parsed.warnings,
        topic=topic,
    )


def _utf8(name: str) -> bool:
    """False for a name holding bytes that are not UTF-8 (Python keeps them as lone surrogates)."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _one_line(reason: str, limit: int = 300) -> str:
    """A reason fit for one line of the build report, whatever a parser put in its message."""
    line = " ".join(reason.split())
    return line if len(line) <= limit else line[:limit - 1] + "…"


def _size(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 1_000_000 else f"{n:,} bytes"


def _relative_id(path: Path, root: Path) -> str:
    try:
        return Path(os.path.abspath(path)).relative_to(os.path.abspath(root)).as_posix()
    except ValueError:
        return path.resolve().relative_to(root.resolve()).as_posix()


def _parse(raw: bytes, suffix: str) -> Parsed:
    if suffix == ".pdf":
        return pdf.load(raw).normalised()
    text, warnings = decode(raw)
    if not text.strip():
        raise LoadError("only whitespace")
    parsed = TEXT_LOADERS[suffix](text)
    return replace(parsed.normalised(), warnings=tuple(warnings) + parsed.warnings)


def _walk(root: Path, exclude: Path | None = None) -> Iterator[tuple[Path, str | None]]:
    """Supported files below root, sorted; links are followed only when they stay inside root."""
    visited: set[Path] = set()
    for dirpath, dirnames, filenames in os.walk(root, followlinks=True, onerror=None):
        here = Path(dirpath)
        real = here.resolve()
        if real in visited or not real.is_relative_to(root) or (exclude and real.is_relative_to(exclude)):
            dirnames.clear()
            if not real.is_relative_to(root) and not (exclude and real.is_relative_to(exclude)):
                yield here, "link points outside the content folder; not followed"
            continue
        visited.add(real)
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            path = here / name
            if name.startswith(".") or path.suffix.lower() not in SUPPORTED_SUFFIXES:
                continue
            try:
                target = path.resolve()
            except (RuntimeError, OSError):  # Python 3.11 raises RuntimeError on a symlink loop
                yield path, "symlink loop; not followed"
                continue
            if not target.is_relative_to(root):
                yield path, "link points outside the content folder; not followed"
            elif not target.is_file():
                yield path, "broken link or not a regular file"
            else:
                yield path, None
