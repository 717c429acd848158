"""`assistant eval`: how well the retrieval finds the labelled documents of a BEIR-layout set.

A document scores by its best chunk. Off-topic questions (queries marked `"type": "off_topic"` in
their metadata, with no labels) measure the "no confident match" threshold.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, replace
from pathlib import Path

from assistant.calibration import calibrate, errors_at
from assistant.config import SAMPLE_CONTENT, SAMPLE_QUESTIONS, Settings
from assistant.metrics import mean, mrr_at, ndcg_at, recall_at
from assistant.ranking import Fusion, rank_documents
from assistant.search import Assistant
from corpus import LoadError
from corpus.beir import load_corpus, load_queries
from assistant.building import chunk_settings, progress_bar
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

    def as_dict(self) -> dict:
        return {"dataset": self.dataset, "mode": self.mode, "queries": self.queries, **self.metrics,
                "wrongly_refused": self.wrongly_refused, "wrongly_answered": self.wrongly_answered,
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
    key = hashlib.sha256(f"{folder.resolve()}|{settings.model}|{embedder.variant}".encode()).hexdigest()[:12]
    index_dir = Path(cache_dir or settings.index_dir.parent / "eval") / key
    chunker = chunk_settings(settings, embedder)
    with progress_bar(progress) as report:
        build_index(folder if dataset else SAMPLE_CONTENT, index_dir, embedder, chunker, base_url=settings.base_url,
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
    doc_of = [c.doc_id for c in index.chunks]
    vectors = embedder.embed([q.text for q in queries], progress=progress)
    scores: dict[str, list[float]] = {}
    best: dict[str, list[float]] = {"in": [], "off": []}
    for query, vector in zip(queries, vectors):
        answer = assistant.ask(query.text, query_vector=vector)
        best["off" if query.kind == "off_topic" else "in"].append(max((p.score for p in answer.passages), default=0.0))
        if query.kind == "off_topic":
            continue
        ranked = rank_documents(assistant.rank_chunks(index, query.text, vector), doc_of)[:depth]
        relevant = qrels[query.query_id]
        for k in CUTOFFS:
            scores.setdefault(f"recall@{k}", []).append(recall_at(ranked, relevant, k))
        scores.setdefault("mrr@10", []).append(mrr_at(ranked, relevant, 10))
        scores.setdefault("ndcg@10", []).append(ndcg_at(ranked, relevant, 10))
    refused, answered_off = errors_at(settings.min_score, best["in"], best["off"])
    return EvalResult(
        dataset=str(dataset or "sample knowledge base"), mode=mode, queries=len(best["in"]),
        metrics={name: round(mean(values), 4) for name, values in scores.items()},
        wrongly_refused=refused, wrongly_answered=answered_off, off_topic=len(best["off"]),
        seconds=round(time.perf_counter() - started, 2),
        suggested_min_score=calibrate(best["in"], best["off"]) if best["off"] else None,
    )
