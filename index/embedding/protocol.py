"""What every embedding backend offers, and the settings that pick one.

    Embedder      the protocol, what its callers use: name, variant, backend, dimension, max_tokens,
                  count_tokens, embed, embed_query
    EmbedderSpec  which model, variant, device and backend to build (frozen; made from settings)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from collections.abc import Sequence

    import numpy as np

DEFAULT_MODEL = "all-MiniLM-L6-v2"
VARIANTS = ("fp32", "int8")  # what the index records: the numbers the vectors were made with
BACKENDS = ("auto", "openvino", "onnx", "torch")


@runtime_checkable
class Embedder(Protocol):
    """Normalised float32 embeddings of texts, as one model variant makes them."""

    name: str  # the model as the settings name it (recorded in the index manifest)
    variant: str  # "fp32" or "int8"
    backend: str  # "openvino-bf16", "openvino-f32", "onnx", "torch-cpu" or "torch-cuda-fp16"
    dimension: int
    max_tokens: int  # the model's max_seq_length: longer texts are truncated

    def count_tokens(self, text: str) -> int:
        """Tokens the model would see for `text`, special tokens included, before truncation."""

    def embed(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        """(len(texts), dimension) float32, C-contiguous, each row of unit length."""

    def embed_query(self, text: str) -> np.ndarray:
        """One text's vector, (dimension,)."""


@dataclass(frozen=True)
class EmbedderSpec:
    model: str = DEFAULT_MODEL
    variant: str = "fp32"
    backend: str = "auto"  # auto: OpenVINO (else ONNX Runtime) on CPU; PyTorch on CUDA for large batches on a GPU
    device: str | None = None  # "cpu", "cuda"; None: CUDA for bulk embedding when present
    batch_size: int = 32
    cache_dir: Path | None = None  # where ONNX exports live; None: the user cache (see model_cache.py)
    threads: int = 0  # threads for bulk embedding; 0: every core (questions always run on one)

    def __post_init__(self):
        if self.variant not in VARIANTS:
            raise ValueError(f"variant must be one of {', '.join(VARIANTS)}, got {self.variant!r}")
        if self.backend not in BACKENDS:
            raise ValueError(f"backend must be one of {', '.join(BACKENDS)}, got {self.backend!r}")

