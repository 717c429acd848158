"""Questions in, cited passages out. The model and index are loaded once and shared by all callers.

A newly published index is picked up between questions (`refresh`); each question reads the one
index it started with, so no answer mixes two versions.
"""

from __future__ import annotations

import threading
import unicodedata
from pathlib import Path

import numpy as np

from assistant.answers import NO_MATCH, Answer, Passage
from assistant.config import Settings
from assistant.highlight import best_sentence
from assistant.links import deep_link
from assistant.ranking import Fusion, cap_per_document, fuse
from assistant.reports import index_info
from index import Embedder, LoadedIndex, current_version, load_index


class Assistant:
    def __init__(self, settings: Settings, embedder: Embedder | None = None, fusion: Fusion | None = None):
        self.settings = settings
        self.fusion = fusion or Fusion()
        self.embedder = embedder or Embedder(settings.model, settings.device, settings.batch_size)
        self._index = load_index(settings.index_dir, expected_model=settings.model)
        self._swap = threading.Lock()

    @property
    def index(self) -> LoadedIndex:
        return self._index

    def refresh(self) -> bool:
        """Load a newly published index if there is one; True when swapped. A bad new index is refused
        (the exception propagates) and the current one stays in use."""
        if current_version(self.settings.index_dir) in (None, self._index.version):
            return False
        with self._swap:
            version = current_version(self.settings.index_dir)
            if version in (None, self._index.version):
                return False
            self._index = load_index(self.settings.index_dir, expected_model=self.settings.model, version=version)
            return True

    def ask(self, question: str, top_k: int | None = None, query_vector: np.ndarray | None = None) -> Answer:
        question = question if isinstance(question, str) else ""
        problem = self.check_question(question)
        if problem:
            shown = question[:200].encode("utf-8", "replace").decode("utf-8")  # no lone surrogates in JSON
            return Answer(question=shown, answered=False, passages=(), message=problem)
        index = self._index  # one index for the whole question
        k = max(1, min(top_k or self.settings.top_k, 50))
        query = self.embedder.embed_query(question.strip()) if query_vector is None else query_vector
        ranked = self.rank_chunks(index, question, query)
        doc_of = index.doc_of([row for row, _ in ranked])
        top = cap_per_document(ranked, doc_of, self.settings.max_per_doc)[:k]
        passages = tuple(self._passage(index, row, question, query) for row, _ in top)
        answered = bool(passages) and max(p.score for p in passages) >= self.settings.min_score
        if not answered:
            nearest = cap_per_document(ranked, doc_of, 1)[:k]
            passages = tuple(self._passage(index, row, question, query) for row, _ in nearest)
        return Answer(question=question, answered=answered, passages=passages, message=None if answered else NO_MATCH)

    def rank_chunks(self, index: LoadedIndex, question: str, query: np.ndarray) -> list[tuple[int, float]]:
        return fuse(*self.candidates(index, question, query), self.fusion)

    def candidates(self, index: LoadedIndex, question: str, query: np.ndarray) -> tuple[np.ndarray, ...]:
        """The top chunks of each ranker, with both rankers' exact scores for every one of them. Work grows
        with the depth and the question words' posting lists, not with the size of the index."""
        depth = self.fusion.depth
        dense_rows, _ = index.search_dense(query, depth)
        lexical = index.search_lexical(question)
        lexical_rows, _ = lexical.top(depth)
        rows = np.unique(np.concatenate([dense_rows, lexical_rows])).astype(np.int64)
        dense = index.vectors_of(rows) @ query if len(rows) else np.zeros(0, np.float32)
        return rows, dense.astype(np.float32), lexical.scores_of(rows)

    def check_question(self, question: str) -> str | None:
        """A message for a question that cannot be searched; None when it can."""
        if len(question) > self.settings.max_question_chars:  # first, so the checks below stay bounded
            return (f"Your question is {len(question):,} characters long; the limit is "
                    f"{self.settings.max_question_chars:,}. Please shorten it.")
        categories = [unicodedata.category(ch) for ch in question]
        if not any(c[0] not in "CZ" for c in categories):
            return "Please type a question, for example “How do I set up a PMO?”."
        if "Cs" in categories:  # a lone surrogate (possible in JSON) cannot be encoded, so not searched
            return "Your question contains characters that could not be read; please type it again."
        return None

    def info(self) -> dict:
        """What the served index holds: documents by type, chunks, model, build time (as `assistant info`)."""
        return index_info(self._index, self.settings)

    def source_file(self, doc_id: str) -> Path | None:
        """The content file behind an indexed document (for the app's /source/ links); None when the id
        is not in the published index or the path would leave the content folder."""
        manifest = self._index.manifest
        if doc_id not in manifest.documents:
            return None
        root = Path(manifest.content_dir).resolve()
        path = (root / doc_id).resolve()
        return path if path.is_relative_to(root) and path.is_file() else None

    def _passage(self, index: LoadedIndex, row: int, question: str, query: np.ndarray) -> Passage:
        chunk = index.chunk(int(row))
        similarity = float(np.dot(index.vectors_of([row])[0], query))
        return Passage(
            title=chunk.title, url=deep_link(chunk), section=" › ".join(chunk.section), text=chunk.text,
            highlight=best_sentence(question, chunk.text), score=round(max(0.0, similarity), 4),
            source_type=chunk.source_type, start_seconds=chunk.start, end_seconds=chunk.end, page=chunk.page,
            doc_id=chunk.doc_id,
        )
