"""Deep links, built from a chunk's own metadata so a citation points where the passage is."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from corpus import Chunk
from corpus.text import safe_url


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


def clock(seconds: float | None) -> str:
    """12:34, or 1:02:03 past an hour."""
    total = int(seconds or 0)
    hours, minutes, secs = total // 3600, total % 3600 // 60, total % 60
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _with_fragment(url: str, fragment: str) -> str:
    return urlunsplit(urlsplit(url)._replace(fragment=fragment))


def safe_href(url: str) -> str | None:
    """The url when it may become a link (http(s) or relative); None for javascript:, data: and the like."""
    return safe_url(url)[0]
