"""In-process `ask` latency on the sample knowledge base: each labelled question once, cold sentence cache.

Prints p50/p95 of the whole `Assistant.ask` (query embedding, hybrid ranking, answering sentences
and moments) over an index built with sentence vectors (the default) and one built without them
(sentences embedded per question), and, for comparison, of ranking alone.
Run: .venv/bin/python bench/ask_latency.py [--repeat 2] [--smoke]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import add_smoke, cached_assistant, finish  # noqa: E402
from corpus.beir import load_queries  # noqa: E402
from assistant.config import SAMPLE_QUESTIONS  # noqa: E402


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1, help="passes over the questions")
    add_smoke(parser)
    args = parser.parse_args()
    queries, _ = load_queries(SAMPLE_QUESTIONS)
    texts = [q.text for q in queries if q.kind != "followup"][:3 if args.smoke else None]
    rows = {}
    for label, stored in (("ask, sentence vectors in the index", True), ("ask, sentences embedded per question", False)):
        assistant = cached_assistant(None, sentence_vectors=stored)
        for text in texts[:5]:  # warm the model and the libraries
            assistant.ask(text)
        whole, ranking = [], []
        for _ in range(args.repeat):
            for text in texts:
                assistant.sentence_vectors.clear()  # every question pays for its own sentences
                started = time.perf_counter()
                assistant.ask(text)
                whole.append(time.perf_counter() - started)
                started = time.perf_counter()
                vector = assistant.embedder.embed_query(text)
                assistant.rank_chunks(assistant.index, text, vector)
                ranking.append(time.perf_counter() - started)
        rows[label] = whole
    rows["embed + rank only"] = ranking
    for label, values in rows.items():
        print(f"{label:<40} p50 {1000 * statistics.median(values):6.1f} ms   "
              f"p95 {1000 * percentile(values, 0.95):6.1f} ms   over {len(values)} questions")
    finish({label: {"p50_ms": round(1000 * statistics.median(values), 1),
                    "p95_ms": round(1000 * percentile(values, 0.95), 1), "questions": len(values)}
            for label, values in rows.items()}, None, args.smoke)


if __name__ == "__main__":
    main()
