"""The records a question produces: ranked passages with everything a citation needs."""

from __future__ import annotations

from dataclasses import asdict, dataclass

NO_MATCH = "No article here answers that."  # how every "no confident match" message opens (`no_match_message`)
KINDS = ("answer", "no_match", "refused", "small_talk")


def no_match_message(site_name: str, scope: str | None) -> str:
    """Why nothing was answered, in words a visitor can act on: what this help centre covers; the nearest
    articles follow as cards."""
    covers = f" {site_name} covers {scope.strip().rstrip('.')}." if scope and scope.strip() else ""
    return f"{NO_MATCH}{covers} The nearest articles are below, in case one of them helps."


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
    confidence: float = 0.0  # how clearly the answering sentence (moment) beats the next; under the gate none is shown

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
    small_talk: str | None = None  # "greeting", "thanks" or "goodbye": `message` is the site's reply; nothing searched
    examples: tuple[str, ...] = ()  # with a small-talk reply or a refusal: questions the visitor might ask instead

    @property
    def kind(self) -> str:
        """"answer", "no_match" (the nearest articles, with why), "refused" (the question cannot be searched:
        empty, too long, another script) or "small_talk" (a greeting, thanks or goodbye, answered in words)."""
        if self.answered:
            return "answer"
        if self.small_talk:
            return "small_talk"
        return "no_match" if (self.message or "").startswith(NO_MATCH) or self.passages else "refused"

    def as_dict(self) -> dict:
        return {
            "question": self.question,
            "answered": self.answered,
            "kind": self.kind,
            "message": self.message,
            "searched_for": self.searched_for,
            "passages": [p.as_dict() for p in self.passages],
            "more": [p.as_dict() for p in self.more],
            **({"examples": list(self.examples)} if self.examples else {}),
        }
