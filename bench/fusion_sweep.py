"""Which fusion of dense and BM25 wins? Scores candidate fusions on each evaluation set.

Reads the indexes that `assistant eval` caches, takes each ranker's top 100 chunks per question
once, then ranks documents under every candidate fusion and prints nDCG@10 per set, so the
default in assistant/answer/ranking.py is chosen by measurement. Tune on StackFAQ group 0, report group 1.

    python bench/fusion_sweep.py [--sets sample,scifact,stackfaq] [--smoke]
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import EVAL_SETS, add_smoke, cached_assistant, finish  # noqa: E402

from assistant.answer.ranking import Fusion, fuse, rank_documents  # noqa: E402
from assistant.evaluate.metrics import mean, ndcg_at  # noqa: E402
from corpus.beir import load_queries  # noqa: E402

CANDIDATES = [Fusion("dense"), Fusion("bm25")] + [
    Fusion("hybrid", "rrf", w) for w in (0.25, 0.5, 1.0)] + [
    Fusion("hybrid", "convex", w) for w in (0.1, 0.2, 0.3, 0.4, 0.5, 0.7)] + [
    Fusion("hybrid", "adaptive", w, lo, hi) for w in (0.4, 0.5) for lo in (0.15, 0.2, 0.25) for hi in (0.6, 0.7, 0.8)
]


def pools(assistant, queries):
    """Each question with its candidate rows and both rankers' scores, computed once."""
    vectors = assistant.embedder.embed([q.text for q in queries])
    return [(q, assistant.candidates(assistant.index, q.text, v)) for q, v in zip(queries, vectors)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", default=",".join(EVAL_SETS))
    add_smoke(parser)
    args = parser.parse_args()
    candidates, rows = CANDIDATES[:3] if args.smoke else CANDIDATES, []
    for name in ("sample",) if args.smoke else args.sets.split(","):
        folder, group = EVAL_SETS[name]
        if folder is not None and not folder.is_dir():
            print(f"{name}: {folder} not found, skipped")
            continue
        assistant = cached_assistant(folder)
        doc_of = assistant.index.doc_of(range(assistant.index.rows))
        for split_group in ([group] if group is None else ["0", "1"]):
            queries, qrels = load_queries(folder or assistant.settings.content.dir.parent / "questions", "test", split_group)
            queries = [q for q in queries if q.query_id in qrels][:5 if args.smoke else None]
            pooled = pools(assistant, queries)
            for fusion in candidates:
                scores = [ndcg_at(rank_documents(fuse(*cands, fusion), doc_of), qrels[q.query_id], 10)
                          for q, cands in pooled]
                label = fusion.mode + (f" {fusion.method} w={fusion.lexical_weight}" if fusion.mode == "hybrid" else "")
                if fusion.method == "adaptive" and fusion.mode == "hybrid":
                    label += f" ramp {fusion.confidence_from}-{fusion.confidence_to}"
                print(f"{name:<10} group={split_group or '-'} {label:<38} nDCG@10={mean(scores):.4f}")
                rows.append({"set": name, "group": split_group, "fusion": label, "ndcg@10": round(mean(scores), 4)})
    finish(rows, None, args.smoke)


if __name__ == "__main__":
    main()
