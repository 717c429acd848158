"""Fusion and grouping logic on plain arrays."""

import numpy as np
import pytest

from assistant.answer.ranking import (
    RRF_K,
    Fusion,
    cap_per_document,
    fuse,
    lexical_confidence,
    rank_documents,
    rrf,
    top_rows,
)

ROWS = np.array([5, 7, 9])
DENSE = np.array([0.80, 0.75, 0.40], dtype=np.float32)
LEXICAL = np.array([0.0, 12.0, 6.0], dtype=np.float32)


def test_rrf_adds_weighted_reciprocal_ranks():
    fused = dict(rrf([([1, 2], 1.0), ([2, 3], 0.5)]))
    assert fused[2] == pytest.approx(1 / (RRF_K + 2) + 0.5 / (RRF_K + 1))
    assert fused[1] == pytest.approx(1 / (RRF_K + 1))
    assert fused[3] == pytest.approx(0.5 / (RRF_K + 2))


def test_convex_adds_weighted_max_normalised_bm25_to_the_cosine():
    ranked = fuse(ROWS, DENSE, LEXICAL, Fusion(mode="hybrid", method="convex", lexical_weight=0.3))
    assert [row for row, _ in ranked] == [7, 5, 9]
    assert dict(ranked)[7] == pytest.approx(0.75 + 0.3 * 1.0)
    assert dict(ranked)[9] == pytest.approx(0.40 + 0.3 * 0.5)


def test_a_small_lexical_weight_cannot_overturn_a_clear_dense_lead():
    ranked = fuse(ROWS, np.array([0.9, 0.5, 0.4]), LEXICAL, Fusion(mode="hybrid", method="convex", lexical_weight=0.3))
    assert ranked[0][0] == 5


def test_modes_use_one_ranker_alone():
    assert [r for r, _ in fuse(ROWS, DENSE, LEXICAL, Fusion(mode="dense"))] == [5, 7, 9]
    assert [r for r, _ in fuse(ROWS, DENSE, LEXICAL, Fusion(mode="bm25"))] == [7, 9]  # row 5 shares no word
    assert [r for r, _ in fuse(ROWS, DENSE, np.zeros(3), Fusion(mode="hybrid"))] == [5, 7, 9]
    assert fuse(np.array([], dtype=int), np.array([]), np.array([]), Fusion()) == []


def test_rrf_method_ranks_by_both_orders():
    ranked = fuse(ROWS, DENSE, LEXICAL, Fusion(mode="hybrid", method="rrf", lexical_weight=1.0))
    assert [r for r, _ in ranked][0] == 7  # 2nd by dense, 1st by BM25


def test_top_rows_keeps_positive_scores_best_first():
    assert top_rows(np.array([0.0, 3.0, 1.0, 2.0]), 2).tolist() == [1, 3]
    assert top_rows(np.array([0.0, 3.0]), 5).tolist() == [1]
    assert top_rows(np.zeros(3), 5).tolist() == []


def test_cap_per_document_keeps_rank_order():
    doc_of = ["a", "a", "a", "b", "c"]
    ranked = [(0, 0.9), (1, 0.8), (2, 0.7), (3, 0.6), (4, 0.5)]
    assert [r for r, _ in cap_per_document(ranked, doc_of, 2)] == [0, 1, 3, 4]
    assert rank_documents(ranked, doc_of) == ["a", "b", "c"]


def test_bm25_confidence_ramps_with_its_top_gap():
    fusion = Fusion(confidence_from=0.2, confidence_to=0.6)
    steep = np.array([10.0] + [2.0] * 9)  # gap 0.8 -> full confidence
    flat = np.array([10.0] + [9.0] * 9)  # gap 0.1 -> none
    middle = np.array([10.0] + [6.0] * 9)  # gap 0.4 -> half way
    assert lexical_confidence(steep, fusion) == 1.0
    assert lexical_confidence(flat, fusion) == 0.0
    assert lexical_confidence(middle, fusion) == pytest.approx(0.5)
    assert lexical_confidence(np.zeros(4), fusion) == 0.0


def test_adaptive_fusion_leaves_dense_alone_when_bm25_is_unsure():
    rows = np.arange(10)
    dense = np.linspace(0.85, 0.5, 10)
    flat = np.array([9.0] * 9 + [10.0])  # BM25 prefers the last row, barely
    ranked = fuse(rows, dense, flat, Fusion(lexical_weight=0.4))
    assert [r for r, _ in ranked] == list(range(10))
    steep = np.array([0.0] * 9 + [10.0])
    assert fuse(rows, dense, steep, Fusion(lexical_weight=0.4))[0][0] == 9
