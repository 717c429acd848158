"""Segments, deletion marks, merges and the IVF path, at small sizes with a low ANN threshold.

The vectors here are clustered random unit vectors (no model needed); FAISS, bm25s and the files on
disk are the real ones."""

from __future__ import annotations

import numpy as np
import pytest

from corpus import Chunk
from index import AnnSettings, load_index
from index.commit import Change, Policy, commit_version, merge_plan
from index.lexical import LexicalSearch
from index.manifest import DocumentEntry, Manifest
from index.store import publish

WORDS = [f"w{n}" for n in range(300)]


def synthetic(start: int, count: int, seed: int, dim: int = 32):
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(20, dim))
    vectors = centres[rng.integers(0, 20, count)] + rng.normal(0, 0.3, (count, dim))
    vectors = (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)
    chunks = []
    for i in range(start, start + count):
        doc = f"doc{i // 5}.md"
        text = " ".join(rng.choice(WORDS, 12).tolist()) + f" marker{i}"
        chunks.append(Chunk(f"{doc}#{i}", doc, f"Doc {i // 5}", f"/source/{doc}", "article", ("S",), text, text))
    return chunks, vectors


def manifest(dim: int = 32) -> Manifest:
    return Manifest(model={"name": "synthetic", "dimension": dim, "max_seq_length": 256}, chunker={},
                    documents={"doc0.md": DocumentEntry("h", "t", "u", "article", 5)}, chunks=0, built_at="now",
                    content_dir="/nowhere")


def commit(index_dir, base, change, policy):
    name, _ = commit_version(index_dir, base, change, manifest(), policy)
    publish(index_dir, name)
    return load_index(index_dir)


@pytest.fixture()
def ivf_index(tmp_path):
    chunks, vectors = synthetic(0, 3000, seed=1)
    policy = Policy(AnnSettings(threshold=1000, sample_queries=100), max_segments=3)
    return tmp_path / "index", commit(tmp_path / "index", None, Change(chunks=chunks, vectors=vectors), policy), policy


def test_a_large_segment_gets_an_ivf_index_that_reaches_the_recall_target(ivf_index):
    _, index, _ = ivf_index
    ann = index.manifest.segments[0]["ann"]
    assert ann["kind"] == "ivf" and ann["recall_at_10"] >= 0.95 and 1 <= ann["nprobe"] <= ann["nlist"]
    assert index.manifest.ann_summary()["nprobe"] == ann["nprobe"]
    folder = index.segments[0].folder
    assert (folder / "ann.faiss").is_file() and not (folder / "vectors.npy").exists()  # the vectors, once
    stored = index.vectors_of(np.arange(3000))
    written = synthetic(0, 3000, seed=1)[1]
    assert np.abs(stored - written).max() < 1e-3  # read back from the IVF lists: float16
    queries = stored[::97]
    exact = np.argsort(-(stored @ queries.T), axis=0)[:10].T
    found = [index.search_dense(q, 10)[0] for q in queries]
    assert np.mean([len(set(e) & set(f)) / 10 for e, f in zip(exact.tolist(), found)]) >= 0.9
    rows, scores = index.search_dense(queries[0], 10)
    assert np.allclose(scores, index.vectors_of(rows) @ queries[0], atol=1e-5)  # exact scores, best first
    assert list(scores) == sorted(scores, reverse=True)


def test_a_change_adds_a_segment_and_deleted_rows_are_never_returned(ivf_index):
    index_dir, index, policy = ivf_index
    dropped = {f"doc{d}.md" for d in range(0, 600, 3)}  # 200 documents, 1000 rows of the IVF segment
    new_chunks, new_vectors = synthetic(3000, 40, seed=2)
    after = commit(index_dir, index, Change(frozenset(dropped), new_chunks, new_vectors), policy)
    assert [s["deleted"] for s in after.manifest.segments] == [1000, 0] and after.manifest.chunks == 2040
    dead_rows = [r for r in range(3000) if index.chunk(r).doc_id in dropped]
    for row in dead_rows[::25]:  # ask for each deleted chunk by its own vector and its own marker word
        rows, _ = after.search_dense(index.vectors_of([row])[0], 50)
        assert not {after.chunk(int(r)).doc_id for r in rows} & dropped
        lexical_rows, _ = after.search_lexical(f"marker{row}").top(10)
        assert len(lexical_rows) == 0
    rows, _ = after.search_dense(new_vectors[7], 1)
    assert after.chunk(int(rows[0])).chunk_id == new_chunks[7].chunk_id
    assert after.search_lexical("marker3007").top(1)[0].tolist() == [3007]
    assert len(after.chunks) == 2040 and all(c.doc_id not in dropped for c in after.chunks)
    assert after.doc_of([3007, 1]) == {3007: "doc601.md", 1: "doc0.md"}


def test_small_segments_are_merged_past_max_segments(ivf_index):
    index_dir, index, policy = ivf_index
    for n in range(3):
        chunks, vectors = synthetic(3000 + 10 * n, 10, seed=3 + n)
        index = commit(index_dir, index, Change(frozenset({f"doc{n}.md"}), chunks, vectors), policy)
    # the third change would make four segments: the two small ones and the new one become one
    assert [s["rows"] for s in index.manifest.segments] == [3000, 30]
    assert index.manifest.segments[0]["deleted"] == 15 and index.manifest.chunks == 3015
    assert [index.chunk(r).chunk_id for r in range(3000, 3030)] == [f"doc{(3000 + i) // 5}.md#{3000 + i}"
                                                                    for i in range(30)]


def test_merge_plan():
    assert merge_plan([(1000, 0), (10, 0)], 8) == []
    assert merge_plan([(1000, 0), (10, 0), (10, 2), (5, 0)], 3) == [1, 2, 3]
    assert merge_plan([(1000, 600), (10, 0)], 8) == [0]  # mostly deleted: rewritten
    assert merge_plan([(1000, 600), (10, 0), (10, 0)], 2) == [0, 1, 2]


def test_posting_list_top_k_equals_a_full_sort_across_segments(tmp_path):
    chunks, vectors = synthetic(0, 400, seed=5)
    policy = Policy(AnnSettings(threshold=10**6))
    index = commit(tmp_path / "index", None, Change(chunks=chunks[:300], vectors=vectors[:300]), policy)
    index = commit(tmp_path / "index", index, Change(frozenset({"doc3.md"}), chunks[300:], vectors[300:]), policy)
    lexical: LexicalSearch = index.lexical
    for question in ("w1 w2 w3", "w17", "w250 marker12 w9", "nothing here"):
        matches = lexical.query(question)
        full = matches.dense(index.rows)
        assert not full[15:20].any()  # doc3's rows are deleted
        rows, scores = matches.top(10)
        assert len(rows) == min(10, np.count_nonzero(full)) and np.allclose(scores, full[rows])
        assert list(scores) == sorted(scores, reverse=True)
        others = np.setdiff1d(np.arange(index.rows), rows)
        assert len(rows) == 0 or full[others].max(initial=0) <= scores[-1] + 1e-6  # nothing better left out
        assert np.allclose(matches.scores_of(np.arange(index.rows)), full)


def test_common_words_are_looked_up_and_the_top_stays_exact(tmp_path, monkeypatch):
    chunks, vectors = synthetic(0, 400, seed=6)
    index = commit(tmp_path / "index", None, Change(chunks=chunks, vectors=vectors), Policy(AnnSettings(10**6)))
    monkeypatch.setattr(LexicalSearch, "COMMON", 0.01)  # every word in over 4 rows counts as common
    for question in ("w1 w2 marker7", "w3 w4 w5", "marker9 marker10 w8"):
        matches = index.lexical.query(question)
        assert matches.common  # the split is exercised
        full = matches.dense(index.rows)
        rows, scores = matches.top(10)
        assert np.allclose(scores, full[rows]) and full[np.setdiff1d(np.arange(index.rows), rows)].max() <= scores[-1] + 1e-6
        assert np.allclose(matches.scores_of(np.arange(index.rows)), full)


def test_sentence_vectors_follow_their_rows_through_deletions_and_merges(tmp_path):
    """Each row's answer-unit vectors (a varying number per row) stay with it when rows of changed
    documents are deleted and the segments are merged; a segment written without them has none."""
    def with_units(start, count, seed):
        chunks, vectors = synthetic(start, count, seed)
        rng = np.random.default_rng(seed)
        units = [rng.normal(size=(1 + i % 3, 32)) for i in range(count)]
        return chunks, vectors, [(u / np.linalg.norm(u, axis=1, keepdims=True)).astype(np.float16) for u in units]

    policy = Policy(AnnSettings(threshold=10_000), max_segments=1)
    first = with_units(0, 20, seed=5)
    index = commit(tmp_path / "index", None, Change(chunks=first[0], vectors=first[1], units=first[2]), policy)
    second = with_units(20, 10, seed=6)
    index = commit(tmp_path / "index", index, Change(frozenset({"doc0.md", "doc1.md"}), second[0], second[1], second[2]), policy)
    assert len(index.segments) == 1  # half deleted: merged with the new rows
    expected = {c.chunk_id: u for c, u in zip(first[0] + second[0], first[2] + second[2]) if c.doc_id not in ("doc0.md", "doc1.md")}
    for row in index.live_rows().tolist():
        stored, written = index.unit_vectors(row), expected.pop(index.chunk(row).chunk_id).astype(np.float32)
        assert stored.shape == written.shape and np.all(np.sum(stored * written, axis=1) > 0.999)  # int8 codes
    assert not expected
    bare = synthetic(30, 5, seed=7)
    index = commit(tmp_path / "bare", None, Change(chunks=bare[0], vectors=bare[1]), policy)
    assert index.unit_vectors(0) is None
