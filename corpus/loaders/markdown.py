"""Markdown articles with optional YAML front matter (title, url, updated, type, anchors)."""

from __future__ import annotations

import frontmatter
import yaml
import re

from langchain_text_splitters import ExperimentalMarkdownSyntaxTextSplitter

from corpus.errors import LoadError
from corpus.loaders.base import Parsed
from corpus.model import Segment
from corpus.text import meta_topic, clean, meta_text, slugify

HEADERS = [("#", "1"), ("##", "2"), ("###", "3"), ("####", "4")]


def _merged(pieces: list) -> list:
    merged: list = []
    for piece in pieces:
        headings = {k: v for k, v in piece.metadata.items() if k != "Code"}
        if merged and merged[-1].metadata == headings:
            merged[-1].page_content += "\n\n" + piece.page_content
        else:
            piece.metadata = headings
            merged.append(piece)
    return merged


_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")


def _tidy_tables(text: str) -> str:
    """Markdown tables read as text: no |---| rule lines, no outer pipes, cells split by ' | '."""
    lines = []
    for line in text.splitlines():
        if _TABLE_RULE.match(line):
            continue
        stripped = line.strip()
        if stripped.startswith("|") and stripped.endswith("|") and len(stripped) > 1:
            line = " | ".join(cell.strip() for cell in stripped[1:-1].split("|"))
        lines.append(line)
    return "\n".join(lines)


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
    # The syntax-aware splitter keeps blank lines (so paragraphs survive for the chunker) and knows
    # that a '#' inside a code block is not a heading. It yields code blocks as pieces of their own;
    # consecutive pieces under the same headings are joined back into one section.
    pieces = _merged(ExperimentalMarkdownSyntaxTextSplitter(HEADERS, strip_headers=True).split_text(post.content))
    first_h1 = next((p.metadata["1"] for p in pieces if "1" in p.metadata), None)
    segments = []
    for piece in pieces:
        headings = [piece.metadata[level] for _, level in HEADERS if level in piece.metadata]
        if headings and first_h1 is not None and piece.metadata.get("1") == first_h1:
            headings = headings[1:]  # the page's own heading is its title, not a section
        body = clean(_tidy_tables(piece.page_content))
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
        topic=meta_topic(meta, warnings),
    )
