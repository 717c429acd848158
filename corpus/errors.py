"""Exceptions raised while reading content.

CorpusError
 └── LoadError   one file could not be read or parsed; the message is the reason
"""


class CorpusError(Exception):
    """Base class for content errors."""


class LoadError(CorpusError):
    """A file was skipped; str(error) is a one-line reason for the build report."""
