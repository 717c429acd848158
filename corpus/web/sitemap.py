"""Sitemaps (sitemaps.org): urlsets, sitemap indexes and gzipped files, with each URL's lastmod.

A child sitemap whose `lastmod` in the index is unchanged since the last build is read from the
fetch cache without a request; others are fetched conditionally (a 304 costs nothing to parse again).
"""

from __future__ import annotations

import gzip
import xml.etree.ElementTree as ET
import zlib
from collections.abc import Iterator

from corpus.web.cache import FetchCache
from corpus.web.client import PoliteClient
from corpus.web.errors import Refused, WebError
from corpus.web.urls import normalise, redact

MAX_SITEMAPS = 500  # sitemap files read from one source
MAX_NESTING = 3
USUAL_PATHS = ("/sitemap_index.xml", "/sitemap.xml", "/wp-sitemap.xml")


def parse(data: bytes, limit: int = 50_000_000) -> tuple[str, list[tuple[str, str | None]]]:
    """('index' or 'urlset', [(loc, lastmod)]) of one sitemap file; plain-text sitemaps list URLs."""
    data = _gunzip(data, limit) if data[:2] == b"\x1f\x8b" else data
    stripped = data.lstrip()
    if not stripped.startswith(b"<"):
        lines = data.decode("utf-8", "replace").splitlines()
        return "urlset", [(line.strip(), None) for line in lines if line.strip().startswith(("http://", "https://"))]
    try:
        root = ET.fromstring(stripped)
    except ET.ParseError as exc:
        raise Refused(f"not a sitemap (XML error: {exc})") from exc
    if _local(root.tag) not in ("sitemapindex", "urlset"):
        raise Refused(f"not a sitemap (the XML root is <{_local(root.tag)}>)")
    kind = "index" if _local(root.tag) == "sitemapindex" else "urlset"
    entries = []
    for node in root:
        if _local(node.tag) not in ("url", "sitemap"):
            continue
        fields = {_local(child.tag): (child.text or "").strip() for child in node}
        if fields.get("loc"):
            entries.append((fields["loc"], fields.get("lastmod") or None))
    return kind, entries


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1].lower()


def _gunzip(data: bytes, limit: int) -> bytes:
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    out = inflater.decompress(data, limit + 1)
    if len(out) > limit or inflater.unconsumed_tail:
        raise Refused(f"gzipped sitemap is over {limit:,} bytes uncompressed")
    return out


def discover(client: PoliteClient, origin: str) -> list[str]:
    """Sitemaps named in robots.txt, else the first of the usual paths that answers as a sitemap."""
    named = [u for u in (normalise(s) for s in client.sitemaps_in_robots(origin + "/")) if u]
    if named:
        return named
    for path in USUAL_PATHS:
        try:
            fetched = client.fetch(origin + path, "xml")
            parse(fetched.body)
            return [fetched.url]
        except (WebError, gzip.BadGzipFile):
            continue
    return []


def entries(client: PoliteClient, cache: FetchCache, sitemaps: list[str], warnings: list[str]
            ) -> Iterator[tuple[str, str | None]]:
    """Every (page url, lastmod) the sitemaps list, indexes followed, duplicates dropped."""
    queue = [(url, None, 0) for url in sitemaps]
    seen: set[str] = set()
    read = 0
    while queue and read < MAX_SITEMAPS:
        url, stamp, depth = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        read += 1
        try:
            kind, listed = parse(_sitemap_body(client, cache, url, stamp), client.politeness.max_pdf_bytes)
        except WebError as exc:
            raise type(exc)(f"sitemap {redact(url)}: {exc}") from exc
        for loc, lastmod in listed:
            target = normalise(loc, url)
            if target is None:
                continue
            if kind == "index":
                if depth < MAX_NESTING:
                    queue.append((target, lastmod, depth + 1))
            else:
                yield target, lastmod
    if queue:
        warnings.append(f"more than {MAX_SITEMAPS} sitemap files; the rest were not read")


def _sitemap_body(client: PoliteClient, cache: FetchCache, url: str, stamp: str | None) -> bytes:
    entry = cache.get(url)
    if stamp and entry and entry.stamp == stamp:
        body = cache.body(entry)
        if body is not None:
            cache.keep(url)
            return body
    body = client.fetch(url, "xml").body
    cache.stamp(url, stamp)
    return body
