"""Embeddings on OpenVINO from the same ONNX export, with the model's Rust tokenizer: the fast CPU backend.

OpenVINO runs the graph in bfloat16 on CPUs that have AMX or AVX-512 BF16 (Sapphire Rapids and later,
Zen 4 and later), and in float32 on every other CPU. Its embeddings still equal PyTorch's fp32 ones
(cosine ≥ 0.9999, checked once per export before it is used, and by the test suite), so it serves the
fp32 variant — like fp16 on CUDA — at about four times the speed of ONNX Runtime fp32 on an AMX CPU.

    ensure_openvino(paths) -> Path | None    the export converted to OpenVINO IR once (cached beside it),
                                             None when OpenVINO is missing or its output does not match
    OpenVinoEmbedder.from_folder(...)        questions on one thread (latency); bulk on every core in
                                             parallel streams of small batches (throughput)

The questions' model is compiled through OpenVINO's model cache (`openvino-cache/` beside the IR: one
blob of about 90 MB per OpenVINO version, CPU and setting), so a start reads the compiled model
(0.1 CPU-s measured) instead of reading and compiling the IR (0.27 CPU-s). An unwritable cache folder
only means compiling each time, as OpenVINO does without one.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
from pathlib import Path

import numpy as np

from index.embedding.model_cache import ExportPaths
from index.embedding.tokenized import TokenizedEmbedder, load_tokenizer
from index.errors import ModelError

log = logging.getLogger(__name__)
IR = "model.openvino.xml"  # + model.openvino.bin
CACHE = "openvino-cache"  # OpenVINO's compiled-model cache, beside the IR
CHECK = "openvino.json"  # {"ok", "precision", "cosine"} of the one-off check against ONNX Runtime fp32
BULK_TOKENS = 2048  # padded tokens per request in bulk: with AMX, small batches in parallel streams beat big ones
BULK_ROWS = 64  # and at most this many texts (short sentences)
CHECK_TEXTS = ("How do I set up a PMO?", "a", "Portfolio governance " * 120, "如何建立项目管理办公室 🚀")


def available() -> bool:
    import importlib.util

    return importlib.util.find_spec("openvino") is not None


def precision(core) -> str:
    """bf16 where the CPU computes it natively, else f32 (never f16, OpenVINO's default on ARM)."""
    return "bf16" if "BF16" in core.get_property("CPU", "OPTIMIZATION_CAPABILITIES") else "f32"


def ensure_openvino(paths: ExportPaths) -> Path | None:
    """The fp32 export as OpenVINO IR, converted and checked against ONNX Runtime once; None when it failed."""
    check = paths.folder / CHECK
    try:
        if not check.is_file():  # once per export (a read-only cache made elsewhere is never locked)
            from filelock import FileLock

            with FileLock(str(paths.folder) + ".lock"):
                if not check.is_file():
                    check.write_text(json.dumps(_convert_and_check(paths)), encoding="utf-8")
        verdict = json.loads(check.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:  # a read-only cache without the conversion, a damaged check file
        log.warning("cannot use OpenVINO's copy of %s (%s); using ONNX Runtime", paths.folder, exc)
        return None
    return paths.folder / IR if verdict.get("ok") else None


def _convert_and_check(paths: ExportPaths) -> dict:
    from index.embedding.onnx_backend import OnnxEmbedder

    try:
        import openvino as ov

        ov.save_model(ov.Core().read_model(str(paths.onnx("fp32"))), str(paths.folder / IR), compress_to_fp16=False)
        candidate = OpenVinoEmbedder.from_folder(paths.folder, "check")
        reference = OnnxEmbedder.from_folder(paths.folder, "check", threads=1)
        cosine = float(np.min(np.sum(candidate.embed(CHECK_TEXTS) * reference.embed(CHECK_TEXTS), axis=1)))
    except Exception as exc:  # noqa: BLE001 — any failure: ONNX Runtime serves the model instead
        log.warning("OpenVINO cannot run %s (%s); using ONNX Runtime", paths.folder, exc)
        return {"ok": False, "error": str(exc)[:300]}
    if cosine < 0.9999:
        log.warning("OpenVINO's %s output differs from fp32 (cosine %.5f); using ONNX Runtime", candidate.precision,
                    cosine)
    return {"ok": cosine >= 0.9999, "precision": candidate.precision, "cosine": round(cosine, 6)}


class OpenVinoEmbedder(TokenizedEmbedder):
    """A question (up to `few` texts) runs on a one-thread compiled model from a pool of requests (a
    server answers several at once, each on its own core); bulk embedding compiles a throughput model
    on first use (one stream per core, or `bulk_threads` threads) and keeps every stream busy
    with batches of about BULK_TOKENS tokens."""

    few = 64  # a question, or the few dozen sentences an answer's highlighting embeds: the one-thread model

    def __init__(self, core, ir: Path, tokenizer, meta: dict, name: str, variant: str = "fp32", batch_size: int = 32,
                 bulk_threads: int = 0):
        super().__init__(tokenizer, meta, name, variant, batch_size)
        self.precision = precision(core)
        self.backend = f"openvino-{self.precision}"
        self.exact = self.precision == "f32"
        self._core, self._ir = core, Path(ir)
        self._config = {"INFERENCE_PRECISION_HINT": self.precision}
        self._query = core.compile_model(str(self._ir), "CPU", {
            **self._config, "PERFORMANCE_HINT": "LATENCY", "INFERENCE_NUM_THREADS": 1,
            "CACHE_DIR": str(self._ir.parent / CACHE)})
        self._requests: queue.SimpleQueue = queue.SimpleQueue()
        self._bulk = None
        self._bulk_threads = bulk_threads  # 0: OpenVINO's own choice (every core)
        self._bulk_lock = threading.Lock()

    @classmethod
    def from_folder(cls, folder: Path, name: str, variant: str = "fp32", batch_size: int = 32,
                    meta: dict | None = None, bulk_threads: int = 0) -> OpenVinoEmbedder:
        if variant != "fp32":
            raise ModelError(f"OpenVINO runs the fp32 variant only, not {variant}; set backend = \"onnx\"")
        import openvino as ov

        paths = ExportPaths(Path(folder))
        meta = meta or paths.read_meta()
        return cls(ov.Core(), paths.folder / IR, load_tokenizer(paths, int(meta["max_seq_length"])), meta, name,
                   variant, batch_size, bulk_threads)

    def _batches(self, order: np.ndarray, lengths: np.ndarray, few: bool) -> list[np.ndarray]:
        """Bulk: as many texts as fit BULK_TOKENS padded tokens (at most BULK_ROWS), so long chunks go
        about eight at a time and short sentences many more; few: `batch_size` each."""
        if few:
            return super()._batches(order, lengths, few)
        batches, start = [], 0
        while start < len(order):
            end = start + 1
            while (end < len(order) and end - start < BULK_ROWS
                   and (end + 1 - start) * lengths[order[end]] <= BULK_TOKENS):  # padded to its longest, the last
                end += 1
            batches.append(order[start:end])
            start = end
        return batches

    def _run_batches(self, batches, out: np.ndarray, few: bool) -> None:
        if few:
            self._run_one_by_one(batches, out)
            return
        with self._bulk_lock:
            requests = self._bulk_queue()
            requests.set_callback(lambda request, rows: out.__setitem__(rows, request.get_output_tensor(0).data))
            for rows, feeds in batches:
                requests.start_async(feeds, rows)
            requests.wait_all()

    def _run_one_by_one(self, batches, out: np.ndarray) -> None:
        try:
            request = self._requests.get_nowait()
        except queue.Empty:
            request = self._query.create_infer_request()
        try:
            for rows, feeds in batches:
                out[rows] = request.infer(feeds)[0]
        finally:
            self._requests.put(request)

    def _bulk_queue(self):
        if self._bulk is None:
            import openvino as ov

            config = {**self._config, "PERFORMANCE_HINT": "THROUGHPUT"}
            if self._bulk_threads:
                config["INFERENCE_NUM_THREADS"] = self._bulk_threads
            compiled = self._core.compile_model(str(self._ir), "CPU", config)  # not cached: builds only
            self._bulk = ov.AsyncInferQueue(compiled, int(compiled.get_property("OPTIMAL_NUMBER_OF_INFER_REQUESTS")))
        return self._bulk
