"""Retrieval, cited answers, settings, the CLI and evaluation.

Public surface:
    Assistant(settings).ask(question) -> Answer     (Answer.passages: tuple[Passage])
    Settings, load_settings                         (defaults ← assistant.toml ← ASSISTANT_* ← flags)
    AssistantError                                  (base of every error the CLI turns into words)

Errors:
    AssistantError
     ├── SettingsError                  a setting has an unusable value
     ├── analytics.AnalyticsError (tree) the question log's store or a report
     ├── index.IndexStoreError (tree)   no index, mismatch, corrupt files, build locked, nothing indexed
     └── corpus.CorpusError (tree)      unreadable content folder or file
"""

from assistant.analytics.errors import AnalyticsError
from assistant.answers import NO_MATCH, Answer, Passage
from assistant.config import Settings, SettingsError, load_settings
from assistant.search import Assistant
from corpus import CorpusError
from index import IndexStoreError

# What the CLI and UI turn into words (OSError: permissions, full disk, unreadable folders).
KNOWN_ERRORS = (SettingsError, IndexStoreError, CorpusError, AnalyticsError, OSError)

__all__ = ["KNOWN_ERRORS", "NO_MATCH", "Answer", "Assistant", "Passage", "Settings", "SettingsError",
           "load_settings"]
