"""Exceptions of the index package. Each message ends with the next step to take.

IndexStoreError
 ├── ModelError       the embedding model cannot be loaded
 ├── MissingIndex     no published index in the folder
 ├── IndexMismatch    the index was built with another model or format
 ├── CorruptIndex     a file is missing, truncated or altered
 ├── BuildLocked      another build holds the lock
 ├── NothingIndexed   a build found no document it could index
 ├── BackendUnavailable  the index server (Milvus) cannot be reached or failed a request; `uri`, `reason`
 └── BackendMissing   the index backend's client library is not installed
"""

from corpus.errors import AssistantError


class IndexStoreError(AssistantError):
    """Base class for index errors."""


class ModelError(IndexStoreError):
    pass


class MissingIndex(IndexStoreError):
    pass


class IndexMismatch(IndexStoreError):
    pass


class CorruptIndex(IndexStoreError):
    """`problem` names the file (and line) at fault; the message adds the way out: a new version."""

    def __init__(self, problem: str):
        super().__init__(f"{problem} — run `assistant build --full` to write a new version.")
        self.problem = problem


class BuildLocked(IndexStoreError):
    pass


class NothingIndexed(IndexStoreError):
    def __init__(self, message: str, skipped: tuple = ()):
        super().__init__(message)
        self.skipped = skipped  # corpus.Skipped records: which files, and why


class BackendUnavailable(IndexStoreError):
    """The index server did not answer: `uri` (credentials removed) and `reason` (the server's or the
    connection's message). Serving maps it to 503 with Retry-After; a build fails and publishes nothing."""

    def __init__(self, uri: str, reason: str, during: str = "a request"):
        super().__init__(f"The index server at {uri} did not answer {during} ({reason}) — check that Milvus is "
                         "running and reachable there (setting milvus_uri); the published version is unchanged.")
        self.uri = uri
        self.reason = reason


class BackendMissing(IndexStoreError):
    pass
