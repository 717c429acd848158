"""Pure ranking logic over lists: fusion of dense and lexical results, and per-document grouping."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

RRF_K = 60


@dataclass(frozen=True)
class Fusion:
    """How dense and BM25 rankings are combined; chosen by `assistant eval`, see README."""

    mode: str = "hybrid"  # "dense", "bm25" or "hybrid"
    lexical_weight: float = 0.5  # weight of BM25 against dense (1.0) in reciprocal-rank fusion
    depth: int = 100  # candidates taken from each ranker


def rrf(rankings: Sequence[tuple[Sequence[int], float]], k: int = RRF_K) -> list[tuple[int, float]]:
    """Weighted reciprocal-rank fusion: score(row) = Σ weight / (k + rank)."""
    scores: dict[int, float] = {}
    for rows, weight in rankings:
        for rank, row in enumerate(rows, start=1):
            scores[int(row)] = scores.get(int(row), 0.0) + weight / (k + rank)
    return sorted(scores.items(), key=lambda item: (-item[1], item[0]))


def fuse(dense_rows: np.ndarray, lexical_rows: np.ndarray, fusion: Fusion) -> list[tuple[int, float]]:
    """One ranked list of (row, score) from the two rankers, by the fusion's mode."""
    if fusion.mode == "dense" or (fusion.mode == "hybrid" and len(lexical_rows) == 0):
        return [(int(r), 1.0 / (RRF_K + i)) for i, r in enumerate(dense_rows, start=1)]
    if fusion.mode == "bm25":
        return [(int(r), 1.0 / (RRF_K + i)) for i, r in enumerate(lexical_rows, start=1)]
    return rrf([(dense_rows, 1.0), (lexical_rows, fusion.lexical_weight)])


def cap_per_document(ranked: Sequence[tuple[int, float]], doc_of: Sequence[str], limit: int) -> list[tuple[int, float]]:
    """Keep at most `limit` rows per document, in rank order."""
    counts: dict[str, int] = {}
    kept = []
    for row, score in ranked:
        doc = doc_of[row]
        if counts.get(doc, 0) < limit:
            counts[doc] = counts.get(doc, 0) + 1
            kept.append((row, score))
    return kept


def rank_documents(ranked: Sequence[tuple[int, float]], doc_of: Sequence[str]) -> list[str]:
    """Documents in the order of their best chunk."""
    seen: dict[str, None] = {}
    for row, _ in ranked:
        seen.setdefault(doc_of[row], None)
    return list(seen)
