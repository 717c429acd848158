"""`/read/<doc_id>`: the built-in reader, where the links of a document with no page of its own open.

An article (Markdown, HTML, plain text), a transcript (WebVTT, SubRip) or a deck (PDF) is read again from
its file in the content folder and shown as a page in the site's face, under a strict Content-Security-Policy:
an article rendered from its own file (ui/article_html.py), a transcript with its recording embedded
(ui/media.py, ui/transcript_html.py), a deck with "Download the deck", the PDF and its pages' text.
Around each: "< All topics", previous / next in its topic, the search box and "Was this article helpful?"
(ui/reader_parts.py, ui/ratings.py). `/read/` lists the documents by topic (ui/topics.py); `/asset/<path>`
serves the content folder's images, recordings and PDFs (ui/library.py).
Only documents in the published index are read (`Assistant.source_file`: no path leaves the folder).
A transcript's recording is its own http(s) `url`, or the `recording` its sidecar names (a URL, or a file
beside it).
"""

from __future__ import annotations

import threading
from pathlib import Path
from urllib.parse import quote

import frontmatter
from fastapi import FastAPI
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from assistant import Assistant, Settings
from corpus import LoadError
from corpus.model import Document
from corpus.text import READER_PATH, decode, meta_text, read_sidecar, safe_url
from ui.article_html import Resolver, html_body, markdown_body
from ui.library import ASSET_PATH, MEDIA_TYPES, Library, asset_url, root_of
from ui.media import player_for
from ui.ratings import Ratings
from ui.reader_html import Face, article_page, policy, topics_page
from ui.reader_parts import Frame, entry_link
from ui.transcript_html import deck_page, transcript_page
from ui.topics import Catalogue, read_catalogue

NOT_FOUND = "Not in the knowledge base. Search again from the help centre's front page."
HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}


class Shelf:
    """The published index's content folder (ui/library.py) and its documents by topic (ui/topics.py), made
    once per index version (a new one is picked up live)."""

    def __init__(self, assistant: Assistant):
        self.assistant = assistant
        self._lock = threading.Lock()
        self._manifest, self._library, self._catalogue = None, None, None

    def _fresh(self):
        manifest = self.assistant.index.manifest
        if manifest is not self._manifest:
            self._manifest = manifest
            self._library = Library(Path(manifest.content_dir).resolve(), frozenset(manifest.documents))
            self._catalogue = None
        return manifest

    @property
    def library(self) -> Library:
        with self._lock:
            self._fresh()
            return self._library

    @property
    def catalogue(self) -> Catalogue:
        with self._lock:
            manifest = self._fresh()
            if self._catalogue is None:
                self._catalogue = read_catalogue(manifest)
            return self._catalogue


def add_reader_route(app: FastAPI, assistant: Assistant, settings: Settings, ratings: Ratings | None = None) -> None:
    face = Face(settings.face.site_name, settings.face.accent_color, settings.face.logo_url, settings.face.placeholder)
    shelf = Shelf(assistant)

    def frame(doc_id: str) -> Frame:
        token = ratings.token(doc_id) if ratings is not None and ratings.on else None
        root, catalogue = root_of(doc_id), shelf.catalogue
        entry = catalogue.entry(doc_id)
        before, after = catalogue.neighbours(doc_id)
        return Frame(root, doc_id, token, entry.topic if entry else None, entry_link(before, root),
                     entry_link(after, root))

    def topics() -> Response:
        return HTMLResponse(topics_page(shelf.catalogue, face, "../"),
                            headers={**HEADERS, "Content-Security-Policy": policy(face)})

    def read(doc_id: str) -> Response:
        if doc_id == "":
            return topics()
        path = assistant.source_file(doc_id)
        if path is None:
            return Response(NOT_FOUND, status_code=404, media_type="text/plain")
        try:
            document = read_document(path)
        except LoadError as exc:
            return Response(f"This document cannot be shown: {exc}. Rebuild the index (`assistant build`).",
                            status_code=404, media_type="text/plain")
        around, csp = frame(doc_id), policy(face)
        if path.suffix.lower() == ".pdf":
            root = around.root
            html = deck_page(document, face, asset_url(doc_id, False, root), asset_url(doc_id, True, root), around)
            csp = policy(face, frame_src="'self'")
        elif document.source_type == "transcript":
            recording = recording_of(path, document)
            player = player_for(recording, shelf.library, doc_id, around.root)
            html = transcript_page(document, face, recording, player, around)
            csp = policy(face, player.media_src, player.frame_src) if player else csp
        else:
            html = article_page(document, face, article_body(path, shelf.library.resolver(doc_id)), around)
        return HTMLResponse(html, headers={**HEADERS, "Content-Security-Policy": csp})

    def asset(path: str, download: str | None = None) -> Response:
        found = shelf.library.file(path)
        if found is None:
            return Response(NOT_FOUND, status_code=404, media_type="text/plain")
        return asset_response(found, download is not None)

    app.add_api_route(READER_PATH.rstrip("/"), lambda: RedirectResponse("read/"), methods=["GET"])
    app.add_api_route(READER_PATH + "{doc_id:path}", read, methods=["GET"])
    app.add_api_route(ASSET_PATH + "{path:path}", asset, methods=["GET"])


def article_body(path: Path, resolve: Resolver) -> str | None:
    """A Markdown or HTML article's own file as sanitised HTML (ui/article_html.py); None for plain text,
    which the page shows from its sections."""
    suffix = path.suffix.lower()
    if suffix not in (".md", ".markdown", ".html", ".htm"):
        return None
    text, _ = decode(path.read_bytes())
    if suffix in (".md", ".markdown"):
        try:
            text = frontmatter.loads(text).content
        except Exception:  # noqa: BLE001 — the build read it; at worst the front matter shows as text
            pass
        return markdown_body(text, resolve)
    from bs4 import BeautifulSoup
    from corpus.loaders.html import article_root

    return html_body(str(article_root(BeautifulSoup(text, "html.parser"))), resolve)


def asset_response(path: Path, download: bool) -> Response:
    """A file of the content folder: inline (images, recordings, a deck in the browser's viewer), or to save.
    Anything but a PDF gets a sandbox, so an SVG opened on its own runs nothing on this origin."""
    media = MEDIA_TYPES[path.suffix.lower()]
    headers = dict(HEADERS)
    if media != "application/pdf":
        headers["Content-Security-Policy"] = "sandbox; default-src 'none'; style-src 'unsafe-inline'"
    if download:
        headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(path.name, safe='')}"
    return FileResponse(path, media_type=media, headers=headers)


def read_document(path: Path) -> Document:
    """The file read as a build reads it (same sections, anchors and cues); the loaders are imported only
    here, so serving stays free of them until a reader page is asked for."""
    from corpus.folder import load_file

    return load_file(path, path.parent)


def recording_of(path: Path, document: Document) -> str | None:
    """Where the recording plays: the transcript's own http(s) url, else its sidecar's `recording`."""
    if document.url.startswith(("http://", "https://")):
        return document.url
    try:
        recording = meta_text(read_sidecar(path), "recording")
    except LoadError:
        return None
    return safe_url(recording)[0] if recording else None


__all__ = ["add_reader_route", "recording_of"]
