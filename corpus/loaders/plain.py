"""Plain text files: one segment; the chunker splits it by paragraphs."""

from __future__ import annotations

from corpus.loaders.base import Parsed
from corpus.model import Segment
from corpus.text import clean


def load(text: str) -> Parsed:
    body = clean(text)
    return Parsed(segments=(Segment(text=body),) if body else (), source_type="text")
