"""Full build against an incremental rebuild after editing one article, on 2,000+ documents.

The full build runs twice in the same run: with the default backend (OpenVINO on CPU) and with plain
sentence-transformers on PyTorch (`ASSISTANT_BACKEND=torch`), so their chunks/s compare on equal terms.

The corpus is 2,000 SciFact abstracts written out as Markdown articles (from ../shared/eval/scifact;
skipped with a message when absent). Both builds run as `assistant build` subprocesses, timed from
command start to published index. Writes bench/results/build_speed.json.

    python bench/build_speed.py [--docs 2000] [--smoke]

--smoke: 20 documents, without the plain sentence-transformers build (PyTorch's import alone takes seconds).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, SHARED_EVAL, add_smoke, finish  # noqa: E402

ASSISTANT = str(Path(sys.executable).parent / "assistant")


def write_corpus(folder: Path, count: int) -> None:
    with open(SHARED_EVAL / "scifact" / "corpus.jsonl", encoding="utf-8") as handle:
        for number, line in enumerate(handle):
            if number >= count:
                break
            row = json.loads(line)
            title = row["title"].replace('"', "'")
            (folder / f"doc-{row['_id']}.md").write_text(
                f'---\ntitle: "{title}"\nurl: https://kb.example.org/{row["_id"]}/\n---\n\n## Abstract\n{row["text"]}\n')


def timed_build(content: Path, index: Path, **env: str) -> tuple[float, dict]:
    """(wall seconds, the build's JSON report with "cpu_seconds" added: the command's own CPU time, steadier
    than wall time on a shared machine)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run([ASSISTANT, "build", str(content), "--index", str(index), "--json"],
                          capture_output=True, text=True, env={**os.environ, "HF_HUB_OFFLINE": "1", **env})
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode:
        raise SystemExit(done.stderr)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return seconds, {**json.loads(done.stdout), "cpu_seconds": round(cpu, 1)}


def served_rebuild(content: Path, index: Path, edited: Path) -> tuple[float, dict]:
    """The same command while `assistant serve` runs over the index: it hands the build over."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen([ASSISTANT, "serve", "--index", str(index), "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              env={**os.environ, "HF_HUB_OFFLINE": "1"})
    try:
        deadline = time.monotonic() + 120
        while not (index / "serve.json").is_file() and time.monotonic() < deadline:
            time.sleep(0.2)
        edited.write_text(edited.read_text() + "\nA sentence added while the server runs.\n")
        return timed_build(content, index)
    finally:
        server.terminate()
        server.wait(timeout=30)


def warm_rebuild(content: Path, index: Path, edited: Path) -> tuple[float, dict]:
    """The same one-article rebuild inside a process that already holds the model, as
    `assistant build --watch` and the app's admin panel do."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from assistant.building import run_build
    from assistant.config import Settings
    from assistant.embedders import open_embedder

    embedder = open_embedder(Settings())
    edited.write_text(edited.read_text() + "\nA second added sentence about effect sizes.\n")
    started = time.perf_counter()
    report = run_build(Settings(content_dir=content, index_dir=index), show_progress=False, embedder=embedder)
    return time.perf_counter() - started, report.as_dict()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=2000)
    add_smoke(parser)
    args = parser.parse_args()
    args.docs = 20 if args.smoke else args.docs
    if not (SHARED_EVAL / "scifact" / "corpus.jsonl").is_file():
        print(f"build_speed: {SHARED_EVAL / 'scifact'} not found; skipped")
        finish({"skipped": f"{SHARED_EVAL / 'scifact'} not found"}, None, args.smoke)
        return
    with tempfile.TemporaryDirectory() as tmp:
        content, index = Path(tmp) / "content", Path(tmp) / "index"
        content.mkdir()
        write_corpus(content, args.docs)
        if args.smoke:
            plain_s, plain = 1.0, {"chunks_embedded": 1, "cpu_seconds": 1.0}  # not measured at this size
        else:
            plain_s, plain = timed_build(content, Path(tmp) / "plain-index", ASSISTANT_BACKEND="torch")
        plain_rate = plain["chunks_embedded"] / plain_s
        print(f"load average {os.getloadavg()[0]:.1f}; full build, plain sentence-transformers: {plain_s:7.1f} s, "
              f"{plain['cpu_seconds']} CPU-s ({plain_rate:.1f} chunks/s)", flush=True)
        full_s, full = timed_build(content, index)
        rate = full["chunks_embedded"] / full_s
        print(f"load average {os.getloadavg()[0]:.1f}; full build: {full_s:7.1f} s, {full['cpu_seconds']} CPU-s "
              f"({full['documents']} documents, {full['chunks_embedded']} chunks embedded, {rate:.1f} chunks/s, "
              f"{rate / plain_rate:.2f}x plain sentence-transformers; "
              f"{plain['cpu_seconds'] / full['cpu_seconds']:.2f}x in CPU seconds)", flush=True)
        edited = sorted(content.iterdir())[len(full) % args.docs]
        edited.write_text(edited.read_text() + "\nAn added sentence about replication in a follow-up study.\n")
        inc_s, inc = timed_build(content, index)
        print(f"incremental build: {inc_s:7.1f} s, {inc['cpu_seconds']} CPU-s  (changed {inc['changed']}, "
              f"{inc['chunks_embedded']} chunks embedded)")
        print(f"ratio:             {full_s / inc_s:7.1f}x")
        served_s, served = (0.0, {"changed": 0, "chunks_embedded": 0}) if args.smoke else \
            served_rebuild(content, index, edited)  # (tests/test_delegation.py covers it at smoke size)
        print(f"incremental build, `assistant serve` running: {served_s:5.2f} s "
              f"(changed {served['changed']}, {served['chunks_embedded']} chunks embedded)")
        warm_s, warm = warm_rebuild(content, index, edited)
        print(f"incremental, model already loaded (watch mode, admin panel): {warm_s:5.2f} s "
              f"({warm['chunks_embedded']} chunks embedded)")
    finish({"documents": full["documents"], "chunks": full["chunks"], "full_seconds": round(full_s, 2),
            "full_chunks_per_s": round(rate, 1), "plain_full_seconds": round(plain_s, 2),
            "full_cpu_seconds": full["cpu_seconds"], "plain_cpu_seconds": plain["cpu_seconds"],
            "load_average": os.getloadavg(), "plain_chunks_per_s": round(plain_rate, 1),
            "incremental_seconds": round(inc_s, 2), "ratio": round(full_s / inc_s, 1),
            "incremental_with_server_seconds": round(served_s, 2), "incremental_warm_seconds": round(warm_s, 2),
            "incremental_report": inc}, ROOT / "bench" / "results" / "build_speed.json", args.smoke)


if __name__ == "__main__":
    main()
