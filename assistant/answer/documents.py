"""One indexed document read back whole, found by any link the assistant gives out. Pure over chunks.

    find_document(chunks, "https://help.example.org/kb/raci/#who-is-accountable")  -> DocumentText
    find_document(chunks, "/read/notes.md")                                       -> DocumentText

A document is found by its own url, by a deep link into it (section anchor, `#t=` or YouTube `t=`
moment, `#page=`), by the app's `/read/<path>` (or raw `/source/<path>`) link or by its path in the content folder. Its
sections come back in order, each with the deep link to it; text that two neighbouring chunks
share (the chunker's overlap) appears once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

from assistant.answer.links import deep_link
from corpus import Chunk
from corpus.text import READER_PATH

MAX_DOCUMENT_CHARS = 60_000  # past this a document is cut (a model's context is not unlimited); `truncated` says so


@dataclass(frozen=True)
class Section:
    section: str  # "Career paths › From analyst to manager"; for a recording "00:03:05–00:08:20"
    url: str  # deep link to this section, moment or page
    text: str
    start_seconds: float | None = None
    page: int | None = None


@dataclass(frozen=True)
class DocumentText:
    title: str
    url: str
    source_type: str
    doc_id: str
    sections: tuple[Section, ...]
    truncated: bool = False

    def as_dict(self) -> dict:
        return asdict(self)


def find_document(chunks: Sequence[Chunk], url: str, max_chars: int = MAX_DOCUMENT_CHARS) -> DocumentText | None:
    """The document that `url` points into, whole; None when no indexed document matches."""
    doc_id = _match(chunks, (url or "").strip())
    if doc_id is None:
        return None
    own = [c for c in chunks if c.doc_id == doc_id]
    sections, used, truncated = [], 0, False
    for chunk in own:
        if used >= max_chars:
            truncated = True
            break
        link = deep_link(chunk)
        label = " › ".join(chunk.section)
        if sections and (sections[-1].url, sections[-1].section) == (link, label):
            text = join_overlapping(sections[-1].text, chunk.text)
            used += len(text) - len(sections[-1].text)
            sections[-1] = Section(label, link, text, chunk.start, chunk.page)
            continue
        sections.append(Section(label, link, chunk.text, chunk.start, chunk.page))
        used += len(chunk.text)
    first = own[0]
    return DocumentText(first.title, first.url, first.source_type, doc_id, tuple(sections), truncated)


def join_overlapping(before: str, after: str, longest: int = 2000) -> str:
    """`before` then `after`, without the text that ends one and starts the other (the chunk overlap)."""
    for size in range(min(len(before), len(after), longest), 7, -1):
        if before.endswith(after[:size]):
            return before + after[size:]
    return before.rstrip() + "\n\n" + after.lstrip()


def _match(chunks: Sequence[Chunk], url: str) -> str | None:
    if not url:
        return None
    wanted = _bare(url)
    by_path = _source_path(url)
    for chunk in chunks:
        if url in (chunk.url, chunk.doc_id) or deep_link(chunk) == url:
            return chunk.doc_id
    for chunk in chunks:
        if (chunk.url and _bare(chunk.url) == wanted) or (by_path and chunk.doc_id == by_path):
            return chunk.doc_id
    return None


def _bare(url: str) -> str:
    """A url without its fragment, its YouTube `t=` moment and a trailing slash: the document's own address."""
    parts = urlsplit(url)
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "t"])
    return urlunsplit(parts._replace(query=query, fragment="", path=parts.path.rstrip("/")))


def _source_path(url: str) -> str | None:
    """`notes.md` from `/read/notes.md`, `/source/notes.md` or `http://host/read/notes.md` (the app's own links)."""
    path = urlsplit(url).path
    for route in (READER_PATH, "/source/"):
        marker = path.find(route)
        if marker >= 0:
            return unquote(path[marker + len(route):])
    return None
