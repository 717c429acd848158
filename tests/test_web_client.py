"""The polite client and the pure URL/sitemap/extraction rules, against a tiny loopback server."""

from __future__ import annotations

import gzip
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from corpus.web import FetchFailed, Gone, Politeness, Refused, recording_key, redact
from corpus.web.cache import FetchCache
from corpus.web.client import PoliteClient
from corpus.web.extract import read_page
from corpus.web.sitemap import parse
from corpus.web.urls import in_scope, normalise, scope_of

FAST = Politeness(rate=1000, backoff=0.01)


class Server:
    """Routes: path -> (status, headers, body) or a list of them (answered in turn)."""

    def __init__(self, routes: dict):
        self.routes, self.log = routes, []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                server.log.append((self.path, time.monotonic(), dict(self.headers)))
                answer = server.routes.get(self.path, (404, {}, b"missing"))
                if isinstance(answer, list):
                    answer = answer.pop(0) if len(answer) > 1 else answer[0]
                status, headers, body = answer
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v.replace("{url}", server.url))
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.http.server_address[1]}"
        self.host = f"127.0.0.1:{self.http.server_address[1]}"
        threading.Thread(target=self.http.serve_forever, daemon=True).start()

    def client(self, politeness: Politeness = FAST, **kw) -> PoliteClient:
        return PoliteClient(politeness, {self.host}, **kw)

    def close(self):
        self.http.shutdown()
        self.http.server_close()


HTML = {"Content-Type": "text/html; charset=utf-8"}
PAGE = (200, HTML, b"<html><body><main><h1>T</h1><p>Body</p></main></body></html>")


@pytest.fixture()
def server():
    made = []

    def make(routes):
        made.append(Server({"/robots.txt": (404, {}, b""), **routes}))
        return made[-1]

    yield make
    for s in made:
        s.close()


def test_redirects_are_followed_up_to_five_and_never_to_another_host(server):
    chain = {f"/r{i}": (302, {"Location": f"/r{i + 1}"}, b"") for i in range(7)}
    s = server({**chain, "/r5": PAGE, "/away": (301, {"Location": "http://example.org/x"}, b"")})
    with s.client() as client:
        assert client.fetch(f"{s.url}/r0", "html").final_url == f"{s.url}/r5"
        with pytest.raises(Refused, match="more than 5 redirects"):
            s.routes["/r5"] = (302, {"Location": "/r6"}, b"")
            client.fetch(f"{s.url}/r0", "html", conditional=False)
        with pytest.raises(Refused, match="another host"):
            client.fetch(f"{s.url}/away", "html")
        with pytest.raises(Refused, match="only http"):
            client.fetch("ftp://127.0.0.1/file", "html")


def test_size_caps_and_content_types_are_checked(server):
    big = b"<html>" + b"x" * 5000 + b"</html>"
    s = server({"/big": (200, HTML, big), "/img": (200, {"Content-Type": "image/png"}, b"\x89PNG"),
                "/deck.pdf": (200, {"Content-Type": "application/pdf"}, b"%PDF-1.4 tiny")})
    with s.client(Politeness(rate=1000, max_html_bytes=1000)) as client:
        with pytest.raises(Refused, match="1,000-byte limit"):
            client.fetch(f"{s.url}/big", "html")
        with pytest.raises(Refused, match="image/png"):
            client.fetch(f"{s.url}/img", "html")
        assert client.fetch(f"{s.url}/deck.pdf", "pdf").body.startswith(b"%PDF")
        with pytest.raises(Refused, match="not html"):
            client.fetch(f"{s.url}/deck.pdf", "html")


def test_429_and_5xx_are_retried_honouring_retry_after_then_reported(server):
    s = server({"/busy": [(429, {"Retry-After": "1"}, b""), PAGE], "/down": (503, {}, b""), "/gone": (410, {}, b"")})
    with s.client() as client:
        started = time.monotonic()
        assert client.fetch(f"{s.url}/busy", "html").body.startswith(b"<html>")
        assert time.monotonic() - started >= 0.9, "Retry-After was not honoured"
        with pytest.raises(FetchFailed, match="HTTP 503 after 4 tries") as failure:
            client.fetch(f"{s.url}/down", "html")
        assert failure.value.status == 503
        with pytest.raises(Gone):
            client.fetch(f"{s.url}/gone", "html")


def test_rate_limit_and_robots_crawl_delay_space_requests_and_user_agent_is_sent(server):
    s = server({"/robots.txt": (200, {"Content-Type": "text/plain"},
                                b"User-agent: *\nCrawl-delay: 0.3\nDisallow: /private\n"),
                "/a": PAGE, "/b": PAGE, "/private/x": PAGE})
    with s.client(Politeness(rate=1000)) as client:
        client.fetch(f"{s.url}/a", "html")
        client.fetch(f"{s.url}/b", "html")
        with pytest.raises(Refused, match="robots.txt"):
            client.fetch(f"{s.url}/private/x", "html")
    times = [t for path, t, _ in s.log if path in ("/a", "/b")]
    assert times[1] - times[0] >= 0.28
    assert all(h["User-Agent"].startswith("pmo-help-assistant/") for _, _, h in s.log)
    assert "/private/x" not in [p for p, _, _ in s.log]
    with s.client(Politeness()) as client:  # the default: 2 requests per second
        s.routes["/robots.txt"] = (404, {}, b"")
        client.fetch(f"{s.url}/a", "html", check_robots=False)
        client.fetch(f"{s.url}/b", "html", check_robots=False)
    times = [t for path, t, _ in s.log if path in ("/a", "/b")][-2:]
    assert times[1] - times[0] >= 0.48


def test_conditional_requests_answer_from_the_cache(server, tmp_path):
    s = server({"/a": [(200, {**HTML, "ETag": '"v1"'}, PAGE[2]), (304, {"ETag": '"v1"'}, b"")]})
    with s.client(cache=FetchCache(tmp_path)) as client:
        first = client.fetch(f"{s.url}/a", "html")
        second = client.fetch(f"{s.url}/a", "html")
    assert first.fresh and not second.fresh and second.body == first.body
    assert s.log[-1][2].get("If-None-Match") == '"v1"'


def test_x_robots_tag_noindex_is_remembered_across_304s(server, tmp_path):
    s = server({"/a": [(200, {**HTML, "ETag": '"v1"', "X-Robots-Tag": "noindex, nofollow"}, PAGE[2]),
                       (304, {"ETag": '"v1"'}, b"")]})
    with s.client(cache=FetchCache(tmp_path)) as client:
        assert client.fetch(f"{s.url}/a", "html").noindex
        again = client.fetch(f"{s.url}/a", "html")
    assert not again.fresh and again.noindex


def test_robots_txt_server_error_stops_the_source(server):
    s = server({"/robots.txt": (500, {}, b""), "/a": PAGE})
    with s.client() as client, pytest.raises(FetchFailed, match="robots.txt"):
        client.fetch(f"{s.url}/a", "html")
    assert "/a" not in [p for p, _, _ in s.log]


def test_credentials_never_appear_in_redacted_urls():
    assert redact("https://ann:s3cret@help.example.org/kb/?token=abc&page=2") == \
        "https://help.example.org/kb/?token=%2A%2A%2A&page=2"
    assert normalise("https://ann:s3cret@Help.Example.org:443/kb/../a/?utm_source=x#top") == "https://help.example.org/a/"
    assert normalise("javascript:alert(1)") is None and normalise("mailto:a@b.c") is None


def test_recording_keys_match_watch_embed_and_short_links():
    same = ["https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=3", "https://youtu.be/dQw4w9WgXcQ",
            "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ?rel=0"]
    assert {recording_key(u) for u in same} == {"youtube:dQw4w9WgXcQ"}
    assert recording_key("https://player.vimeo.com/video/76979871?h=abc") == recording_key("https://vimeo.com/76979871")
    assert recording_key("https://example.org/watch?v=dQw4w9WgXcQ") is None


def test_sitemaps_parse_plain_gzipped_and_index_files():
    urlset = (b'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
              b"<url><loc>https://h/kb/a/</loc><lastmod>2025-01-02</lastmod></url><url><loc>https://h/kb/b/</loc></url></urlset>")
    assert parse(gzip.compress(urlset)) == ("urlset", [("https://h/kb/a/", "2025-01-02"), ("https://h/kb/b/", None)])
    index = b'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><sitemap><loc>https://h/s1.xml</loc></sitemap></sitemapindex>'
    assert parse(index) == ("index", [("https://h/s1.xml", None)])
    with pytest.raises(Refused, match="not a sitemap"):
        parse(b'<html xmlns="http://www.w3.org/1999/xhtml"><body>Soft 404</body></html>')
    with pytest.raises(Refused, match="uncompressed"):
        parse(gzip.compress(b"<urlset>" + b" " * 200_000 + b"</urlset>"), limit=100_000)


def test_scope_is_the_start_pages_folder():
    scope = scope_of("https://h.org/kb/start-here")
    assert scope == "https://h.org/kb/"
    assert in_scope("https://www.h.org/kb/a/", scope) and not in_scope("https://h.org/blog/a/", scope)


def test_extraction_keeps_the_article_and_heading_ids_and_drops_the_widgets():
    page = read_page("""<html><head><link rel="canonical" href="https://h/kb/a/"><meta name="robots" content="index"></head>
      <body><div class="kb-search"><h2>How Can We Help?</h2></div>
      <main><article><div class="breadcrumbs"><a href="/kb/">&lt; All Topics</a></div><h1>Gate reviews</h1>
      <div class="entry-content"><h2 id="why">Why</h2><p>Gates stop weak projects.</p>
      <p><a href="/files/Deck.PDF">Download the Deck</a></p>
      <iframe src="https://player.vimeo.com/video/123456"></iframe></div>
      <div class="kb-article-rating">Was this article helpful?</div>
      <div class="post-navigation"><a rel="prev" href="/kb/b/">Previous B</a></div></article></main>
      <footer>© 2025</footer></body></html>""", "https://h/kb/a/")
    assert page.parsed.title == "Gate reviews" and page.parsed.url == "https://h/kb/a/"
    assert [(s.anchor, s.text) for s in page.parsed.segments] == [("why", "Gates stop weak projects.\n\nDownload the Deck")]
    assert page.decks == (("https://h/files/Deck.PDF", "Download the Deck"),)
    assert page.recordings == ("vimeo:123456",)
    assert "https://h/kb/b/" in page.links and not page.noindex
