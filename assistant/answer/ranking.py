"""Pure ranking logic over lists: fusion of dense and lexical results, and per-document grouping."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

RRF_K = 60


@dataclass(frozen=True)
class Fusion:
    """How dense and BM25 rankings are combined; chosen by `bench/fusion_sweep.py`, see docs/measured.md."""

    mode: str = "hybrid"  # "dense", "bm25" or "hybrid"
    # hybrid: "adaptive" (cosine + weight × BM25 confidence × max-normalised BM25), "convex" (the
    # same with a fixed weight) or "rrf" (weighted reciprocal-rank fusion)
    method: str = "adaptive"
    lexical_weight: float = 0.4
    confidence_from: float = 0.15  # BM25's relative top-1 vs top-10 gap where its weight starts…
    confidence_to: float = 0.70  # …and where it is full
    depth: int = 100  # candidates taken from each ranker


def rrf(rankings: Sequence[tuple[Sequence[int], float]], k: int = RRF_K) -> list[tuple[int, float]]:
    """Weighted reciprocal-rank fusion: score(row) = Σ weight / (k + rank)."""
    scores: dict[int, float] = {}
    for rows, weight in rankings:
        for rank, row in enumerate(rows, start=1):
            scores[int(row)] = scores.get(int(row), 0.0) + weight / (k + rank)
    return sorted(scores.items(), key=lambda item: (-item[1], item[0]))


def fuse(rows: np.ndarray, dense: np.ndarray, lexical: np.ndarray, fusion: Fusion) -> list[tuple[int, float]]:
    """One ranked list of (row, score) over candidate rows, given each ranker's exact score for them.

    dense: cosine similarity of each candidate; lexical: its BM25 score (0 where no query word occurs).
    """
    if len(rows) == 0:
        return []
    if fusion.mode == "dense":
        combined = dense
    elif fusion.mode == "bm25":
        keep = lexical > 0
        rows, combined = rows[keep], lexical[keep]
    elif fusion.method == "rrf":
        by_dense = rows[np.argsort(-dense, kind="stable")]
        by_lexical = rows[np.argsort(-lexical, kind="stable")][: int(np.count_nonzero(lexical > 0))]
        return rrf([(by_dense, 1.0), (by_lexical, fusion.lexical_weight)])
    else:
        top = float(lexical.max())
        normalised = lexical / top if top > 0 else lexical
        weight = fusion.lexical_weight * (lexical_confidence(lexical, fusion) if fusion.method == "adaptive" else 1.0)
        combined = dense + weight * normalised
    order = np.argsort(-combined, kind="stable")
    return [(int(rows[i]), float(combined[i])) for i in order]


def lexical_confidence(lexical: np.ndarray, fusion: Fusion) -> float:
    """How sure BM25 is, 0..1: how far its best score stands above its 10th best, relative to the best.

    A query whose rare words pin down one passage (a drug name, an error message) gives a steep
    drop and full weight; a paraphrase that shares only common words with many passages gives a
    flat list, and the dense ranking is left alone.
    """
    ranked = np.sort(lexical)[::-1]
    if len(ranked) == 0 or ranked[0] <= 0:
        return 0.0
    gap = (ranked[0] - ranked[min(9, len(ranked) - 1)]) / ranked[0]
    span = fusion.confidence_to - fusion.confidence_from
    return float(np.clip((gap - fusion.confidence_from) / span, 0.0, 1.0))


def top_rows(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k highest scores above zero, best first."""
    k = min(k, int(np.count_nonzero(scores > 0)))
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    rows = np.argpartition(-scores, k - 1)[:k]
    return rows[np.argsort(-scores[rows], kind="stable")].astype(np.int64)


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


def split_cards(passages: Sequence, floor: float, gap: float) -> tuple[tuple, tuple]:
    """(cards, more). A card is a document's leading passage (the first of it in `passages`) whose cosine
    (`score`) is at least `floor` (the same bar that decides "answered") and within `gap` of the best
    lead's. Cards and the rest (`more`) are each ordered by `rank_score`, the score shown beside them;
    the best-ranked lead is always a card."""
    leads: dict[str, object] = {}
    for p in passages:
        leads.setdefault(p.doc_id, p)
    ordered = sorted(leads.values(), key=lambda p: -p.rank_score)
    if not ordered:
        return (), ()
    bar = max(floor, max(p.score for p in ordered) - gap)
    cards = [ordered[0]] + [p for p in ordered[1:] if p.score >= bar]
    shown = {id(p) for p in cards}
    return tuple(cards), tuple(sorted((p for p in passages if id(p) not in shown), key=lambda p: -p.rank_score))


def rank_documents(ranked: Sequence[tuple[int, float]], doc_of: Sequence[str]) -> list[str]:
    """Documents in the order of their best chunk."""
    seen: dict[str, None] = {}
    for row, _ in ranked:
        seen.setdefault(doc_of[row], None)
    return list(seen)
