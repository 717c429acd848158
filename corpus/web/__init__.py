"""Web sources: a help centre read over HTTP(S) through its sitemap, the WordPress REST API or a
bounded crawl, politely (robots.txt, 2 requests/s per host, retries with backoff) and incrementally
(ETag / Last-Modified / sitemap lastmod in an on-disk fetch cache). No model here.

Public surface:
    load_site(url, index_dir, known, options) -> SiteResult     (documents, skipped, warnings, stats)
    WebOptions, Politeness                                      (limits and politeness settings)
    is_web(value), recording_key(url), recording_url(key), redact(url)
    WebError, Refused, FetchFailed, Gone                         (see corpus.web.errors)
"""

from corpus.web.client import USER_AGENT, Politeness
from corpus.web.errors import FetchFailed, Gone, Refused, WebError
from corpus.web.harvest import Recording, retitled
from corpus.web.site import SiteResult, WebOptions, cache_folder, load_site
from corpus.web.urls import is_web, recording_key, recording_url, redact

__all__ = [
    "USER_AGENT", "FetchFailed", "Gone", "Politeness", "Recording", "Refused", "SiteResult", "WebError",
    "WebOptions", "cache_folder", "is_web", "load_site", "recording_key", "recording_url", "redact", "retitled",
]
