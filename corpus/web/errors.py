"""Exceptions raised while fetching a site. Each message names the URL (without credentials) and what to do.

corpus.CorpusError
 └── WebError            something about a web source went wrong
      ├── Refused        we will not fetch it: not http(s), another host, robots.txt, too big, wrong type
      ├── FetchFailed    the server did not give it (HTTP status, timeout, connection); `.status` when known
      └── Gone           404 or 410: the page no longer exists and leaves the index
"""

from __future__ import annotations

from corpus.errors import CorpusError


class WebError(CorpusError):
    """Base class for web source errors."""


class Refused(WebError):
    pass


class FetchFailed(WebError):
    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


class Gone(WebError):
    pass
