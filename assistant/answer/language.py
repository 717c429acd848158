"""Is a question written in a script the model reads? Pure.

all-MiniLM-L6-v2 reads English (Latin script): a question mostly in Chinese, Arabic, Cyrillic…
would get a meaningless nearest match, so it is told which language the knowledge base answers in.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

MOSTLY = 0.5  # share of a question's letters that must be in a readable script


def script_of(char: str) -> str:
    """'LATIN', 'CJK', 'CYRILLIC', 'ARABIC', 'HIRAGANA'…: the first word of the character's Unicode name."""
    name = unicodedata.name(char, "")
    return name.split(" ", 1)[0] if name else "UNKNOWN"


def script_problem(question: str, scripts: Sequence[str], language: str) -> str | None:
    """A message for a question mostly in scripts other than `scripts`; None when it can be searched
    (or when `scripts` is empty: the model reads any)."""
    if not scripts:
        return None
    readable = {s.upper() for s in scripts}
    letters = [script_of(ch) for ch in question if unicodedata.category(ch).startswith("L")]
    if not letters or sum(s in readable for s in letters) >= MOSTLY * len(letters):
        return None
    return (f"This knowledge base answers in {language}, and questions in other languages cannot be matched "
            f"reliably. Please ask in {language}.")
