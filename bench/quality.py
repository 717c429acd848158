"""Retrieval quality of bm25, dense and hybrid on the sample knowledge base, SciFact and StackFAQ.

Prints a Markdown table (docs/measured.md's) and writes bench/results/quality.json. The public sets are
read from ../shared/eval/ and skipped with a message when absent. The first run embeds SciFact
(about 5,200 abstracts): several minutes on a 2-core CPU; later runs reuse the cached index.

    python bench/quality.py [--sets sample,scifact,stackfaq] [--modes bm25,dense,hybrid] [--smoke]
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import CACHE, EVAL_SETS, ROOT, add_smoke, embedder, finish  # noqa: E402

from assistant.config import Settings  # noqa: E402
from assistant.evaluate.run import evaluate  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", default=",".join(EVAL_SETS))
    parser.add_argument("--modes", default="bm25,dense,hybrid")
    add_smoke(parser)
    args = parser.parse_args()
    if args.smoke:  # the sample knowledge base's questions, hybrid: the index is cached after the first run
        args.sets, args.modes = "sample", "hybrid"
    rows = []
    print("| set | mode | queries | nDCG@10 | MRR@10 | Recall@10 | Recall@3 | off-topic answered | wrongly refused |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name in args.sets.split(","):
        folder, group = EVAL_SETS[name]
        if folder is not None and not folder.is_dir():
            print(f"<!-- {name}: {folder} not found; skipped -->")
            continue
        for mode in args.modes.split(","):
            result = evaluate(Settings(index_dir=CACHE / "unused"), folder, mode=mode, embedder=embedder(),
                              cache_dir=CACHE, group=group, progress=True)
            m = result.metrics
            off = f"{result.wrongly_answered}/{result.off_topic}" if result.off_topic else "–"
            print(f"| {name}{' (group ' + group + ')' if group else ''} | {mode} | {result.queries} | "
                  f"{m['ndcg@10']:.3f} | {m['mrr@10']:.3f} | {m['recall@10']:.3f} | {m['recall@3']:.3f} | {off} | "
                  f"{result.wrongly_refused} |", flush=True)
            rows.append({"set": name, **result.as_dict()})
    finish(rows, ROOT / "bench" / "results" / "quality.json", args.smoke)


if __name__ == "__main__":
    main()
