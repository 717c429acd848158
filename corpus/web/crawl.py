"""A bounded crawl from a start page: same host(s), under the start's folder, breadth first, at most
`max_depth` links away and `max_pages` pages. robots.txt and `nofollow` are honoured."""

from __future__ import annotations

from collections import deque

from corpus.web.harvest import Harvest
from corpus.web.urls import in_scope


def crawl(harvest: Harvest, start: str, scope: str, max_pages: int, max_depth: int) -> int:
    """Harvest every page reached; returns how many were visited."""
    queue = deque([(start, 0)])
    seen = {start}
    visited = 0
    harvest.total = None
    while queue and visited < max_pages:
        url, depth = queue.popleft()
        if not harvest.client.allowed(url):
            continue
        visited += 1
        links = harvest.page(url)
        if depth >= max_depth:
            continue
        for link in links:
            if link not in seen and in_scope(link, scope) and not link.split("?", 1)[0].lower().endswith(".pdf"):
                seen.add(link)
                queue.append((link, depth + 1))
    if queue:
        harvest.warnings.append(f"crawl stopped at {max_pages} pages (web_max_pages); raise it to index more")
    return visited
