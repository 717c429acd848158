"""Vectors stored in fewer bytes. Pure numpy.

    quantize_int8(vectors) -> (codes int8, scales float32)   one scale per vector
    dequantize_int8(codes, scales) -> float32                scale × codes, each row of unit length again

A vector's components are divided by its largest absolute component and rounded to -127…127; its
scale is 1 / |codes|, so the decoded vector has unit length and a dot product with a question is the
cosine with the rounded direction. For 384-dimensional sentence embeddings the cosine between a
vector and its decoded copy is about 0.9999: which sentence of a passage answers best is unchanged
(bench/sentence_vectors.py measures it against float32).
"""

from __future__ import annotations

import numpy as np


BLOCK = 65_536  # rows quantized at a time: millions of sentences never need a float32 copy of them all


def quantize_int8(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    codes, scales = np.zeros(vectors.shape, np.int8), np.zeros(len(vectors), np.float32)
    for start in range(0, len(vectors), BLOCK):
        block = np.asarray(vectors[start:start + BLOCK], dtype=np.float32)
        peak = np.abs(block).max(axis=1, keepdims=True)
        codes[start:start + BLOCK] = np.rint(block * (127.0 / np.where(peak > 0, peak, 1.0)))
        norms = np.linalg.norm(codes[start:start + BLOCK].astype(np.float32), axis=1)
        scales[start:start + BLOCK] = np.where(norms > 0, 1.0 / np.where(norms > 0, norms, 1.0), 0.0)
    return codes, scales


def dequantize_int8(codes: np.ndarray, scales: np.ndarray) -> np.ndarray:
    return np.asarray(codes, dtype=np.float32) * np.asarray(scales, dtype=np.float32)[:, None]
