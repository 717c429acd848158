"""Questions in, cited passages out. The model and index are loaded once and shared by all callers.

A newly published index is picked up between questions (`refresh`); each question reads the one
index it started with, so no answer mixes two versions.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from assistant.answer.examples import suggest_examples
from assistant.answer.followup import Query, resolve
from assistant.answer.language import script_problem
from assistant.answer.links import with_text_fragment
from assistant.answer.off_topic import (
    Calibration,
    CalibrationCache,
    Elsewhere,
    Evidence,
    RefusalRule,
    best_unit,
    calibration_for,
    everyday_list,
    unknown_share,
)
from assistant.answer.passages import (
    Candidate,
    Gate,
    SentenceVectors,
    build_passages,
    candidate,
)
from assistant.answer.questions import MAX_TOP_K, check_question
from assistant.answer.ranking import Fusion, cap_per_document, fuse, split_cards
from assistant.answer.records import Answer, Passage, no_match_message
from assistant.answer.shape import rules_apply, small_talk
from assistant.answer.spelling import Speller
from assistant.answer.stores import index_info, is_milvus, open_index, published
from assistant.config import Settings
from corpus.english import QUESTION_STOP_WORDS
from index import Embedder, LoadedIndex, load_index

# A shown chunk and at most SECTIONS - 1 other chunks of its document are read for the answering sentence: the
# ranked ones first, then the closest. Every highlight, moment and card of six labelled knowledge bases
# (`assistant eval` on the sample and bench/kbs) was the same at 4 as with every chunk read, and a long
# recording's question costs a third of the time (docs/scaling.md).
SECTIONS = 4


class Assistant:
    """Answers questions over one published index with one embedder of that index's model variant.

    `Assistant.open(settings)` loads the index, then the embedder its variant needs (in that order, so
    a missing index is reported before any model loads); the constructor takes what it needs. A newly
    published index of another variant brings its own embedder: index and embedder swap together."""

    def __init__(self, settings: Settings, embedder: Embedder, fusion: Fusion | None = None,
                 index: LoadedIndex | None = None, gate: Gate | None = None, rule: RefusalRule | None = None):
        self.settings = settings
        self.fusion = fusion or Fusion()
        self.gate = gate or Gate()
        self._rule = rule or RefusalRule()
        self.rules = rules_apply(settings.face.language)  # the English answer rules, or the model's scores alone
        self._examples: tuple[str, tuple[str, ...]] | None = None  # (index version, its examples)
        self._speller: tuple[str, Speller] | None = None  # (index version, its spelling corrector)
        index = index or open_index(settings, expected_variant=embedder.variant)
        self._state = (index, embedder)  # replaced as one, so no question mixes two
        self._swap = threading.Lock()
        self._follow(embedder)

    @classmethod
    def open(cls, settings: Settings, fusion: Fusion | None = None) -> Assistant:
        """Load the published index and the embedder of its model variant; the model loads in a second
        thread while the index is read and verified (onnxruntime builds its session outside the GIL)."""
        from concurrent.futures import ThreadPoolExecutor

        from assistant.answer.embedders import open_embedder
        from index.manifest import peek_model
        from index.pointer import VERSIONS, published_version

        if is_milvus(settings):  # the manifest is on the server: read it, then load the model it names
            index = open_index(settings)
            return cls(settings, open_embedder(settings, variant=index.variant), fusion, index)
        version = published_version(settings.index.dir)
        model = peek_model(Path(settings.index.dir) / VERSIONS / version)
        if model.get("name") != settings.model.name:  # unreadable or another model: load_index says which
            index = load_index(settings.index.dir, expected_model=settings.model.name, version=version)
            return cls(settings, open_embedder(settings, variant=index.variant), fusion, index)
        with ThreadPoolExecutor(1, thread_name_prefix="load-model") as pool:
            embedder = pool.submit(open_embedder, settings, model.get("variant", "fp32"))
            index = load_index(settings.index.dir, expected_model=settings.model.name, version=version,
                               expected_variant=model.get("variant", "fp32"))
            return cls(settings, embedder.result(), fusion, index)

    @property
    def index(self) -> LoadedIndex:
        return self._state[0]

    @property
    def embedder(self) -> Embedder:
        return self._state[1]

    def refresh(self) -> bool:
        """Load a newly published index if there is one; True when swapped. A bad new index is refused
        (the exception propagates) and the current one stays in use."""
        if self.published_version() in (None, self.index.version):
            return False
        with self._swap:
            version = self.published_version()
            if version in (None, self.index.version):
                return False
            index = open_index(self.settings, version=version, like=self.index)
            embedder = self.embedder
            if index.variant != embedder.variant:
                from assistant.answer.embedders import open_embedder

                embedder = open_embedder(self.settings, variant=index.variant)
            if embedder is not self.embedder:
                self._follow(embedder)
            self._state = (index, embedder)
            return True

    def _follow(self, embedder: Embedder) -> None:
        """What is made with the embedder: the per-question sentence cache and the everyday questions."""
        from assistant.answer.embedders import model_cache_dir

        self.sentence_vectors = SentenceVectors(embedder)
        self.elsewhere = Elsewhere(embedder, model_cache_dir(self.settings),
                                   everyday_list(self.settings.answers.elsewhere_file, self.settings.answers.elsewhere_mode))
        self._calibrations: dict[str, Calibration] = {}

    def calibration(self, index: LoadedIndex | None = None) -> Calibration:
        """This index version's calibration (`assistant.answer.off_topic`): read from beside the index, else made now
        (about a second) and kept there."""
        index = index or self.index
        known = self._calibrations.get(index.version)
        if known is not None:
            return known
        with self._swap:
            found = calibration_for(index, self.elsewhere, self.embedder, CalibrationCache(self.settings.index.dir))
            self._calibrations = {index.version: found}
            return found

    def published_version(self) -> str | None:
        """The version the index's pointer names now (CURRENT, or Milvus's pointer row)."""
        return published(self.settings, self.index)

    def ask(self, question: str, top_k: int | None = None, query_vector: np.ndarray | None = None,
            previous: Sequence[str] = ()) -> Answer:
        """Cited passages for a question. `previous`: the conversation's earlier questions, oldest first;
        a follow-up that leans on them is searched together with them (stand-alone questions are not)."""
        question = question if isinstance(question, str) else ""
        problem = self.check_question(question)
        if problem:
            shown = question[:200].encode("utf-8", "replace").decode("utf-8")  # no lone surrogates in JSON
            return Answer(question=shown, answered=False, passages=(), message=problem)
        talk = small_talk(question) if self.rules else None
        if talk:  # "hi", "thanks!", "bye": a reply in the site's words, nothing searched
            return Answer(question=question, answered=False, passages=(), message=self.reply(talk), small_talk=talk,
                          examples=self.examples() if talk == "greeting" else ())
        index, embedder = self._state  # one index (and its embedder) for the whole question
        k = max(1, min(top_k or self.settings.answers.top_k, MAX_TOP_K))
        found = self.search(index, embedder, question, previous, query_vector, k)
        query, query_vector, ranked, top, doc_of = found.query, found.vector, found.ranked, found.top, found.doc_of
        answered = bool(top) and self.refusal_rule().answers(found.evidence, found.calibration)
        floor = self.settings.answers.min_score if self.settings.answers.min_score is not None else found.calibration.off_s
        if not answered:
            top = cap_per_document(ranked, doc_of, 1)[:k]
        groups = self._candidates(index, [row for row, _ in top], ranked, query_vector)
        asked, vector, seen = query.text, query_vector, frozenset()
        if found.follows:  # the conversation found the document; the follow-up alone chooses its section
            asked, vector = found.asked, embedder.embed_query(found.asked)
            seen = self._shown_for(index, embedder, found.earlier)
        passages = build_passages(groups, asked, vector, self.sentence_vectors, self.gate, self.rules, seen)
        if self.settings.answers.text_fragments:
            passages = tuple(map(to_the_sentence, passages))
        if not answered:
            message = no_match_message(self.settings.face.site_name, self.settings.face.scope)
            return Answer(question=question, answered=False, passages=passages, message=message,
                          searched_for=query.shown)
        cards, more = split_cards(passages, floor, self.settings.answers.card_gap)
        return Answer(question=question, answered=True, passages=cards, more=more, searched_for=query.shown)

    def search(self, index: LoadedIndex, embedder: Embedder, question: str, previous: Sequence[str] = (),
               query_vector: np.ndarray | None = None, k: int | None = None) -> Search:
        """The question as searched (misspellings corrected, a follow-up joined to what it leans on), its
        ranked chunks, the top ones (at most `max_per_doc` a document) and what the refusal rule reads."""
        earlier = [p for p in previous or () if not (self.rules and isinstance(p, str) and small_talk(p))]
        typed = self.speller(index).correct(question.strip())  # misspelt words → the knowledge base's own
        query = resolve(typed.text, earlier)
        if typed.changes and not query.shown:
            query = replace(query, shown=typed.text)
        if query_vector is None or query.shown:
            query_vector = embedder.embed_query(query.text)
        candidates = self.candidates(index, query.text, query_vector)
        ranked = fuse(*candidates, self.fusion)
        doc_of = index.doc_of([row for row, _ in ranked])
        top = cap_per_document(ranked, doc_of, self.settings.answers.max_per_doc)[:k or self.settings.answers.top_k]
        rows = [row for row, _ in top]
        calibration = self.calibration(index)
        closest = float(candidates[1].max()) if len(candidates[1]) else 0.0  # either ranker's best, by meaning
        evidence = self.evidence(index, query.text, query_vector, rows,
                                 [closest, *self._similarity(index, rows, query_vector)], calibration)
        return Search(query, query_vector, ranked, top, doc_of, evidence, calibration, typed.text,
                      query.text != typed.text, tuple(earlier))

    def _shown_for(self, index: LoadedIndex, embedder: Embedder, earlier: Sequence[str]) -> frozenset[tuple[str, str]]:
        """The passages the question a follow-up leans on was answered with: (document, passage text)."""
        if not earlier:
            return frozenset()
        found = self.search(index, embedder, earlier[-1], earlier[:-1])
        groups = self._candidates(index, [row for row, _ in found.top], found.ranked, found.vector)
        shown = build_passages(groups, found.query.text, found.vector, self.sentence_vectors, self.gate, self.rules)
        return frozenset((p.doc_id, p.text) for p in shown[:1])

    def refusal_rule(self) -> RefusalRule:
        """The shipped rule (`assistant.answer.off_topic`); with `min_score` set, the owner's fixed floor instead of
        the calibrated levels, still with the everyday questions (`refuse_elsewhere`)."""
        rule = self._rule
        if self.settings.answers.min_score is not None:
            return RefusalRule(bias=0.0, w_s=0.0, w_u=0.0, w_unknown=0.0, w_e=rule.w_e if self.settings.answers.refuse_elsewhere
                               else 0.0, floor=self.settings.answers.min_score)
        return rule if self.settings.answers.refuse_elsewhere else replace(rule, w_e=0.0)

    def evidence(self, index: LoadedIndex, text: str, query: np.ndarray, rows: list[int], similarity: list[float],
                 calibration: Calibration) -> Evidence:
        """What the refusal rule reads of a question's search (`assistant.answer.off_topic.Evidence`): s is the
        best cosine among `similarity` (the closest candidate's and the top rows'), as the calibration's probes
        measure it, whatever the words' ranking put among the cards."""
        s = max(similarity, default=0.0)
        uncovered = self.elsewhere.uncovered(calibration.covered)
        e = float((uncovered @ query).max()) if len(uncovered) else -1.0
        return Evidence(s=s, u=best_unit(index, rows[:5], query, s), e=e,
                        unknown=unknown_share(text, index.words(), QUESTION_STOP_WORDS))

    def _candidates(self, index: LoadedIndex, shown: list[int], ranked: list[tuple[int, float]],
                    query: np.ndarray) -> list[list[Candidate]]:
        """Each shown row, then (where the index holds sentence vectors) the other chunks of its document not
        shown, ranked ones first, then the closest to the question, `SECTIONS` in all: the section whose
        sentences answer best may be another one, and a long recording's far chunks are not read."""
        taken = set(shown)
        fused = dict(ranked)
        position = {row: n for n, (row, _) in enumerate(ranked)}
        groups = []
        for row in shown:
            rows = [row]
            if index.unit_vectors(row) is not None:
                others = [r for r in index.document_rows(row) if r not in taken]
                if len(others) >= SECTIONS:
                    closeness = dict(zip(others, self._similarity(index, others, query)))
                    others = sorted(others, key=lambda r: (position.get(r, len(position)), -closeness[r]))[:SECTIONS - 1]
                rows += sorted(others, key=lambda r: position.get(r, len(position) + r))
                taken.update(rows)
            groups.append(rows)
        similarity = iter(self._similarity(index, [r for rows in groups for r in rows], query))
        return [[candidate(index, r, next(similarity), fused.get(r)) for r in rows] for rows in groups]

    def rank_chunks(self, index: LoadedIndex, question: str, query: np.ndarray) -> list[tuple[int, float]]:
        return fuse(*self.candidates(index, question, query), self.fusion)

    def candidates(self, index: LoadedIndex, question: str, query: np.ndarray) -> tuple[np.ndarray, ...]:
        """The top chunks of each ranker, with both rankers' exact scores for every one of them. Work grows
        with the depth and the question words' posting lists, not with the size of the index."""
        depth = self.fusion.depth
        (dense_rows, _), lexical = index.search_both(query, question, depth)  # Milvus: in one round trip
        lexical_rows, _ = lexical.top(depth)
        rows = np.unique(np.concatenate([dense_rows, lexical_rows])).astype(np.int64)
        dense = index.vectors_of(rows) @ query if len(rows) else np.zeros(0, np.float32)
        return rows, dense.astype(np.float32), lexical.scores_of(rows)

    def check_question(self, question: str) -> str | None:
        """A message for a question that cannot be searched; None when it can."""
        return (check_question(question, self.settings.answers.max_question_chars)
                or script_problem(question, self.settings.face.question_scripts, self.settings.face.language))

    def examples(self, count: int = 3) -> tuple[str, ...]:
        """The configured example questions, else some taken from the index's own titles and headings
        (worked out once per index version)."""
        if self.settings.face.examples:
            return self.settings.face.examples
        index, known = self.index, self._examples
        if known is None or known[0] != index.version:
            known = self._examples = (index.version, suggest_examples(index.chunks, 3))
        return known[1][:count]

    def speller(self, index: LoadedIndex) -> Speller:
        """The spelling corrector of this index's words (made once per index version)."""
        known = self._speller
        if known is None or known[0] != index.version:
            known = self._speller = (index.version, Speller(index.words(), self.settings.face.language))
        return known[1]

    def reply(self, kind: str) -> str:
        """The site's words for small talk: "greeting", "thanks" or "goodbye"."""
        return {"greeting": self.settings.face.reply_greeting, "thanks": self.settings.face.reply_thanks,
                "goodbye": self.settings.face.reply_goodbye}[kind]

    def info(self) -> dict:
        """What the served index holds: documents by type, chunks, model, build time (as `assistant info`)."""
        return index_info(self.index, self.settings)

    def source_file(self, doc_id: str) -> Path | None:
        """The content file behind an indexed document (for the app's /read/ and /source/ links); None when the id
        is not in the published index or the path would leave the content folder."""
        manifest = self.index.manifest
        if doc_id not in manifest.documents:
            return None
        root = Path(manifest.content_dir).resolve()
        path = (root / doc_id).resolve()
        return path if path.is_relative_to(root) and path.is_file() else None

    @staticmethod
    def _similarity(index: LoadedIndex, rows: list[int], query: np.ndarray) -> list[float]:
        if not rows:
            return []
        return [float(v) for v in index.vectors_of(np.asarray(rows, dtype=np.int64)) @ query]


@dataclass(frozen=True)
class Search:
    """One question's search, before its passages are built."""
    query: Query  # what was searched, and how it is shown when it is not the question as typed
    vector: np.ndarray
    ranked: list[tuple[int, float]]
    top: list[tuple[int, float]]
    doc_of: dict[int, str]
    evidence: Evidence
    calibration: Calibration
    asked: str = ""  # the question as typed, misspellings corrected
    follows: bool = False  # searched together with earlier questions it leans on
    earlier: tuple[str, ...] = ()  # the conversation's earlier questions (small talk left out)


def to_the_sentence(passage: Passage) -> Passage:
    """An article's link on its own site or in the app's reader, extended to its highlighted sentence with a text fragment
    (recordings open at their moment and decks at their page instead)."""
    if passage.source_type not in ("article", "text") or not passage.highlight:
        return passage
    return replace(passage, url=with_text_fragment(passage.url, passage.highlight, passage.text))
