"""What surrounds a document on its reader page, as a help centre's article page has it. Pure HTML, escaped.

    Frame(root, doc_id, rating_token, topic, previous, next)   what a page shows around its document
    crumbs_html(frame)       "< All topics › Careers"
    search_html(frame, face) the search box: asks the assistant (/api/search) and shows its cards here
    after_html(frame, kind)  previous / next in the topic, then "Was this article helpful?"
    topics_html(catalogue, root)  the "All topics" page's body: each topic with its count and documents

Every link is relative to the page (`root` is the app's root seen from it), so the pages keep working
when a proxy serves the app under a path of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from assistant.answer.links import safe_href
from corpus.text import READER_PATH
from ui.topics import Catalogue, Entry, topic_anchor

KIND_LABELS = {"article": "Article", "transcript": "Session recording", "deck": "Slide deck", "text": "Note"}
ALL_TOPICS = "All topics"


@dataclass(frozen=True)
class Link:
    title: str
    href: str


@dataclass(frozen=True)
class Frame:
    """Around a document: where the app's root is seen from the page (its links are relative), the rating
    form's token when ratings are on, the document's topic and its neighbours there."""

    root: str = "/"
    doc_id: str = ""
    rating_token: str | None = None  # "Was this article helpful?" (ui/ratings.py) when set
    topic: str | None = None
    previous: Link | None = None
    next: Link | None = None
    search: bool = True  # the search box in the bar


def entry_link(entry: Entry | None, root: str) -> Link | None:
    """A document's link from a reader page: its reader page (relative), or its own site's address."""
    if entry is None:
        return None
    href = root + entry.url.lstrip("/") if entry.url.startswith(READER_PATH) else safe_href(entry.url)
    return Link(entry.title, href) if href else None


def crumbs_html(frame: Frame) -> str:
    topics = escape(frame.root + READER_PATH.lstrip("/"), quote=True)
    topic = (f' <span aria-hidden="true">›</span> <a href="{topics}#{escape(topic_anchor(frame.topic), quote=True)}">'
             f"{escape(frame.topic)}</a>") if frame.topic else ""
    return f'<nav class="kb-crumbs" aria-label="Breadcrumb"><a href="{topics}">&lt; {ALL_TOPICS}</a>{topic}</nav>'


def search_html(frame: Frame, placeholder: str) -> str:
    if not frame.search:
        return ""
    return (f'<form class="kb-search" role="search" data-api="{escape(frame.root, quote=True)}api/search">'
            f'<input type="search" name="q" aria-label="Search the help centre" maxlength="2000" '
            f'placeholder="{escape(placeholder, quote=True)}"><button type="submit">Search</button></form>'
            '<section class="kb-results" aria-live="polite" hidden></section>')


def after_html(frame: Frame, kind: str) -> str:
    return prevnext_html(frame) + rating_html(frame, kind)


def prevnext_html(frame: Frame) -> str:
    if not (frame.previous or frame.next):
        return ""
    parts = []
    for link, rel, word in ((frame.previous, "prev", "‹ Previous"), (frame.next, "next", "Next ›")):
        if link:
            parts.append(f'<a class="kb-{rel}" rel="{rel}" href="{escape(link.href, quote=True)}">'
                         f'<span class="kb-way">{word}</span> <span class="kb-way-title">{escape(link.title)}</span></a>')
    label = f"More in {frame.topic}" if frame.topic else "More articles"
    return f'<nav class="kb-prevnext" aria-label="{escape(label, quote=True)}">{"".join(parts)}</nav>'


def rating_html(frame: Frame, kind: str) -> str:
    """"Was this article helpful?": five star buttons, "How can we improve this article?" and Send; the
    reader's script posts them with the page's token (ui/ratings.py)."""
    if not frame.rating_token:
        return ""
    noun = {"Session transcript": "recording", "Slide deck": "slide deck", "Note": "note"}.get(kind, "article")
    stars = "".join(f'<button type="button" class="kb-star" data-stars="{n}" role="radio" aria-checked="false" '
                    f'aria-label="{n} star{"s" if n > 1 else ""}">★</button>' for n in range(1, 6))
    return (f'<section class="kb-rate" id="kb-rate" data-doc="{escape(frame.doc_id, quote=True)}" '
            f'data-token="{escape(frame.rating_token, quote=True)}" data-post="{escape(frame.root, quote=True)}ratings">'
            f'<h2 id="kb-rate-q">Was this {noun} helpful?</h2>'
            f'<div class="kb-stars" role="radiogroup" aria-labelledby="kb-rate-q">{stars}</div>'
            f'<label for="kb-note">How can we improve this {noun}?</label>'
            '<textarea id="kb-note" rows="3" maxlength="2000"></textarea>'
            '<button type="button" class="kb-send">Send</button>'
            '<p class="kb-rate-status" role="status" aria-live="polite"></p></section>')


def topics_html(catalogue: Catalogue, root: str) -> str:
    """Each topic with its count, a contents list first; then each topic's documents with their kind."""
    total = sum(len(entries) for _, entries in catalogue.topics)
    contents = "".join(f'<li><a href="#{escape(topic_anchor(t), quote=True)}">{escape(t)}</a> '
                       f'<span class="kb-count">({len(entries)})</span></li>' for t, entries in catalogue.topics)
    sections = []
    for topic, entries in catalogue.topics:
        items = []
        for entry in entries:
            link = entry_link(entry, root)
            title = (f'<a href="{escape(link.href, quote=True)}">{escape(entry.title)}</a>' if link
                     else escape(entry.title))
            kind = KIND_LABELS.get(entry.source_type, entry.source_type)
            items.append(f'<li>{title} <span class="kb-badge">{escape(kind)}</span></li>')
        sections.append(f'<section class="kb-topic"><h2 id="{escape(topic_anchor(topic), quote=True)}">'
                        f'{escape(topic)} <span class="kb-count">({len(entries)})</span></h2>'
                        f'<ul class="kb-docs">{"".join(items)}</ul></section>')
    word = "document" if total == 1 else "documents"
    return (f'<p class="kb-summary">{total} {word} in {len(catalogue.topics)} '
            f'topic{"" if len(catalogue.topics) == 1 else "s"}.</p>'
            f'<ul class="kb-contents">{contents}</ul>{"".join(sections)}')


__all__ = ["ALL_TOPICS", "Frame", "Link", "after_html", "crumbs_html", "entry_link", "rating_html",
           "search_html", "topics_html"]
