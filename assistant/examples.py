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
_ASKS = re.compile(r"^(how|what|why|when|where|which|who|can|should|do|does|is|are)\b", re.I)
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
                phrased.setdefault(chunk.doc_id, f"{how.capitalize()} should I {rest}?")
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
