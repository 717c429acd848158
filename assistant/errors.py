"""The errors the CLI and UI turn into words: every AssistantError (drawn in `assistant/__init__.py`), and
OSError (permissions, full disk, unreadable folders). Light to import: no model, index or loader comes with it."""

from corpus.errors import AssistantError

KNOWN_ERRORS = (AssistantError, OSError)

__all__ = ["KNOWN_ERRORS", "AssistantError"]
