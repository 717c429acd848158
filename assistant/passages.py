"""Ranked chunks → cited passages, each landing on its answer: the answering sentence of an article
or deck page, the answering moment of a recording.

The candidate sentences (cues, for recordings) of all the passages are embedded in one batch per
question, a few per passage picked by words first so the batch stays small; vectors are kept in a
small cache, so a passage shown again costs nothing.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np

from assistant.answers import Passage
from assistant.highlight import CARRY_RECORDING, best_index, scores, shortlist
from assistant.links import at_time, deep_link
from assistant.moments import choose_moment, cue_sentence
from assistant.sentences import Sentence, plain, split_sentences
from corpus import Chunk
from corpus.model import Cue

PER_PASSAGE = 4  # candidate sentences per passage sent to the model (with the sentence after each)
SWAP_MARGIN = 0.1  # a document's later passage is shown first when its answer scores this much better
NEIGHBOUR_CUES = 4  # a recording's moment may lie this many cues into the passage before or after
EMBED_CHARS = 300  # a candidate is cut to this many characters for the model (about 64 tokens)


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
            fresh = self.embedder.embed([t[:EMBED_CHARS] for t in missing])
            known.update(zip(missing, fresh))
            with self._lock:
                self._cache.update(zip(missing, fresh))
                while len(self._cache) > self.size:
                    self._cache.popitem(last=False)
        return known

    def clear(self) -> None:
        with self._lock:
            self._cache.clear()


def build_passages(chunks: Sequence[Chunk], similarity: Sequence[float], question: str, query: np.ndarray,
                   vectors: SentenceVectors, around: Sequence[tuple[tuple[Cue, ...], tuple[Cue, ...]]] = ()
                   ) -> tuple[Passage, ...]:
    """around[n]: the cues just before and after chunk n in its recording (an answer may straddle chunks)."""
    cue_lists = [_cues(chunk, around[n] if n < len(around) else ((), ())) for n, chunk in enumerate(chunks)]
    units = [[cue_sentence(c) for c in cues] if cues else split_sentences(chunk.text)
             for chunk, cues in zip(chunks, cue_lists)]
    picked = [shortlist(question, sentences, PER_PASSAGE) for sentences in units]
    texts = [plain(units[n][i].text) for n, chosen in enumerate(picked) for i in chosen]
    found = vectors.vectors(texts)
    passages, strength = [], []
    for chunk, cues, sentences, chosen, score in zip(chunks, cue_lists, units, picked, similarity):
        sims: list[float | None] = [None] * len(sentences)
        for i in chosen:
            sims[i] = float(np.dot(found[plain(sentences[i].text)], query))
        passage, best = _passage(chunk, cues, sentences, sims, question, score)
        passages.append(passage)
        strength.append(best)
    return tuple(lead_with_best_answer(passages, strength))


def lead_with_best_answer(passages: list[Passage], strength: list[float]) -> list[Passage]:
    """Within one document, the passage whose answering sentence scores clearly best comes first (it
    takes the place of the document's first passage; documents keep their order)."""
    out = list(passages)
    for first in range(len(out)):
        for later in range(first + 1, len(out)):
            if out[later].doc_id == out[first].doc_id and strength[later] > strength[first] + SWAP_MARGIN:
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


def _cues(chunk: Chunk, around: tuple[tuple[Cue, ...], tuple[Cue, ...]]) -> tuple[Cue, ...]:
    return (*around[0], *chunk.cues, *around[1]) if chunk.cues else ()


def _passage(chunk: Chunk, cues: tuple[Cue, ...], sentences: list[Sentence], sims: list[float | None],
             question: str, score: float) -> tuple[Passage, float]:
    common = dict(title=chunk.title, section=" › ".join(chunk.section), text=chunk.text,
                  score=round(max(0.0, score), 4), source_type=chunk.source_type, page=chunk.page,
                  doc_id=chunk.doc_id)
    if cues:
        scored = scores(question, sentences, sims, CARRY_RECORDING, questions_lead=True)
        moment = choose_moment(cues, scored)
        return Passage(**common, url=at_time(chunk.url, moment.start), highlight=moment.highlight,
                       start_seconds=moment.start, end_seconds=moment.end, passage_start_seconds=chunk.start,
                       passage_end_seconds=chunk.end, exchange=moment.turns), _top(scored)
    scored = scores(question, sentences, sims)
    highlight = sentences[best_index(question, sentences, sims)].text if sentences else ""
    return Passage(**common, url=deep_link(chunk), highlight=highlight, start_seconds=chunk.start,
                   end_seconds=chunk.end, passage_start_seconds=chunk.start, passage_end_seconds=chunk.end), _top(scored)


def _top(scored: list[float | None]) -> float:
    return max((s for s in scored if s is not None), default=0.0)
