"""The sentence of a passage that best matches the question, for emphasis. Pure and cheap."""

from __future__ import annotations

import re

import Stemmer

_STEM = Stemmer.Stemmer("english")
_STOP = set("""a an and are as at be by can do does for from had has have how i if in into is it its me my
of on or our so that the their them then there these they this to was we what when where which who why
will with would you your""".split())
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")


def _terms(text: str) -> set[str]:
    words = [w for w in re.findall(r"\w+", text.lower()) if w not in _STOP and len(w) > 1]
    return set(_STEM.stemWords(words))


def best_sentence(question: str, passage: str) -> str:
    """The sentence sharing the most (stemmed) words with the question; the first one on a tie."""
    sentences = [s.strip() for s in _SENTENCE.split(passage) if s.strip()]
    if not sentences:
        return ""
    wanted = _terms(question)
    scores = [len(wanted & _terms(s)) for s in sentences]
    best = max(range(len(sentences)), key=lambda i: (scores[i], -i))
    return sentences[best]
