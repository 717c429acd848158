"""PDF decks and documents: one segment per page, so a citation can open the right page."""

from __future__ import annotations

import io

from pypdf import PdfReader
from pypdf.errors import PdfReadError

from corpus.errors import LoadError
from corpus.loaders.base import Parsed
from corpus.model import Segment
from corpus.text import clean


def load(data: bytes) -> Parsed:
    try:
        reader = PdfReader(io.BytesIO(data))
        pages = [page.extract_text() or "" for page in reader.pages]
        info_title = (reader.metadata or {}).get("/Title")
    except (PdfReadError, ValueError, KeyError, OSError) as exc:
        raise LoadError(f"unreadable PDF: {str(exc)[:120] or type(exc).__name__}") from exc
    segments = tuple(
        Segment(text=clean(text), section=(f"Page {number}",), page=number)
        for number, text in enumerate(pages, start=1)
        if clean(text)
    )
    return Parsed(segments=segments, source_type="deck", title=str(info_title) if info_title else None)
