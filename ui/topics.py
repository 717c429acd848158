"""The knowledge base's documents grouped by topic: the reader's "All topics" page and the way between articles.

    catalogue(entries)                -> Catalogue    pure: topics in name order, documents by title within each
    topic_of(doc_id, meta, url)       -> str          pure: front matter/sidecar `topic` or `category`, else the folder
    read_catalogue(manifest)          -> Catalogue    every document with the topic its build recorded

A document's topic is its front matter's (or sidecar's) `topic`, else its `category` (or the first of
`categories`, as WordPress exports write them), else the folder it sits in ("pmo-careers/" → "Pmo careers").
A page of a site the build read names no folder of ours: its topic is the folder of its address
(`/kb/careers/raci/` → "Careers"), else the site's host.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from corpus.text import slugify

GENERAL = "General"


@dataclass(frozen=True)
class Entry:
    doc_id: str
    title: str
    url: str
    source_type: str
    topic: str


@dataclass(frozen=True)
class Catalogue:
    topics: tuple[tuple[str, tuple[Entry, ...]], ...] = ()

    def entry(self, doc_id: str) -> Entry | None:
        return next((e for _, entries in self.topics for e in entries if e.doc_id == doc_id), None)

    def neighbours(self, doc_id: str) -> tuple[Entry | None, Entry | None]:
        """The previous and next document of `doc_id`'s topic, in the order the topic lists them."""
        for _, entries in self.topics:
            for n, entry in enumerate(entries):
                if entry.doc_id == doc_id:
                    return (entries[n - 1] if n else None), (entries[n + 1] if n + 1 < len(entries) else None)
        return None, None


def topic_anchor(topic: str) -> str:
    return "topic-" + (slugify(topic) or "x")


def catalogue(entries: list[Entry]) -> Catalogue:
    groups: dict[str, list[Entry]] = {}
    for entry in entries:
        groups.setdefault(entry.topic, []).append(entry)
    order = sorted(groups, key=lambda t: (t == GENERAL, t.casefold()))
    return Catalogue(tuple((t, tuple(sorted(groups[t], key=lambda e: (e.title.casefold(), e.doc_id)))) for t in order))


def topic_of(doc_id: str, meta: dict, url: str = "") -> str:
    for key in ("topic", "category", "categories"):
        value = meta.get(key)
        if isinstance(value, list):
            value = next((v for v in value if isinstance(v, str) and v.strip()), None)
        if isinstance(value, str) and value.strip():
            return " ".join(value.split())[:80]
    if re.match(r"https?://", doc_id):  # a page of a site: the folder of its address, else the site
        parts = urlsplit(doc_id)
        folders = [p for p in parts.path.split("/") if p][:-1]
        return _words(folders[-1]) if len(folders) >= 2 else parts.hostname or GENERAL
    folder = doc_id.rsplit("/", 1)[0] if "/" in doc_id else ""
    return _words(folder.rsplit("/", 1)[-1]) if folder else GENERAL


def _words(name: str) -> str:
    return re.sub(r"[-_]+", " ", name).strip().capitalize() or GENERAL


def read_catalogue(manifest, root: Path | None = None) -> Catalogue:
    """Every document of the manifest with its topic: the one the build recorded (front matter, sidecar, a
    page's article:section, a WordPress category), else the folder's (`topic_of`)."""
    entries = [Entry(doc_id, e.title, e.url, e.source_type,
                     topic_of(doc_id, {"topic": getattr(e, "topic", None)} if getattr(e, "topic", None) else {}, e.url))
               for doc_id, e in manifest.documents.items()]
    return catalogue(entries)


__all__ = ["Catalogue", "Entry", "GENERAL", "catalogue", "read_catalogue", "topic_anchor", "topic_of"]
