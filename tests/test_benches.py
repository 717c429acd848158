"""Benches that cannot rot: every bench/ script runs at its `--smoke` size and prints its JSON."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"
SCRIPTS = sorted(p.name for p in BENCH.glob("*.py") if '__name__ == "__main__"' in p.read_text())  # not helpers
# These build the sample's evaluation index in one shared cache folder: one at a time (a second build of
# the same folder is refused while one runs), in one lane beside the others.
SHARED_CACHE = [s for s in SCRIPTS if any(word in (BENCH / s).read_text()
                                          for word in ("cached_assistant", "evaluate(", "eval_index"))]


@pytest.mark.slow
def test_every_bench_runs_at_smoke_size_and_prints_its_json(request):
    """Three at a time (much of each is waiting on a subprocess, a server or a socket). The ones sharing
    the evaluation cache run one after another in a lane of their own, on the run's (it holds the sample's
    index: they find it unchanged and build nothing), once it is there; the others start at once."""
    others = [s for s in SCRIPTS if s not in SHARED_CACHE]
    with ThreadPoolExecutor(3) as pool:
        running = [pool.submit(smoke, script) for script in others]
        cache = request.getfixturevalue("eval_cache")  # on another worker, it may still be being built
        lane = pool.submit(lambda: {script: smoke(script, cache) for script in SHARED_CACHE})
        outcomes = {script: done.result() for script, done in zip(others, running)}
        outcomes.update(lane.result())
    assert {script: why for script, why in outcomes.items() if why} == {}


def smoke(script: str, cache: Path | None = None) -> str | None:
    """None when `script --smoke` ran and printed its JSON; else why not."""
    path = BENCH / script
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(BENCH.parent)}
    if cache is not None:
        env["BENCH_CACHE_DIR"] = str(cache)
    done = subprocess.run([sys.executable, str(path), "--smoke"], capture_output=True, text=True, env=env,
                          timeout=600)  # in the test's folder: what a bench's servers write stays out of the checkout
    if done.returncode:
        return f"exit {done.returncode}: {done.stderr[-2000:]}"
    try:
        result = last_json(done.stdout)
    except AssertionError as exc:
        return str(exc)
    return None if result and isinstance(result, (dict, list)) else f"empty JSON: {done.stdout[-300:]}"


def last_json(out: str):
    """The JSON a bench printed last: one line, or an indented block starting at a line's first column."""
    lines = out.rstrip().splitlines()
    for start in range(len(lines) - 1, -1, -1):
        if lines[start][:1] and lines[start][0] in "{[":
            try:
                return json.loads("\n".join(lines[start:]))
            except ValueError:
                continue
    raise AssertionError(f"no JSON at the end of the output: {out[-500:]}")
