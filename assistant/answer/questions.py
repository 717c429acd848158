"""Whether a question can be searched at all: checked before any index or model loads; and the
limits every way in shares (the web app's doors, the CLI).

    MAX_TOP_K       the most passages one answer may hold
    check_question  the one check of a question, within Settings.max_question_chars
(The earlier questions a follow-up may lean on: assistant.answer.followup.CONTEXT_TURNS.)
"""

from __future__ import annotations

import unicodedata

MAX_TOP_K = 50

__all__ = ["MAX_TOP_K", "check_question"]


def check_question(question: str, max_chars: int) -> str | None:
    """A message for a question that cannot be searched; None when it can. Needs no model or index."""
    if len(question) > max_chars:  # first, so the checks below stay bounded
        return f"Your question is {len(question):,} characters long; the limit is {max_chars:,}. Please shorten it."
    categories = [unicodedata.category(ch) for ch in question]
    if not any(c[0] not in "CZ" for c in categories):
        return "Please type a question: a few words about what you need help with."
    if "Cs" in categories:  # a lone surrogate (possible in JSON) cannot be encoded, so not searched
        return "Your question contains characters that could not be read; please type it again."
    return None
