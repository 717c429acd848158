"""Questions this knowledge base does not answer: "what's on the canteen menu?" asked of a PMO help centre,
"how do I descale my Nespresso?" asked of a robot vacuum's manual.

No single cosine tells such a question from a weakly worded one of the knowledge base's own: what a
good match scores differs from one knowledge base (and one way of writing) to the next. So each piece
of evidence is read against this knowledge base, calibrated from its own content when an index version
is first served (and by the build that writes it), never against constants tuned on one sample:

    evidence, per question (cosines with the question):
      s      the best passage's similarity
      u      the best sentence's similarity, among the best passages' sentences
      e      the closest everyday question that belongs elsewhere and that this knowledge base does not cover
      unknown  the share of the question's words this knowledge base never uses

    calibration, per knowledge base (`Calibration`):
      the everyday questions (`assistant/data/elsewhere.txt`, extended or replaced by `elsewhere_file`)
      searched against it: what an off-topic question scores here (their 90th percentiles of s and u);
      its own document titles and headings searched as questions: what its own questions score here;
      the everyday questions it answers about as well as its own (`covered`): those are its own
      questions too, and never count against a question.

The decision is one weighted sum (`RefusalRule`, weights chosen on the labelled knowledge bases, each
left out in turn: `bench/answer_rules.py`): how far s and u stand above this knowledge base's off-topic
level, less the unknown words, less how much closer the question is to an uncovered everyday question
than to the content. That last term counts only while s is below what the knowledge base's own
questions score: a question it answers about as well as its own is never refused for resembling an
everyday one.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from assistant.config import SettingsError
from index import Embedder
from index.embedding.model_cache import export_paths

log = logging.getLogger(__name__)
QUESTIONS = Path(__file__).parent.parent / "data" / "elsewhere.txt"
MAX_LIST_BYTES = 1_000_000
MAX_LIST_LINES = 5_000
RULE_VERSION = 3  # bump when the calibration's contents change, so stored ones are made again
PROBES = 300  # own titles and headings searched at most
COVER = 0.95  # an everyday question scoring this share of the knowledge base's own median is covered
_WORD = re.compile(r"[^\W\d_]{3,}")


class ElsewhereError(SettingsError):
    """The everyday-questions list cannot be used; the message names the file and what to do."""


def elsewhere_questions(path: Path = QUESTIONS) -> list[str]:
    """The questions of one list file, one a line ('#' comments and blank lines skipped). ElsewhereError for
    a missing, huge, empty or non-UTF-8 file."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_LIST_BYTES:
            raise ElsewhereError(f"everyday-questions list {path} is {size:,} bytes; keep it under "
                                 f"{MAX_LIST_BYTES:,} (one short question a line)")
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError as exc:
        raise ElsewhereError(f"everyday-questions list {path} does not exist; fix elsewhere_file or remove it") from exc
    except UnicodeDecodeError as exc:
        raise ElsewhereError(f"everyday-questions list {path} is not UTF-8 text (byte {exc.start}); save it as "
                             "UTF-8") from exc
    except OSError as exc:
        raise ElsewhereError(f"everyday-questions list {path} cannot be read ({exc.strerror or exc})") from exc
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    if not lines:
        raise ElsewhereError(f"everyday-questions list {path} holds no question; write one a line, or remove "
                             "elsewhere_file")
    if len(lines) > MAX_LIST_LINES:
        raise ElsewhereError(f"everyday-questions list {path} has {len(lines):,} questions; keep it to "
                             f"{MAX_LIST_LINES:,}")
    return lines


def everyday_list(owner_file: Path | None = None, mode: str = "extend") -> list[str]:
    """The bundled list, with the owner's (`elsewhere_file`) added ("extend") or instead ("replace")."""
    if owner_file is None:
        return elsewhere_questions()
    own = elsewhere_questions(owner_file)
    return own if mode == "replace" else list(dict.fromkeys([*elsewhere_questions(), *own]))


@dataclass(frozen=True)
class Evidence:
    """What a question's search found, as the refusal rule reads it (cosines with the question)."""
    s: float  # the best passage
    u: float  # the best sentence of the best passages
    e: float  # the closest uncovered everyday question (-1: none)
    unknown: float  # share of the question's words the knowledge base never uses


@dataclass(frozen=True)
class Calibration:
    """What this knowledge base's own questions and the everyday ones score against it."""
    off_s: float  # 90th percentile of the everyday questions' best-passage cosine (the uncovered ones)
    off_u: float  # …and of their best sentence's
    own: float  # median best-passage cosine of its own titles and headings asked as questions
    own_low: float  # their 25th percentile: a question scoring this is answered about as well as its own
    covered: tuple[str, ...] = ()  # everyday questions it answers about as well as its own
    digest: str = ""  # of the everyday list and the rule version it was made for

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class RefusalRule:
    """answered ⇔ bias + w_s·(s − off_s) + w_u·(u − off_u) − w_unknown·unknown − w_e·max(0, e − s)·[s < own_low] ≥ 0.
    Weights chosen on the labelled knowledge bases, each left out in turn (`bench/answer_rules.py`)."""
    bias: float = 1.07
    w_s: float = 8.41
    w_u: float = 5.35
    w_unknown: float = 3.41
    w_e: float = 7.06
    floor: float | None = None  # `min_score` set by the owner: a fixed cosine floor as well

    def margin(self, evidence: Evidence, calibration: Calibration) -> float:
        """How clearly the knowledge base answers (≥ 0: answered)."""
        near = max(0.0, evidence.e - evidence.s) if evidence.s < calibration.own_low else 0.0
        return (self.bias + self.w_s * (evidence.s - calibration.off_s) + self.w_u * (evidence.u - calibration.off_u)
                - self.w_unknown * evidence.unknown - self.w_e * near)

    def answers(self, evidence: Evidence, calibration: Calibration) -> bool:
        if self.floor is not None and evidence.s < self.floor:
            return False
        return self.margin(evidence, calibration) >= 0


def unknown_share(question: str, words: Mapping[str, int], stop: frozenset[str] = frozenset()) -> float:
    """The share of the question's words (three letters or more, stop words aside) that the knowledge base
    never uses; 0 when the index keeps no vocabulary."""
    if not words:
        return 0.0
    asked = [w for w in _WORD.findall(question.lower()) if w not in stop]
    return sum(w not in words for w in asked) / len(asked) if asked else 0.0


class Elsewhere:
    """The everyday questions as vectors of one embedder, kept in the model cache beside the model's export."""

    def __init__(self, embedder: Embedder, cache_dir: Path | None = None, questions: Sequence[str] | None = None):
        self.embedder, self.cache_dir = embedder, cache_dir
        self.questions = list(questions) if questions is not None else elsewhere_questions()
        self.digest = hashlib.sha256(f"{RULE_VERSION}\n{chr(10).join(self.questions)}".encode()).hexdigest()[:12]
        self._vectors: np.ndarray | None = None
        self._uncovered: tuple[tuple[str, ...], np.ndarray] | None = None
        self._lock = threading.Lock()

    def vectors(self) -> np.ndarray:
        with self._lock:
            if self._vectors is None:
                self._vectors = self._load()
            return self._vectors

    def uncovered(self, covered: Sequence[str]) -> np.ndarray:
        """The vectors of the questions a knowledge base does not cover (made once per covered set)."""
        key = tuple(covered)
        known = self._uncovered
        if known is None or known[0] != key:
            keep = [n for n, q in enumerate(self.questions) if q not in set(key)]
            known = self._uncovered = (key, self.vectors()[keep])
        return known[1]

    def _load(self) -> np.ndarray:
        cached = self._cache_file()
        if cached is not None and cached.is_file():
            try:
                vectors = np.load(cached)
                if vectors.shape == (len(self.questions), self.embedder.dimension):
                    return vectors
            except (OSError, ValueError):
                pass
        vectors = np.asarray(self.embedder.embed(self.questions), dtype=np.float32)
        if cached is not None:
            _write(cached, lambda handle: np.save(handle, vectors))
        return vectors

    def _cache_file(self) -> Path | None:
        try:
            _, paths = export_paths(self.embedder.name, self.cache_dir)
        except Exception as exc:  # a model named by a path that moved: no cache, vectors made in memory
            log.debug("no model cache for the elsewhere questions: %s", exc)
            return None
        return paths.folder / f"elsewhere-{self.embedder.variant}-{self.digest}.npy"


def calibrate_index(index, elsewhere: Elsewhere, probe_texts: Sequence[str],
                    probe_vectors: np.ndarray) -> Calibration:
    """This knowledge base's calibration: the everyday questions and its own titles and headings
    (`probe_texts`, embedded as `probe_vectors`) searched against it."""
    line_s, line_u = probe(index, elsewhere.vectors())
    own_s, _ = probe(index, probe_vectors) if len(probe_vectors) else (np.zeros(0), None)
    return calibration_of(line_s, line_u, own_s, elsewhere.questions, elsewhere.digest)


def calibration_of(line_s: np.ndarray, line_u: np.ndarray, own_s: np.ndarray, questions: Sequence[str],
                   digest: str = "", cover: float = COVER) -> Calibration:
    """The calibration from what the everyday questions (`line_s`, `line_u`, in list order) and the knowledge
    base's own (`own_s`) score against it. Pure."""
    own = float(np.median(own_s)) if len(own_s) else 0.5
    covered = np.asarray(line_s) >= cover * own
    rest_s, rest_u = np.asarray(line_s)[~covered], np.asarray(line_u)[~covered]
    return Calibration(
        off_s=round(float(np.quantile(rest_s, 0.9)), 4) if len(rest_s) else 0.0,
        off_u=round(float(np.quantile(rest_u, 0.9)), 4) if len(rest_u) else 0.0,
        own=round(own, 4), own_low=round(float(np.quantile(own_s, 0.25)) if len(own_s) else own, 4),
        covered=tuple(q for q, c in zip(questions, covered) if c), digest=digest)


def probe(index, vectors: np.ndarray, depth: int = 5) -> tuple[np.ndarray, np.ndarray]:
    """Each probe's best passage cosine and best sentence cosine among its `depth` nearest passages."""
    best_s, best_u = np.zeros(len(vectors), np.float32), np.zeros(len(vectors), np.float32)
    for n, vector in enumerate(vectors):
        rows, scores = index.search_dense(vector, depth)
        best_s[n] = float(scores[0]) if len(scores) else 0.0
        best_u[n] = best_unit(index, rows, vector, best_s[n])
    return best_s, best_u


def best_unit(index, rows, vector: np.ndarray, fallback: float) -> float:
    """The best sentence cosine among these rows' stored sentence vectors (`fallback` without them)."""
    best = None
    for row in rows:
        units = index.unit_vectors(int(row))
        if units is not None and len(units):
            value = float((units @ vector).max())
            best = value if best is None else max(best, value)
    return fallback if best is None else best


def probe_texts(index, limit: int = PROBES) -> list[str]:
    """The knowledge base's own questions, as it words them: document titles, and section headings while
    the index is small enough to read its chunks quickly; at most `limit`, spread evenly."""
    texts = {entry.title for entry in index.manifest.documents.values()}
    if getattr(index, "rows", 0) <= 20_000:
        texts |= {heading for chunk in index.chunks for heading in chunk.section}
    texts = sorted(t for t in texts if len(t.split()) >= 2)
    if len(texts) > limit:
        step = len(texts) / limit
        texts = [texts[int(n * step)] for n in range(limit)]
    return texts


def calibration_for(index, elsewhere: Elsewhere, embedder: Embedder, cache: CalibrationCache) -> Calibration:
    """This index version's calibration for this list: read from the cache, else made (about a second at
    a few thousand chunks) and kept there."""
    found = cache.get(index.version, elsewhere.digest)
    if found is None:
        texts = probe_texts(index)
        found = calibrate_index(index, elsewhere, texts, embedder.embed(texts) if texts else np.zeros((0, 1)))
        cache.put(index.version, found)
    return found


class CalibrationCache:
    """Calibrations kept beside the index (`<index>/calibration/<version>-<digest>.json`), made once per
    version and list; a folder that cannot be written keeps them in memory only."""

    def __init__(self, index_dir: Path):
        self.folder = Path(index_dir) / "calibration"

    def get(self, version: str, digest: str) -> Calibration | None:
        path = self.folder / f"{version}-{digest}.json"
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            data["covered"] = tuple(data.get("covered", ()))
            return Calibration(**data)
        except (OSError, ValueError, TypeError):
            return None

    def put(self, version: str, calibration: Calibration) -> None:
        path = self.folder / f"{version}-{calibration.digest}.json"
        text = json.dumps(calibration.as_dict(), indent=1, ensure_ascii=False)
        _write(path, lambda handle: handle.write(text.encode("utf-8")))
        for old in self.folder.glob("*.json"):  # versions long gone
            if old != path and not (Path(self.folder.parent) / "versions" / old.name.rsplit("-", 1)[0]).is_dir():
                old.unlink(missing_ok=True)


def _write(path: Path, save) -> None:
    """Kept for the next start; a cache that cannot be written is simply not used."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(temporary, "wb") as handle:
            save(handle)
        os.replace(temporary, path)
    except OSError as exc:
        log.debug("not cached at %s: %s", path, exc)
        temporary.unlink(missing_ok=True)


__all__ = ["Calibration", "CalibrationCache", "Elsewhere", "ElsewhereError", "Evidence", "RefusalRule",
           "calibrate_index", "calibration_for", "calibration_of", "probe", "elsewhere_questions", "everyday_list", "probe_texts",
           "unknown_share"]
