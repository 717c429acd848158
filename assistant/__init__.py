"""Retrieval, cited answers, settings, the CLI and evaluation.

Public surface (the heavy parts imported on first use, so a refused question costs no model or index):
    Assistant.open(settings).ask(question) -> Answer (Answer.passages: tuple[Passage])
    Settings, load_settings                         (defaults ← assistant.toml ← ASSISTANT_* ← flags)
    AssistantError                                  (base of every error the CLI turns into words)

Errors:
    AssistantError (defined in corpus.errors, the lowest layer, so every layer derives from it)
     ├── SettingsError                  a setting has an unusable value
     │    └── off_topic.ElsewhereError  the everyday-questions list cannot be used
     ├── analytics.AnalyticsError (tree) the question log's store or a report
     ├── index.IndexStoreError (tree)   no index, mismatch, corrupt files, build locked, nothing indexed
     └── corpus.CorpusError (tree)      unreadable content folder or file
"""

from assistant.answers import NO_MATCH, Answer, Passage
from assistant.config import Settings, SettingsError, load_settings
from assistant.errors import KNOWN_ERRORS, AssistantError


def __getattr__(name: str):
    if name == "Assistant":
        from assistant.search import Assistant

        globals()[name] = Assistant
        return Assistant
    raise AttributeError(f"module 'assistant' has no attribute {name!r}")


__all__ = ["KNOWN_ERRORS", "NO_MATCH", "Answer", "Assistant", "AssistantError", "Passage", "Settings", "SettingsError",
           "load_settings"]
