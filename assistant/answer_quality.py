"""Does an answer land on the answer? Pure checks behind `assistant eval`'s highlight and moment accuracy.

A labelled question names the fact its answering sentence must hold (one or more alternative
phrases) and, for a recording, the time range of the answering exchange in seconds.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from assistant.sentences import plain

_OPENS = re.compile(r"^[\"'“‘(\[*_`]*[A-Z0-9£$€]")
_CLOSES = re.compile(r"[.!?…:)]([\"'”’)\]*_`]*)$")


def _norm(text: str) -> str:
    return " ".join(plain(text).replace("’", "'").split()).casefold()


def holds_fact(highlight: str, facts: Sequence[str]) -> bool:
    """The highlight contains one of the labelled phrases (case, spacing and Markdown aside)."""
    text = _norm(highlight)
    return any(_norm(fact) in text for fact in facts)


def whole_sentence(highlight: str, passage: str) -> bool:
    """A whole sentence: it opens with a capital (or digit) and closes with end punctuation, or it is a
    whole line of the passage (a list item, a table row, a recording's cue)."""
    text = " ".join(highlight.split())
    if not text:
        return False
    if _OPENS.match(text) and _CLOSES.search(text):
        return True
    lines = {" ".join(re.sub(r"^\s*(?:[-*+•]|\d{1,3}[.)])\s+", "", line).split()) for line in passage.splitlines()}
    return text in lines


def moment_hit(start_seconds: float | None, moment: Sequence[float]) -> bool:
    """The link's time (whole seconds, as links carry it) lies inside the labelled range."""
    if start_seconds is None or len(moment) != 2:
        return False
    return float(moment[0]) - 1 < int(start_seconds) <= float(moment[1])
