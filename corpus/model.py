"""The frozen records that cross the corpus boundary."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Cue:
    """One timed line of a recording, kept inside its chunk so a citation can point at the moment."""

    start: float
    end: float
    speaker: str | None
    text: str


@dataclass(frozen=True)
class Segment:
    """A piece of a document that a link can point at: a section, a cue, a page."""

    text: str
    section: tuple[str, ...] = ()
    anchor: str | None = None
    start: float | None = None
    end: float | None = None
    page: int | None = None
    speaker: str | None = None
    cues: tuple[Cue, ...] = ()  # a transcript chunk's cues, in order


@dataclass(frozen=True)
class Document:
    doc_id: str  # path relative to the content folder, with '/' separators
    title: str
    url: str
    source_type: str  # "article", "text", "transcript" or "deck"
    segments: tuple[Segment, ...]
    content_hash: str
    updated: str | None = None
    warnings: tuple[str, ...] = field(default=(), compare=False)
    topic: str | None = None  # front matter or sidecar topic/category, a page's article:section, a WordPress category


@dataclass(frozen=True)
class Chunk:
    chunk_id: str  # "<doc_id>#<hash of the text and position>": stable for unchanged content
    doc_id: str
    title: str
    url: str
    source_type: str
    section: tuple[str, ...]
    text: str  # what a visitor reads
    embed_text: str  # what the model reads: title, section path, then the text
    anchor: str | None = None
    start: float | None = None
    end: float | None = None
    page: int | None = None
    cues: tuple[Cue, ...] = ()  # transcripts: every cue of the passage with its own start, end and speaker

    def to_dict(self) -> dict:
        data = dict(self.__dict__)
        data["section"] = list(self.section)
        data["cues"] = [dict(cue.__dict__) for cue in self.cues]
        return data

    @classmethod
    def from_dict(cls, data: dict) -> Chunk:
        cues = tuple(Cue(**cue) for cue in data.get("cues") or ())
        return cls(**{**data, "section": tuple(data.get("section", ())), "cues": cues})
