"""Example questions taken from the knowledge base's own content, for a site that configures none. Pure.

Headings and titles that are already questions come first ("How long should beans rest?"); then
"How to …", "Why …", "When to …" headings turned into questions; then document titles as they are.
At most one per document, in the index's order, so the examples spread across the content.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from corpus import Chunk

_HOW_TO = re.compile(r"^(how|when|where|what|which|why) to\s+(.+)$", re.I)
# A heading reads as a question when a wh-word is followed by an auxiliary ("What is a…", "How do I…") or
# it opens with one ("Can I…", "Do we…"); "When self-service does not work" is a condition, not a question.
_AUXILIARY = r"(?:is|are|was|were|do|does|did|can|could|should|would|will|shall|may|might|must|has|have)"
_ASKS = re.compile(rf"^(?:(?:how|what|why|when|where|which|who)(?:'s|\s+{_AUXILIARY})|{_AUXILIARY})\s+\S", re.I)
MAX_CHARS = 90


def suggest_examples(chunks: Sequence[Chunk], count: int = 3) -> tuple[str, ...]:
    questions: dict[str, str] = {}
    phrased: dict[str, str] = {}
    titles: dict[str, str] = {}
    for chunk in chunks:
        if chunk.source_type == "transcript":
            continue  # a host's question leans on the conversation; a recording's title is used instead
        for text in (*chunk.section, chunk.title):
            text = " ".join(text.split())
            if not text or len(text) > MAX_CHARS:
                continue
            if text.endswith("?"):
                questions.setdefault(chunk.doc_id, text)
            elif _HOW_TO.match(text):
                how, rest = _HOW_TO.match(text).groups()
                phrased.setdefault(chunk.doc_id, f"{how.capitalize()} do I {_first_person(rest)}?")
            elif _ASKS.match(text):
                phrased.setdefault(chunk.doc_id, f"{text}?")
        titles.setdefault(chunk.doc_id, " ".join(chunk.title.split())[:MAX_CHARS])
    chosen: list[str] = []
    used: set[str] = set()
    for pool in (questions, phrased, titles):
        for doc, text in pool.items():
            if len(chosen) < count and doc not in used and text not in chosen:
                chosen.append(text)
                used.add(doc)
    return tuple(chosen)


_SECOND_PERSON = {"your": "my", "yours": "mine", "yourself": "myself", "you": "I"}


def _first_person(words: str) -> str:
    """"reset your password" -> "reset my password": a heading's "you" is the asker's "I"."""
    return re.sub(r"\b(?:your|yours|yourself|you)\b", lambda m: _SECOND_PERSON[m.group(0).lower()], words, flags=re.I)
