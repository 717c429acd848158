"""The built-in reader's pages: a document that names no page of its own, as HTML in the site's face. Pure.

    article_page(document, face)              -> str   headings keep the ids the links use (`#section` lands)
    transcript_page(document, face, recording) -> str  speaker turns with their times; `#t=SECONDS` marks one
    policy(face)                               -> str   the pages' Content-Security-Policy

Content is untrusted: every string from it is escaped (passage text through `ui.markup`, which renders
only Markdown emphasis, lists and the owner's allowlisted inline tags), links in it are not followed,
and the page runs only `ui/static/reader.js`, allowed by its hash. That script marks the cited sentence
of a text fragment (`#section:~:text=…`) and the cue of `#t=SECONDS`, and scrolls to it.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass
from html import escape
from pathlib import Path
from urllib.parse import urlsplit

from assistant.answer.links import safe_href
from corpus.model import Document, Segment
from ui.markup import ITEM, blocks_html, inline_html, text_units
from ui.reader_parts import (
    ALL_TOPICS,
    Frame,
    after_html,
    crumbs_html,
    search_html,
    topics_html,
)

SCRIPT = (Path(__file__).parent / "static" / "reader.js").read_text(encoding="utf-8")
STYLE = """
body { margin: 0; font: 17px/1.6 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1f2933;
  background: #fafafa; }
.kb-bar { border-bottom: 3px solid var(--kb-accent); background: #fff; padding: 10px 24px; display: flex;
  flex-wrap: wrap; gap: 8px 24px; align-items: center; justify-content: space-between; }
.kb-bar a.kb-home { color: var(--kb-accent); font-weight: 600; text-decoration: none; }
.kb-search { display: flex; gap: 6px; flex: 1 1 18em; max-width: 32em; }
.kb-search input { flex: 1; min-width: 0; font: inherit; font-size: 0.95em; padding: 5px 10px; border: 1px solid #cbd2d9;
  border-radius: 6px; }
.kb-search button, .kb-results button { font: inherit; font-size: 0.95em; padding: 5px 12px; border: 0; border-radius: 6px;
  background: var(--kb-accent); color: #fff; cursor: pointer; }
.kb-results { max-width: 46em; margin: 12px auto 0; padding: 8px 24px; background: #fff; border: 1px solid #e4e7eb;
  border-radius: 8px; }
.kb-card { border-left: 3px solid var(--kb-accent); padding: 4px 10px; margin: 10px 0; }
.kb-card h3 { margin: 2px 0; font-size: 1em; } .kb-card p { margin: 4px 0; font-size: 0.95em; }
.kb-badge, .kb-count { color: #52606d; font-size: 0.85em; font-weight: normal; }
.kb-crumbs { margin: 12px 0 0; font-size: 0.92em; } .kb-crumbs a { text-decoration: none; }
.kb-prevnext { display: flex; justify-content: space-between; gap: 16px; margin: 16px 0 0; }
.kb-prevnext a { text-decoration: none; max-width: 48%; } .kb-next { margin-left: auto; text-align: right; }
.kb-way { display: block; color: #52606d; font-size: 0.85em; }
.kb-logo { height: 1.4em; vertical-align: middle; margin-right: 8px; }
main, .kb-after { max-width: 46em; margin: 0 auto; padding: 8px 24px; background: #fff; }
main.kb-wide, main.kb-wide + .kb-after { max-width: 72em; }
.kb-after { padding-bottom: 40vh; border-top: 1px solid #e4e7eb; }
.kb-rate h2 { font-size: 1.1em; margin: 1.2em 0 0.3em; }
.kb-star { font-size: 1.7em; line-height: 1; background: none; border: 0; padding: 0 2px; color: #cbd2d9; cursor: pointer; }
.kb-star.kb-on { color: var(--kb-accent); } .kb-star:focus-visible { outline: 2px solid var(--kb-accent); }
.kb-rate label { display: block; margin: 12px 0 4px; font-weight: 600; }
.kb-rate textarea { width: 100%; box-sizing: border-box; font: inherit; padding: 6px; border: 1px solid #cbd2d9; border-radius: 6px; }
.kb-rate button.kb-send { margin-top: 6px; font: inherit; padding: 4px 14px; border: 0; border-radius: 6px;
  background: var(--kb-accent); color: #fff; cursor: pointer; }
.kb-rate-status { min-height: 1.4em; color: #52606d; } .kb-rate-status.kb-error { color: #b42318; }
h1 { line-height: 1.25; } h2, h3, h4, h5, h6 { line-height: 1.3; margin-top: 1.6em; scroll-margin-top: 16px; }
.kb-kind { color: #52606d; font-size: 0.9em; margin: 16px 0 0; }
mark.kb-cited { background: color-mix(in srgb, var(--kb-accent) 22%, white); color: inherit; }
::target-text { background: color-mix(in srgb, var(--kb-accent) 22%, white); }
table { border-collapse: collapse; margin: 1em 0; display: block; overflow-x: auto; }
td, th { border: 1px solid #d9e2ec; padding: 4px 8px; vertical-align: top; text-align: left; }
th { background: #f0f4f8; }
pre { background: #f0f4f8; padding: 8px; overflow-x: auto; } code { font-size: 0.92em; }
img { max-width: 100%; height: auto; } blockquote { margin: 1em 0; padding-left: 1em; border-left: 3px solid #d9e2ec; }
.kb-turn { margin: 0 0 12px; padding: 4px 10px; border-left: 3px solid transparent; } .kb-turn p { margin: 4px 0; }
.kb-turn.kb-here { border-left-color: var(--kb-accent); background: color-mix(in srgb, var(--kb-accent) 6%, white); }
.kb-speaker { font-weight: 600; } .kb-at { color: #52606d; font-size: 0.9em; margin-left: 6px; }
.kb-cue.kb-here, .kb-cue:target { background: color-mix(in srgb, var(--kb-accent) 22%, white); }
.kb-play { display: none; margin-left: 6px; font-size: 0.9em; color: var(--kb-accent); }
.kb-cue.kb-here .kb-play { display: inline; }
.kb-player { position: sticky; top: 0; z-index: 1; background: #fff; padding: 8px 0; }
.kb-player video, .kb-player iframe { width: 100%; max-height: 40vh; aspect-ratio: 16 / 9; border: 0; background: #000; }
.kb-player audio { width: 100%; }
.kb-deck { display: grid; grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); gap: 16px; align-items: start; }
.kb-deck iframe { width: 100%; height: 70vh; border: 1px solid #d9e2ec; position: sticky; top: 8px; }
@media (max-width: 800px) { .kb-deck { grid-template-columns: 1fr; } }
.kb-page-text { scroll-margin-top: 16px; padding: 0 8px; border-left: 3px solid transparent; }
.kb-page-text.kb-here, .kb-page-text:target { border-left-color: var(--kb-accent); }
.kb-download { display: inline-block; margin: 4px 0 12px; padding: 6px 14px; border-radius: 6px; color: #fff;
  background: var(--kb-accent); text-decoration: none; font-weight: 600; }
a { color: var(--kb-accent); }
"""
_HEADING = re.compile(r"^(#{1,6})\s+(.*)$")
WIDE = ' class="kb-wide"'  # a deck's page: the PDF beside its pages' text


@dataclass(frozen=True)
class Face:
    """What the reader takes from settings: the site's name, accent colour (validated hex) and logo."""

    site_name: str
    accent_color: str = "#0f766e"
    logo_url: str | None = None
    placeholder: str = "Search the help centre…"


def _hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode() + "'"


def style_of(face: Face) -> str:
    return f":root {{ --kb-accent: {face.accent_color}; }}" + STYLE


def policy(face: Face, media_src: str = "", frame_src: str = "") -> str:
    """No source but this page's own script and style (by hash); images from this app (the content folder's,
    served by /asset/) and the site's logo; a recording's player only from the one host it plays from
    (`media_src`, `frame_src`: ui/media.py; "'self'" for a deck's PDF beside its pages)."""
    players = (f"media-src {media_src}; " if media_src else "") + (f"frame-src {frame_src}; " if frame_src else "")
    return ("default-src 'none'; " f"script-src {_hash(SCRIPT)}; style-src {_hash(style_of(face))}; "
            f"img-src {_sources('self', face.logo_url)}; connect-src 'self'; {players}base-uri 'none'; "
            "form-action 'none'; frame-ancestors 'self'")


def _sources(*urls: str | None) -> str:
    """CSP sources: 'self', and the origin (scheme://host[:port]) of each absolute http(s) url."""
    out = []
    for url in urls:
        if url == "self":
            out.append("'self'")
        elif url and safe_href(url) and re.match(r"https?://", url):
            parts = urlsplit(url)
            out.append(f"{parts.scheme}://{parts.netloc}")
    return " ".join(dict.fromkeys(out))


def page(face: Face, title: str, kind: str, body: str, extra: str = "", frame: Frame = Frame(),
         wide: bool = False) -> str:
    logo = safe_href(face.logo_url) if face.logo_url else None
    logo_html = f'<img class="kb-logo" src="{escape(logo, quote=True)}" alt="">' if logo else ""
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="referrer" content="no-referrer">'
        f"<title>{escape(title)} · {escape(face.site_name)}</title><style>{style_of(face)}</style></head>\n"
        f'<body><header class="kb-bar"><a class="kb-home" href="{escape(frame.root, quote=True)}">{logo_html}'
        f"{escape(face.site_name)}</a>{search_html(frame, face.placeholder)}</header>\n"
        f'<main{WIDE if wide else ""}>{crumbs_html(frame) if frame.doc_id else ""}'
        f'<p class="kb-kind">{escape(kind)}</p>'
        f"<h1>{escape(title)}</h1>{extra}\n{body}</main>\n"
        f'<div class="kb-after">{after_html(frame, kind)}</div>\n'
        f"<script>{SCRIPT}</script></body></html>\n"
    )


def topics_page(catalogue, face: Face, root: str) -> str:
    """`/read/`: the knowledge base's documents grouped by topic, with counts."""
    return page(face, ALL_TOPICS, face.site_name, topics_html(catalogue, root), frame=Frame(root=root))


def article_page(document: Document, face: Face, body: str | None = None, frame: Frame = Frame()) -> str:
    """The article as one page: `body` (its own file rendered, ui/article_html.py), else its sections under
    their headings; either way each heading has the id its links use."""
    kind = "Note" if document.source_type == "text" else "Article"
    if body is not None:
        return page(face, document.title, kind, f'<div class="kb-article">{body}</div>', frame=frame)
    parts, shown, ids = [], (), set()
    for segment in document.segments:
        parts.append(_headings(segment, shown, ids))
        shown = segment.section
        parts.append(text_html(segment.text))
    return page(face, document.title, kind, "\n".join(p for p in parts if p), frame=frame)


def _headings(segment: Segment, shown: tuple[str, ...], ids: set[str]) -> str:
    """The headings `segment` opens below those already shown; its own anchor on the last, once per page."""
    section = segment.section
    same = 0
    while same < min(len(section), len(shown)) and section[same] == shown[same]:
        same += 1
    if same == len(section) == len(shown):
        return ""
    out = []
    for depth in range(same, len(section)):
        anchor = segment.anchor if depth == len(section) - 1 else None
        ident = ""
        if anchor and anchor not in ids:
            ids.add(anchor)
            ident = f' id="{escape(anchor, quote=True)}"'
        level = min(depth + 2, 6)
        out.append(f"<h{level}{ident}>{escape(section[depth])}</h{level}>")
    return "\n".join(out)


def text_html(text: str) -> str:
    """A section's text as paragraphs, lists, tables (" | " rows), sub-headings and fenced code."""
    out: list[str] = []
    for fenced, chunk in _fences(text):
        if fenced:
            out.append(f"<pre><code>{escape(chunk)}</code></pre>")
        else:
            out.append(_blocks(text_units(chunk)))
    return "\n".join(o for o in out if o)


def _fences(text: str) -> list[tuple[bool, str]]:
    """Alternating prose and ``` code blocks (the fence lines themselves dropped)."""
    pieces, current, fenced = [], [], False
    for line in text.split("\n"):
        if line.strip().startswith("```"):
            pieces.append((fenced, "\n".join(current)))
            current, fenced = [], not fenced
            continue
        current.append(line)
    pieces.append((fenced, "\n".join(current)))
    return [(f, c) for f, c in pieces if c.strip()]


def _blocks(units: list[str]) -> str:
    out, run, rows = [], [], []

    def flush() -> None:
        if run:
            out.append(blocks_html(run))
            run.clear()
        if rows:
            body = "".join("<tr>" + "".join(f"<td>{inline_html(c.strip())}</td>" for c in r.split(" | ")) + "</tr>"
                           for r in rows)
            out.append(f"<table>{body}</table>")
            rows.clear()

    for unit in units:
        heading = _HEADING.match(unit)
        if heading:
            flush()
            level = min(len(heading.group(1)) + 1, 6)
            out.append(f"<h{level}>{inline_html(heading.group(2))}</h{level}>")
        elif " | " in unit and not ITEM.match(unit):
            if run:
                flush()
            rows.append(unit)
        else:
            if rows:
                flush()
            run.append(unit)
    flush()
    return "\n".join(out)


__all__ = ["Face", "Frame", "article_page", "page", "policy", "text_html", "topics_page"]
