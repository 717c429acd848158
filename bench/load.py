"""Load benchmark: concurrent clients asking varied questions over HTTP against `assistant serve`.

    .venv/bin/python bench/load.py              # both doors: 10, then 50 clients, 20 questions each; a burst of 150
    .venv/bin/python bench/load.py --door json --clients 50 --burst 0
    .venv/bin/python bench/load.py --clients 10 50 --questions 20 --burst 0 --concurrency-limit 2
    .venv/bin/python bench/load.py --logging-check      # 50 clients asking + giving feedback, log on vs off
    .venv/bin/python bench/load.py --logging-check --rounds 3 --questions 8
    .venv/bin/python bench/load.py --smoke              # seconds: a few clients, prints the JSON (tests/test_benches.py)

It starts `assistant serve` on a free loopback port over the index in .assistant/index (built from
the bundled sample knowledge base when there is none), waits until it answers, then runs each level
for each door: every client asks its questions one after another, all clients at once. The doors:
`gradio`, Gradio's two-step `/search` API (`/gradio_api/call/search`, as `gradio_client` does), and
`json`, the plain `GET /api/search` (as curl, the widget or another program does), where each client
comes from its own address (X-Forwarded-For, trusted from loopback) as separate visitors do, so the
per-client rate limit applies to each as in real use. A level stops at --time-limit seconds;
requests still open then count as errors.

A request is `ok` (an answer with passages or a no-match message), `busy` (HTTP 503: the queue is
full, the client is told "try again"), `limited` (HTTP 429: over rate_limit_per_minute) or an
`error` (anything else, timeouts included). The --burst level fires that many single questions at
once, more than the queue holds (concurrency_limit + max_queue), to show that the overflow is
refused at once as busy. Prints a table and writes bench/results/load.json.

--logging-check serves the index with the question log off and on (a fresh SQLite store in a temp
folder), alternated --rounds times, each with --clients (default 50) clients asking --questions
each; then once more with the log on where every client also sends 👍/👎 through `/feedback` after
each answer. It prints each run and the median /search p95 per setting, then counts the rows in
the store: every answer_id handed out and every acknowledged feedback must be there. It also
times what logging adds in the request thread. Writes bench/results/logging.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.common import add_smoke, finish  # noqa: E402

QUESTIONS = ROOT / "assistant" / "sample_kb" / "questions" / "queries.jsonl"
RESULTS = ROOT / "bench" / "results" / "load.json"
DEFAULT_INDEX = ROOT / ".assistant" / "index"
EXTRA_QUESTIONS = ("what's a good recipe for banana bread?", "?!", "Wie richte ich ein PMO ein?",
                   "如何建立项目管理办公室", "stage gate criteria " * 20)


@dataclass(frozen=True)
class Level:
    door: str
    clients: int
    requests: int
    ok: int
    busy: int
    limited: int
    errors: int
    seconds: float
    throughput: float  # completed answers per second
    p50_ms: float
    p95_ms: float
    p99_ms: float
    error_samples: tuple[str, ...]


def questions() -> list[str]:
    texts = [json.loads(line)["text"] for line in QUESTIONS.read_text(encoding="utf-8").splitlines() if line.strip()]
    return texts + list(EXTRA_QUESTIONS)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def ensure_index(index_dir: Path) -> None:
    if (index_dir / "CURRENT").is_file():
        return
    print(f"Building the sample knowledge base into {index_dir} …", flush=True)
    subprocess.run([sys.executable, "-m", "assistant", "build", "--index", str(index_dir), "--json"],
                   check=True, stdout=subprocess.DEVNULL, env=server_env({}))


def server_env(overrides: dict[str, str]) -> dict[str, str]:
    """The server's environment: none of this shell's settings, but the same model export cache."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_") or k == "ASSISTANT_MODEL_CACHE_DIR"}
    return {**env, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", **overrides}


@contextmanager
def served(index_dir: Path, overrides: dict[str, str]):
    """`assistant serve` over the index on a free port, ready to answer: yields its base URL. Stopped
    with SIGTERM (the question log writes what is queued before the process ends), killed if stuck."""
    port = free_port()
    log_path = Path(tempfile.gettempdir()) / f"assistant-load-{port}.log"
    server = start_server(index_dir, port, log_path, overrides)
    try:
        wait_ready(server, f"http://127.0.0.1:{port}", log_path)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()


def start_server(index_dir: Path, port: int, log_path: Path, overrides: dict[str, str]) -> subprocess.Popen:
    log = open(log_path, "wb")  # noqa: SIM115 (closed with the process)
    command = [sys.executable, "-m", "assistant", "serve", "--index", str(index_dir), "--port", str(port)]
    return subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=server_env(overrides),
                            cwd=tempfile.gettempdir())


def wait_ready(server: subprocess.Popen, base: str, log_path: Path, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"assistant serve exited ({server.returncode}):\n{log_path.read_text()[-2000:]}")
        try:
            if httpx.get(f"{base}/api/health", timeout=2).status_code == 200:  # added last, after launch
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    sys.exit(f"assistant serve did not answer within {timeout:.0f} s:\n{log_path.read_text()[-2000:]}")


async def ask_json(http: httpx.AsyncClient, base: str, question: str) -> tuple[str, float, str]:
    """(outcome, seconds, detail) for one question through GET /api/search."""
    started = time.perf_counter()
    try:
        response = await http.get(f"{base}/api/search", params={"q": question, "k": 5})
        seconds = time.perf_counter() - started
        if response.status_code in (503, 429):
            return ("busy" if response.status_code == 503 else "limited"), seconds, response.json().get("error", "")
        body = response.json()
        if response.status_code in (200, 400) and "passages" in body:  # 400: refused with its reason, an answer too
            return "ok", seconds, ""
        return "error", seconds, f"HTTP {response.status_code}: {response.text[:120]}"
    except (httpx.HTTPError, ValueError) as exc:
        return "error", time.perf_counter() - started, f"{type(exc).__name__}: {str(exc)[:120]}"


async def ask_gradio(http: httpx.AsyncClient, base: str, question: str) -> tuple[str, float, str]:
    """(outcome, seconds, detail) for one question through Gradio's /search API."""
    outcome, seconds, detail, _ = await call(http, base, "search", [question, 5, []])
    return outcome, seconds, detail


async def call(http: httpx.AsyncClient, base: str, name: str, data: list) -> tuple[str, float, str, object]:
    """(outcome, seconds, detail, result) for one call of a named API endpoint."""
    started = time.perf_counter()
    try:
        joined = await http.post(f"{base}/gradio_api/call/{name}", json={"data": data})
        if joined.status_code == 503:
            return "busy", time.perf_counter() - started, joined.json().get("detail", ""), None
        joined.raise_for_status()
        event_id = joined.json()["event_id"]
        event = None
        async with http.stream("GET", f"{base}/gradio_api/call/{name}/{event_id}") as stream:
            async for line in stream.aiter_lines():
                if line.startswith("event:"):
                    event = line.split(":", 1)[1].strip()
                elif line.startswith("data:") and event in ("complete", "error"):
                    result = json.loads(line.split(":", 1)[1])
                    if event == "complete" and isinstance(result, list) and isinstance(result[0], dict):
                        return "ok", time.perf_counter() - started, "", result[0]
                    outcome = "limited" if "Too many questions" in str(result) else "error"  # the Door's rate limit
                    return outcome, time.perf_counter() - started, f"{event}: {str(result)[:120]}", None
        return "error", time.perf_counter() - started, "stream ended without an answer", None
    except (httpx.HTTPError, ValueError, KeyError) as exc:
        where = getattr(getattr(exc, "_request", None), "method", "")
        detail = f"{where} {type(exc).__name__}: {str(exc)[:120]}".strip()
        return "error", time.perf_counter() - started, detail, None


DOORS = {"gradio": ask_gradio, "json": ask_json}


async def run_level(base: str, door: str, clients: int, per_client: int, pool: list[str], time_limit: float) -> Level:
    results: list[tuple[str, float, str]] = []
    ask = DOORS[door]

    async def client(number: int) -> None:
        address = {"X-Forwarded-For": f"10.{number // 65536 % 256}.{number // 256 % 256}.{number % 256}"}
        async with httpx.AsyncClient(timeout=httpx.Timeout(time_limit), headers=address) as http:  # own connections
            for turn in range(per_client):
                results.append(await ask(http, base, pool[(number * 7 + turn * 13) % len(pool)]))

    seconds = await run_clients(client, clients, per_client, time_limit, results)
    return summarise(door, clients, results, seconds)


async def run_clients(client, clients: int, per_client: int, time_limit: float, results: list) -> float:
    """Run every client at once until done or the time limit; count what did not finish as errors.
    Returns the seconds it took."""
    started = time.perf_counter()
    tasks = [asyncio.create_task(client(n)) for n in range(clients)]
    _, pending = await asyncio.wait(tasks, timeout=time_limit)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    results += [("error", time_limit, "unfinished at the time limit")] * (clients * per_client - len(results))
    return time.perf_counter() - started


def summarise(door: str, clients: int, results: list[tuple[str, float, str]], seconds: float) -> Level:
    ok = sorted(latency for outcome, latency, _ in results if outcome == "ok")
    busy = sum(1 for outcome, _, _ in results if outcome == "busy")
    limited = sum(1 for outcome, _, _ in results if outcome == "limited")
    errors = [detail for outcome, _, detail in results if outcome == "error"]
    return Level(door=door, clients=clients, requests=len(results), ok=len(ok), busy=busy, limited=limited,
                 errors=len(errors),
                 seconds=round(seconds, 2), throughput=round(len(ok) / seconds, 1) if seconds else 0.0,
                 p50_ms=percentile(ok, 50), p95_ms=percentile(ok, 95), p99_ms=percentile(ok, 99),
                 error_samples=tuple(sorted(set(errors)))[:5])


def percentile(sorted_seconds: list[float], pct: float) -> float:
    if not sorted_seconds:
        return float("nan")
    if len(sorted_seconds) == 1:
        return round(sorted_seconds[0] * 1000, 1)
    cuts = statistics.quantiles(sorted_seconds, n=100, method="inclusive")
    return round(cuts[int(pct) - 1] * 1000, 1)


HEAD = (f"{'door':>6} {'clients':>7} {'requests':>8} {'ok':>5} {'busy':>5} {'429':>5} {'errors':>6} {'req/s':>6} "
        f"{'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7}")


def row(lv: Level) -> str:
    return (f"{lv.door:>6} {lv.clients:>7} {lv.requests:>8} {lv.ok:>5} {lv.busy:>5} {lv.limited:>5} {lv.errors:>6} "
            f"{lv.throughput:>6} {lv.p50_ms:>7} {lv.p95_ms:>7} {lv.p99_ms:>7}")


async def run_logged_level(base: str, clients: int, per_client: int, pool: list[str], time_limit: float,
                           feedback: bool) -> tuple[Level, dict]:
    """Like run_level; with `feedback`, each answer is rated through /feedback. Also returns the
    answer_ids received and the feedback acknowledged (to count against the store afterwards)."""
    results: list[tuple[str, float, str]] = []
    seen = {"answer_ids": 0, "feedback_ok": 0, "feedback_failed": 0}

    async def client(number: int) -> None:
        async with httpx.AsyncClient(timeout=httpx.Timeout(time_limit)) as http:
            for turn in range(per_client):
                outcome, seconds, detail, answer = await call(
                    http, base, "search", [pool[(number * 7 + turn * 13) % len(pool)], 5])
                results.append((outcome if answer is None or "passages" in answer else "error", seconds, detail))
                answer_id = (answer or {}).get("answer_id")
                seen["answer_ids"] += bool(answer_id)
                if feedback and answer_id:
                    rated, _, _, _ = await call(http, base, "feedback", [answer_id, turn % 3 != 0, f"client {number}"])
                    seen["feedback_ok" if rated == "ok" else "feedback_failed"] += 1

    seconds = await run_clients(client, clients, per_client, time_limit, results)
    return summarise("gradio", clients, results, seconds), seen


def logging_check(args, pool: list[str]) -> dict:
    """The same load with the question log off, on, and on with feedback after every answer; the
    store's rows are counted after the last run."""
    from assistant.analytics import open_store

    runs: dict[str, dict] = {}
    cost = request_path_cost()
    print(f"logging adds {cost} µs of CPU to a question in the request thread (QuestionLog.record)", flush=True)
    data_dir = Path(tempfile.mkdtemp(prefix="assistant-load-data-"))
    logged = {"ASSISTANT_LOG_QUESTIONS": "true", "ASSISTANT_DATA_DIR": str(data_dir)}
    plan = [("off", {"ASSISTANT_LOG_QUESTIONS": "false"}, False), ("on", logged, False)] * args.rounds
    for label, overrides, feedback in plan + [("on+feedback", logged, True)]:
        level, seen = serve_and_run(args, pool, overrides, feedback)
        run = runs.setdefault(label, {"levels": [], "answer_ids": 0, "feedback_ok": 0, "feedback_failed": 0})
        run["levels"].append(asdict(level))
        for key in seen:
            run[key] += seen[key]
        print(f"{label:<12} {row(level)}", flush=True)
    store = open_store(data_dir)
    try:
        counts = store.counts()
    finally:
        store.close()
    asked = runs["on"]["answer_ids"] + runs["on+feedback"]["answer_ids"]
    rated = runs["on+feedback"]["feedback_ok"]
    p95 = {label: statistics.median(level["p95_ms"] for level in run["levels"]) for label, run in runs.items()}
    summary = {"runs": runs, "rows": counts, "record_us": cost,
               "every_question_stored": counts["questions"] >= asked,  # > when a cancelled request was answered
               "every_acknowledged_feedback_stored": counts["feedback"] == rated,
               "median_p95_ms": p95,
               "p95_change_logging": round(p95["on"] / p95["off"] - 1, 3),
               "p95_change_logging_and_feedback": round(p95["on+feedback"] / p95["off"] - 1, 3)}
    print(f"rows: {counts['questions']} questions (answer_ids handed out: {asked}), {counts['feedback']} feedback "
          f"(acknowledged: {rated}, failed: {runs['on+feedback']['feedback_failed']}); /search p95 vs log off: "
          f"{100 * summary['p95_change_logging']:+.1f}% with the log on, "
          f"{100 * summary['p95_change_logging_and_feedback']:+.1f}% with the log on and feedback after every answer")
    return summary


def request_path_cost(calls: int = 5000) -> float:
    """CPU microseconds that logging adds to a question in the request thread: QuestionLog.record
    (masking, building the record, queueing it), timed in this process over a real SQLite store."""
    from assistant import Answer, Passage
    from assistant.analytics import QuestionLog, open_store

    data_dir = Path(tempfile.mkdtemp(prefix="assistant-record-"))
    passages = tuple(Passage(title=f"Article {n}", url=f"https://kb.example.org/a{n}#s", section="A › B",
                             text="…", highlight="", score=0.5, source_type="article", doc_id=f"a{n}.md")
                     for n in range(5))
    answer = Answer("How do I claim travel expenses? Mail me at jo@example.org or call 07700 900123", True, passages)
    log = QuestionLog(lambda: open_store(data_dir), max_pending=calls + 10)
    started = time.thread_time()  # CPU time of this thread: what a request thread spends, whatever the load
    for _ in range(calls):
        log.record(answer, "api", 0.02, "v1")
    cost = (time.thread_time() - started) / calls * 1e6
    log.close(timeout=60)
    return round(cost, 1)


def serve_and_run(args, pool: list[str], overrides: dict, feedback: bool) -> tuple[Level, dict]:
    with served(args.index, overrides) as base:
        _, warm = asyncio.run(run_logged_level(base, 2, 3, pool, 60, feedback))
        level, seen = asyncio.run(run_logged_level(base, args.clients[-1], args.questions, pool, args.time_limit,
                                                   feedback))
    return level, {k: seen[k] + warm[k] for k in seen}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--door", choices=["both", *DOORS], default="both",
                        help="gradio (/gradio_api/call/search), json (GET /api/search) or both (default)")
    parser.add_argument("--clients", type=int, nargs="+", default=[10, 50], help="concurrency levels, in order")
    parser.add_argument("--questions", type=int, default=20, help="questions each client asks (default 20)")
    parser.add_argument("--burst", type=int, default=150,
                        help="then this many clients asking one question at once, past the queue (0: skip)")
    parser.add_argument("--time-limit", type=float, default=120, help="seconds a level may run (default 120)")
    parser.add_argument("--index", type=Path, default=DEFAULT_INDEX, help="index to serve (built when missing)")
    parser.add_argument("--concurrency-limit", type=int, help="override the app's concurrency_limit")
    parser.add_argument("--max-queue", type=int, help="override the app's max_queue")
    parser.add_argument("--rate-limit", type=int, help="override the app's rate_limit_per_minute (0: none)")
    parser.add_argument("--logging-check", action="store_true",
                        help="compare /search with the question log off and on (with feedback), and count rows")
    parser.add_argument("--rounds", type=int, default=2,
                        help="--logging-check: off/on pairs, alternated (medians reported; default 2)")
    add_smoke(parser)
    args = parser.parse_args()
    if args.smoke:
        args.clients, args.questions, args.burst, args.time_limit, args.rounds = [2], 2, 0, 30, 1
        if args.index == DEFAULT_INDEX:  # the benches' cached sample index (built once), not a build of its own
            from bench.common import cached_assistant

            args.index = cached_assistant(None).settings.index.dir
    ensure_index(args.index)
    if args.logging_check:
        print("        " + HEAD, flush=True)
        summary = logging_check(args, questions())
        finish({"machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
                "questions_per_client": args.questions, **summary}, RESULTS.with_name("logging.json"), args.smoke)
        return
    overrides = {f"ASSISTANT_{name.upper()}": str(value) for name, value in
                 (("concurrency_limit", args.concurrency_limit), ("max_queue", args.max_queue),
                  ("rate_limit_per_minute", args.rate_limit)) if value is not None}
    with served(args.index, overrides) as base:
        pool = questions()
        doors = list(DOORS) if args.door == "both" else [args.door]
        levels = []
        print(HEAD, flush=True)
        for door in doors:
            asyncio.run(run_level(base, door, 2, 3, pool, 60))  # warm-up: first calls load lazy paths
            for clients in args.clients:
                levels.append(asyncio.run(run_level(base, door, clients, args.questions, pool, args.time_limit)))
                print(row(levels[-1]), flush=True)
            if args.burst:
                levels.append(asyncio.run(run_level(base, door, args.burst, 1, pool, args.time_limit)))
                print(row(levels[-1]) + "   (burst: one question each, all at once)", flush=True)
    for level in levels:
        for sample in level.error_samples:
            print(f"  {level.door}, {level.clients} clients, error: {sample}")
    finish({"machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
            "settings": {"questions_per_client": args.questions, "time_limit_s": args.time_limit, **overrides},
            "levels": [asdict(level) for level in levels]}, RESULTS, args.smoke)


if __name__ == "__main__":
    main()
