"""Embedding backends behind one protocol, built in one place.

    make_embedder(spec) -> Embedder     the only constructor the rest of the code calls
    Embedder                            protocol: name, variant, dimension, max_tokens, count_tokens, embed, embed_query
    EmbedderSpec                        model, variant (fp32|int8), backend (auto|openvino|onnx|torch), device, …

Backends, all behind the one protocol:
- OpenVINO with the Rust tokenizer (fp32 with `auto`: bf16 on CPUs with AMX/AVX-512 BF16, else f32;
  imports no torch). Falls back to ONNX Runtime when OpenVINO is missing or fails its one-off check.
- ONNX Runtime with the Rust tokenizer (`backend = "onnx"`, and the int8 variant; imports no torch).
- sentence-transformers on PyTorch (`backend = "torch"`, and, with `backend = "auto"`, bulk embedding
  on a CUDA GPU in fp16 when one is present and the variant is fp32).
"""

from __future__ import annotations

import importlib.util
from dataclasses import replace
from pathlib import Path

from index.embedding.model_cache import default_cache_dir, model_folder, resolve_model
from index.embedding.protocol import (
    BACKENDS,
    DEFAULT_MODEL,
    VARIANTS,
    Embedder,
    EmbedderSpec,
)
from index.errors import ModelError


def make_embedder(spec: EmbedderSpec | None = None, **fields) -> Embedder:
    """The embedder the spec names (fields override it: make_embedder(model="…", variant="int8"))."""
    spec = spec or EmbedderSpec()
    if fields:
        spec = replace(spec, **fields)
    if spec.backend == "torch":
        if spec.variant != "fp32":
            raise ModelError(f"the torch backend has no {spec.variant} variant; set backend = \"onnx\"")
        from index.embedding.st_backend import SentenceTransformerEmbedder

        return SentenceTransformerEmbedder(spec.model, spec.device, spec.batch_size)
    cpu = _cpu(spec)
    if spec.backend == "auto" and spec.variant == "fp32" and spec.device != "cpu" and (
            spec.device == "cuda" or gpu_present()):
        from index.embedding.router import GpuForBulk

        return GpuForBulk(cpu, spec)
    return cpu


def _cpu(spec: EmbedderSpec):
    """OpenVINO for fp32 (auto, openvino) where it is installed and passed its check; else ONNX Runtime."""
    from index.embedding import openvino_backend as openvino
    from index.embedding.export import ensure_export
    from index.embedding.onnx_backend import OnnxEmbedder

    if spec.backend == "openvino" and spec.variant != "fp32":
        raise ModelError(f"the openvino backend runs the fp32 variant only, not {spec.variant}; set backend = \"onnx\"")
    paths = ensure_export(spec.model, spec.variant, spec.cache_dir)
    if spec.backend == "openvino" or (spec.backend == "auto" and spec.variant == "fp32" and openvino.available()):
        if not openvino.available():
            raise ModelError("backend = \"openvino\" needs OpenVINO: pip install openvino, or set backend = \"onnx\"")
        if openvino.ensure_openvino(paths):
            return openvino.OpenVinoEmbedder.from_folder(paths.folder, spec.model, spec.variant, spec.batch_size,
                                                          bulk_threads=spec.threads)
    return OnnxEmbedder.from_folder(paths.folder, spec.model, spec.variant, spec.batch_size, bulk_threads=spec.threads)


def gpu_present() -> bool:
    """An NVIDIA device and PyTorch are installed (checked without importing torch)."""
    return Path("/proc/driver/nvidia/version").exists() and importlib.util.find_spec("torch") is not None


__all__ = ["BACKENDS", "DEFAULT_MODEL", "VARIANTS", "Embedder", "EmbedderSpec", "default_cache_dir",
           "gpu_present", "make_embedder", "model_folder", "resolve_model"]
