"""Exceptions of the analytics package (the question and feedback log). Messages name the next step.

AnalyticsError
 ├── StoreUnavailable   the store cannot be opened or written now (locked, full, unreachable)
 ├── SchemaTooNew       the store was written by a newer version of the assistant
 └── FeedbackRefused    unknown answer id or unusable input (the message is for the caller)
"""

from corpus.errors import AssistantError


class AnalyticsError(AssistantError):
    """Base class for analytics errors."""


class StoreUnavailable(AnalyticsError):
    pass


class SchemaTooNew(AnalyticsError):
    pass


class FeedbackRefused(AnalyticsError):
    pass
