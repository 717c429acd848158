"""Documents → chunks that never exceed the embedding model's token limit.

Articles are split by their sections first (the loaders keep them), then by size with
langchain-text-splitters, measuring length in the model's own tokens. Transcript cues are
grouped in order up to the same limit, each chunk spanning its first cue's start to its last
cue's end. A chunk's id hashes its document, section and text, so unchanged content keeps its id.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, replace

from langchain_text_splitters import RecursiveCharacterTextSplitter

from corpus.model import Chunk, Cue, Document, Segment

CountTokens = Callable[[str], int]  # tokens the model sees for a text, special tokens included
SEPARATORS = ["\n\n", "\n", ". ", "? ", "! ", "; ", ", ", " ", ""]


@dataclass(frozen=True)
class ChunkSettings:
    max_tokens: int = 256  # the model's max_seq_length: nothing past it is ever seen
    chunk_tokens: int = 200  # target size of the body, in tokens
    overlap_tokens: int = 32

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def embed_text(title: str, section: tuple[str, ...], body: str, cap: int = 120) -> str:
    """Title and section path before the body, so a chunk's context is searchable; kept short."""
    head = " › ".join(part[:cap] for part in (title, *section[-3:]))
    return f"{head}\n\n{body}"


def chunk_document(doc: Document, count_tokens: CountTokens, settings: ChunkSettings) -> list[Chunk]:
    if doc.source_type == "transcript":
        pieces = _group_cues(doc, count_tokens, settings)
    else:
        pieces = [piece for segment in doc.segments for piece in _split_segment(doc, segment, count_tokens, settings)]
    chunks, seen = [], set()
    for segment in pieces:
        cap = _cap(doc, segment.section, count_tokens, settings)
        embedded = embed_text(doc.title, segment.section, segment.text, cap)
        key = hashlib.sha256(f"{segment.section}|{segment.start}|{segment.page}|{segment.text}".encode()).hexdigest()[:16]
        while key in seen:  # the same paragraph twice in one document
            key = hashlib.sha256(key.encode()).hexdigest()[:16]
        seen.add(key)
        chunks.append(Chunk(
            chunk_id=f"{doc.doc_id}#{key}", doc_id=doc.doc_id, title=doc.title, url=doc.url,
            source_type=doc.source_type, section=segment.section, text=segment.text, embed_text=embedded,
            anchor=segment.anchor, start=segment.start, end=segment.end, page=segment.page, cues=segment.cues,
        ))
    return chunks


def _cap(doc: Document, section: tuple[str, ...], count_tokens: CountTokens, settings: ChunkSettings) -> int:
    """Characters kept of the title and each heading: 120, fewer if the head would take over half the model."""
    cap = 120
    while cap > 8 and count_tokens(embed_text(doc.title, section, "", cap)) > settings.max_tokens // 2:
        cap //= 2
    return cap


def _budget(doc: Document, section: tuple[str, ...], count_tokens: CountTokens, settings: ChunkSettings) -> int:
    """Tokens left for the body once the title and section path are in front of it."""
    overhead = count_tokens(embed_text(doc.title, section, "", _cap(doc, section, count_tokens, settings)))
    return max(16, min(settings.chunk_tokens, settings.max_tokens - overhead - 2))


def _split_segment(doc: Document, segment: Segment, count_tokens: CountTokens, settings: ChunkSettings) -> list[Segment]:
    budget = _budget(doc, segment.section, count_tokens, settings)
    return [replace(segment, text=text) for text in _split_text(segment.text, budget, count_tokens, settings)]


def _split_text(text: str, budget: int, count_tokens: CountTokens, settings: ChunkSettings) -> list[str]:
    body_tokens = lambda part: count_tokens(part) - 2  # noqa: E731 - [CLS] and [SEP] are counted in the head
    if body_tokens(text) <= budget:
        return [text]
    splitter = RecursiveCharacterTextSplitter(
        chunk_size=budget, chunk_overlap=min(settings.overlap_tokens, budget // 4),
        length_function=body_tokens, separators=SEPARATORS, keep_separator="end",
    )
    return [piece for part in splitter.split_text(text) for piece in _enforce(part, budget, body_tokens)]


def _enforce(text: str, budget: int, body_tokens: Callable[[str], int]) -> list[str]:
    """The splitter's merge can overshoot by a token or two; halve anything still too long."""
    if body_tokens(text) <= budget or len(text) < 2:
        return [text]
    cut = text.rfind(" ", 0, len(text) // 2)
    cut = cut if cut > 0 else len(text) // 2
    return _enforce(text[:cut].strip(), budget, body_tokens) + _enforce(text[cut:].strip(), budget, body_tokens)


def _group_cues(doc: Document, count_tokens: CountTokens, settings: ChunkSettings) -> list[Segment]:
    groups: list[list[Segment]] = []
    lines: list[str] = []
    budget = _budget(doc, ("00:00:00–00:00:00",), count_tokens, settings)
    for cue in doc.segments:
        line = f"{cue.speaker}: {cue.text}" if cue.speaker else cue.text
        if groups and lines and count_tokens("\n".join([*lines, line])) - 2 <= budget:
            groups[-1].append(cue)
            lines.append(line)
            continue
        if _keeps_question(groups, lines, line, cue, count_tokens, budget):
            groups.append([groups[-1].pop(), cue])  # a question starts the next chunk, with its reply
            lines = [lines.pop(), line]
            continue
        for part in _split_text(line, budget, count_tokens, settings):
            # a cue too long for one chunk: each piece keeps the cue's times, its cue the speaker
            kept = Cue(cue.start or 0.0, cue.end or 0.0, cue.speaker, _unprefixed(part, cue.speaker))
            groups.append([replace(cue, text=part, speaker=None, cues=(kept,))])
            lines = [part]
    return [_merge(group) for group in groups]


def _keeps_question(groups, lines, line: str, cue: Segment, count_tokens: CountTokens, budget: int) -> bool:
    """The chunk would end on a question that the next cue, another speaker's, answers: move it forward."""
    last = groups[-1][-1] if groups else None
    if last is None or len(groups[-1]) < 2 or last.cues or last.speaker == cue.speaker:
        return False
    if not last.text.rstrip().endswith("?"):
        return False
    return count_tokens("\n".join([lines[-1], line])) - 2 <= budget


def _unprefixed(part: str, speaker: str | None) -> str:
    prefix = f"{speaker}: " if speaker else ""
    return part[len(prefix):] if prefix and part.startswith(prefix) else part


def _merge(cues: list[Segment]) -> Segment:
    start, end = cues[0].start, cues[-1].end
    text = "\n".join(f"{c.speaker}: {c.text}" if c.speaker else c.text for c in cues)
    kept = tuple(cue for c in cues for cue in (c.cues or (Cue(c.start or 0.0, c.end or 0.0, c.speaker, c.text),)))
    return Segment(text=text, section=(f"{_clock(start)}–{_clock(end)}",), start=start, end=end, cues=kept)


def _clock(seconds: float | None) -> str:
    total = int(seconds or 0)
    return f"{total // 3600:02d}:{total % 3600 // 60:02d}:{total % 60:02d}"
