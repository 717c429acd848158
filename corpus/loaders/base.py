"""What a format loader hands back before URLs and ids are settled."""

from __future__ import annotations

from dataclasses import dataclass, field

from corpus.model import Segment


@dataclass(frozen=True)
class Parsed:
    segments: tuple[Segment, ...]
    source_type: str
    title: str | None = None
    url: str | None = None
    updated: str | None = None
    anchors: bool = True  # whether the page gives its headings ids a link can use
    warnings: tuple[str, ...] = field(default=())
