"""Approximate nearest-neighbour search for large segments: FAISS IVF whose lists hold the vectors
themselves in float16, so the index is the segment's only copy of its vectors.

    AnnSettings                          when to build one and how good it must be
    build_ann(vectors, settings)         -> (faiss index, params) or (None, {"kind": "exact"})
    read_ann(path)                       the index, its lists memory-mapped
    ann_search(index, params, q, k, deleted) -> (local rows, scores)

Below `threshold` rows a segment is searched exactly (a matrix-vector product over its vectors), so
small knowledge bases rank exactly as before. Above it, `IVF<nlist>,SQfp16` (not by residual) scans
`nprobe` of its `nlist` lists: each vector is stored once, as float16, so the scores it returns are
the exact inner products with the float16 vectors (within 1e-4 of float32), and a row's vector is read
back from it (a direct map) for fusion and merges. The build tunes `nprobe` until recall@10 against
exact search, measured on `sample_queries` stored vectors, reaches `recall_target`; parameters and the
measured recall go into the manifest. FAISS is imported only where an IVF index is built or searched:
a knowledge base searched exactly never loads it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import faiss


@dataclass(frozen=True)
class AnnSettings:
    threshold: int = 20_000  # rows in a segment from which an IVF index is built
    recall_target: float = 0.95  # recall@10 vs exact that the tuned nprobe must reach
    sample_queries: int = 200  # stored vectors used as queries to measure it
    seed: int = 7


def build_ann(vectors: np.ndarray, settings: AnnSettings) -> tuple[faiss.Index | None, dict]:
    """An IVF index over `vectors` (rows × dim, unit length) with nprobe tuned for the recall target."""
    rows, dim = vectors.shape
    if rows < max(settings.threshold, 1):
        return None, {"kind": "exact"}
    import faiss

    nlist = int(max(1, min(4096, round(math.sqrt(rows)), rows // 39)))  # ≥ 39 training points a list
    index = faiss.index_factory(dim, f"IVF{nlist},SQfp16", faiss.METRIC_INNER_PRODUCT)
    index.by_residual = False  # the lists hold the vectors themselves: they are read back as they are
    rng = np.random.default_rng(settings.seed)
    train = vectors[np.sort(rng.choice(rows, size=min(rows, 40 * nlist), replace=False))]
    index.train(np.ascontiguousarray(train, dtype=np.float32))
    for start in range(0, rows, 200_000):
        index.add(np.ascontiguousarray(vectors[start:start + 200_000], dtype=np.float32))
    index.make_direct_map()  # row -> its place in the lists, saved with the index: reconstruct(row)
    nprobe, recall = tune_nprobe(index, vectors, nlist, settings)
    return index, {"kind": "ivf", "factory": f"IVF{nlist},SQfp16", "nlist": nlist, "nprobe": nprobe,
                   "recall_at_10": round(recall, 4),
                   "recall_queries": min(rows, settings.sample_queries), "recall_target": settings.recall_target}


def tune_nprobe(index: faiss.Index, vectors: np.ndarray, nlist: int, settings: AnnSettings) -> tuple[int, float]:
    """The smallest power-of-two nprobe whose recall@10 reaches the target (all lists at worst)."""
    import faiss

    rng = np.random.default_rng(settings.seed + 1)
    sample = np.sort(rng.choice(len(vectors), size=min(len(vectors), settings.sample_queries), replace=False))
    queries = np.ascontiguousarray(vectors[sample], dtype=np.float32)
    _, truth = faiss.knn(queries, vectors, 10, metric=faiss.METRIC_INNER_PRODUCT)
    nprobe = 4
    while True:
        params = {"kind": "ivf", "nprobe": min(nprobe, nlist)}
        found = [ann_search(index, params, q, 10, None)[0] for q in queries]
        recall = recall_at_10(truth, found)
        if recall >= settings.recall_target or nprobe >= nlist:
            return min(nprobe, nlist), recall
        nprobe *= 2


def recall_at_10(truth: np.ndarray, found: list[np.ndarray]) -> float:
    hits = sum(len(set(t[:10].tolist()) & set(f[:10].tolist())) for t, f in zip(truth, found))
    return hits / max(1, 10 * len(found))


def read_ann(path) -> faiss.Index:
    """An IVF index with its lists memory-mapped (pages are read as lists are scanned)."""
    import faiss

    return faiss.read_index(str(path), faiss.IO_FLAG_MMAP)


def ann_search(index: faiss.Index, params: dict, query: np.ndarray, k: int,
               deleted: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Top-k local rows of an IVF segment, never a deleted one, best first (ties by row)."""
    import faiss

    selector = None
    if deleted is not None and len(deleted):
        selector = faiss.IDSelectorNot(faiss.IDSelectorBatch(deleted.astype(np.int64)))
    search = faiss.SearchParametersIVF(nprobe=int(params["nprobe"]), sel=selector)
    scores, rows = index.search(query.reshape(1, -1).astype(np.float32), k, params=search)
    keep = rows[0] >= 0
    rows, scores = rows[0][keep].astype(np.int64), scores[0][keep].astype(np.float32)
    order = np.lexsort((rows, -scores))
    return rows[order], scores[order]


def exact_search(vectors: np.ndarray, query: np.ndarray, k: int, deleted: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Top-k local rows by exact inner product over all (memory-mapped) vectors, deleted rows skipped."""
    if len(vectors) == 0 or k <= 0:
        return np.zeros(0, np.int64), np.zeros(0, np.float32)
    scores = np.asarray(vectors @ query.astype(np.float32), dtype=np.float32)
    if deleted is not None and len(deleted):
        scores[deleted] = -np.inf
    k = min(k, len(scores) - (0 if deleted is None else len(deleted)))
    if k <= 0:
        return np.zeros(0, np.int64), np.zeros(0, np.float32)
    top = np.argpartition(-scores, k - 1)[:k]
    top = top[np.argsort(-scores[top], kind="stable")]
    return top.astype(np.int64), scores[top]
