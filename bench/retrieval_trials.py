"""Retrieval changes tried against the shipped ranking (issue 19): nDCG@10 on the sample, SciFact and StackFAQ.

    .venv/bin/python bench/retrieval_trials.py [--sets sample,scifact,stackfaq] [--smoke]

Each trial re-ranks the same candidates of the cached evaluation indexes (`bench/common.py`) and is
kept only if it raises SciFact and StackFAQ without lowering the sample:

- aggregation: a document scored by its best chunk plus a share of its second best;
- title BM25: a BM25 over the documents' titles (and sections) added to the fused score;
- dense pseudo-relevance feedback: the question's vector moved towards its top three chunks (Rocchio);
- lexical pseudo-relevance feedback: the top three chunks' most telling words added to the BM25 query.

Prints one row per set and trial, and the JSON of all of them last (writes nothing).
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

import bm25s  # noqa: E402
import numpy as np  # noqa: E402
from common import EVAL_SETS, cached_assistant, embedder  # noqa: E402

from assistant.answer.highlight import terms  # noqa: E402
from assistant.answer.ranking import fuse  # noqa: E402
from assistant.config import SAMPLE_QUESTIONS  # noqa: E402
from assistant.evaluate.metrics import mean, ndcg_at  # noqa: E402
from corpus.beir import load_queries  # noqa: E402

TRIALS = {"base": {}, "aggregate 0.1": {"aggregate": 0.1}, "aggregate 0.3": {"aggregate": 0.3},
          "title 0.1": {"title": 0.1}, "title 0.2": {"title": 0.2},
          "dense prf 0.3": {"dense_prf": 0.3}, "dense prf 0.6": {"dense_prf": 0.6},
          "lexical prf 5": {"lexical_prf": 5}, "lexical prf 10": {"lexical_prf": 10}}


def questions(name: str, folder: Path | None, group: str | None, smoke: bool):
    queries, qrels = load_queries(folder or SAMPLE_QUESTIONS, group=group)
    kept = [q for q in queries if q.query_id in qrels and q.kind not in ("followup", "casual", "off_topic")]
    return (kept[:20] if smoke else kept), qrels


class Reranker:
    def __init__(self, assistant):
        self.assistant = assistant
        self.index = assistant.index
        live = self.index.live_rows()
        self.chunks = {int(r): self.index.chunks[int(r)] for r in live}
        names = [f"{c.title} {' '.join(c.section)}" for c in self.chunks.values()]
        self.rows = np.fromiter(self.chunks, dtype=np.int64)
        self.titles = bm25s.BM25()
        self.titles.index(bm25s.tokenize(names, stopwords="en", show_progress=False), show_progress=False)
        self.position = {int(r): n for n, r in enumerate(self.rows)}

    def rank(self, question: str, query: np.ndarray, trial: dict) -> list[str]:
        a, index = self.assistant, self.index
        if trial.get("lexical_prf"):
            question = question + " " + " ".join(self._expansion(question, query, trial["lexical_prf"]))
        if trial.get("dense_prf"):
            top = [row for row, _ in a.rank_chunks(index, question, query)[:3]]
            query = query + trial["dense_prf"] * index.vectors_of(np.asarray(top)).mean(axis=0)
            query = (query / np.linalg.norm(query)).astype(np.float32)
        rows, dense, lexical = a.candidates(index, question, query)
        ranked = fuse(rows, dense, lexical, a.fusion)
        if trial.get("title"):
            words = bm25s.tokenize([question], stopwords="en", return_ids=False, show_progress=False)[0]
            known = [w for w in words if w in self.titles.vocab_dict]
            scores = self.titles.get_scores(known) if known else np.zeros(len(self.rows))
            found = np.array([scores[self.position[r]] for r, _ in ranked]) if ranked else np.zeros(0)
            top = found.max() if len(found) and found.max() > 0 else 1.0
            ranked = sorted(((r, s + trial["title"] * f / top) for (r, s), f in zip(ranked, found)), key=lambda x: -x[1])
        return self._documents(ranked, trial.get("aggregate", 0.0))

    def _documents(self, ranked, share: float) -> list[str]:
        best: dict[str, list[float]] = {}
        for row, score in ranked:
            best.setdefault(self.chunks[row].doc_id, []).append(score)
        scored = {doc: s[0] + share * (s[1] if len(s) > 1 else 0.0) for doc, s in best.items()}
        return sorted(scored, key=lambda d: -scored[d])[:10]

    def _expansion(self, question: str, query: np.ndarray, count: int) -> list[str]:
        top = [row for row, _ in self.assistant.rank_chunks(self.index, question, query)[:3]]
        asked = terms(question)
        weights: Counter[str] = Counter()
        n = len(self.rows)
        for row in top:
            for word in terms(self.chunks[row].text):
                if word not in asked:
                    df = self._df(word)
                    weights[word] += math.log((n + 1) / (df + 0.5))
        return [w for w, _ in weights.most_common(count)]

    def _df(self, word: str) -> int:
        if not hasattr(self, "_vocab"):
            self._vocab = Counter(w for c in self.chunks.values() for w in terms(c.text))
        return self._vocab.get(word, 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", default=",".join(EVAL_SETS))
    parser.add_argument("--smoke", action="store_true", help="the sample only, 20 questions, two trials")
    args = parser.parse_args()
    names = ["sample"] if args.smoke else args.sets.split(",")
    trials = {k: TRIALS[k] for k in ("base", "aggregate 0.3")} if args.smoke else TRIALS
    results = []
    for name in names:
        folder, group = EVAL_SETS[name]
        if folder is not None and not folder.is_dir():
            print(f"{name}: {folder} not found; skipped", flush=True)
            continue
        reranker = Reranker(cached_assistant(folder))
        queries, qrels = questions(name, folder, group, args.smoke)
        vectors = embedder().embed([q.text for q in queries])
        for trial, options in trials.items():
            ndcg = mean([ndcg_at(reranker.rank(q.text, v, options), qrels[q.query_id], 10) for q, v in zip(queries, vectors)])
            results.append({"set": name, "trial": trial, "queries": len(queries), "ndcg@10": round(ndcg, 4)})
            print(f"{name:9} {trial:16} nDCG@10 {ndcg:.4f} ({len(queries)} questions)", flush=True)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
