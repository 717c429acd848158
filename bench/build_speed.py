"""Build cost and size on a help-centre-sized corpus: this checkout against another commit, in one run.

Corpus (from ../shared/eval; skipped with a message when absent): SciFact's 5,183 abstracts as Markdown
articles, each again in `--editions` − 1 more editions with 15% of its words swapped for other words of
the corpus (fixed seed, so no sentence repeats: a build embeds a repeated sentence once), and
StackFAQ's 719 answers; with the default three editions about 35,000 chunks.

Each full build is an `assistant build --json` subprocess, timed from command start to the published
index: wall seconds, its own CPU seconds and peak resident memory (wait4's rusage), encoder inputs per
chunk (chunks plus the sentences embedded for the answer highlights), disk per 1,000 chunks. Beside
them, the CPU of embedding the same chunks once (a subprocess that loads the model and embeds every
chunk's text as a build does, and nothing else): build CPU ÷ embedding CPU is what a build costs on top
of embedding. `--against REF` runs the same build with the code of REF (a temporary git worktree) in the
same run. Then a one-article incremental build, the same with `assistant serve` running (it hands the
build over), and inside a process that holds the model. Writes bench/results/build_speed.json.

    python bench/build_speed.py [--editions 3] [--against REF] [--torch] [--smoke]

--torch: also a full build with plain sentence-transformers on PyTorch (`ASSISTANT_BACKEND=torch`).
--smoke: 20 SciFact documents, one edition, nothing against, no server.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, SHARED_EVAL, add_smoke, finish  # noqa: E402

SWAP = 0.15


def write_corpus(folder: Path, editions: int, limit: int | None = None) -> int:
    """SciFact abstracts (each in `editions` editions) and StackFAQ answers as Markdown; returns the count."""
    rows = [json.loads(line) for line in (SHARED_EVAL / "scifact" / "corpus.jsonl").read_text().splitlines()]
    rows = rows[:limit] if limit else rows
    vocabulary = sorted({w for r in rows[:2000] for w in r["text"].split() if w.isalpha() and len(w) > 3})
    rng = random.Random(30)
    count = 0
    for edition in range(editions):
        for row in rows:
            text = row["text"] if edition == 0 else swapped(row["text"], vocabulary, rng)
            article(folder / f"e{edition}" / f"doc-{row['_id']}.md", row["title"], f"{row['_id']}-{edition}", text)
            count += 1
    faq = SHARED_EVAL / "stackfaq" / "answer_level" / "corpus.jsonl"
    if faq.is_file() and not limit:
        for line in faq.read_text().splitlines():
            row = json.loads(line)
            article(folder / "faq" / f"{re.sub(r'[^A-Za-z0-9_-]', '_', row['_id'])}.md", row["title"] or row["_id"],
                    f"faq-{row['_id']}", row["text"])
            count += 1
    return count


def swapped(text: str, vocabulary: list[str], rng: random.Random) -> str:
    return " ".join(rng.choice(vocabulary) if word.isalpha() and rng.random() < SWAP else word
                    for word in text.split())


def article(path: Path, title: str, slug: str, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    title = " ".join(title.replace('"', "'").split())
    path.write_text(f'---\ntitle: "{title}"\nurl: https://kb.example.org/{slug}/\n---\n\n## Abstract\n{text}\n')


def run_measured(command: list[str], env: dict, cwd: Path | None = None) -> tuple[float, float, float, str]:
    """(wall s, CPU s, peak RSS MB, stdout) of one subprocess, from its own rusage (wait4)."""
    started = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        child = subprocess.Popen(command, stdout=out, stderr=err, env={**os.environ, "HF_HUB_OFFLINE": "1", **env},
                                 cwd=cwd)
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - started
        out.seek(0), err.seek(0)
        stdout, stderr = out.read(), err.read()
    if child.returncode:
        raise SystemExit(f"{' '.join(command[:4])} failed:\n{stderr[-3000:]}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, stdout


def timed_build(content: Path, index: Path, code: Path, **env: str) -> dict:
    wall, cpu, rss, out = run_measured([sys.executable, "-m", "assistant", "build", str(content), "--index",
                                        str(index), "--json"], {"PYTHONPATH": str(code), **env}, cwd=code)
    report = json.loads(out)
    return {"wall_s": round(wall, 1), "cpu_s": round(cpu, 1), "peak_rss_mb": round(rss), "chunks": report["chunks"],
            "chunks_embedded": report["chunks_embedded"], "encoder_inputs": report.get("encoder_inputs"),
            "bytes": du(index), "load_average": round(os.getloadavg()[0], 1), "report": report}


def du(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


EMBED_ONCE = """
import json, resource, sys, time
from pathlib import Path
from assistant.build.run import chunk_settings
from assistant.config import Settings
from assistant.answer.embedders import open_embedder
from corpus import chunk_document, load_folder
from corpus.sentences import answer_units, unit_text
from index.build import embed_texts

embedder = open_embedder(Settings())
chunks = [c for d in load_folder(Path(sys.argv[1])).documents
          for c in chunk_document(d, embedder.count_tokens, chunk_settings(Settings(), embedder))]
units = {unit_text(u) for c in chunks for u in answer_units(c)}
cpu = lambda: sum(resource.getrusage(resource.RUSAGE_SELF)[:2])
before, started = cpu(), time.perf_counter()
embed_texts(embedder, [c.embed_text for c in chunks])
print(json.dumps({"chunks": len(chunks), "distinct_sentences": len(units), "embed_cpu_s": round(cpu() - before, 1),
                  "embed_wall_s": round(time.perf_counter() - started, 1), "backend": embedder.backend}))
"""


def embed_once(content: Path) -> dict:
    wall, cpu, rss, out = run_measured([sys.executable, "-c", EMBED_ONCE, str(content)], {"PYTHONPATH": str(ROOT)})
    return {**json.loads(out.strip().splitlines()[-1]), "process_wall_s": round(wall, 1), "process_cpu_s": round(cpu, 1),
            "load_average": round(os.getloadavg()[0], 1)}


def cpu_name() -> dict:
    """The CPU and the instructions that change embedding speed by about 2x."""
    info = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").is_file() else ""
    model = next((line.split(":", 1)[1].strip() for line in info.splitlines() if line.startswith("model name")), "?")
    flags = set(next((line.split(":", 1)[1].split() for line in info.splitlines() if line.startswith("flags")), []))
    return {"model": model, "cores": os.cpu_count(), "amx": "amx_bf16" in flags or "amx_tile" in flags,
            "avx512_bf16": "avx512_bf16" in flags, "avx512_vnni": "avx512_vnni" in flags or "avx_vnni" in flags}


def worktree(ref: str, where: Path) -> Path:
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(where), ref], check=True,
                   capture_output=True)
    return where


def served_rebuild(content: Path, index: Path, edited: Path) -> dict:
    """The one-article build while `assistant serve` runs over the index: it hands the build over."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "assistant", "serve", "--index", str(index), "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              env={**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT)})
    try:
        deadline = time.monotonic() + 180
        while not (index / "serve.json").is_file() and time.monotonic() < deadline:
            time.sleep(0.2)
        edited.write_text(edited.read_text() + "\nA sentence added while the server runs.\n")
        return timed_build(content, index, ROOT)
    finally:
        server.terminate()
        server.wait(timeout=30)


def warm_rebuild(content: Path, index: Path, edited: Path) -> float:
    """The one-article rebuild inside a process that holds the model (`build --watch`, the admin panel)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from assistant.answer.embedders import open_embedder
    from assistant.build.run import run_build
    from assistant.config import Settings

    embedder = open_embedder(Settings())
    edited.write_text(edited.read_text() + "\nA second added sentence about effect sizes.\n")
    started = time.perf_counter()
    run_build(Settings(content_dir=content, index_dir=index), show_progress=False, embedder=embedder)
    return time.perf_counter() - started


def row(name: str, build: dict, once: dict) -> dict:
    inputs = build["encoder_inputs"] or build["chunks_embedded"] + once["distinct_sentences"]  # older code: a pass
    out = {"build": name, **{k: v for k, v in build.items() if k != "report"},
           "cpu_per_1000_chunks_s": round(1000 * build["cpu_s"] / build["chunks_embedded"], 1),
           "build_cpu_over_embedding_cpu": round(build["cpu_s"] / once["embed_cpu_s"], 2),
           "encoder_inputs_per_chunk": round(inputs / build["chunks_embedded"], 2),
           "mb_per_1000_chunks": round(build["bytes"] / 1e6 / build["chunks"] * 1000, 2)}
    print(f"{name:<28} {build['wall_s']:7.1f} s wall  {build['cpu_s']:7.1f} CPU-s  "
          f"{out['build_cpu_over_embedding_cpu']:5.2f}x embedding  {out['encoder_inputs_per_chunk']:5.2f} inputs/chunk  "
          f"{out['mb_per_1000_chunks']:5.2f} MB/1000 chunks  {build['bytes'] / 1e6:7.1f} MB  "
          f"peak RSS {build['peak_rss_mb']} MB  (load {build['load_average']})", flush=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--editions", type=int, default=3, help="editions of each SciFact abstract (1: as published)")
    parser.add_argument("--against", help="a git ref whose code builds the same corpus in the same run (today's main)")
    parser.add_argument("--torch", action="store_true", help="also a full build with sentence-transformers on PyTorch")
    add_smoke(parser)
    args = parser.parse_args()
    if not (SHARED_EVAL / "scifact" / "corpus.jsonl").is_file():
        print(f"build_speed: {SHARED_EVAL / 'scifact'} not found; skipped")
        finish({"skipped": f"{SHARED_EVAL / 'scifact'} not found"}, None, args.smoke)
        return
    with tempfile.TemporaryDirectory() as tmp:
        result = measure(Path(tmp), args)
    finish(result, ROOT / "bench" / "results" / "build_speed.json", args.smoke)


def measure(tmp: Path, args) -> dict:
    content = tmp / "content"
    documents = write_corpus(content, 1 if args.smoke else args.editions, 20 if args.smoke else None)
    cpu = cpu_name()
    print(f"CPU: {cpu['model']}, {cpu['cores']} cores; AMX {'yes' if cpu['amx'] else 'no'}, AVX-512 BF16 "
          f"{'yes' if cpu['avx512_bf16'] else 'no'}, VNNI {'yes' if cpu['avx512_vnni'] else 'no'}; {documents} documents; "
          f"load average {os.getloadavg()[0]:.1f}", flush=True)
    builds = {}
    if args.against:
        base = worktree(args.against, tmp / "against")
        builds[f"full build, {args.against}"] = timed_build(content, tmp / "index-against", base)
    builds["full build, this checkout"] = timed_build(content, tmp / "index", ROOT)
    if args.torch:
        builds["full build, PyTorch"] = timed_build(content, tmp / "index-torch", ROOT, ASSISTANT_BACKEND="torch")
    once = embed_once(content)
    print(f"embedding the {once['chunks']} chunks once: {once['embed_cpu_s']} CPU-s ({once['embed_wall_s']} s wall, "
          f"{once['backend']}); {once['distinct_sentences']} distinct sentences", flush=True)
    rows = [row(name, build, once) for name, build in builds.items()]
    edited = sorted((content / "e0").iterdir())[7]
    edited.write_text(edited.read_text() + "\nAn added sentence about replication in a follow-up study.\n")
    incremental = timed_build(content, tmp / "index", ROOT)
    print(f"incremental build, one article: {incremental['wall_s']} s wall, {incremental['cpu_s']} CPU-s "
          f"({incremental['chunks_embedded']} chunks embedded)", flush=True)
    served = {"wall_s": 0.0} if args.smoke else served_rebuild(content, tmp / "index", edited)
    print(f"incremental build, `assistant serve` running: {served['wall_s']} s", flush=True)
    warm = warm_rebuild(content, tmp / "index", edited)
    print(f"incremental, model already loaded (watch mode, admin panel): {warm:.2f} s", flush=True)
    if args.against:
        subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tmp / "against")],
                       capture_output=True)
    return {"cpu": cpu, "documents": documents, "editions": 1 if args.smoke else args.editions, "embed_once": once,
            "builds": rows, "incremental": {k: v for k, v in incremental.items() if k != "report"},
            "incremental_with_server_s": served["wall_s"], "incremental_warm_s": round(warm, 2)}


if __name__ == "__main__":
    main()
