"""The product works installed from its wheel, not only from this checkout: the wheel is built, installed
without -e into a folder of its own, and `assistant build`, `ask` and `serve` run from there with the
checkout nowhere on the path (package data, the everyday questions, the reader's and widget's static
files all inside the wheel)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import sysconfig
import time
import zipfile
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> tuple[list[str], dict]:
    """(the command that runs the installed `assistant`, its environment)."""
    folder = tmp_path_factory.mktemp("wheel")
    source = folder / "source"  # a copy, so the build's own build/ folder never lands in the checkout
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    for package in ("assistant", "corpus", "index", "ui"):
        shutil.copytree(ROOT / package, source / package, ignore=shutil.ignore_patterns("__pycache__"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w",
                    str(folder / "dist"), str(source)], check=True, cwd=folder, capture_output=True)
    wheel = next((folder / "dist").glob("*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    for needed in ("assistant/data/elsewhere.txt", "assistant/data/english.toml", "assistant/sample_kb/assistant.toml",
                   "ui/static/widget.js", "ui/static/reader.js"):
        assert needed in names, f"{needed} is missing from the wheel"
    site = folder / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-compile", "-q", "--target", str(site),
                    str(wheel)], check=True, capture_output=True)
    # The interpreter without site processing (so the checkout's editable install is not found), the wheel's
    # packages first, then the dependencies from this environment.
    base = getattr(sys, "_base_executable", sys.executable)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), sysconfig.get_paths()["purelib"]]),
           "PYTHONSAFEPATH": "1", "HF_HUB_OFFLINE": "1"}
    return [base, "-S", "-m", "assistant"], env


def run(command: list[str], env: dict, cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*command, *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=600)


@pytest.mark.slow
def test_the_installed_wheel_builds_asks_and_serves(installed, tmp_path):
    command, env = installed
    probe = subprocess.run([command[0], "-S", "-c", "import assistant, ui; print(assistant.__file__, ui.__file__)"],
                           env=env, cwd=tmp_path, capture_output=True, text=True, check=True)
    assert str(ROOT) not in probe.stdout and "site" in probe.stdout  # the wheel's copy, not the checkout's
    content = tmp_path / "content"
    content.mkdir()
    (content / "printing.md").write_text("# Printing\n\n## Connecting\n\nSend every job to the FollowPrint queue, "
                                         "then tap your badge on any printer to release it.\n", encoding="utf-8")
    built = run(command, env, tmp_path, "build", str(content), "--index", "index")
    assert built.returncode == 0, built.stderr[-2000:]
    assert "Indexed 1 documents" in built.stdout and "Everyday questions it answers as its own" in built.stdout
    asked = run(command, env, tmp_path, "ask", "--index", "index", "how do I print to the office printer?")
    assert asked.returncode == 0, asked.stderr[-2000:]
    assert "FollowPrint" in asked.stdout
    with socket.socket() as probe_port:
        probe_port.bind(("127.0.0.1", 0))
        port = probe_port.getsockname()[1]
    server = subprocess.Popen([*command, "serve", "--index", "index", "--port", str(port)], env=env, cwd=tmp_path,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 180
        while True:
            assert server.poll() is None, server.stderr.read()[-2000:]
            assert time.monotonic() < deadline, "the installed assistant serve never became ready"
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.25)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
            answer = http.get("/api/search", params={"q": "how do I print?"}).json()
            assert answer["passages"][0]["doc_id"] == "printing.md"
            assert http.get("/widget.js").status_code == 200 and "function" in http.get("/widget.js").text
            assert http.get("/read/printing.md").status_code == 200
    finally:
        server.terminate()
        server.wait(timeout=30)
