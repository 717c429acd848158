"""Bulk embedding on a GPU, everything else on the CPU backend."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np

from index.embedding.protocol import EmbedderSpec

log = logging.getLogger(__name__)
GPU_MIN_TEXTS = 512  # below this, moving work to the GPU (and importing torch) does not pay


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
