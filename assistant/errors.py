"""The errors the CLI and UI turn into words (OSError: permissions, full disk, unreadable folders).
Light to import: no model, index or loader comes with it."""

from assistant.analytics.errors import AnalyticsError
from assistant.config import SettingsError
from corpus.errors import CorpusError
from index.errors import IndexStoreError

KNOWN_ERRORS = (SettingsError, IndexStoreError, CorpusError, AnalyticsError, OSError)
