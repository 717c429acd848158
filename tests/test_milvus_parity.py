"""The same answers from Milvus as from the local store, on the sample knowledge base and its labels
(`assistant eval`): top document, nDCG@10, off-topic refusals, highlight and moment accuracy."""

from __future__ import annotations

from dataclasses import replace

import pytest

pytest.importorskip("pymilvus", reason="the Milvus backend needs pymilvus: pip install '.[milvus]' (make install does)")
pytest.importorskip("milvus_lite", reason="these tests start a milvus-lite server: pip install '.[milvus]' "
                                          "(milvus-lite 2.5, setuptools<81; make install does)")

import numpy as np  # noqa: E402

from assistant import Settings  # noqa: E402
from assistant.answer.records import Answer  # noqa: E402
from assistant.answer.search import Assistant  # noqa: E402
from assistant.config import SAMPLE_QUESTIONS  # noqa: E402
from assistant.evaluate.run import evaluate  # noqa: E402
from corpus.beir import load_queries  # noqa: E402
from corpus.sentences import answer_units, unit_text  # noqa: E402
from index import load_index  # noqa: E402

pytestmark = pytest.mark.slow


def test_milvus_matches_the_local_backend_on_the_sample(tmp_path, embedder, eval_cache, sample_index, milvus,
                                                        monkeypatch):
    """Each side's answers are the ones its evaluation gets, recorded as it asks (asking again would
    only repeat them). Milvus gets the very vectors the local index holds, so only the stores differ."""
    asked: dict[str, dict[str, Answer]] = {"local": {}, "milvus": {}}
    ask = Assistant.ask

    def recorded(self, question, *args, **kwargs):
        answer = ask(self, question, *args, **kwargs)
        asked[self.settings.index.backend][question] = answer
        return answer

    monkeypatch.setattr(Assistant, "ask", recorded)
    local_settings = Settings()
    milvus_settings = replace(local_settings, index_backend="milvus", milvus_uri=milvus.uri, milvus_collection="parity")
    local = evaluate(local_settings, embedder=embedder, cache_dir=eval_cache)
    same_vectors = Remembered(embedder, load_index(sample_index))
    served = evaluate(milvus_settings, embedder=same_vectors, cache_dir=tmp_path / "eval")
    assert same_vectors.stored > 1000 and same_vectors.remembered >= same_vectors.stored  # the build read them all
    queries, _ = load_queries(SAMPLE_QUESTIONS, "test", None)
    queries = [q for q in queries if q.kind != "followup"]
    side = {name: {q.query_id: top(asked[name][q.text]) for q in queries} for name in asked}  # KeyError: not asked
    labelled = [q.query_id for q in queries if q.kind != "off_topic"]
    same_top = sum(side["local"][q][1] == side["milvus"][q][1] for q in labelled) / len(labelled)
    print(f"parity: same top document {same_top:.3f}; nDCG@10 {local.metrics['ndcg@10']} / {served.metrics['ndcg@10']}; "
          f"highlight {local.answers['highlight_accuracy']} / {served.answers['highlight_accuracy']}; moment "
          f"{local.answers['moment_accuracy']} / {served.answers['moment_accuracy']} (local / milvus)")
    assert same_top >= 0.97
    assert abs(local.metrics["ndcg@10"] - served.metrics["ndcg@10"]) <= 0.01
    assert {q for q, (answered, _) in side["local"].items() if not answered} == \
           {q for q, (answered, _) in side["milvus"].items() if not answered}  # the same refusals
    for name in ("highlight_accuracy", "moment_accuracy"):
        assert abs(local.answers[name] - served.answers[name]) <= 0.02, name
    assert (local.wrongly_answered, local.wrongly_refused) == (served.wrongly_answered, served.wrongly_refused)


def top(answer: Answer) -> tuple[bool, str | None]:
    """(answered, top document)."""
    return answer.answered, answer.passages[0].doc_id if answer.passages else None


class Remembered:
    """The embedder, answering texts the sample index already holds with the vectors the model gave them
    there (each chunk's, and its sentences' as stored); any other text (the evaluation's questions, the
    everyday questions of the off-topic check) goes to the model, once."""

    def __init__(self, embedder, index):
        self._embedder = embedder
        self._known: dict[str, np.ndarray] = {}
        for row in range(len(index.chunks)):
            chunk = index.chunk(row)
            self._known[chunk.embed_text] = index.vectors_of([row])[0]
            units = index.unit_vectors(row)
            if units is not None:
                self._known.update(zip((unit_text(u) for u in answer_units(chunk)), units))
        self.stored, self.remembered = len(self._known), 0

    def embed(self, texts, progress: bool = False):
        missing = list(dict.fromkeys(t for t in texts if t not in self._known))
        if missing:
            self._known.update(zip(missing, self._embedder.embed(missing, progress=progress)))
        self.remembered += len(texts) - len(missing)
        return np.stack([self._known[t] for t in texts]).astype(np.float32) if texts else self._embedder.embed([])

    def __getattr__(self, name):
        return getattr(self._embedder, name)
