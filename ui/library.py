"""The content folder as the reader sees it: which documents a link names, and which files (images,
recordings, decks) may be served from it.

    library = Library(root, documents)       root: the content folder; documents: doc ids of the published index
    library.file(path)         -> Path | None   a media file inside the folder (never a hidden one, never outside)
    library.resolver(doc_id)   -> Resolver      links and images of that document (ui/article_html.py)

Links between documents are relative paths, as a site generator writes them (`../guides/raci.md#owners`,
`raci`, `/guides/raci.md`): one naming an indexed document opens it in the reader, one naming a media
file of the folder is served from `/asset/…`, anything else is not a link.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

from corpus.text import READER_PATH
from ui.article_html import Resolver, Target

ASSET_PATH = "/asset/"
MEDIA_TYPES = {
    ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif", ".webp": "image/webp",
    ".avif": "image/avif", ".svg": "image/svg+xml",
    ".mp3": "audio/mpeg", ".m4a": "audio/mp4", ".ogg": "audio/ogg", ".oga": "audio/ogg", ".opus": "audio/ogg",
    ".wav": "audio/wav", ".mp4": "video/mp4", ".m4v": "video/mp4", ".webm": "video/webm", ".ogv": "video/ogg",
    ".pdf": "application/pdf",
}
PAGE_SUFFIXES = ("", ".md", ".markdown", ".html", ".htm", "/index.md", "/index.html")  # `raci` names raci.md


def root_of(doc_id: str) -> str:
    """The app's root seen from the reader page of `doc_id` ("../../" for /read/guides/a.md): the page's links
    are relative, so they keep working when a proxy serves the app under a path of its own."""
    return "../" * (doc_id.count("/") + 1)


def asset_url(path: str, download: bool = False, root: str = "/") -> str:
    return root + ASSET_PATH.lstrip("/") + quote(path) + ("?download=1" if download else "")


def reader_url(doc_id: str, fragment: str = "", root: str = "/") -> str:
    return root + READER_PATH.lstrip("/") + quote(doc_id) + (f"#{fragment}" if fragment else "")


@dataclass(frozen=True)
class Library:
    root: Path  # resolved
    documents: frozenset[str]

    def file(self, path: str) -> Path | None:
        """The media file at `path` (relative to the folder): an allowed type, not hidden, inside the folder."""
        parts = path.split("/")
        if not path or any(not p or p.startswith(".") for p in parts) or Path(path).suffix.lower() not in MEDIA_TYPES:
            return None
        found = (self.root / path).resolve()
        return found if found.is_relative_to(self.root) and found.is_file() else None

    def local(self, doc_id: str, ref: str) -> tuple[str, str] | None:
        """(path inside the folder, fragment) that a relative reference in `doc_id` names; None for another
        site, a scheme, or a path that leaves the folder."""
        parts = urlsplit(ref)
        if parts.scheme or parts.netloc or ref.startswith("//"):
            return None
        path = unquote(parts.path)
        if not path:
            return "", parts.fragment
        joined = posixpath.normpath(posixpath.join("" if path.startswith("/") else posixpath.dirname(doc_id),
                                                   path.lstrip("/")))
        if joined in (".", "..") or joined.startswith("../"):
            return None
        return joined, parts.fragment

    def resolver(self, doc_id: str) -> Resolver:
        """Links and images of `doc_id`'s reader page, relative to it."""
        root = root_of(doc_id)

        def link(href: str, words: str) -> Target | None:
            if href.startswith("#"):
                return Target(href)
            if urlsplit(href).scheme in ("http", "https", "mailto"):
                return Target(href)
            found = self.local(doc_id, href)
            if found is None:
                return None
            path, fragment = found
            if not path:
                return Target(f"#{fragment}")
            named = next((path.rstrip("/") + s for s in PAGE_SUFFIXES if path.rstrip("/") + s in self.documents), None)
            if named and named.lower().endswith(".pdf") and "download" in words.lower():
                return Target(asset_url(named, True, root), download=True)  # ">> Download the deck"
            if named:
                return Target(reader_url(named, fragment, root))
            if self.file(path):
                return Target(asset_url(path, False, root) + (f"#{fragment}" if fragment else ""))
            return None

        def image(src: str) -> str | None:
            found = self.local(doc_id, src)
            if not found or not found[0] or not MEDIA_TYPES.get(Path(found[0]).suffix.lower(), "").startswith("image/"):
                return None
            return asset_url(found[0], False, root) if self.file(found[0]) else None

        return Resolver(link, image)


__all__ = ["ASSET_PATH", "MEDIA_TYPES", "Library", "asset_url", "reader_url", "root_of"]
