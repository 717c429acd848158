"""What a format loader hands back before URLs and ids are settled."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from corpus.model import Segment
from corpus.text import clean, clean_line


@dataclass(frozen=True)
class Parsed:
    segments: tuple[Segment, ...]
    source_type: str
    title: str | None = None
    url: str | None = None
    updated: str | None = None
    anchors: bool = True  # whether the page gives its headings ids a link can use
    topic: str | None = None  # the topic (category) the document names for itself
    warnings: tuple[str, ...] = field(default=())

    def normalised(self) -> Parsed:
        """Every text field through the one normalisation (corpus.text.clean): bodies keep their line
        breaks, titles, headings and speakers become one line. Empty segments are dropped."""
        segments = tuple(
            replace(s, text=clean(s.text), section=tuple(h for h in map(clean_line, s.section) if h),
                    speaker=clean_line(s.speaker) or None if s.speaker else None)
            for s in self.segments
        )
        return replace(self, segments=tuple(s for s in segments if s.text),
                       title=clean_line(self.title) or None if self.title else None)
