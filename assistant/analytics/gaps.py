"""Content gaps: questions the knowledge base could not answer, grouped by meaning.

Pure functions over arrays (the caller embeds): `group_by_meaning` is average-linkage
agglomerative clustering on cosine distance (scipy), cut where the average similarity between two
groups falls under `similarity`; `central` picks the member closest to all the others.
"""

from __future__ import annotations

import numpy as np

# Questions whose embeddings average at least this cosine similarity land in one gap. With
# all-MiniLM-L6-v2, rephrasings of one need score 0.35–0.85 with each other (0.45–0.65 on average);
# unrelated needs of the same workplace 0.0–0.3 on average.
GAP_SIMILARITY = 0.4


def group_by_meaning(vectors: np.ndarray, similarity: float = GAP_SIMILARITY,
                     weights: np.ndarray | None = None) -> list[list[int]]:
    """Row indexes grouped by meaning, largest group first (ties: earliest row first).

    `vectors` are L2-normalised rows; `weights` (how many times each row was asked) only order the
    groups. One row is one group; none is an empty list.
    """
    count = len(vectors)
    if count == 0:
        return []
    if count == 1:
        return [[0]]
    from scipy.cluster.hierarchy import fcluster, linkage

    distances = np.clip(1.0 - vectors @ vectors.T, 0.0, 2.0)
    condensed = distances[np.triu_indices(count, k=1)]
    tree = linkage(condensed, method="average")
    labels = fcluster(tree, t=1.0 - similarity, criterion="distance")
    groups: dict[int, list[int]] = {}
    for row, label in enumerate(labels):
        groups.setdefault(int(label), []).append(row)
    weight = np.ones(count) if weights is None else np.asarray(weights, dtype=float)
    return sorted(groups.values(), key=lambda rows: (-weight[rows].sum(), rows[0]))


def central(vectors: np.ndarray, rows: list[int], weights: np.ndarray | None = None) -> list[int]:
    """The rows ordered from the most central (highest weighted mean similarity to the group) out."""
    if len(rows) <= 1:
        return list(rows)
    block = vectors[rows] @ vectors[rows].T
    weight = np.ones(len(rows)) if weights is None else np.asarray(weights, dtype=float)[rows]
    closeness = (block * weight[None, :]).sum(axis=1) / weight.sum()
    order = sorted(range(len(rows)), key=lambda i: (-closeness[i], rows[i]))
    return [rows[i] for i in order]
