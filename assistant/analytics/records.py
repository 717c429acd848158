"""What the log holds, as frozen records: a question with its citations, feedback, and clicks.

Times are Unix seconds (UTC). `Question.id` is the `answer_id` handed to the page and to API callers.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Citation:
    position: int  # 1 = the first passage shown
    doc_id: str
    title: str
    url: str
    score: float


@dataclass(frozen=True)
class Question:
    id: str
    asked_at: float
    source: str  # channel: "web" (the chat page), "api" (/search, /api/search), "widget" (other pages), "mcp"
    question: str  # masked
    answered: bool  # False: "no confident match"
    top_score: float | None
    latency_ms: float
    index_version: str | None
    citations: tuple[Citation, ...] = ()


@dataclass(frozen=True)
class Feedback:
    answer_id: str
    helpful: bool
    comment: str  # masked; "" when none
    given_at: float


@dataclass(frozen=True)
class Click:
    answer_id: str
    url: str
    clicked_at: float
    position: int | None = None  # filled in from the answer's citations when stored


@dataclass(frozen=True)
class Rating:
    """"Was this article helpful?" on a reader page: one per visitor, document and day (the last one counts)."""
    doc_id: str
    title: str
    visitor: str  # a hash of the visitor's address and the day; never the address itself
    day: str  # YYYY-MM-DD, UTC
    stars: int  # 1 to 5
    comment: str  # "How can we improve this article?", masked; "" when none
    rated_at: float


@dataclass(frozen=True)
class Snapshot:
    """Everything about the questions asked since a moment: what a report is computed from."""
    since: float | None
    questions: tuple[Question, ...] = ()
    feedback: tuple[Feedback, ...] = ()
    clicks: tuple[Click, ...] = ()
    ratings: tuple[Rating, ...] = ()
