"""Follow-up questions that lean on the previous one ("How often should we redo that?") are searched
together with it. Pure.

A question leans on the conversation when it opens like a continuation ("and…", "what about…"),
has a single word of its own, or points back with a pronoun ("that", "it", "them") and has few
words of its own. "What is a message house?" stands alone. Anything else is stand-alone and is searched exactly as typed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from assistant.answer.highlight import terms

CONTINUATION = re.compile(r"^\s*(and|also|but|so|then|plus|or|what about|how about|what if|same for|"
                          r"why not|what else)\b", re.I)
ANAPHOR = re.compile(r"\b(that|this|it|its|they|them|their|those|these|there|he|she|him|her|one|ones|"
                     r"such|same|again|instead|each|both|either)\b", re.I)
OWN_WORDS_ALONE = 1  # a question with this many content words or fewer cannot stand alone
OWN_WORDS_WITH_POINTER = 3  # …nor can one that points back with a pronoun and has this many or fewer
CONTEXT_TURNS = 2  # at most this many earlier questions are searched with a follow-up


@dataclass(frozen=True)
class Query:
    text: str  # what is searched
    shown: str | None  # "Searched for: …" in words, when the conversation was used


def leans_on_previous(question: str) -> bool:
    own = len(terms(question))
    if CONTINUATION.search(question):
        return True
    if own <= OWN_WORDS_ALONE:
        return True
    return own <= OWN_WORDS_WITH_POINTER and bool(ANAPHOR.search(question))


def resolve(question: str, previous: Sequence[str] = ()) -> Query:
    """The query to search: the question alone, or with the earlier question(s) it leans on."""
    earlier = [p.strip() for p in previous if isinstance(p, str) and p.strip()]
    if not earlier or not leans_on_previous(question):
        return Query(question, None)
    context = [earlier[-1]]
    for before in reversed(earlier[:-1]):  # the last question may itself be a follow-up of the one before
        if len(context) >= CONTEXT_TURNS or not leans_on_previous(context[0]):
            break
        context.insert(0, before)
    text = " ".join([*context, question])
    return Query(text, " — ".join(gist(q) for q in [*context, question]))


_OPENING = re.compile(r"^(?:(?:how|what|why|when|where|which|who|can|could|should|would|do|does|did|is|are|"
                      r"will)\s+(?:(?:do|does|did|should|can|could|would|will|is|are|we|i|you|our|my|the)\s+)+)",
                      re.I)


def gist(question: str) -> str:
    """A question without its opening words and punctuation: 'score projects to prioritise the portfolio'."""
    text = " ".join(question.split()).rstrip("?!. ")
    stripped = _OPENING.sub("", text)
    words = stripped if len(stripped.split()) >= 2 else text
    return words[:1].lower() + words[1:] if words[:2] != words[:2].upper() else words
