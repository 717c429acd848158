"""The assistant: three rooms and what they share.

    answer/     the question path (assistant.answer: Assistant, ranking, passages, refusals, records)
    build/      settings in, a published index out (assistant.build.run.run_build)
    evaluate/   `assistant eval` and its metrics
    analytics/  the question and feedback log, and the owner's report
    cli, config, errors, reports, doctor   the command line, settings, the error tree, text for people

Public surface (the heavy parts imported on first use, so a refused question costs no model or index):
    Assistant.open(settings).ask(question) -> Answer (Answer.passages: tuple[Passage])
    Settings, load_settings                         (defaults ← assistant.toml ← ASSISTANT_* ← flags)
    AssistantError                                  (base of every error the CLI turns into words)

Errors:
    AssistantError (defined in corpus.errors, the lowest layer, so every layer derives from it)
     ├── SettingsError                  a setting has an unusable value
     │    └── answer.off_topic.ElsewhereError  the everyday-questions list cannot be used
     ├── analytics.AnalyticsError (tree) the question log's store or a report
     ├── index.IndexStoreError (tree)   no index, mismatch, corrupt files, build locked, nothing indexed
     └── corpus.CorpusError (tree)      unreadable content folder or file
"""

from assistant.answer.records import NO_MATCH, Answer, Passage
from assistant.config import Settings, SettingsError, load_settings
from assistant.errors import KNOWN_ERRORS, AssistantError
from corpus.lazy import lazy_getattr

__getattr__ = lazy_getattr("assistant", {"Assistant": "assistant.answer.search"}, globals())

__all__ = ["KNOWN_ERRORS", "NO_MATCH", "Answer", "Assistant", "AssistantError", "Passage", "Settings", "SettingsError",
           "load_settings"]
