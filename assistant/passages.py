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
from assistant.highlight import QUESTION_PENALTY, best_index, cheap_score, shortlist, terms, wants_number
from assistant.links import at_time, deep_link
from assistant.moments import choose_moment, cue_sentence
from assistant.sentences import Sentence, plain, split_sentences
from corpus import Chunk

PER_PASSAGE = 5  # candidate sentences per passage sent to the model
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
                   vectors: SentenceVectors) -> tuple[Passage, ...]:
    units = [_units(chunk) for chunk in chunks]
    picked = [shortlist(question, sentences, PER_PASSAGE) for sentences in units]
    texts = [plain(units[n][i].text) for n, chosen in enumerate(picked) for i in chosen]
    found = vectors.vectors(texts)
    passages = []
    for chunk, sentences, chosen, score in zip(chunks, units, picked, similarity):
        sims: list[float | None] = [None] * len(sentences)
        for i in chosen:
            sims[i] = float(np.dot(found[plain(sentences[i].text)], query))
        passages.append(_passage(chunk, sentences, sims, question, score))
    return tuple(passages)


def _units(chunk: Chunk) -> list[Sentence]:
    if chunk.cues:
        return [cue_sentence(cue) for cue in chunk.cues]
    return split_sentences(chunk.text)


def _passage(chunk: Chunk, sentences: list[Sentence], sims: list[float | None], question: str,
             score: float) -> Passage:
    common = dict(title=chunk.title, section=" › ".join(chunk.section), text=chunk.text,
                  score=round(max(0.0, score), 4), source_type=chunk.source_type, page=chunk.page,
                  doc_id=chunk.doc_id)
    if chunk.cues:
        scores = [None if s is None else s + _shape(question, sentences, i) for i, s in enumerate(sims)]
        moment = choose_moment(chunk.cues, scores)
        return Passage(**common, url=at_time(chunk.url, moment.start), highlight=moment.highlight,
                       start_seconds=moment.start, end_seconds=moment.end, passage_start_seconds=chunk.start,
                       passage_end_seconds=chunk.end, exchange=moment.turns)
    highlight = sentences[best_index(question, sentences, sims)].text if sentences else ""
    return Passage(**common, url=deep_link(chunk), highlight=highlight, start_seconds=chunk.start,
                   end_seconds=chunk.end, passage_start_seconds=chunk.start, passage_end_seconds=chunk.end)


def _shape(question: str, sentences: list[Sentence], index: int) -> float:
    """A cue's words-and-shape score, without the question penalty: a question cue may lead to its reply."""
    sentence = sentences[index]
    bonus = QUESTION_PENALTY if sentence.question else 0.0
    return cheap_score(terms(question), sentence, wants_number(question)) + bonus
