"""Embedding backends behind one protocol, built in one place.

    make_embedder(spec) -> Embedder     the only constructor the rest of the code calls
    Embedder                            protocol: name, variant, dimension, max_tokens, count_tokens, embed, embed_query
    EmbedderSpec                        model, variant (fp32|int8), backend (auto|onnx|torch), device, batch_size, cache_dir

Backends: ONNX Runtime with the Rust tokenizer (the default everywhere; imports no torch), and
sentence-transformers on PyTorch (`backend = "torch"`, and, with `backend = "auto"`, bulk embedding
on a CUDA GPU in fp16 when one is present and the variant is fp32).
"""

from __future__ import annotations

import importlib.util
import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from index.embedding.model_cache import default_cache_dir, model_folder, resolve_model
from index.embedding.protocol import BACKENDS, DEFAULT_MODEL, VARIANTS, Embedder, EmbedderSpec
from index.errors import ModelError

log = logging.getLogger(__name__)
GPU_MIN_TEXTS = 512  # below this, moving work to the GPU (and importing torch) does not pay


def make_embedder(spec: EmbedderSpec | None = None, **fields) -> Embedder:
    """The embedder the spec names (fields override it: make_embedder(model="…", variant="int8"))."""
    spec = spec or EmbedderSpec()
    if fields:
        spec = EmbedderSpec(**{**spec.__dict__, **fields})
    if spec.backend == "torch":
        if spec.variant != "fp32":
            raise ModelError(f"the torch backend has no {spec.variant} variant; set backend = \"onnx\"")
        from index.embedding.st_backend import SentenceTransformerEmbedder

        return SentenceTransformerEmbedder(spec.model, spec.device, spec.batch_size)
    onnx = _onnx(spec)
    if spec.backend == "auto" and spec.variant == "fp32" and spec.device != "cpu" and (
            spec.device == "cuda" or gpu_present()):
        return GpuForBulk(onnx, spec)
    return onnx


def _onnx(spec: EmbedderSpec):
    from index.embedding.export import ensure_export
    from index.embedding.onnx_backend import OnnxEmbedder

    paths = ensure_export(spec.model, spec.variant, spec.cache_dir)
    return OnnxEmbedder.from_folder(paths.folder, spec.model, spec.variant, spec.batch_size)


def gpu_present() -> bool:
    """An NVIDIA device and PyTorch are installed (checked without importing torch)."""
    return Path("/proc/driver/nvidia/version").exists() and importlib.util.find_spec("torch") is not None


class GpuForBulk:
    """ONNX on CPU for questions, token counts and small builds; large batches go to PyTorch on CUDA
    (fp16), loaded the first time one comes. Falls back to ONNX when CUDA turns out to be unusable."""

    bulk_size = 8192

    def __init__(self, onnx, spec: EmbedderSpec):
        self._onnx = onnx
        self._spec = spec
        self._gpu = None
        self._gpu_failed = False
        self.name, self.variant, self.dimension, self.max_tokens = onnx.name, onnx.variant, onnx.dimension, onnx.max_tokens

    backend = property(lambda self: self._gpu.backend if self._gpu else self._onnx.backend)
    max_seq_length = property(lambda self: self.max_tokens)

    def count_tokens(self, text: str) -> int:
        return self._onnx.count_tokens(text)

    def embed(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        if len(texts) >= GPU_MIN_TEXTS and self._cuda():
            return self._gpu.embed(texts, progress)
        return self._onnx.embed(texts, progress)

    def embed_query(self, text: str) -> np.ndarray:
        return self._onnx.embed_query(text)

    def _cuda(self) -> bool:
        if self._gpu is None and not self._gpu_failed:
            try:
                import torch

                if not torch.cuda.is_available():
                    raise RuntimeError("torch.cuda.is_available() is False")
                from index.embedding.st_backend import SentenceTransformerEmbedder

                self._gpu = SentenceTransformerEmbedder(self._spec.model, "cuda", self._spec.batch_size)
            except Exception as exc:  # noqa: BLE001 — any CUDA trouble: stay on the CPU backend
                log.warning("GPU embedding unavailable (%s); using ONNX Runtime on CPU", exc)
                self._gpu_failed = True
        return self._gpu is not None


__all__ = ["BACKENDS", "DEFAULT_MODEL", "VARIANTS", "Embedder", "EmbedderSpec", "GpuForBulk", "default_cache_dir",
           "gpu_present", "make_embedder", "model_folder", "resolve_model"]
