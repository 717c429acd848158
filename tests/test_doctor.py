"""`make doctor`: the torch build report's format (whatever build this machine has), and its verdicts."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from assistant.doctor import TorchBuild, classify, report

ROOT = Path(__file__).resolve().parent.parent
LINES = [r"torch {8}(not installed|\S+ \((CPU|CUDA|ROCm) build\))",
         r"nvidia-\* {5}(none|\d+: nvidia-\S+ \S+(, nvidia-\S+ \S+)*)",
         r"verdict {6}(ok: no CUDA wheels in this environment|CUDA wheels installed: .+)"]


def test_make_doctor_reports_the_installed_build_in_three_lines():
    make = subprocess.run(["make", "-s", "doctor", f"VENV={Path(sys.executable).parent.parent}"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert make.returncode == 0, make.stderr
    lines = make.stdout.splitlines()
    assert len(lines) == 3, make.stdout
    for line, pattern in zip(lines, LINES):
        assert re.fullmatch(pattern, line), line


def test_the_build_is_named_by_its_local_label_or_its_nvidia_packages():
    assert classify("2.13.0+cpu", ()) == "CPU"
    assert classify("2.13.0+cu128", ()) == "CUDA"
    assert classify("2.13.0", ("nvidia-cublas-cu12 12.8.4.1",), platform="linux") == "CUDA"
    assert classify("2.13.0", (), platform="linux") == "CPU"
    assert classify("2.13.0", (), platform="darwin") == "CPU"
    assert classify(None, ()) == "none"


def test_a_cuda_environment_is_reported_as_such():
    text, ok = report(TorchBuild("2.13.0", "CUDA", ("nvidia-cublas-cu12 12.8.4.1", "nvidia-nccl-cu12 2.27.3")))
    assert not ok
    assert text.splitlines()[:2] == ["torch        2.13.0 (CUDA build)",
                                     "nvidia-*     2: nvidia-cublas-cu12 12.8.4.1, nvidia-nccl-cu12 2.27.3"]
    for line, pattern in zip(text.splitlines(), LINES):
        assert re.fullmatch(pattern, line), line
