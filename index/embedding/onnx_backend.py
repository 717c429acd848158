"""Embeddings from the ONNX export with onnxruntime and the model's own Rust `tokenizers` tokenizer.

No torch, no transformers, no sentence-transformers. The int8 variant always runs here; fp32 runs here
when `backend = "onnx"`, or with `auto` where OpenVINO is not installed (see openvino_backend.py).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from index.embedding.model_cache import ExportPaths
from index.embedding.tokenized import TokenizedEmbedder, load_tokenizer


class OnnxEmbedder(TokenizedEmbedder):
    """Questions (and calls of a few texts) run on a one-thread session: for a dozen tokens, waiting on a
    second thread costs more than it gives, and a server answers several questions at once. Bulk
    embedding gets a session on every core (`bulk_threads` to cap it), made on first use."""

    backend = "onnx"

    def __init__(self, session, tokenizer, meta: dict, name: str, variant: str, batch_size: int = 32,
                 model_path: Path | None = None, bulk_threads: int = 0):
        super().__init__(tokenizer, meta, name, variant, batch_size)
        self._session = session  # one thread
        self._bulk = None if model_path else session
        self._model_path = model_path
        self._bulk_threads = bulk_threads  # 0: every core

    @classmethod
    def from_folder(cls, folder: Path, name: str, variant: str = "fp32", batch_size: int = 32,
                    meta: dict | None = None, threads: int | None = None, bulk_threads: int = 0) -> OnnxEmbedder:
        paths = ExportPaths(Path(folder))
        meta = meta or paths.read_meta()
        tokenizer = load_tokenizer(paths, int(meta["max_seq_length"]))
        if threads:  # one session with exactly this many threads for everything
            return cls(_session(paths.onnx(variant), threads), tokenizer, meta, name, variant, batch_size)
        return cls(_session(paths.onnx(variant), 1), tokenizer, meta, name, variant, batch_size, paths.onnx(variant),
                   bulk_threads)

    def _run_batches(self, batches, out: np.ndarray, few: bool) -> None:
        session = self._session if few else self._bulk_session()
        for rows, feeds in batches:
            out[rows] = session.run(None, feeds)[0]

    def _bulk_session(self):
        if self._bulk is None:
            self._bulk = _session(self._model_path, self._bulk_threads)
        return self._bulk


def _session(model: Path, threads: int):
    """An onnxruntime CPU session; threads 0: one per core."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.intra_op_num_threads = threads
    options.log_severity_level = 3
    # No busy-waiting between ops: on a small shared host spinning threads steal the CPU from everyone.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
