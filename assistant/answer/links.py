"""Deep links, built from a chunk's own metadata so a citation points where the passage is.

A link to an article on the owner's own site (or in the app's reader, `/read/…`) can also name the highlighted sentence with a text
fragment (URL Fragment Text Directives: `#section:~:text=start,end`): browsers that support it
scroll to the sentence and mark it, others ignore it. `text_fragment` picks the fewest words at
the sentence's start and end that find it first on the page, with the words before it as a
prefix when the sentence itself is repeated.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from corpus import Chunk
from corpus.sentences import plain
from corpus.text import READER_PATH, safe_url

FRAGMENT_WORDS = 4  # words at each end of a long sentence (more when fewer would match earlier)


def deep_link(chunk: Chunk) -> str:
    """The article's section, the moment in the recording, or the deck's page."""
    if chunk.start is not None:
        return at_time(chunk.url, chunk.start)
    if chunk.page is not None:
        return _with_fragment(chunk.url, f"page={chunk.page}")
    if chunk.anchor:
        return _with_fragment(chunk.url, chunk.anchor)
    return chunk.url


def at_time(url: str, seconds: float) -> str:
    """A recording URL that opens at `seconds`: YouTube's own `t` parameter, else a media fragment."""
    whole = int(seconds)
    parts = urlsplit(url)
    host = parts.netloc.lower()
    if host.endswith(("youtube.com", "youtu.be")):
        query = [(k, v) for k, v in parse_qsl(parts.query) if k != "t"] + [("t", f"{whole}s")]
        return urlunsplit(parts._replace(query=urlencode(query)))
    return _with_fragment(url, f"t={whole}")


def with_text_fragment(url: str, sentence: str, page: str) -> str:
    """`url` with a text directive for `sentence` as it appears in `page` (both may hold Markdown);
    the url unchanged when the sentence is not in the page or the url is neither an http(s) page nor
    the app's reader (`/read/…`, which honours the directive itself)."""
    directive = text_fragment(sentence, page)
    parts = urlsplit(url)
    page_url = parts.scheme in ("http", "https") or (not parts.scheme and parts.path.startswith(READER_PATH))
    if not directive or not page_url or ":~:" in parts.fragment:
        return url
    return urlunsplit(parts._replace(fragment=f"{parts.fragment}:~:{directive}"))


def text_fragment(sentence: str, page: str) -> str:
    """`text=[prefix-,]start[,end]` that a browser finds first at `sentence` in `page`: literal words
    (punctuation kept), matched case-insensitively; "" when the sentence is not in the page."""
    words, text = _spaced(sentence).split(" "), _spaced(page).casefold()
    whole = " ".join(words)
    at = text.find(whole.casefold()) if whole else -1
    if at < 0:
        return ""
    cells = [cell.strip() for cell in whole.strip("| ").split(" | ")]
    if len(cells) > 1:  # a table row: its cells are separate blocks on the page, so the row's first and last
        return "text=" + ",".join(_encode(cell) for cell in (cells[0], cells[-1]) if cell)
    for size in range(min(FRAGMENT_WORDS, len(words)), len(words) + 1):
        long = len(words) > 2 * size  # a short sentence is named whole, so all of it is marked
        start, end = (" ".join(words[:size]), " ".join(words[-size:])) if long else (whole, "")
        if _first(text, start.casefold(), end.casefold()) == at:
            return "text=" + ",".join(_encode(part) for part in (start, end) if part)
        if not long:
            break  # named whole and still found earlier: the sentence is repeated
    prefix = " ".join(_spaced(page)[:at].split()[-3:])  # the words before this one tell the repeats apart
    return f"text={_encode(prefix)}-,{_encode(whole)}" if prefix else "text=" + _encode(whole)


def clock(seconds: float | None) -> str:
    """12:34, or 1:02:03 past an hour."""
    total = int(seconds or 0)
    hours, minutes, secs = total // 3600, total % 3600 // 60, total % 60
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _spaced(text: str) -> str:
    return " ".join(plain(text).split())


def _first(text: str, start: str, end: str) -> int:
    """Where a browser's match of start[,end] begins: the first start, with the first end after it."""
    at = text.find(start)
    if at < 0 or not end:
        return at
    return at if text.find(end, at + len(start)) >= 0 else -1


def _encode(term: str) -> str:
    """A directive term: percent-encoded UTF-8, with '-', ',' and '&' escaped as the spec requires."""
    return quote(term, safe="").replace("-", "%2D")


def _with_fragment(url: str, fragment: str) -> str:
    return urlunsplit(urlsplit(url)._replace(fragment=fragment))


def safe_href(url: str) -> str | None:
    """The url when it may become a link (http(s) or relative); None for javascript:, data: and the like."""
    return safe_url(url)[0]
