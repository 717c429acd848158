"""Misspelt question words corrected to the knowledge base's own words ("probaton" → "probation"). Pure
but for the language's word list, read on first use.

A word is left alone when the knowledge base uses it, when the language knows it (pyspellchecker's
word list: "feeling" is not a misspelling of "meeting"), when it is short, or when it is capitalised
inside the question (a name: "Tesco", "Roomba"). Otherwise it becomes the knowledge base's word within
one edit (two for words of seven letters or more), the most used one on a tie; a run-together word
becomes two of the knowledge base's words ("childlock" → "child lock"). The words come from the index
(`LoadedIndex.words()`), never from code.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

MIN_LETTERS = 4
_WORD = re.compile(r"(?<![\w'’-])[^\W\d_]+(?:['’][^\W\d_]+)?(?![\w'’-])")
LANGUAGES = {"english": "en", "spanish": "es", "french": "fr", "german": "de", "portuguese": "pt",
             "italian": "it", "dutch": "nl", "russian": "ru", "arabic": "ar", "latvian": "lv", "basque": "eu",
             "persian": "fa"}  # the word lists pyspellchecker ships
_LOCK = threading.Lock()


@dataclass(frozen=True)
class Correction:
    text: str  # the question with its misspelt words corrected
    changes: tuple[tuple[str, str], ...]  # (as typed, as searched)


@lru_cache(maxsize=4)
def _language(code: str):
    """The language's spell checker (its word list and edits), or None when pyspellchecker has none for it."""
    from spellchecker import SpellChecker

    with _LOCK:
        try:
            return SpellChecker(language=code, distance=1)
        except (ValueError, OSError):
            return None


class Speller:
    def __init__(self, words: Mapping[str, int], language: str | None = "English"):
        self.words = words
        self.code = LANGUAGES.get((language or "").strip().casefold())
        self._choices: list[str] | None = None

    def correct(self, question: str) -> Correction:
        if not self.words or self.code is None:
            return Correction(question, ())
        changes: list[tuple[str, str]] = []

        def replace(match: re.Match) -> str:
            word = match.group(0)
            fixed = self.fix(word, inside=match.start() > 0)
            if fixed is None:
                return word
            changes.append((word, fixed))
            return fixed

        text = _WORD.sub(replace, question)
        return Correction(text, tuple(changes))

    def fix(self, word: str, inside: bool = True) -> str | None:
        """The knowledge base's word (or two) for a misspelt word; None to leave it as typed."""
        lower = word.lower()
        if len(lower) < MIN_LETTERS or lower in self.words or (inside and word[:1].isupper()):
            return None
        language = _language(self.code)
        if language is None or lower in language or lower.replace("’", "'") in language:
            return None
        split = self._split(lower)
        if split:
            return split
        from rapidfuzz import process
        from rapidfuzz.distance import DamerauLevenshtein

        limit = 1 if len(lower) < 7 else 2
        found = process.extract(lower, self._candidates(), scorer=DamerauLevenshtein.distance, score_cutoff=limit,
                                limit=32)
        if not found:
            return None
        best = min(found, key=lambda hit: (hit[1], -self.words.get(hit[0], 0), hit[0]))[0]
        nearby = language.known(language.edit_distance_1(lower))  # what the typist more likely meant
        likeliest = max(nearby, key=lambda w: (language[w], w), default=None)
        if likeliest is not None and likeliest != best and language[likeliest] > language[best]:
            return None  # "realy" is "really" more likely than the knowledge base's "ready": left as typed
        return best if word[:1].islower() else best.capitalize()

    def _split(self, word: str) -> str | None:
        """"childlock" → "child lock" when both halves are the knowledge base's words."""
        for at in range(3, len(word) - 2):
            left, right = word[:at], word[at:]
            if left in self.words and right in self.words:
                return f"{left} {right}"
        return None

    def _candidates(self) -> list[str]:
        if self._choices is None:
            self._choices = [w for w in self.words if len(w) >= MIN_LETTERS - 1]
        return self._choices
