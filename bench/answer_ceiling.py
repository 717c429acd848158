"""How far the answering sentence can go with the signals this model gives (issue 19's highlight target).

    .venv/bin/python bench/answer_ceiling.py [--smoke]

Over the sample's questions labelled with the fact their answering sentence must hold, by half:

- shipped: the highlight `assistant eval` scores (the shown passage of a labelled document);
- fact_in_passage: the shown passage holds a sentence with the fact at all, the ceiling of any
  sentence choice inside the passage that the ranking picked;
- hit_when_in_passage: of those, how often the shipped rules pick it;
- moment_shipped, moment_in_passage (recordings): the link opens at the labelled moment; the shown passage
  (its exchange, or its span of the recording) holds that moment at all;
- closest_by_model: the fact's sentence is the labelled document's closest sentence to the question by
  the model's cosine alone;
- whole_document_rules: the shipped sentence score (plus the chunk's cosine) over every sentence of the
  labelled document, not only the shown passage's;
- learned_whole_document: a logistic regression over the same signals and more (cosine of the sentence,
  its neighbours and its chunk, the chunk's rank, shared words plain and IDF-weighted, answer shape,
  question, heading, greeting, restating, a reply after a question), trained on one half's questions and
  scored on the other's: what a fitted mix of these signals reaches on questions it did not see.

Prints one row per measure and the JSON of all of them last (writes nothing).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from collections import Counter
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
from common import add_smoke, cached_assistant  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402

from assistant.answer.highlight import (  # noqa: E402
    CARRY_ARTICLE,
    CARRY_RECORDING,
    eligible,
    scores,
    terms,
)
from assistant.answer.passages import candidate  # noqa: E402
from assistant.answer.shape import ceremony, holds, restates, wanted  # noqa: E402
from assistant.config import SAMPLE_QUESTIONS  # noqa: E402
from assistant.evaluate.landing import holds_fact, moment_hit  # noqa: E402
from assistant.evaluate.metrics import mean  # noqa: E402
from corpus.beir import load_queries  # noqa: E402
from corpus.sentences import plain  # noqa: E402

HALVES = ("tune", "report")


def fact_questions(smoke: bool):
    queries, qrels = load_queries(SAMPLE_QUESTIONS)
    kept = [q for q in queries if q.meta.get("fact") and q.kind not in ("followup", "casual", "off_topic")]
    if smoke:  # a few of each half, so the learned mix still trains on one and scores the other
        kept = [q for half in HALVES for q in [q for q in kept if q.meta.get("half") == half][:6]]
    return kept, qrels


def facts_of(query) -> list[str]:
    fact = query.meta["fact"]
    return [fact] if isinstance(fact, str) else list(fact)


class Document:
    """Every answer unit of one document with its signals for one question."""

    def __init__(self, assistant, idf, doc_id: str):
        index = assistant.index
        self.rows = [r for r in range(len(index.chunks)) if index.chunks[r].doc_id == doc_id]
        self.candidates = [candidate(index, r, 0.0) for r in self.rows]
        self.chunk_vectors = index.vectors_of(np.asarray(self.rows, dtype=np.int64))
        self.idf = idf

    def units(self, question: str, query: np.ndarray, position: dict[int, int]):
        """(features, shipped score + chunk cosine, may answer, text) for every unit."""
        asked, kinds = terms(question), wanted(question)
        weight = sum(self.idf(t) for t in asked) or 1.0
        for row, c, chunk_cos in zip(self.rows, self.candidates, self.chunk_vectors @ query):
            if c.vectors is None:
                continue
            cos = [float(v) for v in c.vectors @ query]
            shipped = scores(question, c.units, cos, CARRY_RECORDING if c.cues else CARRY_ARTICLE,
                             questions_lead=bool(c.cues))
            idf_share = [sum(self.idf(t) for t in asked & terms(u.text)) / weight for u in c.units]
            last = len(c.units) - 1
            for i, unit in enumerate(c.units):
                text = plain(unit.text)
                features = [
                    cos[i], cos[i - 1] if i else 0.0, cos[i + 1] if i < last else 0.0, float(chunk_cos),
                    1 / (1 + position.get(row, 200)), len(asked & terms(text)) / max(1, len(asked)), idf_share[i],
                    idf_share[i - 1] if i else 0.0, idf_share[i + 1] if i < last else 0.0,
                    float(bool(kinds) and holds(text, kinds)), float(unit.question), float(unit.heading),
                    float(ceremony(text)), float(restates(asked, terms(text))), float(len(text.split()) < 4),
                    float(bool(i) and c.units[i - 1].question), float(bool(c.cues)),
                ]
                yield features, shipped[i] + float(chunk_cos), eligible(question, unit), unit.text


def run(smoke: bool) -> dict:
    assistant = cached_assistant(None)
    index = assistant.index
    frequency, total = Counter(), 0
    for row in range(len(index.chunks)):
        for unit in candidate(index, row, 0.0).units:
            frequency.update(terms(unit.text))
            total += 1

    def idf(term: str) -> float:
        return math.log((total + 1) / (frequency.get(term, 0) + 0.5))

    questions, qrels = fact_questions(smoke)
    vectors = assistant.embedder.embed([q.text for q in questions])
    documents: dict[str, Document] = {}
    rows: dict[str, dict[str, list[float]]] = {h: {} for h in HALVES}
    learning: list[tuple[str, np.ndarray, np.ndarray]] = []
    for query, vector in zip(questions, vectors):
        half, facts = query.meta.get("half"), facts_of(query)
        relevant = qrels[query.query_id]
        answer = assistant.ask(query.text, query_vector=vector)
        shown = next((p for p in (*answer.passages, *answer.more) if relevant.get(p.doc_id, 0) > 0), None)
        inside = shown is not None and any(holds_fact(u, facts) for u in
                                           (shown.text, *(t.text for t in shown.exchange or ())))
        hit = shown is not None and holds_fact(shown.highlight, facts)
        doc_id = next(iter(relevant))
        document = documents.setdefault(doc_id, Document(assistant, idf, doc_id))
        ranked = assistant.rank_chunks(index, query.text, vector)
        units = list(document.units(query.text, vector, {r: n for n, (r, _) in enumerate(ranked)}))
        closest = max(units, key=lambda u: u[0][0])
        by_rules = max([u for u in units if u[2]] or units, key=lambda u: u[1])
        measured = {"shipped": hit, "fact_in_passage": inside, "closest_by_model": holds_fact(closest[3], facts),
                    "whole_document_rules": holds_fact(by_rules[3], facts)}
        if inside:
            measured["hit_when_in_passage"] = hit
        if query.meta.get("moment"):  # a recording: could the link open at the labelled moment at all?
            measured["moment_shipped"] = shown is not None and moment_hit(shown.start_seconds, query.meta["moment"])
            measured["moment_in_passage"] = shown is not None and any(
                moment_hit(t.start, query.meta["moment"]) for t in shown.exchange or ()) or (
                shown is not None and shown.passage_start_seconds is not None and
                shown.passage_start_seconds <= query.meta["moment"][0] <= (shown.passage_end_seconds or 0))
        for name, value in measured.items():
            rows[half].setdefault(name, []).append(float(value))
        learning.append((half, np.array([u[0] for u in units]), np.array([holds_fact(u[3], facts) for u in units])))
    for train, test in (("tune", "report"), ("report", "tune")):
        x = np.vstack([f for h, f, _ in learning if h == train])
        y = np.concatenate([t for h, _, t in learning if h == train])
        if y.any() and not y.all():
            model = LogisticRegression(C=0.1, class_weight="balanced", max_iter=5000).fit(x, y)
            rows[test]["learned_whole_document"] = [float(t[int(np.argmax(model.predict_proba(f)[:, 1]))])
                                                    for h, f, t in learning if h == test]
    counts = {half: {"questions": len(m["shipped"]), "moment_questions": len(m.get("moment_shipped", []))}
              for half, m in rows.items() if m}
    return {half: {name: round(mean(values), 3) for name, values in rows[half].items()} | counts[half] for half in counts}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_smoke(parser)
    args = parser.parse_args()
    result = run(args.smoke)
    for half, measures in result.items():
        for name, value in measures.items():
            print(f"{half:7} {name:24} {value}")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
