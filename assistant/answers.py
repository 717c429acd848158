"""The records a question produces: ranked passages with everything a citation needs."""

from __future__ import annotations

from dataclasses import asdict, dataclass

NO_MATCH = "No confident match in the knowledge base. These are the nearest articles; try rephrasing."


@dataclass(frozen=True)
class Passage:
    title: str
    url: str  # deep link: section anchor, recording time or deck page
    section: str  # "Career paths › From analyst to manager"
    text: str
    highlight: str  # the sentence that best matches the question
    score: float  # cosine similarity of passage and question, 0..1
    source_type: str
    start_seconds: float | None = None
    end_seconds: float | None = None
    page: int | None = None
    doc_id: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Answer:
    question: str
    answered: bool  # a passage scored above the confidence threshold
    passages: tuple[Passage, ...]
    message: str | None = None  # why nothing or little was found, in words for people

    def as_dict(self) -> dict:
        return {
            "question": self.question,
            "answered": self.answered,
            "message": self.message,
            "passages": [p.as_dict() for p in self.passages],
        }
