"""Exceptions raised while reading content, and the base of every error this product raises.

AssistantError                  every error of the product: the CLI and the web app turn these into words
 └── CorpusError                content errors
      └── LoadError             one file could not be read or parsed; the message is the reason

AssistantError lives here, in the lowest layer, so that every layer (corpus ← index ← assistant ← ui)
derives its own tree from it: index.IndexStoreError, assistant.SettingsError and
assistant.analytics.AnalyticsError are AssistantErrors too (`assistant/__init__.py` draws the whole tree).
"""


class AssistantError(Exception):
    """Base class of every error the product raises on purpose; str(error) names the next step."""


class CorpusError(AssistantError):
    """Base class for content errors."""


class LoadError(CorpusError):
    """A file was skipped; str(error) is a one-line reason for the build report."""
