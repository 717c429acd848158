"""Fetching a help centre: pages/s on a loopback fixture site, and what an unchanged re-crawl costs.

The site is tests/helpcentre_site.py with N generated articles (default 500), served by Python's
http.server on 127.0.0.1. For each way of reading it (sitemap, WordPress REST, crawl) the bench
times a first fetch into an empty cache, then an unchanged re-fetch, then one after editing one
article; it counts requests, full downloads and bytes on the server side. No embedding: this is
the corpus.web layer that `assistant build URL` runs before chunking. The politeness delay is
lifted (`--rate`, default 1000 requests/s) to measure the machinery; at the default 2 requests/s
the network time is simply requests / 2. Writes bench/results/crawl.json.

    python bench/crawl.py [--pages 500] [--rate 1000] [--smoke]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]
from bench.common import add_smoke, finish  # noqa: E402
from corpus.sources import load_sources  # noqa: E402
from corpus.web import Politeness, WebOptions  # noqa: E402
from helpcentre_site import Article, HelpCentre  # noqa: E402

TOPICS = ["risk", "benefits", "capacity", "governance", "reporting", "stakeholders", "scheduling", "finance"]


def articles(count: int) -> list[Article]:
    out = []
    for n in range(count):
        topic = TOPICS[n % len(TOPICS)]
        sections = [(f"part-{k}", f"{topic.title()} practice {k}",
                     f"Article {n} explains how a PMO handles {topic} in step {k}. " * 12) for k in range(4)]
        if n % 50 == 0:
            sections.append(("the-slidedeck", "The slide deck", "Download the deck for the details."))
        out.append(Article(f"{topic}-{n}", f"{topic.title()} guide {n}", sections,
                           deck=[f"Slide {k} of deck {n} on {topic}." for k in range(6)] if n % 50 == 0 else None))
    return out


def run(site: HelpCentre, source: str, folder: Path, options: WebOptions, known: dict) -> dict:
    site.log.clear()
    started = time.perf_counter()
    loaded = load_sources([source], folder, known=known, options=options)
    seconds = time.perf_counter() - started
    requests = len(site.log)
    full = site.full_downloads()
    fetch = loaded.fetch[0]
    known.clear()
    known.update({d.doc_id: d for d in loaded.documents})
    return {"documents": len(loaded.documents), "seconds": round(seconds, 2), "requests": requests,
            "full_downloads": len(full), "bytes": sum(size for _, status, size in site.log if status == 200),
            "not_modified": fetch.get("not_modified", 0), "unchanged_by_date": fetch.get("unchanged", 0),
            "pages_per_s": round(requests / seconds, 1) if seconds else None,
            "documents_per_s": round(len(loaded.documents) / seconds, 1) if seconds else None,
            "at_default_2_per_s": f"{requests / 2:.0f} s of waiting"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=500)
    parser.add_argument("--rate", type=float, default=1000.0)
    add_smoke(parser)
    args = parser.parse_args()
    if args.smoke:
        args.pages = 12
    options = WebOptions(Politeness(rate=args.rate), max_pages=args.pages + 100, max_depth=2)
    results = {}
    for mode in ("sitemap", "wordpress", "crawl"):
        site = HelpCentre(articles=articles(args.pages), sitemap=mode == "sitemap", wordpress=mode != "crawl",
                          per_page_cap=100).start()
        source = {"sitemap": site.url, "wordpress": site.url + "wp-json/", "crawl": site.url + "kb/"}[mode]
        known: dict = {}
        with tempfile.TemporaryDirectory() as tmp:
            first = run(site, source, Path(tmp), options, known)
            unchanged = run(site, source, Path(tmp), options, known)
            site.edit(site.articles[7].slug, "One new sentence about lessons learned.")
            one_edit = run(site, source, Path(tmp), options, known)
        site.stop()
        results[mode] = {"first fetch": first, "unchanged re-fetch": unchanged, "one article edited": one_edit}
        for label, row in results[mode].items():
            print(f"{mode:<9} {label:<20} {row['documents']:>4} docs {row['seconds']:>6.2f} s "
                  f"{row['requests']:>4} requests {row['full_downloads']:>4} full downloads "
                  f"{row['bytes'] / 1e6:>6.2f} MB  {row['pages_per_s'] or 0:>6.1f} req/s "
                  f"{row['documents_per_s'] or 0:>7.1f} docs/s")
    finish({"pages": args.pages, "rate": args.rate, "results": results}, ROOT / "bench" / "results" / "crawl.json",
           args.smoke)


if __name__ == "__main__":
    main()
