"""The WordPress REST API: posts, pages and every public custom post type (knowledge-base plugins
register their own), `?per_page=100&page=N` until `X-WP-TotalPages`, and `modified_after` pulls. An
item's first category is its topic (the reader's "All topics").

The first pull reads every item with its content. Later pulls read a light inventory (id, link,
modified: what tells removals apart) and only the items modified after the last pull in full.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from urllib.parse import urlencode

from corpus.web.client import PoliteClient
from corpus.web.errors import Gone, Refused, WebError
from corpus.web.harvest import Harvest
from corpus.folder import Skipped
from corpus.web.urls import in_scope, normalise, redact

INTERNAL_TYPES = {"attachment", "nav_menu_item", "wp_block", "wp_template", "wp_template_part", "wp_navigation",
                  "wp_global_styles", "wp_font_family", "wp_font_face"}
LIGHT = "id,link,modified"
FULL = "id,link,modified,title,content,categories"
PER_PAGE = 100


def api_root(url: str) -> str | None:
    """'https://site/wp-json/' for any URL inside the REST API; None for other URLs."""
    head, sep, _ = url.partition("/wp-json")
    return head + "/wp-json/" if sep else None


def probe(client: PoliteClient, origin: str) -> str | None:
    """The API root when the site answers WordPress's post-type listing, else None."""
    api = origin + "/wp-json/"
    try:
        types = json.loads(client.fetch(api + "wp/v2/types", "json").body)
    except (WebError, ValueError):
        return None
    return api if isinstance(types, dict) and types else None


def endpoints(client: PoliteClient, api: str) -> list[tuple[str, str]]:
    """(type name, collection URL) of every public post type the API lists."""
    types = json.loads(client.fetch(api + "wp/v2/types", "json").body)
    out = []
    for name, info in sorted(types.items()):
        if name in INTERNAL_TYPES or not isinstance(info, dict) or not info.get("rest_base"):
            continue
        if info.get("viewable") is False:
            continue
        namespace = info.get("rest_namespace") or "wp/v2"
        out.append((name, f"{api}{namespace}/{info['rest_base']}"))
    return out


def categories(client: PoliteClient, api: str) -> dict[int, str]:
    """The site's categories by id ({} where it has none or keeps them private)."""
    try:
        return {int(c["id"]): " ".join(str(c.get("name") or "").split())
                for c in _listing(client, api + "wp/v2/categories", {"_fields": "id,name,link"}) if "id" in c}
    except (WebError, ValueError, TypeError):
        return {}


def harvest_wordpress(harvest: Harvest, api: str, scope: str, max_pages: int) -> None:
    client, marks = harvest.client, harvest.cache.extra.setdefault("wordpress", {})
    named = categories(client, api)
    budget = max_pages
    for _, endpoint in endpoints(client, api):
        watermark = marks.get(endpoint)
        if watermark is None:
            inventory = list(_listing(client, endpoint, {"_fields": FULL}))
            fresh = {item["link"]: item for item in inventory}
        else:
            inventory = list(_listing(client, endpoint, {"_fields": LIGHT}))
            fresh = {item["link"]: item for item in _listing(client, endpoint, {"_fields": FULL,
                                                                                 "modified_after": watermark})}
        harvest.total = (harvest.total or 0) + min(len(inventory), budget)
        for item in inventory[:budget]:
            link = normalise(str(item.get("link") or ""))
            if not link or not in_scope(link, scope):
                continue
            if not client.allowed(link):
                harvest.skipped.append(Skipped(redact(link), "disallowed by robots.txt for our user agent"))
                continue
            full = fresh.get(item["link"])
            harvest.item(link, str(item.get("modified") or ""),
                         lambda i=item, f=full: _body(client, endpoint, i, f, named))
        budget -= min(len(inventory), budget)
        stamps = [str(i.get("modified")) for i in inventory if i.get("modified")]
        if stamps:
            marks[endpoint] = max(stamps)


def _body(client: PoliteClient, endpoint: str, item: dict, full: dict | None, named: dict[int, str]) -> bytes:
    if full is None or "content" not in full:
        found = list(_listing(client, endpoint, {"_fields": FULL, "include": item["id"]}))
        full = found[0] if found else None
        if full is None:
            raise Gone(f"{item.get('link')}: no longer listed")
    content = full.get("content") or {}
    if content.get("protected"):
        raise Refused(f"{item.get('link')}: password-protected; not indexed")
    topic = next((named[c] for c in full.get("categories") or () if isinstance(c, int) and named.get(c)), None)
    return json.dumps({"title": (full.get("title") or {}).get("rendered", ""), "content": content.get("rendered", ""),
                       **({"topic": topic} if topic else {})}).encode()


def _listing(client: PoliteClient, endpoint: str, params: dict) -> Iterator[dict]:
    page, total = 1, 1
    while page <= total:
        query = urlencode({**params, "per_page": PER_PAGE, "page": page})
        fetched = client.fetch(f"{endpoint}?{query}", "json", conditional=False)
        items = json.loads(fetched.body)
        if not isinstance(items, list):
            raise WebError(f"{endpoint}: expected a list of items from the WordPress API")
        yield from (i for i in items if isinstance(i, dict) and i.get("link"))
        header = {k.lower(): v for k, v in fetched.headers.items()}.get("x-wp-totalpages", "1")
        total = int(header) if str(header).isdigit() else 1
        page += 1
