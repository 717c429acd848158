"""The one way in: the chat, Gradio's `/search` and `/feedback`, the JSON API, the widget and the MCP
tools all ask through one `Door`.

    door = Door(assistant, settings, question_log, on_logged)
    door.admit(client, channel)                      raises Limited when the client is over its rate
    door.answer(question, top_k, after, channel)     -> (Answer, answer_id): asked and logged
    door.ask(question, top_k, after)                 -> Answer: asked within the limits, not logged
    door.search(question, top_k, after, channel)     -> Reply: the answer's JSON, or why it was refused
    door.feedback(answer_id, helpful, comment)       -> the stored feedback, as JSON

One question check (`Assistant.ask` refuses what `check_question` refuses), one set of limits
(`Limits`, from settings and the constants below, defined once), one rate limiter per client (in
memory, `rate_limit_per_minute`; feedback counts in its own bucket), and one place, `answer`,
where every answer passes with its channel ("web", "api", "widget", "mcp") into the question log.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from limits import RateLimitItemPerMinute
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from assistant import Answer, Assistant, Settings
from assistant.answer.followup import CONTEXT_TURNS
from assistant.answer.questions import MAX_TOP_K

if TYPE_CHECKING:
    from assistant.analytics import QuestionLog

log = logging.getLogger(__name__)
CHANNELS = ("web", "api", "widget", "mcp", "reader")
BUCKETS = {"feedback": "feedback"}  # channels with their own allowance; every other channel shares "ask"


@dataclass(frozen=True)
class Limits:
    """What every door accepts: passages per answer, earlier questions a follow-up may lean on, question
    length, and questions per minute from one client (0: no limit)."""
    top_k: int
    max_top_k: int
    context_turns: int
    max_question_chars: int
    per_minute: int

    @classmethod
    def of(cls, settings: Settings) -> Limits:
        return cls(max(1, min(settings.answers.top_k, MAX_TOP_K)), MAX_TOP_K, CONTEXT_TURNS, settings.answers.max_question_chars,
                   settings.serving.rate_limit_per_minute)

    def clamp_top_k(self, value: object) -> int:
        """A passage count from 1 to max_top_k; the default for anything that is not a whole number."""
        try:
            number = int(value) if value not in (None, "") else self.top_k
        except (TypeError, ValueError, OverflowError):
            number = self.top_k
        return max(1, min(number, self.max_top_k))

    def earlier(self, after: object) -> tuple[str, ...]:
        """The conversation's earlier questions a follow-up may lean on: text only, each cut to the
        question length, the most recent `context_turns`."""
        if isinstance(after, str) or not isinstance(after, Sequence):
            after = [after] if isinstance(after, str) else []
        kept = tuple(q[:self.max_question_chars] for q in after if isinstance(q, str) and q.strip())
        return kept[-self.context_turns:] if self.context_turns else ()


UNAVAILABLE = "Search is unavailable for a moment (the index server is not answering); try again shortly."
RETRY_AFTER_S = 5  # what a 503 for an unreachable index server asks clients to wait


class Limited(Exception):
    """A client asked more often than `rate_limit_per_minute`; `wait`: whole seconds until it may again."""

    def __init__(self, wait: int):
        super().__init__(f"Too many questions from this address; try again in {wait} s.")
        self.wait = wait


@dataclass(frozen=True)
class Reply:
    status: int  # 200, or 400 when the question cannot be searched
    body: dict  # `assistant ask --json`'s JSON; a refusal adds "error" (the same words as "message")


class Door:
    def __init__(self, assistant: Assistant, settings: Settings, question_log: QuestionLog | None = None,
                 on_logged: Callable[[str | None, Answer, str], None] | None = None):
        self.assistant = assistant
        self.settings = settings
        self.limits = Limits.of(settings)
        self.log = question_log  # assistant.analytics' question log (None: nothing is logged)
        self.on_logged = on_logged  # told (answer_id, answer, channel) of each logged answer (the chat's feedback)
        self._rate = RateLimitItemPerMinute(max(1, self.limits.per_minute))
        self._limiter = MovingWindowRateLimiter(MemoryStorage()) if self.limits.per_minute > 0 else None

    def admit(self, client: str | None, channel: str = "api") -> None:
        """Count one call from `client` (an address); raises Limited when over the limit. `None`: a call
        from inside this process (tests, tools), never limited."""
        if self._limiter is None or client is None:
            return
        key = f"{BUCKETS.get(channel, 'ask')}:{client or 'unknown'}"
        if not self._limiter.hit(self._rate, key):
            reset = self._limiter.get_window_stats(self._rate, key).reset_time
            raise Limited(max(1, math.ceil(reset - time.time())))

    def answer(self, question: object, top_k: object = None, after: object = (),
               channel: str = "api") -> tuple[Answer, str | None]:
        """Ask (Assistant.ask checks the question and refuses what cannot be searched), log the answer
        with its channel; (answer, answer_id or None when logging is off)."""
        started = time.perf_counter()
        answer = self.ask(question, top_k, after)
        if self.log is None:
            return answer, None
        try:
            answer_id = self.log.record(answer, channel, time.perf_counter() - started, self.assistant.index.version)
        except Exception:  # noqa: BLE001 — logging must never fail a visitor's question
            log.exception("question log: could not queue a question; the answer is unaffected")
            return answer, None
        if self.on_logged is not None:
            self.on_logged(answer_id, answer, channel)
        return answer, answer_id

    def ask(self, question: object, top_k: object = None, after: object = ()) -> Answer:
        """The answer alone, within the limits, not logged."""
        text = question if isinstance(question, str) else ""
        return self.assistant.ask(text, top_k=self.limits.clamp_top_k(top_k), previous=self.limits.earlier(after))

    def search(self, question: object, top_k: object = None, after: object = (), channel: str = "api") -> Reply:
        """The JSON doors' answer: 200 with the answer, or 400 with the refusal and its "error"."""
        if not isinstance(question, str):
            problem = "Add a question, e.g. ?q=how+do+I+get+started"
            body = Answer(question="", answered=False, passages=(), message=problem).as_dict()
            return Reply(400, {**body, "error": problem})
        answer, answer_id = self.answer(question, top_k, after, channel)
        body = self.as_json(answer, answer_id)
        return Reply(400, {**body, "error": answer.message}) if refused(answer) else Reply(200, body)

    def as_json(self, answer: Answer, answer_id: str | None) -> dict:
        """`assistant ask --json`'s JSON, with its `answer_id` for feedback when the log is on."""
        data = answer.as_dict()
        return {**data, "answer_id": answer_id} if self.log is not None else data

    def feedback(self, answer_id: object, helpful: object, comment: object = "") -> dict:
        """Whether an answer helped (raises analytics.FeedbackRefused / StoreUnavailable with the reason)."""
        record = self.log.feedback(answer_id, helpful, comment)
        return {"answer_id": record.answer_id, "helpful": record.helpful, "comment": record.comment, "stored": True}


def refused(answer: Answer) -> bool:
    """The question could not be searched at all (too long, empty, unreadable): a message, nothing cited."""
    return answer.kind == "refused"


__all__ = ["CHANNELS", "MAX_TOP_K", "Door", "Limited", "Limits", "Reply", "refused"]
