"""Shared by the benchmarks: where the evaluation sets are, indexes cached per set, and `--smoke`.

Every bench takes `--smoke`: a tiny size that runs in seconds, writes nothing under bench/results/
and prints its JSON as its last line (tests/test_benches.py runs each so).
"""

from __future__ import annotations

import argparse
import json
import os
from dataclasses import replace
from pathlib import Path

from assistant.answer.embedders import open_embedder
from assistant.answer.search import Assistant
from assistant.config import Settings
from assistant.evaluate.run import eval_index
from index import Embedder

ROOT = Path(__file__).resolve().parent.parent
SHARED_EVAL = Path(os.environ.get("BENCH_EVAL_DIR") or ROOT.parent / "shared" / "eval")  # a worktree elsewhere: set it
CACHE = Path(os.environ.get("BENCH_CACHE_DIR") or ROOT / ".assistant" / "eval")  # the evaluation indexes, one per set
# name -> (BEIR folder or None for the sample knowledge base, query group to report or None)
EVAL_SETS = {
    "sample": (None, None),
    "scifact": (SHARED_EVAL / "scifact", None),
    "stackfaq": (SHARED_EVAL / "stackfaq" / "answer_level", "1"),
}
_EMBEDDER: list[Embedder] = []


def embedder() -> Embedder:
    if not _EMBEDDER:
        _EMBEDDER.append(open_embedder(Settings()))
    return _EMBEDDER[0]


def cached_assistant(folder: Path | None, sentence_vectors: bool = True) -> Assistant:
    settings = Settings(index_dir=CACHE / "unused", sentence_vectors=sentence_vectors)
    index_dir = eval_index(settings, folder, embedder(), CACHE)
    return Assistant(replace(settings, index_dir=index_dir), embedder())


SMOKE_HELP = "a tiny run (seconds) that writes no results file and prints its JSON as the last line"


def add_smoke(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--smoke", action="store_true", help=SMOKE_HELP)


def finish(result, out: Path | None, smoke: bool) -> None:
    """Write the results file (a full run), or print the JSON (a smoke run)."""
    if smoke:
        print(json.dumps(result, default=str))
        return
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(result, indent=2, default=str))
