"""Embedding throughput (chunks/s) and query-encoding latency of every backend this machine can run.

Backends, each on the same texts in the same run:
    st-plain         plain sentence-transformers `encode` (fp32, batch 32): the reference and baseline
    openvino         OpenVINO on the CPU with the Rust tokenizer (the default backend): bf16 where the CPU
                     has AMX / AVX-512 BF16, else f32
    onnx-fp32        ONNX Runtime on the CPU with the Rust tokenizer (backend = "onnx")
    onnx-int8        the same, dynamically quantized to int8 (model_variant = "int8")
    torch-cuda-fp16  sentence-transformers' model on CUDA in fp16, large batches, tokenization in worker
                     threads overlapping the GPU (only when CUDA is available)

Needs only numpy, openvino, onnxruntime, tokenizers, torch and sentence-transformers plus this repo's
`index.embedding` (no FAISS, BM25, Gradio or ../shared): the texts are windows of the bundled sample
knowledge base's articles, 40–220 words each, like real chunks. Prints a table and writes
bench/results/embed_speed.json.

    .venv/bin/python bench/embed_speed.py --smoke   # seconds: the default backend on a few texts, prints the JSON

    python bench/embed_speed.py                                  # bundled model, 2,000 texts
    python bench/embed_speed.py --model /path/to/all-MiniLM-L6-v2 --texts 50000 --backends st-plain,torch-cuda-fp16
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import add_smoke, finish  # noqa: E402
from index.embedding import EmbedderSpec, make_embedder  # noqa: E402
from index.embedding.model_cache import model_folder  # noqa: E402

CONTENT = ROOT / "assistant" / "sample_kb" / "content"
BACKENDS = ("st-plain", "openvino", "onnx-fp32", "onnx-int8", "torch-cuda-fp16")
QUERIES = ("how do I set up a PMO?", "what goes in a weekly status report", "RACI for a programme board",
           "how to prioritise the project portfolio", "benefits realisation after go-live")


def texts(count: int) -> list[str]:
    words = " ".join(p.read_text(encoding="utf-8", errors="replace") for p in sorted(CONTENT.rglob("*"))
                     if p.is_file() and p.suffix in (".md", ".html", ".txt", ".vtt", ".srt")).split()
    out, start = [], 0
    for n in range(count):
        size = 40 + (n * 37) % 181
        start = (start + 97) % max(1, len(words) - size)
        out.append(" ".join(words[start:start + size]))
    return out


def plain_st(model: str, device: str | None):
    """Plain sentence-transformers, as the project embedded before: model.encode(batch_size=32)."""
    import torch
    from sentence_transformers import SentenceTransformer

    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    st = SentenceTransformer(str(model_folder(model)), device=device, local_files_only=True)

    class Plain:
        def embed(self, batch, progress=False):
            return st.encode(batch, batch_size=32, normalize_embeddings=True, convert_to_numpy=True)

        def embed_query(self, text):
            return self.embed([text])[0]

    return Plain(), f"sentence-transformers {device} fp32"


def make(backend: str, args):
    if backend == "st-plain":
        return plain_st(args.model, args.device)
    if backend == "torch-cuda-fp16":
        import torch

        if not torch.cuda.is_available():
            raise RuntimeError("no CUDA device")
        from index.embedding.st_backend import SentenceTransformerEmbedder

        embedder = SentenceTransformerEmbedder(args.model, "cuda", args.gpu_batch)
        return embedder, f"{torch.cuda.get_device_name(0)}, batch {embedder.batch_size}"
    kind, _, variant = backend.partition("-")
    spec = EmbedderSpec(model=args.model, variant=variant or "fp32", backend="onnx" if kind == "onnx" else "openvino",
                        batch_size=args.batch_size, cache_dir=args.cache_dir)
    embedder = make_embedder(spec)
    return embedder, f"CPU ({embedder.backend}), {os.cpu_count()} cores visible"


def measure(embedder, sample: list[str], repeats: int) -> dict:
    embedder.embed(sample[:100])  # warm-up: first-call allocations, the bulk session, CUDA kernels
    seconds, cpu = [], []
    for _ in range(repeats):
        started, used = time.perf_counter(), time.process_time()
        embedder.embed(sample)
        seconds.append(time.perf_counter() - started)
        cpu.append(time.process_time() - used)
    latencies = []
    for n in range(60):
        started = time.perf_counter()
        embedder.embed_query(QUERIES[n % len(QUERIES)])
        latencies.append((time.perf_counter() - started) * 1000)
    best = min(seconds)
    return {"texts": len(sample), "seconds": round(best, 3), "chunks_per_s": round(len(sample) / best, 1),
            "cpu_ms_per_chunk": round(min(cpu) / len(sample) * 1000, 2),  # steadier than wall on a shared host
            "query_p50_ms": round(statistics.median(latencies), 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="all-MiniLM-L6-v2", help="model folder, or the bundled model's name")
    parser.add_argument("--texts", type=int, default=2000, help="how many chunk-like texts to embed")
    parser.add_argument("--backends", default=",".join(BACKENDS))
    parser.add_argument("--device", help="device for st-plain (default: CUDA when available)")
    parser.add_argument("--batch-size", type=int, default=32, help="ONNX batch (OpenVINO bulk: about 2,048 tokens a batch)")
    parser.add_argument("--gpu-batch", type=int, default=1024, help="torch-cuda-fp16 batch")
    parser.add_argument("--repeats", type=int, default=1, help="timed passes per backend; the best is kept")
    parser.add_argument("--cache-dir", type=Path, help="ONNX export cache (default: a temporary folder)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "embed_speed.json")
    add_smoke(parser)
    args = parser.parse_args()
    if args.smoke:  # the default CPU backend on a few texts, with the export the app already made
        args.texts, args.backends = 16, "openvino"
        cached = os.environ.get("ASSISTANT_MODEL_CACHE_DIR")
        args.cache_dir = args.cache_dir or (Path(cached) if cached else None)
    temporary = None
    if args.cache_dir is None:
        temporary = tempfile.TemporaryDirectory(prefix="embed-speed-")
        args.cache_dir = Path(temporary.name)
    sample = texts(args.texts)
    print(f"{len(sample)} texts, model {args.model}, {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}", flush=True)
    print("| backend | where | chunks/s | × st-plain | CPU ms/chunk | × st-plain (CPU) | seconds | query p50 |\n"
          "|---|---|---|---|---|---|---|---|", flush=True)
    rows, baseline, baseline_cpu = [], None, None
    for backend in args.backends.split(","):
        try:
            started = time.perf_counter()
            embedder, where = make(backend, args)
            load_s = time.perf_counter() - started
            result = measure(embedder, sample, args.repeats)
        except Exception as exc:  # noqa: BLE001 — report and go on with the other backends
            print(f"| {backend} | unavailable: {type(exc).__name__}: {str(exc)[:150]} | | | | |", flush=True)
            continue
        if backend == "st-plain":
            baseline, baseline_cpu = result["chunks_per_s"], result["cpu_ms_per_chunk"]
        ratio = f"{result['chunks_per_s'] / baseline:.2f}×" if baseline else "–"
        cpu_ratio = f"{baseline_cpu / result['cpu_ms_per_chunk']:.2f}×" if baseline_cpu else "–"
        print(f"| {backend} | {where} | {result['chunks_per_s']:,.1f} | {ratio} | {result['cpu_ms_per_chunk']:.1f} | "
              f"{cpu_ratio} | {result['seconds']:.2f} | {result['query_p50_ms']:.1f} ms |", flush=True)
        rows.append({"backend": backend, "where": where, "load_seconds": round(load_s, 2), **result})
        del embedder
    finish({"model": args.model, "cpus": os.cpu_count(), "load_average": os.getloadavg(), "rows": rows}, args.out,
           args.smoke)
    if temporary:
        temporary.cleanup()


if __name__ == "__main__":
    main()
