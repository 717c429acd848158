"""Embeddings from sentence-transformers on PyTorch: the GPU backend, and the reference the ONNX export is
checked against.

On CUDA the model runs in fp16 on large batches; texts are sorted by length, and worker threads
tokenize the next batches (the Rust tokenizer releases the GIL) while the GPU runs the current one,
so the tokenizer no longer starves the GPU. On CPU it is plain `SentenceTransformer.encode`.
"""

from __future__ import annotations

import os
import threading
from collections import deque
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from index.embedding.model_cache import model_folder
from index.embedding.protocol import DEFAULT_MODEL
from index.embedding.vectors import empty
from index.errors import ModelError

GPU_BATCH = 1024
TOKENIZER_THREADS = max(2, min(8, (os.cpu_count() or 2) - 1))


class SentenceTransformerEmbedder:
    variant = "fp32"

    def __init__(self, model: str = DEFAULT_MODEL, device: str | None = None, batch_size: int = 32,
                 fp16: bool = True):
        import torch
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()  # no "Loading weights" bar on every start
        self.name = model
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        self.on_gpu = self.device.startswith("cuda")
        self.batch_size = max(batch_size, GPU_BATCH) if self.on_gpu else batch_size
        self.bulk_size = 8192 if self.on_gpu else 512
        try:
            self._model = SentenceTransformer(str(model_folder(model)), device=self.device, local_files_only=True)
        except (OSError, ValueError) as exc:
            raise ModelError(f"cannot load embedding model {model!r}: {str(exc).splitlines()[0][:200]}. "
                             f"Name a local folder or a model already in the Hugging Face cache, "
                             f"or use the bundled default {DEFAULT_MODEL!r}.") from exc
        self._model.eval()
        if self.on_gpu and fp16:
            self._model.half()
        self.backend = "torch-cuda-fp16" if self.on_gpu and fp16 else f"torch-{self.device}"
        self._lock = threading.Lock()
        self._tokenizer = self._model.tokenizer
        self.dimension = _dimension(self._model)
        self.max_tokens = int(self._model.max_seq_length)

    def count_tokens(self, text: str) -> int:
        return len(self._tokenizer(text, add_special_tokens=True, truncation=False)["input_ids"])

    def embed(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        if not len(texts):
            return empty(self.dimension)
        with self._lock:
            if self.on_gpu:
                return self._embed_pipelined(list(texts), progress)
            vectors = self._model.encode(list(texts), batch_size=self.batch_size, normalize_embeddings=True,
                                         convert_to_numpy=True, show_progress_bar=progress)
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed([text])[0]

    def _tokenize(self, batch: list[str]):
        features = self._tokenizer(batch, padding=True, truncation="longest_first", max_length=self.max_tokens,
                                   return_tensors="pt")
        if not self.on_gpu:
            return dict(features)
        return {name: tensor.pin_memory() for name, tensor in features.items()}  # for non-blocking copies

    def _embed_pipelined(self, texts: list[str], progress: bool) -> np.ndarray:
        import torch

        texts = [text.strip() for text in texts]  # as sentence-transformers' own tokenize does
        order = np.argsort([-len(t) for t in texts], kind="stable")  # longest first: memory peaks early
        batches = [order[i:i + self.batch_size] for i in range(0, len(order), self.batch_size)]
        out = torch.empty((len(texts), self.dimension), dtype=torch.float32, device=self.device)
        bar = _bar(len(texts), progress)
        with ThreadPoolExecutor(TOKENIZER_THREADS, thread_name_prefix="tokenize") as pool, torch.inference_mode():
            pending = deque()
            for rows in batches[:TOKENIZER_THREADS * 2]:
                pending.append((rows, pool.submit(self._tokenize, [texts[r] for r in rows])))
            queued = len(pending)
            while pending:
                rows, future = pending.popleft()
                if queued < len(batches):
                    nxt = batches[queued]
                    pending.append((nxt, pool.submit(self._tokenize, [texts[r] for r in nxt])))
                    queued += 1
                features = {k: v.to(self.device, non_blocking=True) for k, v in future.result().items()}
                embedding = self._model.forward(features)["sentence_embedding"].float()
                out[torch.as_tensor(rows, device=self.device)] = torch.nn.functional.normalize(embedding, dim=1)
                bar.update(len(rows))
        bar.close()
        return np.ascontiguousarray(out.cpu().numpy(), dtype=np.float32)


def _bar(total: int, enabled: bool):
    from tqdm import tqdm

    return tqdm(total=total, desc="embedding", unit="text", disable=not enabled)


def _dimension(model) -> int:
    """sentence-transformers 6 names it get_embedding_dimension; 5 get_sentence_embedding_dimension."""
    getter = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
    return int(getter())
