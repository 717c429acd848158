"""Scale benchmark: a synthetic knowledge base of N chunks through write → publish → load → ask.

    .venv/bin/python bench/scale.py --chunks 100000
    .venv/bin/python bench/scale.py --chunks 100000 --no-sentence-vectors
    .venv/bin/python bench/scale.py --chunks 1000000 --json
    .venv/bin/python bench/scale.py --smoke          # seconds: every stage at 2,000 chunks, prints the JSON

Texts: 60-word windows of SciFact abstracts (../shared/eval/scifact; the bundled sample knowledge
base when it is missing), each chunk a window with 15% of its words swapped for random words of the
same vocabulary (fixed seed); ten chunks a document. Vectors: the windows embedded once with the
real model (cached in .assistant/bench), each chunk's vector its window's plus Gaussian noise
(σ = 0.03 a component, cosine ≈ 0.87 to the window), renormalised. Queries: six words of a window
as text, the window's vector plus fresh noise as the query vector, passed in so no model time counts.
Sentence vectors, as a build with `sentence_vectors = true` (the default) writes them: one int8
vector (with its scale) per answer unit that `answer_units` finds in each chunk, its chunk's vector plus noise
(σ = 0.05). Without them (--no-sentence-vectors) every question embeds the shown passages' sentences.

Stages, each timed: write + publish (one segment, the IVF index and its recall tuning, checksums,
fsync, the load-back check, CURRENT); a one-article change through the real `build_index` (the
model chunks and embeds the new article; old rows get deletion marks in a new version); then a fresh
process (as `assistant serve` starts) loads the published version and answers hybrid questions:
load seconds, p50/p95/p99 of `Assistant.ask` end to end, its peak RSS (the model included), and
dense recall@10 against exact search. Prints a table (or --json) and writes bench/results/scale-N.json.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import subprocess
import sys
import time
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.answer.embedders import open_embedder  # noqa: E402
from assistant.config import load_settings  # noqa: E402
from bench import scale_milvus  # noqa: E402
from corpus import Chunk, ChunkSettings, Document, LoadResult, Segment  # noqa: E402
from corpus.sentences import answer_units  # noqa: E402
from index import AnnSettings, BuildOptions, Embedder, build_index, load_index  # noqa: E402
from index.commit import Change, Policy, commit_version  # noqa: E402
from index.manifest import DocumentEntry, Manifest, library_versions  # noqa: E402
from index.store import publish  # noqa: E402

SCIFACT = ROOT.parent / "shared" / "eval" / "scifact"
CACHE = ROOT / ".assistant" / "bench"
WORDS, BASES, PER_DOC, SWAP, SIGMA, UNIT_SIGMA = 60, 4000, 10, 0.15, 0.03, 0.05
SMOKE = {"chunks": 2000, "queries": 30, "ann_threshold": 1000, "bases": 200}  # --smoke: seconds, every code path


def base_passages(eval_dir: Path, bases: int = BASES) -> list[tuple[str, str]]:
    """(title, 60-word text) windows of SciFact abstracts, or of the sample knowledge base."""
    out = []
    corpus = eval_dir / "corpus.jsonl"
    if corpus.is_file():
        for line in corpus.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            words = record["text"].split()
            out += [(record["title"], " ".join(words[i:i + WORDS])) for i in range(0, len(words) - WORDS // 2, WORDS)]
            if len(out) >= bases:
                break
    else:
        from assistant.config import SAMPLE_CONTENT
        for path in sorted(SAMPLE_CONTENT.rglob("*.md")):
            words = path.read_text(encoding="utf-8").split()
            out += [(path.stem, " ".join(words[i:i + WORDS])) for i in range(0, len(words), WORDS)]
    return out[:bases]


def base_vector_file(passages) -> Path:
    digest = hashlib.sha256("\n".join(x for _, x in passages).encode()).hexdigest()[:12]
    return CACHE / f"scale-base-{len(passages)}-{digest}.npy"


def base_vectors(passages, embedder: Embedder) -> np.ndarray:
    CACHE.mkdir(parents=True, exist_ok=True)
    path = base_vector_file(passages)
    if not path.is_file():
        np.save(path, embedder.embed([f"{t}\n\n{x}" for t, x in passages]))
    return np.load(path)


def noisy(vectors: np.ndarray, rng: np.random.Generator, sigma: float = SIGMA) -> np.ndarray:
    """Each vector plus N(0, sigma²) a component, renormalised (in place, in blocks: float32 throughout)."""
    out = np.ascontiguousarray(vectors, dtype=np.float32)
    for start in range(0, len(out), 100_000):
        block = out[start:start + 100_000]
        block += sigma * rng.standard_normal(block.shape, dtype=np.float32)
        block /= np.linalg.norm(block, axis=1, keepdims=True)
    return out


def synthesize(n: int, passages, vectors: np.ndarray, seed: int = 14):
    """N chunks (ten a document), their vectors, and the documents' manifest entries."""
    rng = np.random.default_rng(seed)
    vocab = sorted({w for _, text in passages for w in text.split()})
    word_id = {w: i for i, w in enumerate(vocab)}
    ids = np.array([[word_id[w] for w in (text.split() * WORDS)[:WORDS]] for _, text in passages], np.int32)
    vocab = np.array(vocab, dtype=object)
    which = rng.integers(0, len(passages), n)
    chunks, entries = [], {}
    for start in range(0, n, 100_000):
        part = ids[which[start:start + 100_000]]
        swap = rng.random(part.shape) < SWAP
        part[swap] = rng.integers(0, len(vocab), int(swap.sum()))
        for offset, row in enumerate(part):
            i = start + offset
            doc, title = f"kb/{i // PER_DOC:07d}.md", passages[which[i]][0]
            text = " ".join(vocab[row].tolist())
            chunks.append(Chunk(f"{doc}#{i % PER_DOC}", doc, title, f"https://kb.example.org/{doc}", "article",
                                (f"Part {i % PER_DOC + 1}",), text, f"{title} › Part {i % PER_DOC + 1}\n\n{text}",
                                f"part-{i % PER_DOC + 1}"))
            entries.setdefault(doc, DocumentEntry(f"hash-{doc}", title, f"https://kb.example.org/{doc}", "article", 0))
    entries = {d: replace(e, chunks=min(PER_DOC, n - int(d[3:10]) * PER_DOC)) for d, e in entries.items()}
    chunk_vectors = noisy(vectors[which], rng)
    return chunks, chunk_vectors, unit_vectors(chunks, chunk_vectors, rng), entries


def unit_vectors(chunks: list[Chunk], vectors: np.ndarray, rng: np.random.Generator) -> list[np.ndarray]:
    """What a build with `sentence_vectors` stores: a float16 vector per answer unit (sentence) of each
    chunk, as many as `answer_units` finds in it; each its chunk's vector + N(0, UNIT_SIGMA²), renormalised."""
    counts = np.fromiter((len(answer_units(c)) for c in chunks), dtype=np.int64, count=len(chunks))
    out = []
    for start in range(0, len(chunks), 100_000):  # float32 for a block at a time: 4 sentences a chunk add up
        part = counts[start:start + 100_000]
        units = noisy(np.repeat(vectors[start:start + 100_000], part, axis=0), rng, UNIT_SIGMA).astype(np.float16)
        out += np.split(units, np.cumsum(part)[:-1])
    return out


def queries(passages, vectors: np.ndarray, count: int, seed: int = 41):
    rng = np.random.default_rng(seed)
    which = rng.integers(0, len(passages), count)
    texts = [" ".join(rng.choice(passages[j][1].split(), 6, replace=False).tolist()) for j in which]
    return texts, noisy(vectors[which], rng)


def write_and_publish(index_dir: Path, chunks, vectors, units, entries, embedder, chunker,
                      ann: AnnSettings) -> tuple[float, str]:
    """What build_index writes for a full build (units: None with `sentence_vectors = false`)."""
    started = time.perf_counter()
    manifest = Manifest(
        model=model_entry(embedder),
        chunker=chunker.as_dict(), documents=entries, chunks=0,
        built_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        content_dir=str((index_dir.parent / "content").resolve()), libraries=library_versions())
    name, _ = commit_version(index_dir, None, Change(frozenset(), chunks, vectors, units), manifest,
                             Policy(ann, sentence_vectors=units is not None))
    load_index(index_dir, embedder.name, version=name)  # the load-back check a build does
    publish(index_dir, name)
    return time.perf_counter() - started, name


def model_entry(embedder) -> dict:
    return {"name": embedder.name, "dimension": embedder.dimension, "max_seq_length": embedder.max_tokens,
            "variant": embedder.variant, "backend": embedder.backend}


CHANGED = "kb/0000005.md"


def changed_documents(entries) -> list[Document]:
    """Every document as indexed, document 5 rewritten (a new article about the lantern protocol)."""
    docs = [Document(d, e.title, e.url, e.source_type, (), e.content_hash) for d, e in entries.items()]
    text = ("The lantern protocol for portfolio triage: every proposal is scored by the portfolio board "
            "within five days, then ranked against strategic themes.")
    return [replace(d, segments=(Segment(text, ("Overview",), "overview"),), content_hash=f"hash-{time.time()}")
            if d.doc_id == CHANGED else d for d in docs]


def one_article_change(index_dir: Path, entries, embedder, chunker, ann: AnnSettings, sentence_vectors: bool):
    """Rewrite document 5 through build_index (plan, chunk, embed, segment + deletion marks, check, publish)."""
    docs = changed_documents(entries)
    started = time.perf_counter()
    report = build_index(index_dir.parent / "content", index_dir, embedder, chunker,
                         BuildOptions(ann=ann, sentence_vectors=sentence_vectors), loaded=LoadResult(tuple(docs), (), ()))
    return time.perf_counter() - started, report


def serve(index_dir: Path, query_file: Path, milvus: list[str] | None = None) -> dict:
    """In a fresh process: load as `assistant serve` does, answer every query, measure. `milvus`: the
    server's URI, collection and index type, to serve from there instead."""
    from assistant import Assistant, Settings

    data = np.load(query_file, allow_pickle=False)
    texts = json.loads((query_file.with_suffix(".json")).read_text())
    started = time.perf_counter()
    embedder = open_embedder(load_settings())
    model_s = time.perf_counter() - started
    started = time.perf_counter()
    settings = Settings(index_dir=index_dir) if not milvus else Settings(
        index_dir=index_dir, index_backend="milvus", milvus_uri=milvus[0], milvus_collection=milvus[1],
        milvus_index=milvus[2])
    assistant = Assistant(settings, embedder)
    load_s = time.perf_counter() - started
    vectors = data["vectors"]
    for text, vector in zip(texts[:5], vectors[:5]):  # warm-up
        assistant.ask(text, query_vector=vector)
    times = []
    for text, vector in zip(texts, vectors):
        started = time.perf_counter()
        assistant.ask(text, query_vector=vector)
        times.append((time.perf_counter() - started) * 1000)
    rss = peak_rss_mb()  # not ru_maxrss: Linux carries the parent's peak across fork and exec
    lantern = assistant.ask("lantern protocol portfolio triage", query_vector=embedder.embed_query(
        "lantern protocol for portfolio triage")).passages[0].doc_id
    return {"load_s": round(load_s, 2), "model_load_s": round(model_s, 2), "rss_serve_mb": round(rss),
            "p50_ms": round(float(np.percentile(times, 50)), 1), "p95_ms": round(float(np.percentile(times, 95)), 1),
            "p99_ms": round(float(np.percentile(times, 99)), 1), "queries": len(times),
            "recall_at_10": (scale_milvus.dense_recall if milvus else dense_recall)(assistant.index, vectors),
            "changed_article_found": lantern == CHANGED}


def peak_rss_mb() -> float:
    status = Path("/proc/self/status").read_text()
    return int(status.split("VmHWM:")[1].split()[0]) / 1024


def dense_recall(index, queries: np.ndarray) -> float:
    """search_dense's top 10 against brute force over every live stored vector."""
    best_rows, best_scores = [], []
    for segment, dead, offset in zip(index.segments, index.deleted, index.offsets):
        for start in range(0, segment.rows, 100_000):
            rows = np.arange(start, min(start + 100_000, segment.rows))
            scores = np.asarray(segment.vectors_of(rows) @ queries.T, np.float32)
            scores[np.intersect1d(dead, np.arange(start, start + len(scores))) - start] = -np.inf
            keep = min(10, len(scores))
            top = np.argpartition(-scores, keep - 1, axis=0)[:keep].T
            best_rows.append(top + start + int(offset))
            best_scores.append(np.take_along_axis(scores.T, top, axis=1))
    rows, scores = np.concatenate(best_rows, axis=1), np.concatenate(best_scores, axis=1)
    truth = np.take_along_axis(rows, np.argsort(-scores, axis=1)[:, :10], axis=1)
    hits = sum(len(set(t) & set(index.search_dense(q, 10)[0].tolist())) for t, q in zip(truth.tolist(), queries))
    return round(hits / (10 * len(queries)), 4)


def du(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def say(message: str) -> None:
    print(f"[{datetime.now().strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def run(args) -> dict:
    index_dir = Path(args.dir or CACHE / f"scale-{args.chunks}{'' if args.sentence_vectors else '-nosv'}") / "index"
    embedder = open_embedder(load_settings())
    out = result_path(args)
    if args.reuse and (index_dir / "CURRENT").is_file() and out.is_file():
        return {**json.loads(out.read_text()), **measure(args, index_dir, embedder, load_index(index_dir).manifest.documents)}
    if index_dir.exists():
        subprocess.run(["rm", "-rf", str(index_dir)], check=True)
    index_dir.mkdir(parents=True)
    chunker = ChunkSettings(embedder.max_tokens, 200, 32)
    passages = base_passages(eval_dir(args), args.bases)
    vectors = base_vectors(passages, embedder)
    say(f"generating {args.chunks} chunks")
    started = time.perf_counter()
    chunks, chunk_vectors, units, entries = synthesize(args.chunks, passages, vectors)
    generate_s = time.perf_counter() - started
    say("writing and publishing" + ("" if args.sentence_vectors else " (no sentence vectors)"))
    write_s, _ = write_and_publish(index_dir, chunks, chunk_vectors, units if args.sentence_vectors else None,
                                   entries, embedder, chunker, AnnSettings(threshold=args.ann_threshold))
    rss_write = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    local = {"chunks": args.chunks, "sentence_vectors": args.sentence_vectors, "dimension": embedder.dimension,
            "cores": os.cpu_count(),
            "vectors": f"{len(passages)} 60-word windows embedded with {embedder.name}, + N(0, {SIGMA}²) "
                       "a component, renormalised", "generate_s": round(generate_s, 1),
            "write_publish_s": round(write_s, 1), "rss_write_mb": round(rss_write), "bytes_on_disk": du(index_dir),
            **measure(args, index_dir, embedder, entries)}
    if args.backend != "milvus":
        return local
    milvus = run_milvus(args, index_dir.parent / "milvus", (chunks, chunk_vectors, units), entries, embedder, chunker)
    return {"local": local, "milvus": milvus}


def run_milvus(args, folder: Path, data, entries, embedder, chunker) -> dict:
    """The same chunks through the Milvus backend: write + publish, the one-article change, serving."""
    chunks, vectors, units = data
    with scale_milvus.server(args, folder / "server") as (target, data_dir):
        say(f"writing and publishing into Milvus at {target.shown_uri}")
        write_s = scale_milvus.write(target, chunks, vectors, units if args.sentence_vectors else None, entries,
                                     model_entry(embedder), chunker)
        footprint = scale_milvus.server_footprint(data_dir)
        say("one-article change (Milvus)")
        update_s, report = scale_milvus.change(target, changed_documents(entries), embedder, chunker,
                                               args.sentence_vectors, folder / "lock")
        say(f"published in {update_s:.1f} s; serving {args.queries} questions from Milvus in a fresh process")
        served = serve_child(args, folder / "lock", [target.uri, target.collection, target.index_type])
        return {"chunks": args.chunks, "sentence_vectors": args.sentence_vectors, "index": target.index_type,
                "write_publish_s": round(write_s, 1), "chunks_per_s": round(len(chunks) / write_s),
                **footprint, "one_article_publish_s": round(update_s, 1), "search": report.search,
                "load_average": round(os.getloadavg()[0], 1), **served,
                "milvus_rss_mb_after": scale_milvus.server_footprint(data_dir).get("milvus_rss_mb")}


def eval_dir(args) -> Path:
    return Path(args.eval_dir) / "scifact" if args.eval_dir else SCIFACT


def result_path(args) -> Path:
    name = f"scale-{'smoke' if args.smoke else args.chunks}{'' if args.sentence_vectors else '-nosv'}"
    return Path(args.results) / f"{name}{'-milvus' if args.backend == 'milvus' else ''}.json"


def measure(args, index_dir: Path, embedder, entries) -> dict:
    """The one-article change, then serving in a fresh process."""
    chunker = ChunkSettings(embedder.max_tokens, 200, 32)
    base_vectors(base_passages(eval_dir(args), args.bases), embedder)  # the questions are made from them
    say("one-article change")
    update_s, report = one_article_change(index_dir, entries, embedder, chunker,
                                          AnnSettings(threshold=args.ann_threshold), args.sentence_vectors)
    say(f"published in {update_s:.1f} s; serving {args.queries} questions in a fresh process")
    served = serve_child(args, index_dir)
    return {"one_article_publish_s": round(update_s, 1), "search": report.search, "segments": report.segments,
            "deleted": report.deleted, "load_average": round(os.getloadavg()[0], 1), **served}


def serve_child(args, index_dir: Path, milvus: list[str] | None = None) -> dict:
    """The questions (the same for every backend) answered by a fresh process."""
    passages = base_passages(eval_dir(args), args.bases)
    texts, query_vectors = queries(passages, np.load(base_vector_file(passages)), args.queries)
    query_file = index_dir.parent / f"queries-{args.queries}.npz"
    np.savez(query_file, vectors=query_vectors)
    query_file.with_suffix(".json").write_text(json.dumps(texts))
    command = [sys.executable, __file__, "--serve", str(index_dir), str(query_file)]
    child = subprocess.run(command + (["--serve-milvus", *milvus] if milvus else []), capture_output=True, text=True,
                           env={**os.environ, "HF_HUB_OFFLINE": "1"})
    if child.returncode:
        raise SystemExit(f"the serving process failed:\n{child.stderr[-3000:]}")
    return json.loads(child.stdout.strip().splitlines()[-1])


def arguments(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--bases", type=int, default=BASES, help="distinct windows the chunks are made from")
    parser.add_argument("--ann-threshold", type=int, default=AnnSettings().threshold)
    parser.add_argument("--smoke", action="store_true",
                        help=f"a run of seconds through every stage: {SMOKE['chunks']} chunks, {SMOKE['queries']} "
                             f"questions, IVF from {SMOKE['ann_threshold']} rows; prints the JSON")
    parser.add_argument("--no-sentence-vectors", dest="sentence_vectors", action="store_false",
                        help="write the index as `sentence_vectors = false` does (answers embed sentences per question)")
    parser.add_argument("--eval-dir", help="folder holding scifact/ (default ../shared/eval)")
    parser.add_argument("--dir", help="where the index is written (default .assistant/bench/scale-N)")
    parser.add_argument("--results", default=str(ROOT / "bench" / "results"), help="where the JSON is written")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--reuse", action="store_true",
                        help="keep the index a previous run wrote (and its write numbers); redo the change and serving")
    parser.add_argument("--backend", choices=("local", "milvus"), default="local",
                        help="milvus: the local backend, then the same measures through Milvus, side by side")
    parser.add_argument("--milvus-uri", help="a Milvus server to measure (default: a fresh milvus-lite on loopback)")
    parser.add_argument("--milvus-index", default="AUTOINDEX", help="the dense index Milvus builds (HNSW on a cluster)")
    parser.add_argument("--serve", nargs=2, metavar=("INDEX", "QUERIES"), help=argparse.SUPPRESS)
    parser.add_argument("--serve-milvus", nargs=3, metavar=("URI", "COLLECTION", "INDEX"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.smoke:
        args.chunks, args.queries, args.ann_threshold, args.bases = (SMOKE[k] for k in SMOKE)
        args.json = True
        args.dir = args.dir or str(CACHE / "scale-smoke")
    return args


def main() -> None:
    args = arguments()
    if args.serve:
        print(json.dumps(serve(Path(args.serve[0]), Path(args.serve[1]), args.serve_milvus)))
        return
    result = run(args)
    if not args.smoke:  # a smoke run writes no results file (as every bench's), it prints the JSON
        out = result_path(args)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(result, indent=2))
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(table(result))


def table(result: dict) -> str:
    """Plain aligned text: one column, or the backends side by side."""
    if "local" not in result:
        return "\n".join(f"{k:<22} {v}" for k, v in result.items())
    keys = list(dict.fromkeys([*result["local"], *result["milvus"]]))
    rows = [f"{'':<22} {'local':<28} milvus"] + [
        f"{k:<22} {str(result['local'].get(k, '')):<28} {result['milvus'].get(k, '')}" for k in keys]
    return "\n".join(rows)


if __name__ == "__main__":
    main()
