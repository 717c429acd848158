"""Ranked chunks → cited passages, each landing on its answer: the answering sentence of an article
or deck page, the answering moment of a recording.

Each shown document's best few chunks compete: the passage shown is the one whose answering
sentence scores clearly best. The sentences' (a recording's cues') vectors come from the index, made
at build time, so a question only compares vectors. An index written without them (before they
existed) still works: a few sentences per passage, picked by words, are embedded in one batch per
question and kept in a small cache.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from assistant.answer.highlight import CARRY_RECORDING, choose, scores, shortlist
from assistant.answer.links import at_time, deep_link
from assistant.answer.moments import choose_moment, exchange
from assistant.answer.records import Passage
from corpus import Chunk
from corpus.model import Cue
from corpus.sentences import (
    Sentence,
    answer_units,
    cue_sentence,
    split_sentences,
    unit_text,
)
from index import LoadedIndex

PER_PASSAGE = 4  # without stored vectors: sentences per passage sent to the model (with the one after each)
SWAP_MARGIN = 0.2  # another chunk of a document is shown when its answer scores this much better
CHUNK_WEIGHT = 1.0  # how much a chunk's own similarity counts in that comparison
NEIGHBOUR_CUES = 4  # a recording's moment may lie this many cues into the passage before or after


@dataclass(frozen=True)
class Gate:
    """How sure a choice must be to be shown: the answering sentence's (the moment's) margin over the next
    best. Below it the passage is shown whole, linked to its section (a recording: the passage's start):
    a wrong sentence, marked and scrolled to, costs more trust than none. Chosen on the labelled knowledge
    bases, each left out in turn (`bench/answer_rules.py`)."""
    highlight: float = 0.5
    moment: float = 0.34

    @classmethod
    def off(cls) -> Gate:
        """Every choice shown, however unsure (what the evaluation measures the margins with)."""
        return cls(float("-inf"), float("-inf"))


class SentenceVectors:
    """Sentence text → normalised vector, embedded in batches and kept (least recently used dropped)."""

    def __init__(self, embedder, size: int = 4096):
        self.embedder, self.size = embedder, size
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def vectors(self, texts: Sequence[str]) -> dict[str, np.ndarray]:
        with self._lock:
            known = {t: self._cache[t] for t in texts if t in self._cache}
        missing = list(dict.fromkeys(t for t in texts if t not in known))
        if missing:  # the one batch of this question
            fresh = self.embedder.embed(missing)
            known.update(zip(missing, fresh))
            with self._lock:
                self._cache.update(zip(missing, fresh))
                while len(self._cache) > self.size:
                    self._cache.popitem(last=False)
        return known

    def clear(self) -> None:
        with self._lock:
            self._cache.clear()


@dataclass(frozen=True)
class Candidate:
    """A ranked chunk and the units its answer is chosen among."""
    chunk: Chunk
    similarity: float  # the chunk's cosine similarity to the question
    units: list[Sentence]  # sentences, or a recording's cues (with the neighbours' cues around)
    cues: tuple[Cue, ...] = ()
    vectors: np.ndarray | None = None  # the units' vectors from the index; None: embedded per question
    rank_score: float | None = None  # the fused ranking's score (None: not ranked; its cosine stands in)


def candidate(index: LoadedIndex, row: int, similarity: float, rank_score: float | None = None) -> Candidate:
    """A ranked row with its answer units and, where the index holds them, their vectors. A recording's
    passage also reads the last cues of the chunk before and the first of the chunk after."""
    chunk = index.chunks[row]
    vectors = _checked(index.unit_vectors(row), chunk)
    if not chunk.cues:
        return Candidate(chunk, similarity, split_sentences(chunk.text), vectors=vectors, rank_score=rank_score)
    (head, tail), (before, after) = neighbour_cues(index.chunks, row), (row - 1, row + 1)
    parts = [vectors]
    if head:
        parts.insert(0, _tail_of(_checked(index.unit_vectors(before), index.chunks[before]), len(head)))
    if tail:
        parts.append(_head_of(_checked(index.unit_vectors(after), index.chunks[after]), len(tail)))
    cues = (*head, *chunk.cues, *tail)
    joined = None if any(part is None for part in parts) else np.concatenate(parts)
    return Candidate(chunk, similarity, [cue_sentence(c) for c in cues], cues, joined, rank_score)


def build_passages(groups: Sequence[Sequence[Candidate]], question: str, query: np.ndarray,
                   vectors: SentenceVectors, gate: Gate = Gate(), rules: bool = True,
                   seen: frozenset[tuple[str, str]] = frozenset()) -> tuple[Passage, ...]:
    """One passage per group: the group's first candidate (the ranking's choice), or another chunk of the
    same document whose answer scores clearly better. Units without stored vectors are shortlisted by
    words and embedded in one batch. `gate`: how sure a highlight or moment must be to be shown; `rules`:
    whether the English answer rules apply (else the model's similarities alone); `seen`: (document,
    passage text) shown to the question a follow-up leans on: such a passage gives way to the document's
    next best, so the follow-up shows the section that answers it."""
    flat = [c for group in groups for c in group]
    sims = _unit_similarities(flat, question, query, vectors)
    passages, strength, at, shown = [], [], 0, set()
    for group in groups:
        built = [_passage(c, s, question, gate, rules) for c, s in zip(group, sims[at:at + len(group)])]
        at += len(group)
        best = 0
        if (group[0].chunk.doc_id, group[0].chunk.text) in seen:
            others = [n for n in range(1, len(built)) if (group[n].chunk.doc_id, group[n].chunk.text) not in seen]
            best = max(others, key=lambda n: _strength(built[n], group[n]), default=0)
        for n in range(1, len(built)):  # overlapping chunks may land on an answer already shown
            if (built[n][0].doc_id, built[n][0].highlight) not in shown and \
                    _strength(built[n], group[n]) > _strength(built[best], group[best]) + SWAP_MARGIN:
                best = n
        shown.add((built[best][0].doc_id, built[best][0].highlight))
        passages.append(built[best][0])
        strength.append(_strength(built[best], group[best]))
    return tuple(lead_with_best_answer(passages, strength))


def _unit_similarities(candidates: Sequence[Candidate], question: str, query: np.ndarray,
                       vectors: SentenceVectors) -> list[list[float | None]]:
    out: list[list[float | None]] = []
    missing: dict[int, list[int]] = {}
    for n, c in enumerate(candidates):
        if c.vectors is not None:
            out.append([float(v) for v in c.vectors @ query])
        else:
            out.append([None] * len(c.units))
            missing[n] = shortlist(question, c.units, PER_PASSAGE)
    if missing:
        found = vectors.vectors([unit_text(candidates[n].units[i]) for n, chosen in missing.items() for i in chosen])
        for n, chosen in missing.items():
            for i in chosen:
                out[n][i] = float(np.dot(found[unit_text(candidates[n].units[i])], query))
    return out


def _strength(built: tuple[Passage, float], c: Candidate) -> float:
    return built[1] + CHUNK_WEIGHT * c.similarity


def _checked(vectors: np.ndarray | None, chunk: Chunk) -> np.ndarray | None:
    """Stored unit vectors, if they match the chunk's units as this version splits them."""
    return vectors if vectors is not None and len(vectors) == len(answer_units(chunk)) else None


def _tail_of(vectors: np.ndarray | None, count: int) -> np.ndarray | None:
    return None if vectors is None else vectors[len(vectors) - count:]


def _head_of(vectors: np.ndarray | None, count: int) -> np.ndarray | None:
    return None if vectors is None else vectors[:count]


def lead_with_best_answer(passages: list[Passage], strength: list[float]) -> list[Passage]:
    """Within one document, the passage whose answering sentence scores clearly best comes first (it
    takes the place of the document's first passage; documents keep their order); so does one that is
    better on both counts, its answer and its own similarity (a deck's content page over its title page,
    which the title's words ranked first)."""
    out = list(passages)
    for first in range(len(out)):
        for later in range(first + 1, len(out)):
            both = strength[later] > strength[first] and out[later].score > out[first].score
            if out[later].doc_id == out[first].doc_id and (strength[later] > strength[first] + SWAP_MARGIN or both):
                out[first], out[later] = out[later], out[first]
                strength[first], strength[later] = strength[later], strength[first]
    return out


def neighbour_cues(chunks: Sequence[Chunk], row: int) -> tuple[tuple[Cue, ...], tuple[Cue, ...]]:
    """The last cues of the chunk before `row` and the first of the chunk after, in the same recording."""
    chunk = chunks[row]
    if not chunk.cues:
        return (), ()
    before = chunks[row - 1] if row > 0 and chunks[row - 1].doc_id == chunk.doc_id else None
    total = getattr(chunks, "total", None) or len(chunks)  # all rows, where deleted ones still count
    after = chunks[row + 1] if row + 1 < total and chunks[row + 1].doc_id == chunk.doc_id else None
    head = before.cues[-NEIGHBOUR_CUES:] if before and before.cues and before.cues[-1].end <= chunk.cues[0].start + 1 else ()
    tail = after.cues[:NEIGHBOUR_CUES] if after and after.cues and after.cues[0].start >= chunk.cues[-1].start else ()
    return tuple(head), tuple(tail)


def _passage(c: Candidate, sims: list[float | None], question: str, gate: Gate = Gate(),
             rules: bool = True) -> tuple[Passage, float]:
    chunk, sentences = c.chunk, c.units
    common = dict(title=chunk.title, section=" › ".join(chunk.section), text=chunk.text,
                  score=round(max(0.0, c.similarity), 4), source_type=chunk.source_type, page=chunk.page,
                  rank_score=round(c.similarity if c.rank_score is None else c.rank_score, 4),
                  doc_id=chunk.doc_id, passage_start_seconds=chunk.start, passage_end_seconds=chunk.end)
    if c.cues:
        scored = scores(question, sentences, sims, CARRY_RECORDING, questions_lead=True, rules=rules)
        moment = choose_moment(c.cues, scored, rules)
        confidence = round(moment.margin, 4)
        if moment.margin < gate.moment:  # not sure: the passage from its start, nothing marked
            own = c.cues.index(chunk.cues[0]) if chunk.cues and chunk.cues[0] in c.cues else 0
            return Passage(**common, url=at_time(chunk.url, chunk.start), highlight="", start_seconds=chunk.start,
                           end_seconds=chunk.end, exchange=exchange(c.cues, own, own, answering=False),
                           confidence=confidence), _top(scored)
        return Passage(**common, url=at_time(chunk.url, moment.start), highlight=moment.highlight,
                       start_seconds=moment.start, end_seconds=moment.end, exchange=moment.turns,
                       confidence=confidence), _top(scored)
    scored = scores(question, sentences, sims, rules=rules)
    best, margin = choose(question, sentences, sims, rules, scored) if sentences else (0, 0.0)
    highlight = sentences[best].text if sentences and margin >= gate.highlight else ""
    return Passage(**common, url=deep_link(chunk), highlight=highlight, start_seconds=chunk.start,
                   end_seconds=chunk.end, confidence=round(margin, 4)), _top(scored)


def _top(scored: list[float | None]) -> float:
    return max((s for s in scored if s is not None), default=0.0)
