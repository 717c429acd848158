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
from pathlib import Path

from index.embedding.model_cache import default_cache_dir, model_folder, resolve_model
from index.embedding.protocol import BACKENDS, DEFAULT_MODEL, VARIANTS, Embedder, EmbedderSpec
from index.errors import ModelError



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
        from index.embedding.router import GpuForBulk

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


__all__ = ["BACKENDS", "DEFAULT_MODEL", "VARIANTS", "Embedder", "EmbedderSpec", "default_cache_dir",
           "gpu_present", "make_embedder", "model_folder", "resolve_model"]
