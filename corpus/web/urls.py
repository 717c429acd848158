"""Pure URL rules: normalising, scoping to a source, hiding credentials, recognising recordings."""

from __future__ import annotations

import posixpath
import re
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

SCHEMES = ("http", "https")
TRACKING = re.compile(r"^(utm_\w+|fbclid|gclid|mc_cid|mc_eid|_ga|replytocom)$", re.I)
SECRET_KEYS = re.compile(r"(token|key|secret|password|passwd|pass|auth|sig|signature|session|code)", re.I)
YOUTUBE_ID = re.compile(r"^[\w-]{6,20}$")


def is_web(value: object) -> bool:
    """Whether a `sources` entry is a site (http or https URL) rather than a folder."""
    return isinstance(value, str) and urlsplit(value.strip()).scheme.lower() in SCHEMES


def normalise(url: str, base: str | None = None) -> str | None:
    """An absolute http(s) URL without fragment, credentials, default port or tracking parameters;
    None for anything else (mailto:, javascript:, data:, a bad port…)."""
    try:
        parts = urlsplit(urljoin(base, url.strip()) if base else url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES or not parts.hostname:
        return None
    host = parts.hostname.lower()
    if port and port != {"http": 80, "https": 443}[scheme]:
        host = f"{host}:{port}"
    path = _clean_path(parts.path)
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not TRACKING.match(k)])
    return urlunsplit((scheme, host, path, query, ""))


def _clean_path(path: str) -> str:
    if not path:
        return "/"
    cleaned = posixpath.normpath(path)
    if path.endswith("/") and cleaned != "/":
        cleaned += "/"
    return cleaned if cleaned.startswith("/") else "/" + cleaned


def host_of(url: str) -> str:
    parts = urlsplit(url)
    return (parts.hostname or "").lower() + (f":{parts.port}" if parts.port else "")


def sibling_hosts(host: str) -> frozenset[str]:
    """A site's host and its www./bare twin: the hosts a source may redirect between."""
    twin = host[4:] if host.startswith("www.") else "www." + host
    return frozenset({host, twin})


def in_scope(url: str, scope: str) -> bool:
    """Whether `url` lies under `scope` (a normalised URL whose path ends at a folder)."""
    a, b = urlsplit(url), urlsplit(scope)
    return host_of(url) in sibling_hosts(host_of(scope)) and a.path.startswith(b.path)


def scope_of(start: str) -> str:
    """The folder a start URL stands for: https://h/kb/ → itself; https://h/kb/page → https://h/kb/."""
    parts = urlsplit(start)
    folder = parts.path if parts.path.endswith("/") else parts.path.rsplit("/", 1)[0] + "/"
    return urlunsplit((parts.scheme, parts.netloc, folder, "", ""))


def redact(url: str) -> str:
    """The URL fit for logs and reports: no user:password, and secret-looking query values hidden."""
    try:
        parts = urlsplit(url)
        netloc = parts.netloc.rsplit("@", 1)[-1]
        query = urlencode([(k, "***" if SECRET_KEYS.search(k) else v)
                           for k, v in parse_qsl(parts.query, keep_blank_values=True)])
        return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))
    except ValueError:
        return "(unparseable url)"


def recording_key(url: str) -> str | None:
    """'youtube:ID' or 'vimeo:ID' for a YouTube or Vimeo watch, embed or short link; None otherwise."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    host = (parts.hostname or "").lower().removeprefix("www.").removeprefix("m.")
    segments = [s for s in parts.path.split("/") if s]
    if host in ("youtube.com", "youtube-nocookie.com", "music.youtube.com"):
        if segments[:1] == ["watch"]:
            video = dict(parse_qsl(parts.query)).get("v", "")
        elif len(segments) >= 2 and segments[0] in ("embed", "shorts", "live", "v"):
            video = segments[1]
        else:
            return None
        return f"youtube:{video}" if YOUTUBE_ID.match(video) else None
    if host == "youtu.be" and segments and YOUTUBE_ID.match(segments[0]):
        return f"youtube:{segments[0]}"
    if host in ("vimeo.com", "player.vimeo.com"):
        numbers = [s for s in segments if s.isdigit()]
        return f"vimeo:{numbers[0]}" if numbers else None
    return None


def recording_url(key: str) -> str:
    """The public watch page of a recording key (what a transcript's sidecar `url` should name)."""
    kind, video = key.split(":", 1)
    return f"https://www.youtube.com/watch?v={video}" if kind == "youtube" else f"https://vimeo.com/{video}"
