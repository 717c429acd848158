"""A polite HTTP client for one web source: robots.txt, a per-host rate limit, retries with backoff,
timeouts, a descriptive User-Agent, at most 5 redirects that stay on the source's hosts, size caps,
content-type checks, and conditional requests through the fetch cache.

    client = PoliteClient(Politeness(), hosts={"help.example.org"}, cache=FetchCache(folder))
    page = client.fetch("https://help.example.org/kb/a/", "html")   # Fetched; .fresh False on a 304
"""

from __future__ import annotations

import email.utils
import math
import time
import urllib.robotparser
from collections import Counter
from dataclasses import dataclass, field
from importlib import metadata

import httpx

from corpus.web.cache import Entry, FetchCache
from corpus.web.errors import FetchFailed, Gone, Refused
from corpus.web.urls import SCHEMES, host_of, normalise, redact


def _version() -> str:
    try:
        return metadata.version("pmo-help-assistant")
    except metadata.PackageNotFoundError:
        return "0"


USER_AGENT = f"pmo-help-assistant/{_version()} (help-centre search indexer; honours robots.txt)"
RETRY_STATUSES = {429, 500, 502, 503, 504}
REDIRECT_STATUSES = {301, 302, 303, 307, 308}
TYPES = {  # what each kind of fetch accepts (an empty tuple: anything)
    "html": ("text/html", "application/xhtml+xml"),
    "pdf": ("application/pdf", "application/x-pdf", "application/octet-stream", "binary/octet-stream"),
    "xml": ("application/xml", "text/xml", "application/gzip", "application/x-gzip", "text/plain",
            "application/octet-stream", "application/rss+xml"),
    "json": ("application/json",),
    "robots": (),
}


@dataclass(frozen=True)
class Politeness:
    """How a web source is fetched. Defaults are the politeness defaults docs/sites.md gives."""

    user_agent: str = USER_AGENT
    rate: float = 2.0  # requests per second per host, at most (robots.txt Crawl-delay may slow it further)
    retries: int = 3  # more tries after a 429, a 5xx or a network error
    backoff: float = 1.0  # seconds before the first retry, doubled each time (Retry-After wins)
    max_wait: float = 60.0  # longest Retry-After or Crawl-delay honoured
    timeout: float = 20.0
    max_redirects: int = 5
    max_html_bytes: int = 5_000_000
    max_pdf_bytes: int = 50_000_000
    max_robots_bytes: int = 500_000

    def cap(self, kind: str) -> int:
        return {"pdf": self.max_pdf_bytes, "xml": self.max_pdf_bytes, "json": self.max_pdf_bytes,  # 100 items a page
                "robots": self.max_robots_bytes}.get(kind, self.max_html_bytes)


@dataclass(frozen=True)
class Fetched:
    url: str
    final_url: str
    body: bytes
    content_type: str
    fresh: bool  # False: the server said 304 and the body is the cached one
    headers: dict = field(default_factory=dict, compare=False)
    noindex: bool = False  # X-Robots-Tag: noindex (remembered across 304s)


class PoliteClient:
    def __init__(self, politeness: Politeness, hosts: frozenset[str] | set[str], cache: FetchCache | None = None,
                 auth: tuple[str, str] | None = None, transport: httpx.BaseTransport | None = None):
        self.politeness = politeness
        self.hosts = frozenset(hosts)
        self.cache = cache or FetchCache(None)
        self.stats: Counter = Counter()  # requests, downloads (200), not_modified (304), bytes, retries
        self._robots: dict[str, urllib.robotparser.RobotFileParser] = {}
        self._last: dict[str, float] = {}
        self._http = httpx.Client(headers={"User-Agent": politeness.user_agent}, auth=auth,
                                  timeout=httpx.Timeout(politeness.timeout), follow_redirects=False,
                                  transport=transport)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> PoliteClient:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # --- robots.txt ------------------------------------------------------------------------------

    def robots(self, url: str) -> urllib.robotparser.RobotFileParser:
        origin = url.split("/", 3)
        origin = f"{origin[0]}//{origin[2]}"
        if origin not in self._robots:
            parser = urllib.robotparser.RobotFileParser(origin + "/robots.txt")
            try:
                text = self.fetch(origin + "/robots.txt", "robots", check_robots=False).body
                parser.parse(_whole_delays(text.decode("utf-8", "replace").splitlines()))
            except Gone:
                parser.parse([])  # no robots.txt: everything is allowed
            except FetchFailed as exc:
                if exc.status not in (401, 403):
                    raise FetchFailed(f"robots.txt of {origin} could not be read ({exc}); nothing was fetched "
                                      "from the site — try again later", exc.status) from exc
                parser.disallow_all = True
                parser.modified()
            self._robots[origin] = parser
        return self._robots[origin]

    def allowed(self, url: str) -> bool:
        return self.robots(url).can_fetch(self.politeness.user_agent, url)

    def sitemaps_in_robots(self, url: str) -> list[str]:
        return list(self.robots(url).site_maps() or [])

    # --- fetching --------------------------------------------------------------------------------

    def fetch(self, url: str, kind: str, check_robots: bool = True, conditional: bool = True) -> Fetched:
        """GET `url` (a normalised http(s) URL) as `kind`; a cached copy answers a 304. Raises Refused,
        Gone (404/410) or FetchFailed."""
        if url.split(":", 1)[0] not in SCHEMES:
            raise Refused(f"{redact(url)}: only http(s) is fetched")
        entry = self.cache.get(url) if conditional else None
        cached = self.cache.body(entry)
        headers = {}
        if cached is not None:
            if entry.etag:
                headers["If-None-Match"] = entry.etag
            if entry.last_modified:
                headers["If-Modified-Since"] = entry.last_modified
        current = url
        for _ in range(self.politeness.max_redirects + 1):
            self._check(current, check_robots)
            status, response, body = self._get_with_retries(current, kind, headers)
            if status in REDIRECT_STATUSES:
                current = self._redirect_target(current, response)
                continue
            if status == 304 and cached is not None:
                self.stats["not_modified"] += 1
                self.cache.keep(url)
                return Fetched(url, entry.final_url, cached, entry.content_type, False, dict(response.headers),
                               entry.noindex)
            content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
            noindex = "noindex" in response.headers.get("x-robots-tag", "").lower()
            stored = Entry(url, current, "", content_type, response.headers.get("etag"),
                           response.headers.get("last-modified"), noindex=noindex)
            self.cache.put(stored, body)
            return Fetched(url, current, body, content_type, True, dict(response.headers), noindex)
        raise Refused(f"{redact(url)}: more than {self.politeness.max_redirects} redirects")

    def _check(self, url: str, check_robots: bool) -> None:
        if host_of(url) not in self.hosts:
            raise Refused(f"{redact(url)}: on another host than the source's ({', '.join(sorted(self.hosts))})")
        if check_robots and not self.allowed(url):
            raise Refused(f"{redact(url)}: disallowed by robots.txt for our user agent")

    def _redirect_target(self, current: str, response: httpx.Response) -> str:
        target = normalise(response.headers.get("location", ""), current)
        if target is None:
            raise Refused(f"{redact(current)}: redirects to a non-http(s) address")
        return target

    def _get_with_retries(self, url: str, kind: str, headers: dict) -> tuple[int, httpx.Response, bytes]:
        attempt = 0
        while True:
            self._wait_turn(url)
            try:
                status, response, body = self._get_once(url, kind, headers)
            except httpx.TransportError as exc:
                if attempt >= self.politeness.retries:
                    raise FetchFailed(f"{redact(url)}: {type(exc).__name__} after {attempt + 1} tries") from exc
                status, response = None, None
            else:
                if status not in RETRY_STATUSES or attempt >= self.politeness.retries:
                    return self._outcome(url, status, response, body, attempt)
            attempt += 1
            self.stats["retries"] += 1
            time.sleep(self._backoff(attempt, response))

    def _outcome(self, url, status, response, body, attempt):
        if status in (404, 410):
            raise Gone(f"{redact(url)}: HTTP {status}")
        if status in (200, 304) or status in REDIRECT_STATUSES:
            return status, response, body
        tries = f" after {attempt + 1} tries" if attempt else ""
        raise FetchFailed(f"{redact(url)}: HTTP {status}{tries}", status)

    def _get_once(self, url: str, kind: str, headers: dict) -> tuple[int, httpx.Response, bytes]:
        self.stats["requests"] += 1
        with self._http.stream("GET", url, headers=headers) as response:
            if response.status_code != 200:
                return response.status_code, response, b""
            _check_type(url, kind, response)
            cap = self.politeness.cap(kind)
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > cap:
                raise Refused(f"{redact(url)}: {int(declared):,} bytes is over the {cap:,}-byte limit for {kind}")
            body = bytearray()
            deadline = time.monotonic() + 3 * self.politeness.timeout  # a server dripping bytes cannot hold us
            for block in response.iter_bytes():
                body += block
                if len(body) > cap:
                    raise Refused(f"{redact(url)}: over the {cap:,}-byte limit for {kind}; not indexed")
                if time.monotonic() > deadline:
                    raise httpx.ReadTimeout(f"body took over {3 * self.politeness.timeout:.0f} s")
        self.stats["downloads"] += 1
        self.stats["bytes"] += len(body)
        return 200, response, bytes(body)

    def _wait_turn(self, url: str) -> None:
        host = host_of(url)
        interval = 1.0 / self.politeness.rate if self.politeness.rate > 0 else 0.0
        parser = self._robots.get(url.split("/", 3)[0] + "//" + url.split("/", 3)[2])
        delay = parser.crawl_delay(self.politeness.user_agent) if parser else None
        if delay:
            interval = max(interval, min(float(delay), self.politeness.max_wait))
        wait = self._last.get(host, -1e9) + interval - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        self._last[host] = time.monotonic()

    def _backoff(self, attempt: int, response: httpx.Response | None) -> float:
        after = response.headers.get("retry-after") if response is not None else None
        seconds = None
        if after:
            if after.strip().isdigit():
                seconds = float(after)
            else:
                try:
                    seconds = email.utils.parsedate_to_datetime(after).timestamp() - time.time()
                except (TypeError, ValueError):
                    seconds = None
        if seconds is None:
            seconds = self.politeness.backoff * 2 ** (attempt - 1)
        return max(0.0, min(seconds, self.politeness.max_wait))


def _whole_delays(lines: list[str]) -> list[str]:
    """urllib.robotparser reads only whole-second Crawl-delays: round a fractional one up (slower, never faster)."""
    out = []
    for line in lines:
        key, sep, value = line.partition(":")
        if sep and key.strip().lower() == "crawl-delay":
            try:
                line = f"Crawl-delay: {math.ceil(float(value.split('#')[0].strip()))}"
            except ValueError:
                pass
        out.append(line)
    return out


def _check_type(url: str, kind: str, response: httpx.Response) -> None:
    accepted = TYPES[kind]
    content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
    if accepted and content_type and content_type not in accepted:
        raise Refused(f"{redact(url)}: content type {content_type!r} is not {kind}; not indexed")
