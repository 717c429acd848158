"""An article's own file as the reader's HTML body: Markdown through markdown-it-py, an HTML page's article
through the same sanitiser. Pure: what a link or image in it points at is decided by the caller's `Resolver`.

    markdown_body(text, resolve)   -> str   headings with the ids the build's links use (GitHub-style slugs)
    html_body(text, resolve)       -> str   the `<main>`/`<article>` the build indexed, headings keeping their ids

Content is untrusted. Raw HTML inside Markdown is allowed through markdown-it and then everything goes
through nh3 (the maintained Rust sanitiser ammonia): an allowlist of tags (text, lists, tables, code,
images, links), of attributes (no event handlers, no style, no class), and of link schemes
(http, https, mailto). `<script>` and `<style>` are dropped with their content. Then each link is resolved:
another document of the knowledge base opens in the reader, a file of the content folder is served from
it, an outside page stays as it is, anything else (a missing file, a path leaving the folder) becomes its
words. Images show only from inside the content folder; others become their alt text. The page's own
Content-Security-Policy (ui/reader_html.py) is the second fence.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import nh3
from markdown_it import MarkdownIt

from corpus.text import slugify

HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
TAGS = HEADINGS | {
    "p", "br", "hr", "a", "img", "strong", "b", "em", "i", "u", "s", "del", "ins", "mark", "small", "sub", "sup",
    "kbd", "code", "pre", "samp", "var", "abbr", "cite", "q", "blockquote", "ul", "ol", "li", "dl", "dt", "dd",
    "table", "caption", "thead", "tbody", "tfoot", "tr", "th", "td", "colgroup", "col", "figure", "figcaption",
    "div", "span", "section", "article", "header", "details", "summary",
}
ATTRIBUTES = {
    "a": {"href", "title"}, "img": {"src", "alt", "title", "width", "height"}, "abbr": {"title"},
    "ol": {"start", "reversed"}, "td": {"colspan", "rowspan"}, "th": {"colspan", "rowspan", "scope"},
    "col": {"span"}, "colgroup": {"span"}, **{h: {"id"} for h in HEADINGS},
}
SCHEMES = {"http", "https", "mailto"}
OUR_IDS = re.compile(r"^(?:kb-|t=|page=)")  # ids the reader's own parts use: content may not take them


@dataclass(frozen=True)
class Target:
    href: str
    download: bool = False  # a file to save ("Download the deck"), not a page to open


@dataclass(frozen=True)
class Resolver:
    """link(href, words) -> Target or None (shown as its words); image(src) -> the address to load, or None."""

    link: Callable[[str, str], Target | None]
    image: Callable[[str], str | None]


def markdown_parser() -> MarkdownIt:
    """CommonMark with tables. Every link target is let through here (markdown-it would leave a
    `javascript:` link as raw `[words](…)`): the sanitiser drops the target and the words stay, as in the chat."""
    parser = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
    parser.validateLink = lambda url: True
    return parser


_MARKDOWN = markdown_parser()


def markdown_body(text: str, resolve: Resolver) -> str:
    """Markdown (front matter already removed) as sanitised HTML. The first `#` heading is the page's title
    (the build takes it as the title, not a section), so it is left out; every other heading gets the
    GitHub-style id the build gave its section's anchor."""
    tokens = _MARKDOWN.parse(text)
    first = next((n for n, t in enumerate(tokens) if t.type == "heading_open" and t.tag == "h1"), None)
    if first is not None:
        del tokens[first:first + 3]  # heading_open, inline, heading_close
    for n, token in enumerate(tokens):
        if token.type == "heading_open":
            token.attrSet("id", slugify(tokens[n + 1].content))
    return sanitised(_MARKDOWN.renderer.render(tokens, _MARKDOWN.options, {}), resolve)


def html_body(root_html: str, resolve: Resolver) -> str:
    """An HTML article's main content (corpus.loaders.html.article_root, as the build read it), its first
    `<h1>` (the title) left out."""
    from bs4 import BeautifulSoup  # a page of the reader, not every start, pays for it

    soup = BeautifulSoup(root_html, "html.parser")
    h1 = soup.find("h1")
    if h1 is not None:
        h1.decompose()
    return sanitised(str(soup), resolve)


def sanitised(html: str, resolve: Resolver) -> str:
    """nh3's allowlist, then links and images resolved, and duplicate (or reserved) ids dropped."""
    clean = nh3.clean(html, tags=TAGS, attributes=ATTRIBUTES, url_schemes=SCHEMES,
                      clean_content_tags={"script", "style"}, link_rel="noopener noreferrer")
    from bs4 import BeautifulSoup, NavigableString

    soup = BeautifulSoup(clean, "html.parser")
    seen: set[str] = set()
    for tag in soup.find_all(id=True):
        ident = tag["id"]
        if ident in seen or OUR_IDS.match(ident) or not ident.strip():
            del tag["id"]
        seen.add(ident)
    for link in soup.find_all("a"):
        target = resolve.link(link.get("href", ""), link.get_text(" ", strip=True)) if link.get("href") else None
        if target is None:
            link.unwrap()
            continue
        link["href"] = target.href
        if target.download:
            link["download"] = ""
        if target.href.startswith(("http://", "https://")):
            link["target"] = "_blank"  # another site: a new tab, the article stays open
    for image in soup.find_all("img"):
        source = resolve.image(image.get("src", ""))
        if source is None:
            image.replace_with(NavigableString(image.get("alt", "")))
        else:
            image["src"] = source
            image["loading"] = "lazy"
    return str(soup)


__all__ = ["Resolver", "Target", "html_body", "markdown_body", "markdown_parser", "sanitised"]
