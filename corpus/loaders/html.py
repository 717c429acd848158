"""HTML pages: the main content without navigation and boilerplate, split at headings.

A section's link anchor is the heading's own `id`, so a deep link exists only where the page has one.
"""

from __future__ import annotations

from bs4 import BeautifulSoup, NavigableString, Tag

from corpus.errors import LoadError
from corpus.loaders.base import Parsed
from corpus.model import Segment
from corpus.text import clean

HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
BOILERPLATE = ("script", "style", "noscript", "template", "nav", "aside", "footer", "form",
               "iframe", "svg", "button", "select", "dialog", "title")
MAX_DEPTH = 512  # elements nested deeper than this are refused, as browsers' parsers cap the tree at 512
BLOCKS = {"p", "div", "li", "tr", "br", "pre", "blockquote", "section", "article", "table", "ul", "ol",
          "dd", "dt", "figure", "figcaption", "main", "header", "hr"}


def load(text: str) -> Parsed:
    soup = BeautifulSoup(text, "html.parser")
    if _depth(soup) > MAX_DEPTH:
        raise LoadError(f"HTML nested more than {MAX_DEPTH} elements deep; simplify the page")
    page_title = soup.title.get_text(" ", strip=True) if soup.title else None
    url = _canonical(soup)
    root = article_root(soup)
    h1 = root.find("h1")
    title = h1.get_text(" ", strip=True) if h1 else page_title
    section = soup.find("meta", attrs={"property": "article:section"}) or soup.find("meta", attrs={"name": "category"})
    topic = " ".join(str(section.get("content") or "").split())[:80] if section else ""
    return Parsed(segments=tuple(_sections(root)), source_type="article", title=title or None, url=url,
                  topic=topic or None)


def article_root(soup: BeautifulSoup) -> Tag:
    """The article: `<main>` (or `<article>`, else `<body>`) without navigation and boilerplate (changes `soup`).
    The reader (ui/article_html.py) shows exactly what is indexed."""
    root = soup.find("main") or soup.find("article") or soup.body or soup
    for tag in root.find_all(BOILERPLATE):
        tag.decompose()
    if root.name != "main" and root.name != "article":
        for tag in root.find_all("header"):
            if not tag.find("h1"):
                tag.decompose()
    return root


def _canonical(soup: BeautifulSoup) -> str | None:
    link = soup.find("link", rel="canonical")
    if link and link.get("href"):
        return str(link["href"])
    meta = soup.find("meta", property="og:url")
    return str(meta["content"]) if meta and meta.get("content") else None


def _depth(soup: BeautifulSoup) -> int:
    """How deep the element tree goes, in one pass (no recursion, so any depth is safe to measure)."""
    depth, deepest = {id(soup): 0}, 0
    for node in soup.descendants:
        if isinstance(node, Tag):
            depth[id(node)] = depth[id(node.parent)] + 1
            deepest = max(deepest, depth[id(node)])
    return deepest


def _last_descendant(tag: Tag) -> Tag | NavigableString:
    node = tag
    while isinstance(node, Tag) and node.contents:
        node = node.contents[-1]
    return node


def _sections(root: Tag) -> list[Segment]:
    segments: list[Segment] = []
    stack: list[tuple[int, str, str | None]] = []  # (level, heading text, id)
    buffer: list[str] = []

    def flush() -> None:
        body = clean("".join(buffer))
        buffer.clear()
        if body:
            headings = tuple(text for level, text, _ in stack if level > 1)
            anchor = stack[-1][2] if stack and stack[-1][0] > 1 else None
            segments.append(Segment(text=body, section=headings, anchor=anchor))

    heading_ends: Tag | NavigableString | None = None  # the last node inside the heading being read
    for node in root.descendants:
        in_heading = heading_ends is not None
        if node is heading_ends:
            heading_ends = None
        if isinstance(node, Tag):
            if node.name in HEADINGS:
                if not in_heading:
                    heading_ends = _last_descendant(node)
                    heading_ends = None if heading_ends is node else heading_ends
                flush()
                level = int(node.name[1])
                while stack and stack[-1][0] >= level:
                    stack.pop()
                ident = node.get("id")
                stack.append((level, node.get_text(" ", strip=True), str(ident) if ident else None))
            elif node.name in BLOCKS:
                buffer.append("\n\n" if node.name in ("p", "pre", "blockquote", "table") else "\n")
            elif node.name in ("td", "th"):
                buffer.append(" ")
        elif type(node) is NavigableString and not in_heading:
            buffer.append(str(node))
    flush()
    return segments
