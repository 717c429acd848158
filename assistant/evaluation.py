"""`assistant eval`: how well the retrieval finds the labelled documents of a BEIR-layout set, and
whether answers land on the answer.

A document scores by its best chunk. Off-topic questions (queries marked `"type": "off_topic"` in
their metadata, with no labels) measure the "no confident match" threshold. Queries whose metadata
holds `"fact"` (phrases the answering sentence must hold) give highlight accuracy, `"moment"`
([start, end] seconds of the answering exchange) moment accuracy; `"type": "followup"` with
`"after": "earlier question"` give follow-up Recall@3 with and without the conversation.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from assistant.answer_quality import holds_fact, moment_hit, whole_sentence
from assistant.answers import Answer
from assistant.calibration import calibrate, errors_at
from assistant.followup import leans_on_previous, resolve
from assistant.config import SAMPLE_CONTENT, SAMPLE_QUESTIONS, Settings
from assistant.metrics import mean, mrr_at, ndcg_at, recall_at
from assistant.ranking import Fusion, rank_documents
from assistant.search import Assistant
from corpus import LoadError
from corpus.beir import load_corpus, load_queries
from assistant.building import build_options, chunk_settings, progress_bar
from assistant.embedders import open_embedder
from index import Embedder, build_index

CUTOFFS = (1, 3, 5, 10)


@dataclass(frozen=True)
class EvalResult:
    dataset: str
    mode: str
    queries: int
    metrics: dict[str, float]
    wrongly_refused: int  # labelled questions that got "no confident match"
    wrongly_answered: int  # off-topic questions that got an answer
    off_topic: int
    seconds: float
    suggested_min_score: float | None = None  # calibrated on this set's off-topic questions
    answers: dict[str, float] = field(default_factory=dict)  # highlight/moment accuracy, follow-up recall

    def as_dict(self) -> dict:
        return {"dataset": self.dataset, "mode": self.mode, "queries": self.queries, **self.metrics,
                **self.answers, "wrongly_refused": self.wrongly_refused, "wrongly_answered": self.wrongly_answered,
                "off_topic": self.off_topic, "suggested_min_score": self.suggested_min_score,
                "seconds": self.seconds}


def eval_index(settings: Settings, dataset: Path | None, embedder: Embedder, cache_dir: Path | None = None,
               progress: bool = False) -> Path:
    """Index the set's corpus exactly as `assistant build` would, in a cache folder per set and model;
    an unchanged corpus is reused, a changed one is re-embedded only where it changed."""
    folder = Path(dataset) if dataset else SAMPLE_QUESTIONS
    corpus_file = folder / "corpus.jsonl"
    if dataset and not corpus_file.is_file():
        raise LoadError(f"{dataset} has no corpus.jsonl; a BEIR folder needs corpus.jsonl, queries.jsonl and qrels/")
    flavour = f"{folder.resolve()}|{settings.model}|{embedder.variant}" + ("" if settings.sentence_vectors else "|per-question")
    key = hashlib.sha256(flavour.encode()).hexdigest()[:12]
    index_dir = Path(cache_dir or settings.index_dir.parent / "eval") / key
    chunker = chunk_settings(settings, embedder)
    with progress_bar(progress) as report:
        build_index(folder if dataset else SAMPLE_CONTENT, index_dir, embedder, chunker, build_options(settings),
                    loaded=load_corpus(corpus_file) if dataset else None, progress=report)
    return index_dir


def evaluate(settings: Settings, dataset: Path | None = None, split: str = "test", mode: str = "hybrid",
             embedder: Embedder | None = None, cache_dir: Path | None = None, progress: bool = False,
             fusion: Fusion | None = None, group: str | None = None, depth: int = 10) -> EvalResult:
    started = time.perf_counter()
    embedder = embedder or open_embedder(settings)
    questions_dir = Path(dataset) if dataset else SAMPLE_QUESTIONS
    queries, qrels = load_queries(questions_dir, split, group)
    index_dir = eval_index(settings, dataset, embedder, cache_dir, progress)
    fusion = replace(fusion or Fusion(), mode=mode)
    assistant = Assistant(replace(settings, index_dir=index_dir), embedder, fusion)
    index = assistant.index
    vectors = embedder.embed([q.text for q in queries], progress=progress)
    scores: dict[str, list[float]] = {}
    landing: dict[str, list[float]] = {}
    best: dict[str, list[float]] = {"in": [], "off": []}
    for query, vector in zip(queries, vectors):
        if query.kind == "followup":
            continue
        answer = assistant.ask(query.text, query_vector=vector)
        best["off" if query.kind == "off_topic" else "in"].append(max((p.score for p in answer.passages), default=0.0))
        if query.kind == "off_topic":
            continue
        _score_landing(answer, query.meta, qrels[query.query_id], landing)
        ranked_rows = assistant.rank_chunks(index, query.text, vector)
        ranked = rank_documents(ranked_rows, index.doc_of([row for row, _ in ranked_rows]))[:depth]
        relevant = qrels[query.query_id]
        for k in CUTOFFS:
            scores.setdefault(f"recall@{k}", []).append(recall_at(ranked, relevant, k))
        scores.setdefault("mrr@10", []).append(mrr_at(ranked, relevant, 10))
        scores.setdefault("ndcg@10", []).append(ndcg_at(ranked, relevant, 10))
    answers = {name: round(mean(values), 4) for name, values in landing.items()}
    answers.update({f"{name}_questions": len(values) for name, values in landing.items()})
    answers.update(_followups(assistant, queries, qrels, depth))
    refused, answered_off = errors_at(settings.min_score, best["in"], best["off"])
    return EvalResult(
        dataset=str(dataset or "sample knowledge base"), mode=mode, queries=len(best["in"]),
        metrics={name: round(mean(values), 4) for name, values in scores.items()},
        wrongly_refused=refused, wrongly_answered=answered_off, off_topic=len(best["off"]),
        seconds=round(time.perf_counter() - started, 2),
        suggested_min_score=calibrate(best["in"], best["off"]) if best["off"] else None, answers=answers,
    )


def _score_landing(answer: Answer, meta: dict, relevant: dict[str, int], out: dict[str, list[float]]) -> None:
    """Highlight and moment accuracy of the best-ranked passage from a labelled document."""
    passage = next((p for p in answer.passages if relevant.get(p.doc_id, 0) > 0), None)
    facts = meta.get("fact")
    if facts:
        facts = [facts] if isinstance(facts, str) else list(facts)
        hit = passage is not None and holds_fact(passage.highlight, facts) and whole_sentence(passage.highlight, passage.text)
        out.setdefault("highlight_accuracy", []).append(float(hit))
    if meta.get("moment"):
        hit = passage is not None and moment_hit(passage.start_seconds, meta["moment"])
        out.setdefault("moment_accuracy", []).append(float(hit))


def _followups(assistant: Assistant, queries, qrels, depth: int) -> dict[str, float]:
    """Follow-up Recall@3 searched with the earlier question and alone; and how many stand-alone
    questions would be taken for follow-ups if asked after another question (should be none)."""
    index = assistant.index
    doc_of = [c.doc_id for c in index.chunks]
    embed = assistant.embedder.embed_query
    found: dict[str, list[float]] = {"with": [], "without": []}
    for query in (q for q in queries if q.kind == "followup"):
        for label, previous in (("with", [str(query.meta.get("after") or "")]), ("without", [])):
            text = resolve(query.text, previous).text
            ranked = rank_documents(assistant.rank_chunks(index, text, embed(text)), doc_of)[:depth]
            found[label].append(recall_at(ranked, qrels[query.query_id], 3))
    if not found["with"]:
        return {}
    alone = [q for q in queries if q.kind not in ("followup", "off_topic")]
    return {"followup_recall@3_with_context": round(mean(found["with"]), 4),
            "followup_recall@3_without_context": round(mean(found["without"]), 4),
            "followup_questions": len(found["with"]),
            "standalone_taken_as_followup": sum(leans_on_previous(q.text) for q in alone)}
