"""A WordPress-style help centre served by Python's http.server on loopback, for web-source tests and
bench/crawl.py. It counts every request server-side (path, status, bytes sent).

    site = HelpCentre(articles=ARTICLES).start()     # site.url -> "http://127.0.0.1:PORT/"
    site.edit("stage-gates", extra="A new paragraph.")  # bump its modified time, ETag and lastmod
    site.remove("raci"); site.fail("benefits", 500)
    site.stop()

Layout, as a knowledge-base plugin on WordPress serves it: /robots.txt (Disallow /kb/internal-,
Sitemap: /sitemap_index.xml), a sitemap index pointing at /sitemap-kb.xml.gz (gzipped) and
/sitemap-misc.xml (/about/ and an AMP copy of the first article, whose canonical is the article), articles at /kb/<slug>/ wrapped in a search box, breadcrumbs, a rating widget,
previous/next links, a table of contents and a footer, a PDF deck at /wp-content/uploads/<slug>.pdf,
and the REST API at /wp-json/wp/v2/ (types, kb with X-WP-TotalPages, modified_after, include, _fields).
"""

from __future__ import annotations

import gzip
import hashlib
import html

import json
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit
from tests.pdfs import minimal_pdf

BASE_TIME = datetime(2025, 3, 1, 9, 0, 0, tzinfo=timezone.utc)


@dataclass
class Article:
    slug: str
    title: str
    sections: list[tuple[str, str, str]]  # (heading id, heading, paragraph)
    deck: list[str] | None = None  # slide texts of a linked PDF deck
    video: str | None = None  # YouTube id of an embedded recording
    modified: datetime = BASE_TIME
    status: int = 200  # what the page answers (404, 410, 500…)
    in_sitemap: bool = True
    category: str | None = None  # the WordPress category (and the page's article:section)


ARTICLES = [
    Article("stage-gates", "Running stage gate reviews", [
        ("why-gates", "Why gates matter", "A stage gate review decides whether a project continues, changes course or stops."),
        ("gate-criteria", "Gate criteria", "Each gate checks the business case, the plan and the top five risks against agreed thresholds."),
    ], category="Governance"),
    Article("raid-logs", "Keeping a RAID log useful", [
        ("owners", "Every entry has an owner", "A risk without a named owner and a review date is a wish, not a control."),
        ("weekly-review", "Weekly review", "Review the RAID log in the weekly PMO meeting and close stale items ruthlessly."),
    ], category="Governance"),
    Article("pmo-career", "Taking ownership of your PMO career", [
        ("paths", "Career paths", "PMO practitioners can grow into portfolio leads, governance specialists or heads of PMO."),
        ("recorded-session", "Recorded session", "Watch the session we ran for the practitioner forum."),
        ("the-slidedeck", "The slide deck", "Download the deck to see the PMO career map we discussed."),
    ], deck=["The PMO career map: analyst, officer, manager, head of PMO.",
             "Lattice not ladder: sideways moves into governance build breadth.",
             "Owning your development plan: ask for stretch assignments every quarter."],
        video="dQw4w9WgXcQ", category="Careers"),
    Article("benefits", "Tracking benefits after go-live", [
        ("baseline", "Set a baseline", "Measure the current cost or cycle time before the change lands, or the benefit cannot be shown."),
        ("owners", "Benefit owners", "A business owner, not the project manager, signs off each realised benefit."),
    ]),
]
PRIVATE = Article("internal-pricing", "Internal consulting price list", [
    ("rates", "Day rates", "Confidential day rates for the consulting team, never for the public help centre."),
])


@dataclass
class HelpCentre:
    articles: list[Article] = field(default_factory=lambda: [Article(**a.__dict__) for a in ARTICLES + [PRIVATE]])
    sitemap: bool = True  # False: no sitemap anywhere (then WordPress, or a crawl)
    wordpress: bool = True
    per_page_cap: int = 2  # the API's largest page, so pagination is exercised
    crawl_delay: float | None = None
    log: list[tuple[str, int, int]] = field(default_factory=list)  # (path with query, status, body bytes)
    authorizations: set[str] = field(default_factory=set)  # Authorization headers seen

    def start(self) -> HelpCentre:
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                if self.headers.get("Authorization"):
                    site.authorizations.add(self.headers["Authorization"])
                status, headers, body = site.respond(self.path, self.headers)
                # Logged before the answer goes out: a client that has its answer finds it in the log.
                site.log.append((self.path, status, len(body)))
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # --- changes a test makes ---------------------------------------------------------------------

    def find(self, slug: str) -> Article:
        return next(a for a in self.articles if a.slug == slug)

    def edit(self, slug: str, extra: str) -> None:
        article = self.find(slug)
        heading_id, heading, text = article.sections[-1]
        article.sections[-1] = (heading_id, heading, text + " " + extra)
        article.modified = max(a.modified for a in self.articles) + timedelta(hours=1)

    def remove(self, slug: str, status: int = 404) -> None:
        article = self.find(slug)
        article.status, article.in_sitemap = status, False

    def fail(self, slug: str, status: int = 500) -> None:
        self.find(slug).status = status

    def full_downloads(self) -> list[str]:
        """Paths answered 200 with a body (what cost a full download)."""
        return [path for path, status, size in self.log if status == 200 and size]

    # --- responses --------------------------------------------------------------------------------

    def respond(self, raw_path: str, headers) -> tuple[int, dict, bytes]:
        parts = urlsplit(raw_path)
        path, query = parts.path, parse_qs(parts.query)
        if path.startswith("/wp-json/") and self.wordpress:
            return self._api(path, query)
        found = self._resource(path)
        if found is None:
            return 404, {"Content-Type": "text/html"}, b"<html><body><h1>Not found</h1></body></html>"
        status, content_type, body, modified = found
        if status != 200:
            return status, {"Content-Type": "text/html"}, b"<html><body>error</body></html>"
        etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
        stamp = format_datetime(modified, usegmt=True)
        head = {"Content-Type": content_type, "ETag": etag, "Last-Modified": stamp}
        if headers.get("If-None-Match") == etag or (
                headers.get("If-Modified-Since") and not headers.get("If-None-Match")
                and parsedate_to_datetime(headers["If-Modified-Since"]) >= modified):
            return 304, head, b""
        return 200, head, body

    def _resource(self, path: str):
        latest = max(a.modified for a in self.articles)
        if path == "/robots.txt":
            delay = f"Crawl-delay: {self.crawl_delay}\n" if self.crawl_delay else ""
            sitemap = f"Sitemap: {self.url}sitemap_index.xml\n" if self.sitemap else ""
            return 200, "text/plain", f"User-agent: *\nDisallow: /kb/internal-\n{delay}\n{sitemap}".encode(), BASE_TIME
        if self.sitemap and path == "/sitemap_index.xml":
            return 200, "application/xml", self._sitemap_index(latest).encode(), latest
        if self.sitemap and path == "/sitemap-kb.xml.gz":
            return 200, "application/gzip", gzip.compress(self._urlset().encode(), mtime=0), latest
        if self.sitemap and path == "/sitemap-misc.xml":
            return 200, "application/xml", self._urlset_misc().encode(), BASE_TIME
        if path in ("/", "/kb/"):
            return 200, "text/html", self._home().encode(), latest
        if path == "/about/":
            return 200, "text/html", page("About us", "<p>We help PMO teams.</p>", self.url).encode(), BASE_TIME
        for a in self.articles:
            if path in (f"/kb/{a.slug}/", f"/kb/{a.slug}/amp/"):  # the AMP copy names the page as canonical
                return a.status, "text/html", self.article_html(a).encode(), a.modified
            if a.deck and path == f"/wp-content/uploads/{a.slug}.pdf":
                return 200, "application/pdf", minimal_pdf(a.deck), a.modified
        return None

    def _sitemap_index(self, latest: datetime) -> str:
        items = "".join(f"<sitemap><loc>{self.url}{name}</loc><lastmod>{stamp.isoformat()}</lastmod></sitemap>"
                        for name, stamp in (("sitemap-kb.xml.gz", latest), ("sitemap-misc.xml", BASE_TIME)))
        return f'<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{items}</sitemapindex>'

    def _urlset(self) -> str:
        items = "".join(f"<url><loc>{self.url}kb/{a.slug}/</loc><lastmod>{a.modified.isoformat()}</lastmod></url>"
                        for a in self.articles if a.in_sitemap)
        return f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{items}</urlset>'

    def _urlset_misc(self) -> str:
        return (f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                f"<url><loc>{self.url}about/</loc><lastmod>{BASE_TIME.isoformat()}</lastmod></url>"
                f"<url><loc>{self.url}kb/{self.articles[0].slug}/amp/</loc></url></urlset>")

    def _home(self) -> str:
        links = "".join(f'<li><a href="/kb/{a.slug}/">{html.escape(a.title)}</a></li>'
                        for a in self.articles if a.status == 200)
        return page("Knowledge base", f"<ul>{links}</ul>", self.url)

    def content_html(self, a: Article) -> str:
        parts = []
        for ident, heading, text in a.sections:
            parts.append(f'<h2 id="{ident}">{html.escape(heading)}</h2><p>{html.escape(text)}</p>')
            if ident == "recorded-session" and a.video:
                parts.append('<figure class="wp-block-embed is-provider-youtube"><div class="wp-block-embed__wrapper">'
                             f'<iframe src="https://www.youtube.com/embed/{a.video}?feature=oembed"></iframe></div></figure>')
            if ident == "the-slidedeck" and a.deck:
                parts.append(f'<p><a href="/wp-content/uploads/{a.slug}.pdf">&gt;&gt; Download the Deck</a></p>')
        return "".join(parts)

    def article_html(self, a: Article) -> str:
        others = [x for x in self.articles if x is not a and x.status == 200]
        body = f"""
<article id="post-{abs(hash(a.slug)) % 1000}" class="post type-kb status-publish hentry">
  <div class="kb-breadcrumb"><a href="/kb/">&lt; All Topics</a></div>
  <header class="entry-header"><h1 class="entry-title">{html.escape(a.title)}</h1></header>
  <div class="entry-content">{self.content_html(a)}</div>
  <div class="kb-article-rating"><h3>Was this article helpful?</h3><p>0 out of 5 stars</p>
    <ul><li>5 Stars 0%</li><li>1 Stars 0%</li></ul>
    <form><h4>Please Share Your Feedback</h4><label>How Can We Improve This Article?</label>
    <textarea></textarea><button>Submit</button></form></div>
  <nav class="kb-post-nav"><a rel="prev" href="/kb/{others[0].slug}/">Previous {html.escape(others[0].title)}</a>
    <a rel="next" href="/kb/{others[-1].slug}/">Next {html.escape(others[-1].title)}</a></nav>
  <div class="ez-toc-container"><p>Table of Contents</p></div>
</article>"""
        return page(a.title, body, self.url, canonical=f"{self.url}kb/{a.slug}/")

    # --- the WordPress REST API -------------------------------------------------------------------

    def _api(self, path: str, query: dict) -> tuple[int, dict, bytes]:
        head = {"Content-Type": "application/json; charset=UTF-8"}
        if path == "/wp-json/wp/v2/types":
            types = {"post": {"rest_base": "posts", "viewable": True}, "page": {"rest_base": "pages", "viewable": True},
                     "attachment": {"rest_base": "media"}, "wp_block": {"rest_base": "blocks"},
                     "kb": {"rest_base": "kb", "viewable": True, "rest_namespace": "wp/v2"}}
            return 200, head, json.dumps(types).encode()
        if path == "/wp-json/wp/v2/categories":
            names = sorted({a.category for a in self.articles if a.category})
            rows = [{"id": 100 + n, "name": name, "link": f"{self.url}category/{n}/"} for n, name in enumerate(names)]
            return 200, {**head, "X-WP-Total": str(len(rows)), "X-WP-TotalPages": "1"}, json.dumps(rows).encode()
        if path in ("/wp-json/wp/v2/posts", "/wp-json/wp/v2/pages"):
            return 200, {**head, "X-WP-Total": "0", "X-WP-TotalPages": "0"}, b"[]"
        if path != "/wp-json/wp/v2/kb":
            return 404, head, b'{"code":"rest_no_route"}'
        items = [a for a in self.articles if a.status in (200, 500)]
        if "modified_after" in query:
            after = datetime.fromisoformat(query["modified_after"][0]).replace(tzinfo=timezone.utc)
            items = [a for a in items if a.modified > after]
        if "include" in query:
            wanted = {int(i) for v in query["include"] for i in v.split(",")}
            items = [a for a in items if self._id(a) in wanted]
        per_page = min(int(query.get("per_page", ["10"])[0]), self.per_page_cap)
        number = int(query.get("page", ["1"])[0])
        pages = max(1, -(-len(items) // per_page))
        chosen = items[(number - 1) * per_page: number * per_page]
        fields = set(query.get("_fields", ["id,link,modified,title,content"])[0].split(","))
        rows = [{k: v for k, v in self._item(a).items() if k in fields} for a in chosen]
        return 200, {**head, "X-WP-Total": str(len(items)), "X-WP-TotalPages": str(pages)}, json.dumps(rows).encode()

    def _id(self, a: Article) -> int:
        return [x.slug for x in self.articles].index(a.slug) + 1

    def _item(self, a: Article) -> dict:
        return {"id": self._id(a), "link": f"{self.url}kb/{a.slug}/",
                "modified": a.modified.strftime("%Y-%m-%dT%H:%M:%S"),
                "title": {"rendered": html.escape(a.title)},
                "content": {"rendered": self.content_html(a), "protected": False},
                "categories": [100 + sorted({x.category for x in self.articles if x.category}).index(a.category)]
                if a.category else []}


def page(title: str, body: str, base: str, canonical: str | None = None) -> str:
    link = f'<link rel="canonical" href="{canonical}">' if canonical else ""
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>{html.escape(title)} – PMO Help</title>{link}</head>
<body class="kb-template">
<header class="site-header"><a href="/">PMO Help</a><nav class="main-navigation"><a href="/kb/">Knowledge base</a>
  <a href="/about/">About</a></nav></header>
<div class="kb-search-section"><h2>How Can We Help?</h2><p>Search for answers or browse our knowledge base.</p>
  <form role="search"><input name="s"></form></div>
<div class="kb-links"><a href="/kb/">Documentation</a> | <a href="/about/">Demos</a> | <a href="/about/">Support</a></div>
<main id="main" class="site-main">{body}</main>
<aside class="sidebar"><h3>Popular</h3><a href="/kb/">All topics</a></aside>
<footer class="site-footer"><p>© PMO Help. All rights reserved.</p></footer>
</body></html>"""


