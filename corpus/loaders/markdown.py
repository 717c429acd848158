"""Markdown articles with optional YAML front matter (title, url, updated, type, anchors)."""

from __future__ import annotations

import frontmatter
import yaml
from langchain_text_splitters import MarkdownHeaderTextSplitter

from corpus.errors import LoadError
from corpus.loaders.base import Parsed
from corpus.model import Segment
from corpus.text import clean, meta_text, slugify

HEADERS = [("#", "1"), ("##", "2"), ("###", "3"), ("####", "4")]


def load(text: str) -> Parsed:
    try:
        post = frontmatter.loads(text)
    except (yaml.YAMLError, ValueError, TypeError) as exc:
        line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise LoadError(f"malformed front matter: {line}; fix the YAML between the '---' lines") from exc
    meta = post.metadata if isinstance(post.metadata, dict) else {}
    warnings: list[str] = []
    title, url, kind, updated = (meta_text(meta, key, warnings) for key in ("title", "url", "type", "updated"))
    updated = updated or meta_text(meta, "date", warnings)
    pieces = MarkdownHeaderTextSplitter(HEADERS, strip_headers=True).split_text(post.content)
    first_h1 = next((p.metadata["1"] for p in pieces if "1" in p.metadata), None)
    segments = []
    for piece in pieces:
        headings = [piece.metadata[level] for _, level in HEADERS if level in piece.metadata]
        if headings and first_h1 is not None and piece.metadata.get("1") == first_h1:
            headings = headings[1:]  # the page's own heading is its title, not a section
        body = clean(piece.page_content)
        if body:
            anchor = slugify(headings[-1]) if headings else None
            segments.append(Segment(text=body, section=tuple(headings), anchor=anchor))
    return Parsed(
        segments=tuple(segments),
        source_type=kind or "article",
        title=title or first_h1,
        url=url,
        updated=updated,
        anchors=meta.get("anchors", True) is not False,
        warnings=tuple(warnings),
    )
