"""One web source → documents: which way to read the site, then the harvest, then the cache saved.

From a site root (or any page) the site is read, in this order of preference, through
  1. its sitemap(s): those robots.txt names, else /sitemap_index.xml, /sitemap.xml, /wp-sitemap.xml;
  2. the WordPress REST API, when /wp-json/ answers;
  3. a bounded crawl from the given page.
A URL ending in .xml or .xml.gz is read as a sitemap; a URL inside /wp-json/ through the REST API.
Only pages under the given URL's folder are indexed (https://site/kb/ → https://site/kb/…).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

import httpx

from corpus.folder import Skipped
from corpus.model import Document
from corpus.web import sitemap
from corpus.web.cache import FetchCache
from corpus.web.client import Politeness, PoliteClient
from corpus.web.crawl import crawl
from corpus.web.errors import Refused, WebError
from corpus.web.harvest import Harvest, Progress, Recording
from corpus.web.urls import host_of, in_scope, normalise, redact, scope_of, sibling_hosts
from corpus.web.wordpress import api_root, harvest_wordpress, probe

CACHE_FOLDER = "web"  # inside the index folder


@dataclass(frozen=True)
class WebOptions:
    politeness: Politeness = field(default_factory=Politeness)
    max_pages: int = 1000  # pages read from one source, whichever way
    max_depth: int = 3  # links away from the start page, for a crawl
    decks: bool = True  # fetch PDFs the articles link to


@dataclass(frozen=True)
class SiteResult:
    source: str  # the source URL without credentials
    mode: str  # "sitemap", "wordpress", "crawl", or "unavailable"
    documents: tuple[Document, ...]
    skipped: tuple[Skipped, ...]
    warnings: tuple[str, ...]
    recordings: tuple[Recording, ...]
    stats: dict
    decks: dict = field(default_factory=dict)  # deck url -> the article it is linked from

    def summary(self) -> dict:
        return {"source": self.source, "mode": self.mode, "documents": len(self.documents), **self.stats,
                "decks": [{"deck": deck, "article": article} for deck, article in self.decks.items()]}


def cache_folder(index_dir: Path, source: str) -> Path:
    key = hashlib.sha256(redact(normalise(source) or source).encode()).hexdigest()[:16]
    return Path(index_dir) / CACHE_FOLDER / key


def load_site(source: str, index_dir: Path | None, known: Mapping[str, Document], options: WebOptions | None = None,
              progress: Progress | None = None, read_only: bool = False,
              transport: httpx.BaseTransport | None = None) -> SiteResult:
    """Every article (and linked deck) of the site at `source`. Never raises for one bad page; when the
    site cannot be read at all, the documents indexed from it before are kept and the reason reported."""
    options = options or WebOptions()
    start = normalise(source)
    if start is None:
        raise Refused(f"{redact(source)}: not an http(s) address")
    parts = urlsplit(source.strip())
    auth = (unquote(parts.username), unquote(parts.password or "")) if parts.username else None
    cache = FetchCache(cache_folder(index_dir, source) if index_dir else None, read_only)
    with PoliteClient(options.politeness, sibling_hosts(host_of(start)), cache, auth, transport) as client:
        harvest = Harvest(client, cache, known, progress, options.decks)
        try:
            mode = _read(harvest, start, options)
        except WebError as exc:
            return _unavailable(redact(start), cache, known, exc, client.stats)
        cache.extra.update(pages=harvest.new_info, documents=sorted(harvest.documents), mode=mode)
        cache.save()
        stats = {**{k: harvest.stats.get(k, 0) for k in ("downloaded", "not_modified", "unchanged", "failed", "gone")},
                 "requests": client.stats.get("requests", 0), "bytes": client.stats.get("bytes", 0)}
    return SiteResult(redact(start), mode, tuple(harvest.documents.values()), tuple(harvest.skipped),
                      tuple(harvest.warnings), tuple(harvest.recordings), stats, dict(harvest.decks))


def _read(harvest: Harvest, start: str, options: WebOptions) -> str:
    client = harvest.client
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(start))
    scope = scope_of(start)
    client.robots(start)  # unreadable robots.txt (5xx, timeout): nothing is fetched
    api = api_root(start)
    if api:
        harvest_wordpress(harvest, api, origin + "/", options.max_pages)
        return "wordpress"
    path = urlsplit(start).path.lower()
    sitemaps = [start] if path.endswith((".xml", ".xml.gz")) else sitemap.discover(client, origin)
    if sitemaps:
        _sitemap_pages(harvest, sitemaps, scope, options.max_pages)
        return "sitemap"
    api = probe(client, origin)
    if api:
        harvest_wordpress(harvest, api, scope, options.max_pages)
        return "wordpress"
    crawl(harvest, start, scope, options.max_pages, options.max_depth)
    return "crawl"


def _sitemap_pages(harvest: Harvest, sitemaps: list[str], scope: str, max_pages: int) -> None:
    listed: dict[str, str | None] = {}
    for url, lastmod in sitemap.entries(harvest.client, harvest.cache, sitemaps, harvest.warnings):
        if not in_scope(url, scope) or url in listed:
            continue
        if not harvest.client.allowed(url):
            harvest.skipped.append(Skipped(redact(url), "disallowed by robots.txt for our user agent"))
            continue
        listed[url] = lastmod
    if len(listed) > max_pages:
        harvest.warnings.append(f"the sitemaps list {len(listed)} pages; only the first {max_pages} were read "
                                "(web_max_pages)")
    harvest.total = min(len(listed), max_pages)
    for url, lastmod in list(listed.items())[:max_pages]:
        if url.split("?", 1)[0].lower().endswith(".pdf"):
            harvest.deck(url, "", "")  # a PDF the sitemap lists by itself
        else:
            harvest.page(url, lastmod)


def _unavailable(source: str, cache: FetchCache, known: Mapping[str, Document], exc: WebError, stats) -> SiteResult:
    kept = tuple(known[d] for d in cache.extra.get("documents", ()) if d in known)
    warning = f"{source}: {exc}; the {len(kept)} document(s) indexed from it before are kept"
    return SiteResult(source, "unavailable", kept, (), (warning,), (),
                      {"failed": 1, "requests": stats.get("requests", 0), "bytes": stats.get("bytes", 0)})
