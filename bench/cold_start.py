"""Cold-start numbers of the CLI and the server, each a fresh process as a site owner's script runs it.

    cold `assistant ask --json`, start to answer (median of --runs), and its CPU seconds
    `assistant ask ""` and `assistant ask` on a missing index: refused
    `assistant serve`: start to the first answer over HTTP (/search), median of --runs, and its CPU seconds
    query encoding p50/p95 in a running process (100 varied questions)

Over the sample knowledge base's index (built in a temporary folder first; the ONNX export is made
once into the model cache before timing). Prints a table and writes bench/results/cold_start.json.

The processes run this checkout's code (its folder first on PYTHONPATH, whichever install the
`assistant` script belongs to), and keep the byte code Python compiles as an installed copy does:
PYTHONDONTWRITEBYTECODE is dropped for them, or a sandbox that sets it would recompile the
project's own modules on every start (about 0.1 CPU-s of each `serve`). The load average is
printed at the start and the end: on a shared machine, the CPU seconds are the steadier figure.

    python bench/cold_start.py [--runs 5] [--smoke]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.common import add_smoke, finish  # noqa: E402

ASSISTANT = str(Path(sys.executable).parent / "assistant")
QUESTIONS = ROOT / "assistant" / "sample_kb" / "questions" / "queries.jsonl"
ENV = {**{k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}, "HF_HUB_OFFLINE": "1",
       "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)}


def timed(args: list[str]) -> tuple[float, float, subprocess.CompletedProcess]:
    """(wall seconds, CPU seconds of the child, result)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(args, capture_output=True, text=True, env=ENV)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), done


def median_run(args: list[str], runs: int, expect: int) -> tuple[float, float]:
    walls, cpus = [], []
    for _ in range(runs):
        wall, cpu, done = timed(args)
        if done.returncode != expect:
            raise SystemExit(f"{' '.join(args)} exited {done.returncode}: {done.stderr[-800:]}")
        walls.append(wall)
        cpus.append(cpu)
    return statistics.median(walls), statistics.median(cpus)


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a running process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def serve_ready(index: Path) -> tuple[float, float]:
    """(seconds, CPU seconds of the server) from starting `assistant serve` to its first answer through /search."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    started = time.perf_counter()
    server = subprocess.Popen([ASSISTANT, "serve", "--index", str(index), "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV)
    try:
        while time.perf_counter() - started < 180:
            try:
                joined = httpx.post(f"{base}/gradio_api/call/search", json={"data": ["how do I set up a PMO?", 5, []]},
                                    timeout=10)
                if joined.status_code == 200:
                    event = httpx.get(f"{base}/gradio_api/call/search/{joined.json()['event_id']}", timeout=30)
                    if "event: complete" in event.text and "passages" in event.text:
                        return time.perf_counter() - started, cpu_seconds(server.pid)
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise SystemExit("assistant serve did not answer within 180 s")
    finally:
        server.terminate()
        server.wait(timeout=30)


def query_encoding(index: Path) -> tuple[float, float]:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    sys.path.insert(0, str(ROOT))
    from assistant.answer.search import Assistant
    from assistant.config import Settings

    embedder = Assistant.open(Settings(index_dir=index)).embedder
    questions = [json.loads(line)["text"] for line in QUESTIONS.read_text().splitlines()][:100]
    embedder.embed_query(questions[0])
    times = []
    for question in questions:
        started = time.perf_counter()
        embedder.embed_query(question)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    add_smoke(parser)
    args = parser.parse_args()
    args.runs = 1 if args.smoke else args.runs
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        index = Path(tmp) / "index"
        if args.smoke:  # the benches' cached sample index (built once), not a fresh build
            from bench.common import cached_assistant

            index = cached_assistant(None).settings.index.dir
        else:
            subprocess.run([ASSISTANT, "build", "--index", str(index), "--json"], check=True, env=ENV,
                           capture_output=True)  # also makes the ONNX export, once, if the cache has none
        ask = [ASSISTANT, "ask", "how do I move from PMO analyst to PMO manager?", "--index", str(index), "--json"]
        rows = {
            "cold_ask": median_run(ask, args.runs, 0),
            "empty_question_refused": median_run([ASSISTANT, "ask", "  ", "--index", str(index)], args.runs, 2),
            "missing_index_refused": median_run([ASSISTANT, "ask", "anything", "--index", str(Path(tmp) / "none")],
                                                args.runs, 1),
        }
        serves = [serve_ready(index) for _ in range(args.runs)]
        serve_s, serve_cpu = statistics.median(w for w, _ in serves), statistics.median(c for _, c in serves)
        p50, p95 = query_encoding(index)
    print(f"load average: {load_before:.1f} at the start, {os.getloadavg()[0]:.1f} at the end, on {os.cpu_count()} CPUs")
    print("| measure | wall (median) | CPU seconds |\n|---|---|---|")
    for name, (wall, cpu) in rows.items():
        print(f"| {name.replace('_', ' ')} | {wall:.2f} s | {cpu:.2f} s |")
    print(f"| assistant serve ready to answer | {serve_s:.2f} s | {serve_cpu:.2f} s |")
    print(f"| query encoding | p50 {p50:.1f} ms, p95 {p95:.1f} ms | |")
    finish({**{k: {"wall_s": round(w, 3), "cpu_s": round(c, 3)} for k, (w, c) in rows.items()},
            "serve_ready_s": round(serve_s, 2), "serve_ready_cpu_s": round(serve_cpu, 2), "query_p50_ms": round(p50, 2),
            "query_p95_ms": round(p95, 2), "load_average": os.getloadavg()[0], "load_average_start": load_before},
           ROOT / "bench" / "results" / "cold_start.json", args.smoke)


if __name__ == "__main__":
    main()
