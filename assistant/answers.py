"""The records a question produces: ranked passages with everything a citation needs."""

from __future__ import annotations

from dataclasses import asdict, dataclass

NO_MATCH = "No confident match in the knowledge base. These are the nearest articles; try rephrasing."


@dataclass(frozen=True)
class Turn:
    """One speaker's turn in a recording's exchange around the answer."""

    speaker: str | None
    start: float
    end: float
    text: str
    answering: bool = False  # the turn that holds the answering cue (the highlight)


@dataclass(frozen=True)
class Passage:
    title: str
    url: str  # deep link: section anchor, the answering moment of a recording, or deck page
    section: str  # "Career paths › From analyst to manager"
    text: str
    highlight: str  # the whole sentence (a recording: the cue) that best answers the question
    score: float  # cosine similarity of passage and question, 0..1 (what "answered" is decided on)
    source_type: str
    start_seconds: float | None = None  # recordings: the answering moment (where the link opens)…
    end_seconds: float | None = None  # …to the end of the answering cue
    page: int | None = None
    doc_id: str = ""
    passage_start_seconds: float | None = None  # recordings: the whole passage's span
    passage_end_seconds: float | None = None
    exchange: tuple[Turn, ...] = ()  # recordings: the speaker turns around the answer
    rank_score: float = 0.0  # what orders the cards: the cosine plus the BM25 share the fusion gives it

    def as_dict(self) -> dict:
        data = asdict(self)
        data["exchange"] = list(data["exchange"])  # JSON's shape: a list of turns
        return data


@dataclass(frozen=True)
class Answer:
    question: str
    answered: bool  # a passage scored above the confidence threshold
    passages: tuple[Passage, ...]
    message: str | None = None  # why nothing or little was found, in words for people
    searched_for: str | None = None  # a follow-up searched with the conversation: what was searched, in words
    more: tuple[Passage, ...] = ()  # further passages, weaker than the cards: shown behind "More results"

    def as_dict(self) -> dict:
        return {
            "question": self.question,
            "answered": self.answered,
            "message": self.message,
            "searched_for": self.searched_for,
            "passages": [p.as_dict() for p in self.passages],
            "more": [p.as_dict() for p in self.more],
        }
