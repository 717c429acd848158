"""A fetched help-centre page → its article: main content only, headings with their ids, the canonical
URL, the PDF decks and the YouTube/Vimeo recordings it links to, and (for a crawl) every link on it.

Knowledge-base themes wrap the article in search boxes, breadcrumbs ("< All Topics"), ratings
widgets ("Was this article helpful?"), share buttons, a table of contents and "previous / next"
links. Those are pruned by tag, ARIA role and class/id words before the existing HTML loader
(corpus.loaders.html) reads what is left, so section anchors stay the page's own heading ids.
"""

from __future__ import annotations

import html as htmllib
import re
from dataclasses import dataclass, replace

from bs4 import BeautifulSoup, Tag

from corpus.errors import LoadError
from corpus.loaders import html as html_loader
from corpus.loaders.base import Parsed
from corpus.web.urls import normalise, recording_key

NOISE_WORDS = {
    "rating", "ratings", "rate", "stars", "feedback", "helpful", "vote", "votes", "share", "sharing", "social",
    "breadcrumb", "breadcrumbs", "crumbs", "postnav", "navigation", "nav", "pagination", "prev", "previous",
    "next", "related", "toc", "comments", "comment", "respond", "sidebar", "widget", "search", "searchform",
    "subscribe", "newsletter", "cookie", "cookies", "banner", "print", "author", "byline", "tags", "skip",
}
NOISE_ROLES = {"navigation", "search", "complementary", "banner", "contentinfo", "form"}
CONTENT_SELECTORS = ("[itemprop=articleBody]", ".entry-content", ".post-content", ".article-content",
                     ".kb-article-content", ".content-body")
ASSET = re.compile(r"\.(jpe?g|png|gif|webp|svg|ico|css|js|zip|gz|tar|mp4|mp3|mov|avi|docx?|xlsx?|pptx?|"
                   r"woff2?|ttf|eot|xml|json|rss|atom)$", re.I)


@dataclass(frozen=True)
class Page:
    parsed: Parsed  # segments with section anchors; .title; .url = the canonical URL when the page names one
    decks: tuple[tuple[str, str], ...] = ()  # (PDF url, link text) linked from the article
    recordings: tuple[str, ...] = ()  # 'youtube:ID' / 'vimeo:ID' embedded or linked in the article
    links: tuple[str, ...] = ()  # every page link on the page, normalised (what a crawl follows)
    noindex: bool = False
    nofollow: bool = False


def read_page(text: str, url: str) -> Page:
    """A whole HTML page fetched from `url`."""
    soup = _soup(text)
    metas = soup.find_all("meta", attrs={"name": re.compile("^robots$", re.I)})
    robots = " ".join(str(m.get("content", "")) for m in metas)
    base = soup.find("base", href=True)
    base_url = normalise(str(base["href"]), url) if base else url
    links = _page_links(soup, base_url or url)
    root = soup.find("main") or soup.find("article") or soup.body or soup
    article = root.find("article") if root.name == "main" and len(root.find_all("article")) == 1 else None
    root = article or root
    _prune(root)
    decks, recordings = _attachments(root, base_url or url)
    head = "".join(str(tag) for tag in soup.find_all(["title", "link", "meta"])
                   if tag.name != "meta" or tag.get("property"))  # title, canonical link, og:url
    title_tag = root.find("h1") or (soup.find("h1") if soup.find("h1") else None)
    body = str(root) if root.find("h1") or not title_tag else str(title_tag) + str(root)
    parsed = html_loader.load(f"<html><head>{head}</head><body><main>{body}</main></body></html>").normalised()
    return Page(parsed, decks, recordings, links, "noindex" in robots.lower(), "nofollow" in robots.lower())


def read_fragment(content_html: str, url: str, title_html: str, topic: str | None = None) -> Page:
    """WordPress's `content.rendered` for the article at `url`, titled by `title.rendered`, in its category."""
    title = BeautifulSoup(title_html or "", "html.parser").get_text(" ", strip=True) or url
    soup = _soup(f"<article><h1>{htmllib.escape(title)}</h1>{content_html}</article>")
    root = soup.find("article")
    _prune(root)
    decks, recordings = _attachments(root, url)
    parsed = html_loader.load(f"<html><body><main>{root}</main></body></html>")
    return Page(replace(parsed, title=title, url=None, topic=topic or None).normalised(), decks, recordings)


def _soup(text: str) -> BeautifulSoup:
    soup = BeautifulSoup(text, "html.parser")
    if html_loader._depth(soup) > html_loader.MAX_DEPTH:
        raise LoadError(f"HTML nested more than {html_loader.MAX_DEPTH} elements deep; not indexed")
    return soup


def _prune(root: Tag) -> None:
    """Drop navigation, widgets and other boilerplate inside the article, keeping its content block."""
    keep = {id(tag) for sel in CONTENT_SELECTORS for tag in root.select(sel)}
    for tag in root.find_all(True):
        if tag.decomposed or id(tag) in keep or tag.name in ("h1", "html", "body"):
            continue
        if tag.name in ("nav", "aside", "footer", "form", "button", "select") or _noisy(tag):
            if not any(id(t) in keep for t in tag.find_all(True)) and not tag.find("h1"):
                tag.decompose()
    for link in root.find_all("a", rel=True):
        if not link.decomposed and {"prev", "next"} & set(link.get("rel") or ()):
            link.decompose()


def _noisy(tag: Tag) -> bool:
    if str(tag.get("role", "")).lower() in NOISE_ROLES:
        return True
    names = list(tag.get("class") or ()) + [str(tag.get("id") or "")]
    words = {w for name in names for w in re.split(r"[-_\s]+", name.lower()) if w}
    return bool(words & NOISE_WORDS)


def _attachments(root: Tag, base: str) -> tuple[tuple[tuple[str, str], ...], tuple[str, ...]]:
    decks: dict[str, str] = {}
    recordings: list[str] = []
    for tag in root.find_all(["a", "iframe", "embed", "source", "video"]):
        target = tag.get("href") or tag.get("src") or tag.get("data-src")
        if not target:
            continue
        key = recording_key(str(target))
        if key and key not in recordings:
            recordings.append(key)
            continue
        url = normalise(str(target), base)
        if tag.name == "a" and url and url.split("?", 1)[0].lower().endswith(".pdf") and url not in decks:
            decks[url] = " ".join(tag.get_text(" ", strip=True).split())[:200]
    return tuple(decks.items()), tuple(recordings)


def _page_links(soup: BeautifulSoup, base: str) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for tag in soup.find_all("a", href=True):
        if "nofollow" in (tag.get("rel") or ()):
            continue
        url = normalise(str(tag["href"]), base)
        if url and not ASSET.search(url.split("?", 1)[0]):
            seen.setdefault(url)
    return tuple(seen)
