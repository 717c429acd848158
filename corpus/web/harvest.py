"""Pages and decks of one web source → Documents, with the fetch cache and the previous index.

A page whose body is unchanged (a 304, or a sitemap/WordPress stamp equal to last time) is not
parsed again: its Document is the one already indexed. A page that fails to fetch keeps its last
version (the cached body, else the indexed document) and is reported; 404/410 drop it.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

from corpus.errors import LoadError
from corpus.folder import LOADER_VERSION, Skipped
from corpus.loaders import pdf
from corpus.model import Document
from corpus.text import clean_line, decode
from corpus.web.cache import Entry, FetchCache
from corpus.web.client import Fetched, PoliteClient
from corpus.web.errors import FetchFailed, Gone, Refused, WebError
from corpus.web.extract import Page, read_fragment, read_page
from corpus.web.urls import host_of, normalise, redact

WEB_FORMAT = "web1"  # bump when extraction changes what a page yields
Progress = Callable[[int, int | None, str], None]  # (done, total or None, url)


@dataclass(frozen=True)
class Recording:
    key: str  # 'youtube:ID' or 'vimeo:ID'
    article: str  # doc id (canonical URL) of the article it is embedded in
    title: str


class Harvest:
    """Collects the documents of one source; `stats` counts what each page cost."""

    def __init__(self, client: PoliteClient, cache: FetchCache, known: Mapping[str, Document],
                 progress: Progress | None = None, decks: bool = True):
        self.client, self.cache, self.known = client, cache, known
        self.progress = progress or (lambda done, total, url: None)
        self.follow_decks = decks
        self.documents: dict[str, Document] = {}
        self.skipped: list[Skipped] = []
        self.warnings: list[str] = []
        self.recordings: list[Recording] = []
        self.decks: dict[str, str] = {}  # deck url -> the article (doc id) it was linked from
        self.stats: Counter = Counter()
        self.pages_info: dict = dict(cache.extra.get("pages") or {})
        self.new_info: dict = {}
        self.done = 0
        self.total: int | None = None

    # --- one page --------------------------------------------------------------------------------

    def page(self, url: str, stamp: str | None = None) -> tuple[str, ...]:
        """Fetch (or reuse) the page at `url` and add its article and decks; returns its links."""
        try:
            body, final, fresh = self._body(url, "html", stamp)
        except (Gone, Refused) as exc:
            self._dropped(url, exc)
            return ()
        except FetchFailed as exc:
            return self._kept(url, exc)
        finally:
            self._tick(url)
        return self._from_body(url, final, body, lambda text: read_page(text, final), stamp)

    def item(self, url: str, stamp: str | None, fetch_item: Callable[[], bytes]) -> None:
        """A WordPress item: its JSON (title, content) cached under its link, fetched only when changed."""
        entry = self.cache.get(url)
        cached = self.cache.body(entry)
        if cached is not None and stamp and entry.stamp == stamp:
            self.cache.keep(url)
            self.stats["unchanged"] += 1
            body = cached
        else:
            try:
                body = fetch_item()
            except (Gone, Refused) as exc:
                self._dropped(url, exc)
                return
            except WebError as exc:
                self.stats["failed"] += 1
                if cached is None:
                    self._skip(url, exc)
                    return
                self.cache.keep(url)
                self.warnings.append(f"{exc}; kept the version fetched before")
                body = cached
            else:
                self.cache.put(Entry(url, url, "", "application/json", stamp=stamp), body)
                self.stats["downloaded"] += 1
            finally:
                self._tick(url)
        data = json.loads(body)
        self._from_body(url, url, body, lambda _: read_fragment(data.get("content", ""), url, data.get("title", ""),
                                                                data.get("topic")), stamp)

    def _dropped(self, url: str, exc: Gone | Refused) -> None:
        """A page that is gone (counted) or refused (skipped, with the reason)."""
        if isinstance(exc, Gone):
            self.stats["gone"] += 1
        else:
            self._skip(url, exc)

    def _skip(self, url: str, exc: WebError) -> None:
        self.skipped.append(Skipped(redact(url), str(exc).split(": ", 1)[-1]))

    def _body(self, url: str, kind: str, stamp: str | None) -> tuple[bytes, str, bool]:
        entry = self.cache.get(url)
        if stamp and entry and entry.stamp == stamp:
            cached = self.cache.body(entry)
            if cached is not None:
                self.cache.keep(url)
                self.stats["unchanged"] += 1
                if entry.noindex:
                    raise Refused(f"{redact(url)}: the server asks not to index it (X-Robots-Tag: noindex)")
                return cached, entry.final_url, False
        fetched: Fetched = self.client.fetch(url, kind)
        self.cache.stamp(url, stamp)
        if fetched.noindex:
            raise Refused(f"{redact(url)}: the server asks not to index it (X-Robots-Tag: noindex)")
        self.stats["downloaded" if fetched.fresh else "not_modified"] += 1
        return fetched.body, fetched.final_url, fetched.fresh

    def _kept(self, url: str, exc: WebError) -> tuple[str, ...]:
        """A failed fetch: the previous version stays, from the cached body or the index."""
        self.stats["failed"] += 1
        info = self.pages_info.get(url)
        entry = self.cache.get(url)
        body = self.cache.body(entry)
        if body is not None:
            self.cache.keep(url)
            self.warnings.append(f"{exc}; kept the version fetched before")
            return self._from_body(url, entry.final_url, body, lambda text: read_page(text, entry.final_url))
        if info and info["doc_id"] in self.known:
            self.documents[info["doc_id"]] = self.known[info["doc_id"]]
            self.warnings.append(f"{exc}; kept the indexed version")
            self._note(url, info)
            return tuple(info.get("links", ()))
        self._skip(url, exc)
        return ()

    def _from_body(self, url: str, final: str, body: bytes, read: Callable[[str], Page],
                   stamp: str | None = None) -> tuple[str, ...]:
        sha = hashlib.sha256(body).hexdigest()
        info = self.pages_info.get(url)
        if info and info["body"] == sha and info["doc_id"] in self.known \
                and self.known[info["doc_id"]].content_hash == info["hash"]:
            self.documents.setdefault(info["doc_id"], self.known[info["doc_id"]])
            self._note(url, info)
            return tuple(info.get("links", ()))
        try:
            page = read(decode(body)[0])  # UTF-8 (or UTF-16 with a BOM), else Windows-1252; binary refused
        except (LoadError, RecursionError) as exc:
            self.skipped.append(Skipped(redact(url), str(exc)))
            return ()
        if page.noindex:
            self.skipped.append(Skipped(redact(url), "the page asks not to be indexed (meta robots noindex)"))
            return () if page.nofollow else page.links
        if not page.parsed.segments:
            self.skipped.append(Skipped(redact(url), "no article text found on the page"))
            return () if page.nofollow else page.links
        doc_id = self._canonical(page.parsed.url, final)
        if doc_id in self.documents:
            return page.links
        doc = self._document(doc_id, page, stamp)
        info = {"body": sha, "hash": doc.content_hash, "doc_id": doc_id, "title": doc.title,
                "links": [] if page.nofollow else list(page.links), "decks": [list(d) for d in page.decks],
                "recordings": list(page.recordings)}
        self.documents[doc_id] = doc
        self._note(url, info)
        return tuple(info["links"])

    def _note(self, url: str, info: dict) -> None:
        self.new_info[url] = info
        for key in info.get("recordings", ()):
            self.recordings.append(Recording(key, info["doc_id"], info["title"]))
        if self.follow_decks:
            for deck_url, text in info.get("decks", ()):
                self.deck(deck_url, text, info["title"])
                if deck_url in self.documents:
                    self.decks.setdefault(deck_url, info["doc_id"])

    def _canonical(self, canonical: str | None, final: str) -> str:
        url = normalise(canonical, final) if canonical else None
        if url and host_of(url) in self.client.hosts:
            return url
        return normalise(final) or final

    def _document(self, doc_id: str, page: Page, stamp: str | None) -> Document:
        parsed = page.parsed
        digest = _hash(doc_id, parsed.title or "", parsed.segments, parsed.topic)
        return Document(doc_id=doc_id, title=(parsed.title or doc_id)[:300], url=doc_id, source_type="article",
                        segments=parsed.segments, content_hash=digest, updated=parsed.updated or stamp,
                        warnings=parsed.warnings, topic=parsed.topic)

    # --- one deck --------------------------------------------------------------------------------

    def deck(self, url: str, link_text: str, article_title: str) -> None:
        """A PDF linked from an article, with #page=N links, titled with the article it came from."""
        if url in self.documents or url in self.new_info:
            return
        if host_of(url) not in self.client.hosts:
            self.skipped.append(Skipped(redact(url), "deck on another host than the site's; not fetched"))
            return
        try:
            body, _, _ = self._body(url, "pdf", None)
        except (Gone, Refused) as exc:
            self._dropped(url, exc)
            return
        except FetchFailed as exc:
            self._kept_deck(url, exc)
            return
        sha = hashlib.sha256(body + article_title.encode()).hexdigest()
        info = self.pages_info.get(url)
        if info and info["body"] == sha and url in self.known and self.known[url].content_hash == info["hash"]:
            self.documents[url], self.new_info[url] = self.known[url], info
            return
        try:
            parsed = pdf.load(body).normalised()
        except LoadError as exc:
            self.skipped.append(Skipped(redact(url), str(exc)))
            return
        if not parsed.segments:
            self.skipped.append(Skipped(redact(url), "no text in the PDF (scanned images?)"))
            return
        title = clean_line(deck_title(parsed.title, link_text, article_title, url)) or url
        doc = Document(url, title, url, "deck", parsed.segments, _hash(url, title, parsed.segments))
        self.documents[url] = doc
        self.new_info[url] = {"body": sha, "hash": doc.content_hash, "doc_id": url, "title": title}

    def _kept_deck(self, url: str, exc: WebError) -> None:
        self.stats["failed"] += 1
        info = self.pages_info.get(url)
        if info and url in self.known:
            self.documents[url], self.new_info[url] = self.known[url], info
            self.warnings.append(f"{exc}; kept the indexed version")
        else:
            self._skip(url, exc)

    def _tick(self, url: str) -> None:
        self.done += 1
        self.progress(self.done, self.total, redact(url))


def deck_title(pdf_title: str | None, link_text: str, article_title: str, url: str = "") -> str:
    """'<deck's own title> — slides from “<article>”', or '<article> — slides' when the PDF names none;
    a PDF listed on its own (in a sitemap) keeps its own title, else its file name."""
    own = (pdf_title or "").strip()
    if not article_title:
        name = url.rsplit("/", 1)[-1].rsplit(".", 1)[0].replace("-", " ").replace("_", " ").strip()
        return (own or name.capitalize() or url)[:300]
    if own and own.lower() not in ("untitled", "presentation", "powerpoint presentation") and own != article_title:
        return f"{own} — slides from “{article_title}”"[:300]
    return f"{article_title} — slides"[:300]


def _hash(doc_id: str, title: str, segments, topic: str | None = None) -> str:
    digest = hashlib.sha256(f"{WEB_FORMAT}|{LOADER_VERSION}|{doc_id}|{title}|{topic or ''}".encode())
    for s in segments:
        digest.update(json.dumps([s.text, list(s.section), s.anchor, s.page]).encode())
    return digest.hexdigest()[:32]


def retitled(doc: Document, title: str) -> Document:
    """The document under another title, with a content hash that changes with it (so it is re-chunked)."""
    digest = hashlib.sha256(f"{doc.content_hash}|{title}".encode()).hexdigest()[:32]
    return replace(doc, title=title[:300], content_hash=digest)
