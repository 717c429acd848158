"""Benches that cannot rot: every bench/ script runs at its `--smoke` size and prints its JSON."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"
SCRIPTS = sorted(p.name for p in BENCH.glob("*.py") if '__name__ == "__main__"' in p.read_text())  # not helpers


@pytest.mark.slow
@pytest.mark.parametrize("script", SCRIPTS)
def test_bench_runs_at_smoke_size_and_prints_its_json(script):
    path = BENCH / script
    if script == "scale.py" and "--smoke" not in path.read_text():
        pytest.skip("scale.py --smoke lands with issue 22")
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(BENCH.parent)}
    done = subprocess.run([sys.executable, str(path), "--smoke"], capture_output=True, text=True, env=env,
                          cwd=BENCH.parent, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    result = last_json(done.stdout)
    assert result and isinstance(result, (dict, list)), done.stdout[-500:]


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
