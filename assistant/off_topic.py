"""Questions that belong somewhere else: "what's on the canteen menu?" asked in a PMO help centre.

The best passage's similarity alone cannot tell such a question from a weakly worded in-domain one:
everyday words ("weekly", "book", "leave", "team") are in every knowledge base. So the question is
also compared with a bundled list of everyday questions that belong elsewhere (IT help, pay and
leave, buildings, parking, food, weather, sport, shopping, travel, health, money, small talk:
`assistant/data/elsewhere.txt`). A question closer to one of those than to anything in the knowledge
base gets "no confident match". The rule is relative: a knowledge base that is itself about one of
those topics matches its own questions far better than the list does, so it keeps answering them.

The list's vectors are made once per model variant with the index's embedder and kept in the model
cache beside the model's export (a read-only cache: made in memory each time).
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from pathlib import Path

import numpy as np

from index import Embedder
from index.embedding.model_cache import export_paths

log = logging.getLogger(__name__)
QUESTIONS = Path(__file__).parent / "data" / "elsewhere.txt"


def elsewhere_questions(path: Path = QUESTIONS) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]


class Elsewhere:
    """The bundled everyday questions as vectors of one embedder; `closest(query)` is the best cosine."""

    def __init__(self, embedder: Embedder, cache_dir: Path | None = None, path: Path = QUESTIONS):
        self.embedder, self.cache_dir, self.path = embedder, cache_dir, path
        self._vectors: np.ndarray | None = None
        self._lock = threading.Lock()

    def closest(self, query: np.ndarray) -> float:
        vectors = self.vectors()
        return float((vectors @ query).max()) if len(vectors) else -1.0

    def vectors(self) -> np.ndarray:
        with self._lock:
            if self._vectors is None:
                self._vectors = self._load()
            return self._vectors

    def _load(self) -> np.ndarray:
        questions = elsewhere_questions(self.path)
        digest = hashlib.sha256("\n".join(questions).encode()).hexdigest()[:12]
        cached = self._cache_file(digest)
        if cached is not None and cached.is_file():
            try:
                vectors = np.load(cached)
                if vectors.shape == (len(questions), self.embedder.dimension):
                    return vectors
            except (OSError, ValueError):
                pass
        vectors = np.asarray(self.embedder.embed(questions), dtype=np.float32)
        if cached is not None:
            _write(cached, vectors)
        return vectors

    def _cache_file(self, digest: str) -> Path | None:
        try:
            _, paths = export_paths(self.embedder.name, self.cache_dir)
        except Exception as exc:  # a model named by a path that moved: no cache, vectors made in memory
            log.debug("no model cache for the elsewhere questions: %s", exc)
            return None
        return paths.folder / f"elsewhere-{self.embedder.variant}-{digest}.npy"


def _write(path: Path, vectors: np.ndarray) -> None:
    """Kept for the next start; a cache that cannot be written is simply not used."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(temporary, "wb") as handle:
            np.save(handle, vectors)
        os.replace(temporary, path)
    except OSError as exc:
        log.debug("elsewhere questions not cached at %s: %s", path, exc)
        temporary.unlink(missing_ok=True)
