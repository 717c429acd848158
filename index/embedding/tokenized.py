"""What the ONNX Runtime and OpenVINO backends share: the model's Rust `tokenizers` tokenizer in front of
an exported graph whose output is the sentence embedding.

Texts are tokenized together, sorted by length and batched, so each batch is padded only to its own
longest text; longer texts are truncated to the model's max_seq_length, as sentence-transformers does.
A backend says how to run a list of batches (`_run_batches`); everything else lives here once.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

from index.embedding.model_cache import ExportPaths
from index.embedding.vectors import empty, normalised


def load_tokenizer(paths: ExportPaths, max_seq_length: int):
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(paths.tokenizer))
    tokenizer.no_padding()
    tokenizer.enable_truncation(max_seq_length)
    return tokenizer


class TokenizedEmbedder:
    """Base of the exported-graph backends. Subclasses set `backend` and implement `_run_batches`."""

    backend = "?"
    bulk_size = 512  # texts per embed() call that a build hands over (progress granularity)
    few = 8  # at most this many texts: a question (or a handful); backends may run these on one thread
    exact = True  # False: the graph's own normalisation is not exact enough (bf16), normalise again

    def __init__(self, tokenizer, meta: dict, name: str, variant: str, batch_size: int = 32):
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
        lengths = np.array([len(e.ids) for e in encodings])
        order = np.argsort(lengths, kind="stable")
        batches = self._batches(order, lengths, few=len(texts) <= self.few)
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        feeds = ((rows, self._feeds([encodings[r] for r in rows])) for rows in batches)
        self._run_batches(_bar(feeds, len(batches), progress), out, few=len(texts) <= self.few)
        return out if self._normalised and self.exact else normalised(out)

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed([text])[0]

    def _batches(self, order: np.ndarray, lengths: np.ndarray, few: bool) -> list[np.ndarray]:
        """Rows in length order, cut into the batches to run: `batch_size` each."""
        return [order[start:start + self.batch_size] for start in range(0, len(order), self.batch_size)]

    def _run_batches(self, batches: Iterator[tuple[np.ndarray, dict]], out: np.ndarray, few: bool) -> None:
        """Run every (rows, feeds) batch, writing its embeddings to out[rows]."""
        raise NotImplementedError

    def _feeds(self, encodings) -> dict[str, np.ndarray]:
        width = max(len(e.ids) for e in encodings)
        feeds = {name: np.zeros((len(encodings), width), dtype=np.int64) for name in self._inputs}
        feeds["input_ids"].fill(self._pad)
        for row, encoding in enumerate(encodings):
            size = len(encoding.ids)
            feeds["input_ids"][row, :size] = encoding.ids
            feeds["attention_mask"][row, :size] = 1
            if "token_type_ids" in feeds:
                feeds["token_type_ids"][row, :size] = encoding.type_ids
        return feeds


def _bar(batches, total: int, enabled: bool):
    if not enabled:
        return batches
    from tqdm import tqdm

    return tqdm(batches, total=total, desc="embedding", unit="batch")
