"""`assistant eval`: how well the retrieval finds the labelled documents of a BEIR-layout set, and
whether answers land on the answer.

A document scores by its best chunk. Off-topic questions (queries marked `"type": "off_topic"` in
their metadata, with no labels) measure the "no confident match" threshold. Queries whose metadata
holds `"fact"` (phrases the answering sentence must hold) give highlight accuracy, `"moment"`
([start, end] seconds of the answering exchange) moment accuracy; `"type": "followup"` with
`"after": "earlier question"` give follow-up Recall@3 with and without the conversation;
`"type": "casual"` marks in-domain questions asked casually or misspelt (counted for wrong refusals
and their own recall@3, kept out of the stand-alone metrics).

`"half": "tune"` or `"report"` splits a set: every row is printed for each half as well, and the
suggested `min_score` is calibrated on the tuning half alone, so the reporting half shows what the
rules do on questions they were not chosen on.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from assistant.answer.embedders import open_embedder
from assistant.answer.followup import leans_on_previous, resolve
from assistant.answer.passages import Gate
from assistant.answer.ranking import Fusion, rank_documents
from assistant.answer.records import Answer
from assistant.answer.search import Assistant
from assistant.answer.stores import store_of
from assistant.build.run import build_options, chunk_settings, progress_bar
from assistant.config import SAMPLE_CONTENT, SAMPLE_QUESTIONS, Settings
from assistant.evaluate.calibration import calibrate
from assistant.evaluate.landing import holds_fact, moment_hit, whole_sentence
from assistant.evaluate.metrics import mean, mrr_at, ndcg_at, recall_at
from corpus import LoadError
from corpus.beir import load_corpus, load_queries
from index import Embedder
from index.build import folder_loader, run_build

CUTOFFS = (1, 3, 5, 10)


@dataclass(frozen=True)
class Outcome:
    """What one question got: the half it belongs to, whether it was answered, cards shown, and its scores."""
    half: str  # "tune" or "report" (metadata.half), or "" for a set without halves
    kind: str  # "off_topic", "casual" (in-domain, asked casually or misspelt), or a stand-alone labelled kind
    answered: bool
    cards: int  # passages shown as cards (the rest are behind "More results")
    best: float  # the best passage's similarity (what min_score is calibrated on)
    scores: dict[str, float] = field(default_factory=dict)  # recall@k, ndcg@10, highlight/moment accuracy


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
    suggested_min_score: float | None = None  # calibrated on the off-topic questions (of the tuning half, if any)
    answers: dict[str, float] = field(default_factory=dict)  # highlight/moment accuracy, follow-up recall, cards
    halves: dict[str, dict[str, float]] = field(default_factory=dict)  # "tune"/"report": the same rows per half
    outcomes: tuple[Outcome, ...] = field(default=(), repr=False)  # each stand-alone question's, for tuning benches
    covered: tuple[str, ...] = ()  # everyday questions this knowledge base answers as its own (never refused)

    def as_dict(self) -> dict:
        return {"dataset": self.dataset, "mode": self.mode, "queries": self.queries, **self.metrics,
                **self.answers, "wrongly_refused": self.wrongly_refused, "wrongly_answered": self.wrongly_answered,
                "off_topic": self.off_topic, "suggested_min_score": self.suggested_min_score,
                "seconds": self.seconds, "everyday_covered": list(self.covered),
                **({"halves": self.halves} if self.halves else {})}


def layout(dataset: Path | None) -> tuple[Path | None, Path]:
    """(the content folder, or None for a BEIR corpus.jsonl; the questions folder) of an evaluation set: the
    sample (None), a knowledge base folder (content/ and questions/, as the sample's), or a BEIR folder."""
    if dataset is None:
        return SAMPLE_CONTENT, SAMPLE_QUESTIONS
    folder = Path(dataset)
    if (folder / "content").is_dir() and (folder / "questions").is_dir():
        return folder / "content", folder / "questions"
    if not (folder / "corpus.jsonl").is_file():
        raise LoadError(f"{dataset} has no corpus.jsonl and no content/ with questions/; a BEIR folder needs "
                        "corpus.jsonl, queries.jsonl and qrels/, a knowledge base folder content/ and questions/")
    return None, folder


def eval_index(settings: Settings, dataset: Path | None, embedder: Embedder, cache_dir: Path | None = None,
               progress: bool = False) -> Path:
    """Index the set's corpus exactly as `assistant build` would, in a cache folder per set and model;
    an unchanged corpus is reused, a changed one is re-embedded only where it changed."""
    content, folder = layout(dataset)
    loaded = load_corpus(folder / "corpus.jsonl") if content is None else None
    flavour = f"{folder.resolve()}|{settings.model.name}|{embedder.variant}" + ("" if settings.index.sentence_vectors else "|per-question")
    key = hashlib.sha256(flavour.encode()).hexdigest()[:12]
    index_dir = Path(cache_dir or settings.index.dir.parent / "eval") / key
    chunker = chunk_settings(settings, embedder)
    # The local store in the cache folder, or the settings' Milvus collection (issue 22): one build path.
    store = store_of(replace(settings, index_dir=index_dir))
    loader = (lambda known: loaded) if loaded is not None else folder_loader(content, index_dir, settings.content.base_url)
    with progress_bar(progress) as report:
        run_build(store, loader, content or folder, embedder, chunker, build_options(settings), report)
    return index_dir


def evaluate(settings: Settings, dataset: Path | None = None, split: str = "test", mode: str = "hybrid",
             embedder: Embedder | None = None, cache_dir: Path | None = None, progress: bool = False,
             fusion: Fusion | None = None, group: str | None = None, depth: int = 10,
             gate: Gate | None = None) -> EvalResult:
    started = time.perf_counter()
    embedder = embedder or open_embedder(settings)
    queries, qrels = load_queries(layout(dataset)[1], split, group)
    index_dir = eval_index(settings, dataset, embedder, cache_dir, progress)
    fusion = replace(fusion or Fusion(), mode=mode)
    assistant = Assistant(replace(settings, index_dir=index_dir), embedder, fusion, gate=gate)
    vectors = embedder.embed([q.text for q in queries], progress=progress)
    outcomes = [_outcome(assistant, query, vector, qrels.get(query.query_id, {}), depth)
                for query, vector in zip(queries, vectors) if query.kind != "followup"]
    whole = summarise(outcomes)
    halves = {half: summarise([o for o in outcomes if o.half == half])
              for half in ("tune", "report") if any(o.half == half for o in outcomes)}
    followups = _followups(assistant, queries, qrels, depth)
    tuning = [o for o in outcomes if o.half == "tune"] or outcomes
    in_domain = [o.best for o in tuning if o.kind != "off_topic"]
    off = [o.best for o in tuning if o.kind == "off_topic"]
    return EvalResult(
        dataset=str(dataset or "sample knowledge base"), mode=mode, queries=whole.pop("queries"),
        metrics={k: whole.pop(k) for k in list(whole) if k.split("@")[0] in ("recall", "mrr", "ndcg")},
        wrongly_refused=whole.pop("wrongly_refused"), wrongly_answered=whole.pop("wrongly_answered"),
        off_topic=whole.pop("off_topic"), seconds=round(time.perf_counter() - started, 2),
        suggested_min_score=calibrate(in_domain, off) if off else None, answers={**whole, **followups},
        halves=halves, outcomes=tuple(outcomes), covered=assistant.calibration().covered,
    )


def _outcome(assistant: Assistant, query, vector, relevant: dict[str, int], depth: int) -> Outcome:
    answer = assistant.ask(query.text, query_vector=vector)
    best = max((p.score for p in (*answer.passages, *answer.more)), default=0.0)
    outcome = Outcome(str(query.meta.get("half") or ""), query.kind, answer.answered, len(answer.passages), best)
    if query.kind == "off_topic":
        return outcome
    index = assistant.index
    ranked_rows = assistant.rank_chunks(index, query.text, vector)
    ranked = rank_documents(ranked_rows, index.doc_of([row for row, _ in ranked_rows]))[:depth]
    scores = {f"recall@{k}": recall_at(ranked, relevant, k) for k in CUTOFFS}
    scores.update({"mrr@10": mrr_at(ranked, relevant, 10), "ndcg@10": ndcg_at(ranked, relevant, 10)})
    scores["card_recall"] = float(any(relevant.get(p.doc_id, 0) > 0 for p in answer.passages))
    _score_landing(answer, query.meta, relevant, scores)
    return replace(outcome, scores=scores)


def summarise(outcomes: list[Outcome]) -> dict[str, float]:
    """The report's rows over some questions: retrieval metrics over the stand-alone labelled ones
    (casual ones apart), answer landing, cards shown, and the no-match errors as counts and rates."""
    labelled = [o for o in outcomes if o.kind not in ("off_topic", "casual")]
    casual = [o for o in outcomes if o.kind == "casual"]
    off = [o for o in outcomes if o.kind == "off_topic"]
    in_domain = labelled + casual
    rows: dict[str, float] = {"queries": len(labelled)}
    for name in [*(f"recall@{k}" for k in CUTOFFS), "mrr@10", "ndcg@10"]:
        rows[name] = round(mean([o.scores[name] for o in labelled]), 4)
    for name in ("highlight", "moment"):
        values = [o.scores[f"{name}_accuracy"] for o in labelled if f"{name}_accuracy" in o.scores]
        if values:
            rows[f"{name}_accuracy"], rows[f"{name}_accuracy_questions"] = round(mean(values), 4), len(values)
            shown = [o.scores[f"{name}_accuracy"] for o in labelled if o.scores.get(f"{name}_shown")]
            rows[f"{name}_precision"] = round(mean(shown), 4) if shown else 1.0  # right, of those shown
            rows[f"{name}_coverage"] = round(len(shown) / len(values), 4)  # shown, of those labelled
    if casual:
        rows["casual_recall@3"] = round(mean([o.scores["recall@3"] for o in casual]), 4)
    answered = [o for o in in_domain if o.answered]
    rows["cards_per_answer"] = round(mean([o.cards for o in answered]), 2)
    rows["card_recall"] = round(mean([o.scores["card_recall"] for o in answered]), 4)  # the answer among the cards
    rows["in_domain"] = len(in_domain)  # stand-alone labelled and casual: what "wrongly refused" counts over
    rows["wrongly_refused"] = len(in_domain) - len(answered)
    rows["wrongly_refused_rate"] = round(rows["wrongly_refused"] / len(in_domain), 4) if in_domain else 0.0
    rows["wrongly_answered"] = sum(o.answered for o in off)
    rows["off_topic"] = len(off)
    rows["off_topic_answered_rate"] = round(rows["wrongly_answered"] / len(off), 4) if off else 0.0
    return rows


def _score_landing(answer: Answer, meta: dict, relevant: dict[str, int], out: dict[str, float]) -> None:
    """Highlight and moment accuracy of the best-ranked passage from a labelled document."""
    passage = next((p for p in (*answer.passages, *answer.more) if relevant.get(p.doc_id, 0) > 0), None)
    facts = meta.get("fact")
    shown = passage is not None and bool(passage.highlight)  # the gate shows no sentence or moment it is unsure of
    if facts:
        facts = [facts] if isinstance(facts, str) else list(facts)
        hit = shown and holds_fact(passage.highlight, facts) and whole_sentence(passage.highlight, passage.text)
        out["highlight_accuracy"], out["highlight_shown"] = float(hit), float(shown)
        out["highlight_confidence"] = passage.confidence if passage is not None else float("-inf")
    if meta.get("moment"):
        hit = shown and moment_hit(passage.start_seconds, meta["moment"])
        out["moment_accuracy"], out["moment_shown"] = float(hit), float(shown)
        out["moment_confidence"] = passage.confidence if passage is not None else float("-inf")


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
