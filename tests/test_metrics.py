"""Metric functions against hand-computed cases."""

import math

import pytest

from assistant.evaluate.metrics import mean, mrr_at, ndcg_at, recall_at


def test_recall_counts_relevant_documents_in_the_cutoff():
    assert recall_at(["a", "b", "c"], {"b": 1, "z": 1}, 2) == 0.5
    assert recall_at(["a", "b", "c"], {"b": 1, "z": 1}, 1) == 0.0
    assert recall_at(["a"], {"x": 0}, 1) == 0.0  # zero grades are not relevant


def test_mrr_is_the_reciprocal_of_the_first_relevant_rank():
    assert mrr_at(["a", "b", "c"], {"c": 1}, 10) == pytest.approx(1 / 3)
    assert mrr_at(["a", "b", "c"], {"c": 1}, 2) == 0.0


def test_ndcg_matches_a_hand_computation():
    # ranks 1..3 = [x(0), r2(grade 2), r1(grade 1)]; ideal = [2, 1]
    dcg = 2 / math.log2(3) + 1 / math.log2(4)
    idcg = 2 / math.log2(2) + 1 / math.log2(3)
    assert ndcg_at(["x", "r2", "r1"], {"r1": 1, "r2": 2}, 10) == pytest.approx(dcg / idcg)
    assert ndcg_at(["r2", "r1"], {"r1": 1, "r2": 2}, 10) == pytest.approx(1.0)


def test_mean_of_nothing_is_zero():
    assert mean([]) == 0.0 and mean([1.0, 0.0]) == 0.5
