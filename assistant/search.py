"""Questions in, cited passages out. The model and index are loaded once and shared by all callers.

A newly published index is picked up between questions (`refresh`); each question reads the one
index it started with, so no answer mixes two versions.
"""

from __future__ import annotations

import threading
import unicodedata
from pathlib import Path

import numpy as np

from collections.abc import Sequence

from assistant.answers import NO_MATCH, Answer, Passage
from assistant.config import Settings
from assistant.examples import suggest_examples
from assistant.followup import resolve
from assistant.language import script_problem
from assistant.passages import SentenceVectors, build_passages, neighbour_cues
from assistant.ranking import Fusion, cap_per_document, fuse, top_rows
from assistant.reports import index_info
from index import Embedder, LoadedIndex, current_version, load_index


class Assistant:
    def __init__(self, settings: Settings, embedder: Embedder | None = None, fusion: Fusion | None = None):
        self.settings = settings
        self.fusion = fusion or Fusion()
        self.embedder = embedder or Embedder(settings.model, settings.device, settings.batch_size)
        self._index = load_index(settings.index_dir, expected_model=settings.model)
        self._swap = threading.Lock()
        self.sentence_vectors = SentenceVectors(self.embedder)

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

    def ask(self, question: str, top_k: int | None = None, query_vector: np.ndarray | None = None,
            previous: Sequence[str] = ()) -> Answer:
        """Cited passages for a question. `previous`: the conversation's earlier questions, oldest first;
        a follow-up that leans on them is searched together with them (stand-alone questions are not)."""
        question = question if isinstance(question, str) else ""
        problem = self.check_question(question)
        if problem:
            shown = question[:200].encode("utf-8", "replace").decode("utf-8")  # no lone surrogates in JSON
            return Answer(question=shown, answered=False, passages=(), message=problem)
        query = resolve(question.strip(), previous or ())
        index = self._index  # one index for the whole question
        k = max(1, min(top_k or self.settings.top_k, 50))
        if query_vector is None or query.shown:
            query_vector = self.embedder.embed_query(query.text)
        ranked = self.rank_chunks(index, query.text, query_vector)
        doc_of = [c.doc_id for c in index.chunks]
        top = cap_per_document(ranked, doc_of, self.settings.max_per_doc)[:k]
        similarity = self._similarity(index, [row for row, _ in top], query_vector)
        answered = bool(top) and max(similarity) >= self.settings.min_score
        if not answered:
            top = cap_per_document(ranked, doc_of, 1)[:k]
            similarity = self._similarity(index, [row for row, _ in top], query_vector)
        passages = build_passages([index.chunks[row] for row, _ in top], similarity, query.text, query_vector,
                                  self.sentence_vectors, [neighbour_cues(index.chunks, row) for row, _ in top])
        return Answer(question=question, answered=answered, passages=passages,
                      message=None if answered else NO_MATCH, searched_for=query.shown)

    def rank_chunks(self, index: LoadedIndex, question: str, query: np.ndarray) -> list[tuple[int, float]]:
        return fuse(*self.candidates(index, question, query), self.fusion)

    def candidates(self, index: LoadedIndex, question: str, query: np.ndarray) -> tuple[np.ndarray, ...]:
        """The top chunks of each ranker, with both rankers' exact scores for every one of them."""
        depth = self.fusion.depth
        dense_rows, _ = index.search_dense(query, depth)
        lexical_all = index.lexical.scores(question)
        lexical_rows = top_rows(lexical_all, depth)
        rows = np.unique(np.concatenate([dense_rows, lexical_rows])).astype(np.int64)
        dense = index.vectors.reconstruct_batch(rows) @ query if len(rows) else np.zeros(0, np.float32)
        return rows, dense.astype(np.float32), lexical_all[rows]

    def check_question(self, question: str) -> str | None:
        """A message for a question that cannot be searched; None when it can."""
        if len(question) > self.settings.max_question_chars:  # first, so the checks below stay bounded
            return (f"Your question is {len(question):,} characters long; the limit is "
                    f"{self.settings.max_question_chars:,}. Please shorten it.")
        categories = [unicodedata.category(ch) for ch in question]
        if not any(c[0] not in "CZ" for c in categories):
            return "Please type a question: a few words about what you need help with."
        if "Cs" in categories:  # a lone surrogate (possible in JSON) cannot be encoded, so not searched
            return "Your question contains characters that could not be read; please type it again."
        return script_problem(question, self.settings.question_scripts, self.settings.language)

    def examples(self, count: int = 3) -> tuple[str, ...]:
        """The configured example questions, else some taken from the index's own titles and headings."""
        return self.settings.examples or suggest_examples(self._index.chunks, count)

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

    @staticmethod
    def _similarity(index: LoadedIndex, rows: list[int], query: np.ndarray) -> list[float]:
        if not rows:
            return []
        return [float(v) for v in index.vectors.reconstruct_batch(np.asarray(rows, dtype=np.int64)) @ query]
