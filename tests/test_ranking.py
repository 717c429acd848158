"""Fusion and grouping logic on plain lists."""

import numpy as np
import pytest

from assistant.ranking import RRF_K, Fusion, cap_per_document, fuse, rank_documents, rrf


def test_rrf_adds_weighted_reciprocal_ranks():
    fused = dict(rrf([([1, 2], 1.0), ([2, 3], 0.5)]))
    assert fused[2] == pytest.approx(1 / (RRF_K + 2) + 0.5 / (RRF_K + 1))
    assert fused[1] == pytest.approx(1 / (RRF_K + 1))
    assert fused[3] == pytest.approx(0.5 / (RRF_K + 2))


def test_hybrid_ranks_a_row_both_rankers_like_first():
    ranked = fuse(np.array([5, 7, 9]), np.array([7, 1]), Fusion(mode="hybrid", lexical_weight=0.5))
    assert [row for row, _ in ranked][:2] == [7, 5]


def test_modes_use_one_ranker_alone():
    assert [r for r, _ in fuse(np.array([5, 7]), np.array([1]), Fusion(mode="dense"))] == [5, 7]
    assert [r for r, _ in fuse(np.array([5, 7]), np.array([1]), Fusion(mode="bm25"))] == [1]
    assert [r for r, _ in fuse(np.array([5, 7]), np.array([], dtype=int), Fusion(mode="hybrid"))] == [5, 7]


def test_cap_per_document_keeps_rank_order():
    doc_of = ["a", "a", "a", "b", "c"]
    ranked = [(0, 0.9), (1, 0.8), (2, 0.7), (3, 0.6), (4, 0.5)]
    assert [r for r, _ in cap_per_document(ranked, doc_of, 2)] == [0, 1, 3, 4]
    assert rank_documents(ranked, doc_of) == ["a", "b", "c"]
