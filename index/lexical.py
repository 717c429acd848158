"""BM25 over the same chunks as the dense index, with bm25s (English stemming and stop words).

    LexicalIndex          one segment's bm25s index (built and saved by bm25s, memory-mapped on load)
    LexicalSearch         all segments of a version as one index: a question's scores over the rows
                          that hold one of its words (posting lists only, never a pass over all rows),
                          with IDF taken over the whole version so segments score alike
"""

from __future__ import annotations

import math
from pathlib import Path

import bm25s
import numpy as np
import Stemmer

_STEMMER = Stemmer.Stemmer("english")
K1, B = 0.9, 0.4  # Anserini's BEIR settings


def _tokenize(texts: list[str]):
    return bm25s.tokenize(texts, stopwords="en", stemmer=_STEMMER.stemWords, show_progress=False)


def query_words(query: str) -> list[str]:
    """The stemmed, stop-word-free words of a question, as the index stores them."""
    return bm25s.tokenize([query], stopwords="en", stemmer=_STEMMER.stemWords, show_progress=False,
                          return_ids=False)[0]


class LexicalIndex:
    def __init__(self, retriever: bm25s.BM25, size: int):
        self._retriever = retriever
        self.size = size
        self.vocab = retriever.vocab_dict or {}
        self._data = retriever.scores["data"]
        self._indices = retriever.scores["indices"]
        self._indptr = retriever.scores["indptr"]

    @classmethod
    def build(cls, texts: list[str]) -> LexicalIndex:
        retriever = bm25s.BM25(k1=K1, b=B)
        retriever.index(_tokenize(texts), show_progress=False)
        return cls(retriever, len(texts))

    def save(self, folder: Path) -> None:
        self._retriever.save(str(folder), show_progress=False)
        (Path(folder) / "size.txt").write_text(str(self.size))

    @classmethod
    def load(cls, folder: Path) -> LexicalIndex:
        retriever = bm25s.BM25.load(str(folder), show_progress=False, mmap=True)
        return cls(retriever, int((Path(folder) / "size.txt").read_text()))

    def document_frequency(self, word: str) -> int:
        term = self.vocab.get(word)
        return 0 if term is None else int(self._indptr[term + 1] - self._indptr[term])

    def postings(self, word: str) -> tuple[np.ndarray, np.ndarray]:
        """(rows holding the word, their BM25 contribution for it with this segment's IDF)."""
        term = self.vocab.get(word)
        if term is None:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        start, end = int(self._indptr[term]), int(self._indptr[term + 1])
        return np.asarray(self._indices[start:end], dtype=np.int64), np.asarray(self._data[start:end], np.float32)

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every row (zeros when no query word is in the vocabulary). O(rows): for tools and
        tests; questions use LexicalSearch."""
        return LexicalSearch([self], np.array([0, self.size])).query(query).dense(self.size)


def idf(df: int, n: int) -> float:
    """bm25s' "lucene" IDF."""
    return math.log(1 + (n - df + 0.5) / (df + 0.5))


class LexicalMatches:
    """A question's BM25 scores over the rows that hold at least one of its words (global rows, sorted)."""

    def __init__(self, rows: np.ndarray, scores: np.ndarray):
        self.rows = rows
        self.scores = scores

    def top(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The k best rows scoring above zero, best first."""
        k = min(k, len(self.rows))
        if k <= 0:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        kth = np.partition(self.scores, len(self.scores) - k)[len(self.scores) - k]
        best = np.flatnonzero(self.scores >= kth)  # ties at the cut are settled by row, as a full sort would
        best = best[np.lexsort((self.rows[best], -self.scores[best]))][:k]
        return self.rows[best], self.scores[best]

    def scores_of(self, rows: np.ndarray) -> np.ndarray:
        """BM25 score of each given row (0 where none of the words occurs)."""
        rows = np.asarray(rows, dtype=np.int64)
        if len(self.rows) == 0:
            return np.zeros(len(rows), np.float32)
        at = np.minimum(np.searchsorted(self.rows, rows), len(self.rows) - 1)
        return np.where(self.rows[at] == rows, self.scores[at], 0.0).astype(np.float32)

    def dense(self, size: int) -> np.ndarray:
        out = np.zeros(size, np.float32)
        out[self.rows] = self.scores
        return out


class LexicalSearch:
    """The segments' lexical indexes as one; `dead` holds each segment's deleted local rows."""

    def __init__(self, parts: list[LexicalIndex], offsets: np.ndarray, dead: list[np.ndarray] | None = None):
        self.parts = parts
        self.offsets = offsets
        self.dead = dead or [np.zeros(0, np.int64)] * len(parts)
        self.size = int(offsets[-1]) if len(offsets) else 0

    def query(self, question: str) -> LexicalMatches:
        words = list(dict.fromkeys(query_words(question)))
        found_rows, found_scores = [], []
        for part, offset, dead in zip(self.parts, self.offsets, self.dead):
            rows, scores = self._segment(part, words, dead)
            found_rows.append(rows + int(offset))
            found_scores.append(scores)
        if not found_rows:
            return LexicalMatches(np.zeros(0, np.int64), np.zeros(0, np.float32))
        return LexicalMatches(np.concatenate(found_rows), np.concatenate(found_scores))

    def _segment(self, part: LexicalIndex, words: list[str], dead: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        rows, weights = [], []
        for word in words:
            hit, score = part.postings(word)
            if len(hit):
                rows.append(hit)
                weights.append(score * self._idf_ratio(part, word))
        if not rows:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        rows, weights = np.concatenate(rows), np.concatenate(weights)
        if len(rows) * 8 > part.size:  # many postings: accumulate densely (C loops over the segment)
            total = np.bincount(rows, weights=weights, minlength=part.size)
            if len(dead):
                total[dead] = 0
            keep = np.flatnonzero(total > 0)
            return keep, total[keep].astype(np.float32)
        keep, inverse = np.unique(rows, return_inverse=True)
        total = np.bincount(inverse, weights=weights).astype(np.float32)
        if len(dead):
            alive = ~np.isin(keep, dead)
            keep, total = keep[alive], total[alive]
        return keep, total

    def _idf_ratio(self, part: LexicalIndex, word: str) -> float:
        """Version-wide IDF over this segment's own (1.0 with one segment, so scores stay exactly bm25s')."""
        if len(self.parts) == 1:
            return 1.0
        df = part.document_frequency(word)
        df_all = sum(p.document_frequency(word) for p in self.parts)
        return idf(df_all, self.size) / idf(df, part.size)
