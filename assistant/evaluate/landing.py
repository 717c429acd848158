"""Does an answer land on the answer? Pure checks behind `assistant eval`'s highlight and moment accuracy.

A labelled question names the fact its answering sentence must hold (one or more alternative
phrases) and, for a recording, the time range of the answering exchange in seconds.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from corpus.sentences import plain

_OPENS = re.compile(r"^[\"'“‘(\[*_`]*[A-Z0-9£$€]")
_ITEM = re.compile(r"^\s*(?:[-*+•]|\d{1,3}[.)])\s+")
_CLOSES = re.compile(r"[.!?…:)]([\"'”’)\]*_`]*)$")


def _norm(text: str) -> str:
    return " ".join(plain(text).replace("’", "'").split()).casefold()


def holds_fact(highlight: str, facts: Sequence[str]) -> bool:
    """The highlight contains one of the labelled phrases (case, spacing and Markdown aside)."""
    text = _norm(highlight)
    return any(_norm(fact) in text for fact in facts)


def whole_sentence(highlight: str, passage: str) -> bool:
    """A whole sentence: it opens with a capital (or digit) and closes with end punctuation or at the end
    of a line of the passage (a list item, a table row, a formula after "…:"); or it is a whole list
    item or table row of the passage, whatever its case ("works in the business area…")."""
    text = " ".join(plain(highlight).split())
    if not text:
        return False
    if _OPENS.match(text) and _CLOSES.search(text):
        return True
    raw = passage.splitlines()
    for n, line in enumerate(raw):
        ends_unit = n + 1 == len(raw) or not raw[n + 1].strip() or _ITEM.match(raw[n + 1]) or " | " in line
        shown = " ".join(plain(_ITEM.sub("", line)).split())
        if shown and shown == text and (ends_unit or _ITEM.match(line)):
            return True  # a whole list item or table row, whatever its case
        if shown and ends_unit and _OPENS.match(text) and (shown.endswith(text) or text.endswith(shown)):
            return True
    return False


def moment_hit(start_seconds: float | None, moment: Sequence[float]) -> bool:
    """The link's time (whole seconds, as links carry it) lies inside the labelled range."""
    if start_seconds is None or len(moment) != 2:
        return False
    return float(moment[0]) - 1 < int(start_seconds) <= float(moment[1])
