"""Embeddings from the ONNX export with onnxruntime and the model's own Rust `tokenizers` tokenizer.

No torch, no transformers, no sentence-transformers: this is the query path's backend (a cold
`assistant ask` loads it in a fraction of a second). Texts are tokenized together, sorted by length
and batched, so each batch is padded only to its own longest text; longer texts are truncated to
the model's max_seq_length, as sentence-transformers does.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from index.embedding.model_cache import ExportPaths
from index.embedding.vectors import empty, normalised


class OnnxEmbedder:
    """Questions (and calls of a few texts) run on a one-thread session: for a dozen tokens, waiting on a
    second thread costs more than it gives, and a server answers several questions at once. Bulk
    embedding gets a session on every core (ASSISTANT_ONNX_THREADS to cap it), made on first use."""

    backend = "onnx"
    bulk_size = 512  # texts per embed() call that a build hands over (progress granularity)
    few = 8  # at most this many texts: the one-thread session

    def __init__(self, session, tokenizer, meta: dict, name: str, variant: str, batch_size: int = 32,
                 model_path: Path | None = None):
        self._session = session  # one thread
        self._bulk = None if model_path else session
        self._model_path = model_path
        self._tokenizer = tokenizer  # truncating, for embedding
        self._counter = None  # not truncating, for count_tokens; made on first use (questions never count)
        self._inputs = list(meta["inputs"])
        self._normalised = bool(meta.get("normalised"))
        self._pad = int(meta.get("pad_token_id", 0))
        self.name = name
        self.variant = variant
        self.batch_size = batch_size
        self.dimension = int(meta["dimension"])
        self.max_tokens = int(meta["max_seq_length"])

    @classmethod
    def from_folder(cls, folder: Path, name: str, variant: str = "fp32", batch_size: int = 32,
                    meta: dict | None = None, threads: int | None = None) -> OnnxEmbedder:
        from tokenizers import Tokenizer

        paths = ExportPaths(Path(folder))
        meta = meta or paths.read_meta()
        tokenizer = Tokenizer.from_file(str(paths.tokenizer))
        tokenizer.no_padding()
        tokenizer.enable_truncation(int(meta["max_seq_length"]))
        if threads:  # one session with exactly this many threads for everything
            return cls(_session(paths.onnx(variant), threads), tokenizer, meta, name, variant, batch_size)
        return cls(_session(paths.onnx(variant), 1), tokenizer, meta, name, variant, batch_size, paths.onnx(variant))

    @property
    def max_seq_length(self) -> int:
        return self.max_tokens

    def count_tokens(self, text: str) -> int:
        if self._counter is None:
            from tokenizers import Tokenizer

            counter = Tokenizer.from_str(self._tokenizer.to_str())
            counter.no_truncation()
            self._counter = counter
        return len(self._counter.encode(text, add_special_tokens=True).ids)

    def embed(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        if not len(texts):
            return empty(self.dimension)
        stripped = [text.strip() for text in texts]  # as sentence-transformers does before tokenizing
        encodings = self._tokenizer.encode_batch(stripped, add_special_tokens=True)
        order = np.argsort([len(e.ids) for e in encodings], kind="stable")
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        starts = range(0, len(order), self.batch_size)
        if progress:
            from tqdm import tqdm

            starts = tqdm(starts, desc="embedding", unit="batch")
        session = self._session if len(texts) <= self.few else self._bulk_session()
        for start in starts:
            rows = order[start:start + self.batch_size]
            out[rows] = self._run(session, [encodings[r] for r in rows])
        return out if self._normalised else normalised(out)

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed([text])[0]

    def _bulk_session(self):
        if self._bulk is None:
            self._bulk = _session(self._model_path, int(os.environ.get("ASSISTANT_ONNX_THREADS", 0) or 0))
        return self._bulk

    def _run(self, session, encodings) -> np.ndarray:
        width = max(len(e.ids) for e in encodings)
        feeds = {name: np.zeros((len(encodings), width), dtype=np.int64) for name in self._inputs}
        feeds["input_ids"].fill(self._pad)
        for row, encoding in enumerate(encodings):
            size = len(encoding.ids)
            feeds["input_ids"][row, :size] = encoding.ids
            feeds["attention_mask"][row, :size] = 1
            if "token_type_ids" in feeds:
                feeds["token_type_ids"][row, :size] = encoding.type_ids
        return session.run(None, feeds)[0]


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
