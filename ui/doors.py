"""What the doors for other sites and programs share: the JSON API, the widget and the MCP tools.

    door = Door(assistant, settings)
    door.limited(client)                          -> seconds to wait, or None (per-client rate limit)
    door.search(question, top_k, after, channel)  -> Reply: the answer's JSON, or why it was refused

One search path (`Assistant.ask`), one question check (`Assistant.check_question`), one rate limit
per client (in memory, `rate_limit_per_minute`), and one place, `record`, where every answer
passes with its channel ("api", "widget", "mcp") into the question log (`assistant report`).
"""

from __future__ import annotations

import inspect
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

from limits import RateLimitItemPerMinute
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from assistant import Answer, Assistant, Settings

MAX_TOP_K = 50
MAX_AFTER = 2  # earlier questions a follow-up may lean on (the most recent ones)
CHANNELS = ("api", "widget", "mcp")


@dataclass(frozen=True)
class Reply:
    status: int  # 200, or 400 when the question cannot be searched
    body: dict  # `assistant ask --json`'s JSON; a refusal adds "error" (the same words as "message")


class Door:
    def __init__(self, assistant: Assistant, settings: Settings, feedback=None):
        self.assistant = assistant
        self.settings = settings
        self.feedback = feedback  # ui.feedback.ChatFeedback: the question log (None: answers are not logged)
        self._per_minute = RateLimitItemPerMinute(settings.rate_limit_per_minute or 1)
        self._limiter = MovingWindowRateLimiter(MemoryStorage()) if settings.rate_limit_per_minute else None
        # Follow-ups: passed to Assistant.ask as `previous` once it takes them; ignored until then.
        self._follow_ups = "previous" in inspect.signature(assistant.ask).parameters

    def limited(self, client: str) -> int | None:
        """Counts one question from `client` (an address); the whole seconds to wait when over the limit."""
        if self._limiter is None:
            return None
        if self._limiter.hit(self._per_minute, client or "unknown"):
            return None
        reset = self._limiter.get_window_stats(self._per_minute, client or "unknown").reset_time
        return max(1, math.ceil(reset - time.time()))

    def problem(self, question: object) -> str | None:
        """Why a question cannot be searched (missing, empty, over-long, unreadable); None when it can."""
        if not isinstance(question, str):
            return "Add a question, e.g. ?q=how+do+I+get+started"
        return self.assistant.check_question(question)

    def search(self, question: object, top_k: object = None, after: Sequence[str] = (), channel: str = "api") -> Reply:
        started = time.perf_counter()
        problem = self.problem(question)
        if problem:
            shown = question[:200].encode("utf-8", "replace").decode("utf-8") if isinstance(question, str) else ""
            answer = Answer(question=shown, answered=False, passages=(), message=problem)
            return Reply(400, {**self.record(answer, started, channel), "error": problem})
        answer = self.ask(question, clamp_top_k(top_k, self.settings.top_k), after)
        return Reply(200, self.record(answer, started, channel))

    def ask(self, question: str, top_k: int, after: Sequence[str] = ()) -> Answer:
        cap = self.settings.max_question_chars
        previous = tuple(q[:cap] for q in after if isinstance(q, str) and q.strip())[-MAX_AFTER:]
        if previous and self._follow_ups:
            return self.assistant.ask(question, top_k=top_k, previous=previous)
        return self.assistant.ask(question, top_k=top_k)

    def record(self, answer: Answer, started: float, channel: str) -> dict:
        """Every answer given through a door passes here, tagged with its channel, into the question log
        (when it is on); returns the answer's JSON, with its `answer_id` for feedback when logged."""
        if self.feedback is None:
            return answer.as_dict()
        answer_id = self.feedback.record(answer, started, channel, self.assistant.index.version)
        return self.feedback.api_answer(answer, answer_id)


def clamp_top_k(value: object, default: int) -> int:
    """A passage count from 1 to MAX_TOP_K; `default` for anything that is not a whole number."""
    try:
        number = int(value) if value not in (None, "") else default
    except (TypeError, ValueError):
        number = default
    return max(1, min(number, MAX_TOP_K))


__all__ = ["CHANNELS", "MAX_TOP_K", "Door", "Reply", "clamp_top_k"]
