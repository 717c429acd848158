"""What an answer looks like: the question's form says what its answering sentence holds. Pure.

    wanted("how many years does it take…")   -> {"quantity", "duration"}
    holds("three to six years", {"quantity"}) -> True

| the question asks…                                  | its answer holds         |
|-----------------------------------------------------|--------------------------|
| how much / how many / what percentage / what rate   | a quantity               |
| how long / how often / how soon                     | a duration or frequency  |
| when / what day / what time                         | a time, a date or a "when…" condition |
| what size / what temperature / how big              | a measure (a number and a unit) |
| who / whose / which person                          | a person or a role       |
| how do I / how to / how can / how should / steps    | an instruction           |
| why                                                 | a reason                 |

A sentence that is none of these can still answer (the kinds only add evidence); what never answers
while another candidate does is a greeting, an introduction or a closing thank-you (`ceremony`), and
a sentence that mostly restates the question's words (`restates`).

The words are the English language's (`assistant/data/english.toml`, each list with its source), never
a knowledge base's. `small_talk` tells a visitor's "hi", "thanks!" or "bye" from a question.
"""

from __future__ import annotations

import re
import tomllib
from functools import lru_cache
from pathlib import Path

CUES = Path(__file__).parent.parent / "data" / "english.toml"
RULES_LANGUAGE = "English"  # the language the cue words are in; other languages use the model's scores alone


def rules_apply(language: str | None) -> bool:
    """Whether the answer rules speak the knowledge base's language (`language` setting)."""
    return (language or RULES_LANGUAGE).strip().casefold() in ("english", "en")


def _words(items) -> str:
    """Alternation of whole words or phrases (spaces match any spacing), longest first."""
    parts = sorted({str(item).strip().casefold() for item in items if str(item).strip()}, key=len, reverse=True)
    return "|".join(r"\s+".join(map(re.escape, part.split())) for part in parts)


def _phrase(items, opening: bool = False) -> str:
    body = _words(items)
    if not body:
        return r"(?!x)x"
    start = r"^\W*(?:(?:and|so|ok|okay|but|also|then|hi|hello|please)\W+)*" if opening else r"(?<![\w'])"
    return rf"{start}(?:{body})(?![\w'])"


def _load(path: Path = CUES) -> dict:
    return tomllib.loads(path.read_text(encoding="utf-8"))


_DATA = _load()
_NUMBER = re.compile(rf"\d|{_phrase(_DATA['number']['words'] + _DATA['number']['phrases'])}|"
                     rf"{'|'.join(map(re.escape, _DATA['number']['symbols']))}", re.I)
_TIME_UNIT = re.compile(_phrase(_DATA["time_unit"]["words"]), re.I)
_FREQUENCY = re.compile(_phrase(_DATA["frequency"]["words"]), re.I)
_WHEN = re.compile(rf"{_phrase(_DATA['calendar']['words'] + _DATA['calendar']['phrases'])}|"
                   rf"\b\d{{1,2}}[:.]\d{{2}}\b|\d\s*(?:am|pm)\b", re.I)
_UNIT = re.compile(rf"\d\s*(?:{_words(_DATA['unit']['words'])})(?![\w'])", re.I)
_ROLE = re.compile(_phrase(_DATA["role"]["words"]), re.I)
_NAME = re.compile(r"(?<!^)(?<![.!?]\s)\b[A-Z][a-z]+ [A-Z][a-z]+\b")  # a person's name, mid-sentence (case matters)
_INSTRUCTION = re.compile(rf"^[\"'“‘*_\s]*(?:{_words(_DATA['instruction']['words'])})(?![\w'])", re.I)
_ADVICE = re.compile(_phrase(_DATA["advice"]["phrases"]), re.I)
_NARRATION = re.compile(rf"(?<![\w'])(?:{_words(_DATA['narration']['subjects'])})\s+(?:\w+ed|"
                        rf"{_words(_DATA['narration']['irregular_past'])})(?![\w'])", re.I)
_REASON = re.compile(_phrase(_DATA["reason"]["phrases"]), re.I)
_CEREMONY = re.compile(rf"{_phrase(_DATA['ceremony']['opening'], opening=True)}|"
                       rf"{_phrase(_DATA['ceremony']['anywhere'])}", re.I)
_INTRODUCTION = re.compile(r"(?<![\w'])(?:[Ii]'m|I am) [A-Z][a-z]+ [A-Z][a-z]+\b")  # "I'm Priya Nair": case matters
_QUESTION_FORMS = [(kind, re.compile(f"{_phrase(form.get('opening', ()), opening=True)}|{_phrase(form.get('phrases', ()))}",
                                     re.I))
                   for kind, form in _DATA["asks"].items()]
_SMALL_TALK = {kind: re.compile(rf"(?<![\w'])(?:{_words(_DATA['small_talk'][kind])})(?![\w'])", re.I)
               for kind in ("greeting", "thanks", "goodbye")}
_SHAPES = {
    "quantity": lambda text: bool(_NUMBER.search(text)),
    "duration": lambda text: bool(_TIME_UNIT.search(text)) or (bool(_FREQUENCY.search(text)) and bool(_NUMBER.search(text))),
    "time": lambda text: bool(_WHEN.search(text)),
    "measure": lambda text: bool(_UNIT.search(text)),
    "person": lambda text: bool(_ROLE.search(text)) or bool(_NAME.search(text)),
    "instruction": lambda text: bool(_INSTRUCTION.search(text)) or bool(_ADVICE.search(text))
    or bool(_NARRATION.search(text)),
    "reason": lambda text: bool(_REASON.search(text)),
}


@lru_cache(maxsize=4096)
def wanted(question: str) -> frozenset[str]:
    """The kinds of content the question's form asks for (empty when its form says nothing)."""
    return frozenset(kind for kind, form in _QUESTION_FORMS if form.search(question))


@lru_cache(maxsize=65536)
def holds(text: str, kinds: frozenset[str]) -> bool:
    """The sentence holds at least one of the kinds of content asked for."""
    return any(_SHAPES[kind](text) for kind in kinds)


@lru_cache(maxsize=65536)
def ceremony(text: str) -> bool:
    """A greeting, an introduction of the speakers or the session, or a closing thank-you."""
    return bool(_CEREMONY.search(text)) or bool(_INTRODUCTION.search(text))


def small_talk(message: str) -> str | None:
    """"greeting", "thanks" or "goodbye" for a message made only of such phrases ("hi", "thanks!", "ok bye":
    the last kind named wins); None for anything else, which is searched."""
    text = " ".join((message or "").split())
    if not text or len(text) > 60:
        return None
    found: list[tuple[int, str]] = []
    rest = text
    for kind, pattern in _SMALL_TALK.items():
        found += [(m.start(), kind) for m in pattern.finditer(text)]
        rest = pattern.sub(" ", rest)
    if not found or re.search(r"\w", rest):
        return None
    return max(found)[1]


RESTATE_NEW_WORDS = 0  # "Cool the beans in a colander" adds one word to "cooling beans", and that word is the answer


def restates(question_terms: set[str], sentence_terms: set[str]) -> bool:
    """The sentence mostly repeats the question's words and adds few of its own."""
    if len(question_terms) < 2 or not sentence_terms:
        return False
    shared = question_terms & sentence_terms
    return len(shared) / len(question_terms) >= 0.6 and len(sentence_terms - question_terms) <= RESTATE_NEW_WORDS
