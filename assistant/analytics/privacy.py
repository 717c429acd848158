"""What is kept of a visitor's words: personal details masked, unreadable characters removed.

    mask("mail jo@example.org or call +44 20 7946 0958")  -> "mail <email> or call <phone>"
    clean(text, limit)                                    -> storable text, or FeedbackRefused

Masking runs before anything is stored. E-mail addresses become `<email>`; runs of 13–19 digits
(card-like, with spaces or dashes between groups) become `<number>`; other runs of 7–15 digits
(phone numbers, with an optional leading +, spaces, dashes, dots or brackets) become `<phone>`.
ISO dates (2026-03-02) and short numbers (years, versions, ISO 21500) are left alone. Masking errs
towards hiding: an order number of 8 digits is masked as `<phone>` too.
"""

from __future__ import annotations

import re
import unicodedata

from assistant.analytics.errors import FeedbackRefused

EMAIL = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
# A digit run with separators between digits; the lookarounds keep it from starting inside a word.
NUMBER_RUN = re.compile(r"(?<![\w+])\+?\(?\d(?:[\d\s().-]*\d)?(?!\w)")
ISO_DATE = re.compile(r"\d{4}-\d{1,2}-\d{1,2}(?:[ T]\d{1,2}[:.]\d{2})?")
COMMENT_CHARS = 2000


def mask(text: str) -> str:
    """The text with e-mail addresses, card-like numbers and phone numbers replaced by placeholders."""
    return NUMBER_RUN.sub(_mask_number, EMAIL.sub("<email>", text))


def _mask_number(match: re.Match) -> str:
    run = match.group(0)
    stripped = run.rstrip(" .-")
    tail = run[len(stripped):]
    digits = sum(ch.isdigit() for ch in stripped)
    if ISO_DATE.fullmatch(stripped.strip("()")):
        return run
    if 13 <= digits <= 19 and not stripped.startswith("+"):
        return "<number>" + tail
    if 7 <= digits <= 15:
        return "<phone>" + tail
    return run


def clean(text: object, limit: int, field: str = "comment") -> str:
    """Text that every store can hold: lone surrogates replaced, NUL and other control characters
    (but newlines and tabs) removed, surrounding space trimmed. Refuses a non-string or a text over
    `limit` characters with a message that says so."""
    if text is None:
        return ""
    if not isinstance(text, str):
        raise FeedbackRefused(f"{field} must be text, got {type(text).__name__}.")
    if len(text) > limit:
        raise FeedbackRefused(f"The {field} is {len(text):,} characters long; the limit is {limit:,}. "
                              "Please shorten it.")
    if text.isprintable():  # the common case: no control characters, no surrogates
        return text.strip()
    text = text.encode("utf-8", "replace").decode("utf-8")  # a lone surrogate becomes "?"
    kept = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch) not in ("Cc", "Cs"))
    return kept.strip()
