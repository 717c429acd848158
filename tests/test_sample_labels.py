"""The sample's answer labels hold: every fact phrase is in its document's text, every moment lies
inside its recording and opens on a cue, and each half has every kind of question."""

from __future__ import annotations

from collections import Counter

import pytest

from assistant.config import SAMPLE_CONTENT, SAMPLE_QUESTIONS
from assistant.evaluate.landing import holds_fact
from corpus import load_folder
from corpus.beir import load_queries


@pytest.fixture(scope="module")
def documents():
    return {doc.doc_id: doc for doc in load_folder(SAMPLE_CONTENT).documents}


@pytest.fixture(scope="module")
def labelled():
    return load_queries(SAMPLE_QUESTIONS)


def test_every_fact_phrase_is_in_its_document(documents, labelled):
    queries, qrels = labelled
    missing = []
    for query in (q for q in queries if q.meta.get("fact")):
        (doc_id,) = [d for d, score in qrels[query.query_id].items() if score > 0]
        text = " ".join(seg.text for seg in documents[doc_id].segments)
        missing += [(query.query_id, fact) for fact in query.meta["fact"] if not holds_fact(text, [fact])]
    assert not missing


def test_every_moment_opens_on_a_cue_of_its_recording(documents, labelled):
    queries, qrels = labelled
    for query in (q for q in queries if q.meta.get("moment")):
        (doc_id,) = qrels[query.query_id]
        starts = [int(seg.start) for seg in documents[doc_id].segments]  # a recording: one segment a cue
        start, end = query.meta["moment"]
        assert start < end and any(start - 1 <= s <= end for s in starts), query.query_id


def test_both_halves_hold_every_kind_of_question(labelled):
    queries, _ = labelled
    kinds = Counter((q.meta.get("half"), q.kind, bool(q.meta.get("fact")), bool(q.meta.get("moment"))) for q in queries)
    assert sum(n for (half, _, fact, _), n in kinds.items() if fact) >= 100
    assert sum(n for (half, _, _, moment), n in kinds.items() if moment) >= 40
    assert sum(n for (half, kind, _, _), n in kinds.items() if kind == "off_topic") >= 60
    themes = {q.meta.get("theme") for q in queries if q.kind == "off_topic" and q.meta.get("theme")}
    assert len(themes) >= 10
    for kind in ("article", "transcript", "off_topic", "casual", "followup"):
        per_half = Counter(q.meta.get("half") for q in queries if q.kind == kind)
        assert set(per_half) == {"tune", "report"} and abs(per_half["tune"] - per_half["report"]) <= 1, kind
