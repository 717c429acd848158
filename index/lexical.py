"""BM25 over the same chunks as the dense index, with bm25s (English stemming and stop words).

    LexicalIndex          one segment's BM25 index: built and saved by bm25s; loaded here from its plain
                          files (vocabulary JSON, memory-mapped CSC arrays), so questions never import
                          bm25s (nor scipy through it: about 0.2 CPU-s of every cold start)
    LexicalSearch         all segments of a version as one index: a question's scores over the rows
                          that hold one of its words (posting lists only, never a pass over all rows),
                          with IDF taken over the whole version so segments score alike

Words are split, filtered and stemmed by `query_words` for questions and, through bm25s.tokenize given
the same pattern and stop words, for the index.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np

from corpus.english import BM25_STOP_WORDS, STEMMER

try:
    from orjson import loads as _json  # what bm25s reads its vocabulary with: a large one loads several times faster
except ImportError:
    from json import loads as _json

K1, B = 0.9, 0.4  # Anserini's BEIR settings
TOKEN = r"(?u)\b\w\w+\b"  # bm25s' default (scikit-learn's CountVectorizer)
_SPLIT = re.compile(TOKEN).findall
_STOP = frozenset(BM25_STOP_WORDS)  # builds hand bm25s this list, so index and questions agree
_FILES = {"data": "data.csc.index.npy", "indices": "indices.csc.index.npy", "indptr": "indptr.csc.index.npy"}
VOCAB = "vocab.index.json"


def _tokenize(texts: list[str]):
    import bm25s

    return bm25s.tokenize(texts, token_pattern=TOKEN, stopwords=list(BM25_STOP_WORDS), stemmer=STEMMER.stemWords,
                          show_progress=False)


def query_words(query: str) -> list[str]:
    """The stemmed, stop-word-free words of a question, as the index stores them (bm25s.tokenize's steps:
    lower case, split, drop stop words, stem)."""
    return STEMMER.stemWords([word for word in _SPLIT(query.lower()) if word not in _STOP])


WORDS = "words.json.zst"  # the rows' words as written (lower case, unstemmed): {word: rows holding it}, zstd
_SURFACE = re.compile(r"[^\W\d_]{2,}(?:-[^\W\d_]+)*")


def surface_words(texts: list[str]) -> dict[str, int]:
    """How many texts hold each word, as written (lower case; "Wi-Fi" also counts as "wifi"): the vocabulary
    a question's misspelt words are corrected against."""
    counts: dict[str, int] = {}
    for text in texts:
        found = set()
        for token in _SURFACE.findall(text.lower()):
            parts = token.split("-")
            found.update(p for p in parts if len(p) > 1)
            if len(parts) > 1:
                found.add("".join(parts))
        for word in found:
            counts[word] = counts.get(word, 0) + 1
    return counts


class LexicalIndex:
    def __init__(self, vocab: dict[str, int], scores: dict[str, np.ndarray], size: int, retriever=None,
                 words: dict[str, int] | None = None, folder: Path | None = None):
        self._retriever = retriever  # the bm25s.BM25 of a build, for `save`; None when loaded
        self._words, self._folder = words, folder  # surface words: counted by a build, read on first use
        self.size = size
        self.vocab = vocab
        self._data = scores["data"]
        self._indices = scores["indices"]
        self._indptr = scores["indptr"]

    @classmethod
    def build(cls, texts: list[str]) -> LexicalIndex:
        import bm25s

        retriever = bm25s.BM25(k1=K1, b=B)
        retriever.index(_tokenize(texts), show_progress=False)
        return cls(retriever.vocab_dict or {}, retriever.scores, len(texts), retriever, surface_words(texts))

    def save(self, folder: Path) -> None:
        self._retriever.save(str(folder), show_progress=False)
        (Path(folder) / "size.txt").write_text(str(self.size))
        import zstandard

        words = json.dumps(self._words or {}, ensure_ascii=False).encode("utf-8")
        (Path(folder) / WORDS).write_bytes(zstandard.ZstdCompressor(level=9).compress(words))

    def words(self) -> dict[str, int]:
        """The surface vocabulary (empty for a segment written before it was kept)."""
        if self._words is None:
            path = (self._folder or Path()) / WORDS
            self._words = {}
            if self._folder is not None and path.is_file():
                import zstandard

                self._words = _json(zstandard.ZstdDecompressor().decompress(path.read_bytes()))
        return self._words

    @classmethod
    def load(cls, folder: Path) -> LexicalIndex:
        """What bm25s.BM25.load(folder, mmap=True) reads for scoring, without importing bm25s."""
        folder = Path(folder)
        vocab = _json((folder / VOCAB).read_bytes())
        scores = {name: np.load(folder / file, mmap_mode="r") for name, file in _FILES.items()}
        return cls(vocab, scores, int((folder / "size.txt").read_text()), folder=folder)

    def document_frequency(self, word: str) -> int:
        term = self.vocab.get(word)
        return 0 if term is None else int(self._indptr[term + 1] - self._indptr[term])

    def postings(self, word: str) -> tuple[np.ndarray, np.ndarray]:
        """(rows holding the word, their BM25 contribution for it with this segment's IDF)."""
        term = self.vocab.get(word)
        if term is None:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        start, end = int(self._indptr[term]), int(self._indptr[term + 1])
        return self._indices[start:end].astype(np.int64), np.asarray(self._data[start:end], np.float32)

    def raw_postings(self, word: str) -> tuple[np.ndarray, np.ndarray]:
        """The word's postings as stored (int32 rows, float32 scores), views of the memory map: no copy."""
        term = self.vocab.get(word)
        if term is None:
            return self._indices[:0], self._data[:0]
        start, end = int(self._indptr[term]), int(self._indptr[term + 1])
        return self._indices[start:end], self._data[start:end]

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every row (zeros when no query word is in the vocabulary). O(rows): for tools and
        tests; questions use LexicalSearch."""
        return LexicalSearch([self], np.array([0, self.size])).query(query).dense(self.size)


def idf(df: int, n: int) -> float:
    """bm25s' "lucene" IDF."""
    return math.log(1 + (n - df + 0.5) / (df + 0.5))


Postings = tuple[np.ndarray, np.ndarray]  # (global rows, sorted; BM25 contribution of one word)


def accumulate(terms: list[Postings], size: int) -> tuple[np.ndarray, np.ndarray]:
    """Sum the words' contributions per row: (rows holding any of them, sorted; their scores)."""
    terms = [t for t in terms if len(t[0])]
    if not terms:
        return np.zeros(0, np.int64), np.zeros(0, np.float32)
    rows, weights = np.concatenate([t[0] for t in terms]), np.concatenate([t[1] for t in terms])
    if len(rows) * 8 > size:  # many postings: accumulate densely (C loops over the rows)
        total = np.bincount(rows, weights=weights, minlength=size)
        keep = np.flatnonzero(total > 0)
        return keep, total[keep].astype(np.float32)
    keep, inverse = np.unique(rows, return_inverse=True)
    return keep, np.bincount(inverse, weights=weights).astype(np.float32)


def lookup(postings: Postings, rows: np.ndarray, size: int = 0) -> np.ndarray:
    """Each row's score in sorted postings (0 where absent). Long postings are scattered into a dense
    array once (cheaper than a binary search per row)."""
    held, scores = postings
    if len(held) == 0:
        return np.zeros(len(rows), np.float32)
    if size and len(held) * 32 > size and len(rows) * 8 > len(held) / 8:
        dense = np.zeros(size, np.float32)
        dense[held] = scores
        return dense[rows]
    at = np.minimum(np.searchsorted(held, rows), len(held) - 1)
    return np.where(held[at] == rows, scores[at], 0.0).astype(np.float32)


class CommonWord:
    """A word in many rows: its postings left in the memory map, looked up by binary search for the
    rows that need its score; `bound` is at least the most it can add to any row."""

    def __init__(self, parts: list[tuple[np.ndarray, np.ndarray, int, float, np.ndarray | None]], bound: float):
        self.parts = parts  # (rows int32, scores float32, segment offset, IDF ratio, deleted mask or None)
        self.bound = bound

    def lookup(self, rows: np.ndarray) -> np.ndarray:
        total = np.zeros(len(rows), np.float32)
        for held, scores, offset, ratio, _ in self.parts:
            local = rows - offset
            if len(rows) * 16 > len(held):  # many rows to look up: scatter the postings once instead
                end = int(held[-1]) + 1
                dense = np.zeros(end, np.float32)
                dense[held] = scores
                inside = np.flatnonzero((local >= 0) & (local < end))
                total[inside] += dense[local[inside]] * np.float32(ratio)
                continue
            inside = np.flatnonzero((local >= 0) & (local <= (int(held[-1]) if len(held) else -1)))
            if not len(inside):
                continue
            want = local[inside].astype(held.dtype)
            at = np.minimum(np.searchsorted(held, want), len(held) - 1)
            hit = held[at] == want
            total[inside[hit]] += scores[at[hit]] * np.float32(ratio)
        return total

    def postings(self) -> Postings:
        rows, weights = [], []
        for held, scores, offset, ratio, dead in self.parts:
            held, scores = held.astype(np.int64), np.asarray(scores, np.float32) * np.float32(ratio)
            if dead is not None:
                alive = ~dead[held]
                held, scores = held[alive], scores[alive]
            rows.append(held + offset)
            weights.append(scores)
        return np.concatenate(rows), np.concatenate(weights)


class LexicalMatches:
    """A question's BM25 scores, found from posting lists only.

    Words are split MaxScore-style: the rare ("essential") words' postings are summed into candidate
    rows; the common words' contributions are looked up for those candidates only. When the k-th best
    candidate beats the most any row could get from the common words alone, that top k is exact;
    otherwise every posting is summed (the exact fallback)."""

    def __init__(self, essential: list[Postings], common: list[CommonWord], size: int):
        self.essential, self.common, self.size = essential, common, size
        self.rows, self.scores = accumulate(essential, size)

    def _common(self, rows: np.ndarray) -> np.ndarray:
        total = np.zeros(len(rows), np.float32)
        for word in self.common:
            total += word.lookup(rows)
        return total

    def _all(self) -> tuple[np.ndarray, np.ndarray]:
        return accumulate(self.essential + [w.postings() for w in self.common], self.size)

    def top(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The k best rows scoring above zero, best first (ties by row)."""
        rows, scores = self.rows, self.scores + self._common(self.rows)
        bound = sum(w.bound for w in self.common)
        if self.common and (len(rows) < k or _kth(scores, k) <= bound):
            rows, scores = self._all()
        k = min(k, len(rows))
        if k <= 0:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        best = np.flatnonzero(scores >= _kth(scores, k))  # ties at the cut are settled by row
        best = best[np.lexsort((rows[best], -scores[best]))][:k]
        return rows[best], scores[best]

    def scores_of(self, rows: np.ndarray) -> np.ndarray:
        """BM25 score of each given row (0 where none of the words occurs)."""
        rows = np.asarray(rows, dtype=np.int64)
        return lookup((self.rows, self.scores), rows) + self._common(rows)

    def dense(self, size: int) -> np.ndarray:
        out = np.zeros(size, np.float32)
        rows, scores = self._all()
        out[rows] = scores
        return out


def _kth(scores: np.ndarray, k: int) -> float:
    return float(np.partition(scores, len(scores) - k)[len(scores) - k])


class LexicalSearch:
    """The segments' lexical indexes as one; `dead` holds each segment's deleted local rows."""

    COMMON = 1 / 32  # a word in more than this share of the rows is looked up, not summed, when it can be

    def __init__(self, parts: list[LexicalIndex], offsets: np.ndarray, dead: list[np.ndarray] | None = None):
        self.parts = parts
        self.offsets = offsets
        self.dead = dead or [np.zeros(0, np.int64)] * len(parts)
        self.size = int(offsets[-1]) if len(offsets) else 0
        self._words: dict[str, int] | None = None
        self._dead_masks = []  # per segment: a bool a row (1 MB a million rows), None when nothing is deleted
        for part, dead in zip(parts, self.dead):
            mask = None
            if len(dead):
                mask = np.zeros(part.size, dtype=bool)
                mask[dead] = True
            self._dead_masks.append(mask)

    def words(self) -> dict[str, int]:
        """The segments' surface vocabularies as one (rows of deleted chunks still count: a word stays known
        until its segment is merged away)."""
        if self._words is None:
            merged: dict[str, int] = {}
            for part in self.parts:
                for word, count in part.words().items():
                    merged[word] = merged.get(word, 0) + count
            self._words = merged
        return self._words

    def query(self, question: str) -> LexicalMatches:
        frequency = {w: sum(p.document_frequency(w) for p in self.parts) for w in dict.fromkeys(query_words(question))}
        words = sorted((w for w in frequency if frequency[w]), key=lambda w: (frequency[w], w))
        common = [w for w in words[1:] if frequency[w] > self.COMMON * self.size]
        essential = [self._postings(w) for w in words if w not in common]
        return LexicalMatches(essential, [self._common_word(w, frequency[w]) for w in common], self.size)

    def _common_word(self, word: str, frequency: int) -> CommonWord:
        parts = [(*part.raw_postings(word), int(offset), self._idf_ratio(part, word), dead)
                 for part, offset, dead in zip(self.parts, self.offsets, self._dead_masks)]
        parts = [p for p in parts if len(p[0])]
        return CommonWord(parts, sum(float(p[1].max()) * p[3] for p in parts))

    def _postings(self, word: str) -> Postings:
        """One word's postings over all segments, version-wide IDF, deleted rows dropped."""
        rows, weights = [], []
        for part, offset, dead in zip(self.parts, self.offsets, self._dead_masks):
            hit, score = part.postings(word)
            if len(hit) and dead is not None:
                alive = ~dead[hit]
                hit, score = hit[alive], score[alive]
            if len(hit):
                rows.append(hit + int(offset) if offset else hit)
                ratio = self._idf_ratio(part, word)
                weights.append(score if ratio == 1.0 else score * np.float32(ratio))
        if not rows:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        if len(rows) == 1:
            return rows[0], weights[0]
        return np.concatenate(rows), np.concatenate(weights)

    def _idf_ratio(self, part: LexicalIndex, word: str) -> float:
        """Version-wide IDF over this segment's own (1.0 with one segment, so scores stay exactly bm25s')."""
        if len(self.parts) == 1:
            return 1.0
        df = part.document_frequency(word)
        df_all = sum(p.document_frequency(word) for p in self.parts)
        return idf(df_all, self.size) / idf(df, part.size)
