"""bench/scale.py's stages on the Milvus backend (`--backend milvus`): the same synthetic chunks,
vectors and sentence vectors written into a milvus-lite server on loopback (or --milvus-uri), the
same one-article change through the real Milvus build (the changed article's rows marked deleted, its
new rows appended, checked, published: nothing copied), the same questions from a fresh process. Milvus's own process is measured beside ours:
its resident memory and its data folder on disk.

A module of bench/scale.py, not a script: its smoke run is `bench/scale.py --smoke --backend milvus`,
which tests/test_milvus.py runs (test_scale_bench_smoke_prints_both_backends_side_by_side)."""

from __future__ import annotations

import time
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from corpus import LoadResult
from index.build import BuildOptions, run_build
from index.manifest import Manifest, library_versions
from index.milvus import LiteServer, MilvusTarget, connect
from index.milvus.build import MilvusStore, write_version
from index.milvus.versions import rows_name

COLLECTION = "scale_bench"


@contextmanager
def server(args, folder: Path):
    """(MilvusTarget, the folder holding its data or None): a fresh milvus-lite server, or --milvus-uri."""
    if args.milvus_uri:
        yield MilvusTarget(args.milvus_uri, COLLECTION, index_type=args.milvus_index), None
        return
    if folder.exists():
        import shutil

        shutil.rmtree(folder)
    with LiteServer(folder / "milvus.db") as lite:
        yield MilvusTarget(lite.uri, COLLECTION, index_type=args.milvus_index, timeout=60.0), folder


def write(target: MilvusTarget, chunks, vectors, units, entries, model: dict, chunker) -> float:
    """What a full build writes, without the model: the version's collection, checked, then published."""
    started = time.perf_counter()
    conn = connect(target)
    try:
        if conn.call("has_collection", rows_name(conn)):  # a measured server from an earlier run: start empty
            conn.call("drop_collection", rows_name(conn))
            conn.call("drop_collection", f"{target.collection}_meta")
        manifest = Manifest(model=model, chunker=chunker.as_dict(), documents=entries, chunks=0,
                            built_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
                            content_dir="", libraries=library_versions())
        write_version(conn, chunks, vectors, units, manifest)
    finally:
        conn.close()
    return time.perf_counter() - started


def change(target: MilvusTarget, docs, embedder, chunker, sentence_vectors: bool, lock_dir: Path):
    """The one-article change through the one build path into Milvus: (seconds, report)."""
    started = time.perf_counter()
    report = run_build(MilvusStore(target, lock_dir), lambda known: LoadResult(tuple(docs), (), ()), lock_dir / "content",
                       embedder, chunker, BuildOptions(sentence_vectors=sentence_vectors))
    return time.perf_counter() - started, report


def dense_recall(index, queries: np.ndarray, limit: int = 200_000) -> float | None:
    """search_dense's top 10 against brute force over every row's vector, read back from Milvus (None
    past `limit` rows: reading them all back is not what the bench measures)."""
    if index.live > limit:
        return None
    iterator = index.conn.call("query_iterator", index.collection, batch_size=2000, filter=index.where,
                               output_fields=["row", "vector"])
    rows, vectors = [], []
    while batch := iterator.next():
        rows += [r["row"] for r in batch]
        vectors.append(np.array([r["vector"] for r in batch], np.float32))
    iterator.close()
    rows, vectors = np.array(rows), np.concatenate(vectors)
    scores = queries @ vectors.T
    truth = rows[np.argsort(-scores, axis=1)[:, :10]]
    hits = sum(len(set(t) & set(index.search_dense(q, 10)[0].tolist())) for t, q in zip(truth.tolist(), queries))
    return round(hits / (10 * len(queries)), 4)


def server_footprint(folder: Path | None) -> dict:
    """milvus-lite's resident memory (its process) and data on disk, when the bench started it."""
    if folder is None:
        return {}
    import subprocess

    found = subprocess.run(["pgrep", "-f", str(folder / "milvus.db")], capture_output=True, text=True).stdout.split()
    rss = 0
    for pid in found:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
            rss = max(rss, int(status.split("VmRSS:")[1].split()[0]) // 1024)
        except (OSError, IndexError):
            continue
    size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    return {"milvus_rss_mb": rss, "milvus_bytes_on_disk": size}
