"""Small helpers shared by the backends."""

from __future__ import annotations

import numpy as np


def empty(dimension: int) -> np.ndarray:
    return np.zeros((0, dimension), dtype=np.float32)


def normalised(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.ascontiguousarray(vectors / np.maximum(norms, 1e-12), dtype=np.float32)
