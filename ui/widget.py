"""`/widget.js`: the embeddable search box, styled by the site's settings.

A site owner adds one line to any page:

    <script src="https://help.example.org/widget.js" data-placeholder="Ask about your order…" async></script>

The script (ui/static/widget.js, no framework) draws a search box and answer cards inside a shadow
root and asks this app's `/api/search`; the page's origin must be in `allowed_origins`. Its look
and words (accent colour, placeholder, heading, site name, no-match hint) come from settings, put
into the script as JSON when it is served.
"""

from __future__ import annotations

import json
from html import escape
from pathlib import Path

from fastapi import Request
from fastapi.responses import Response

from assistant import Settings
from ui.control import add_route

SCRIPT = Path(__file__).parent / "static" / "widget.js"
MAX_BYTES = 30_000  # the widget's budget; tests check it
# Until the site's face has settings of its own, these words are the defaults.
FACE = {"site_name": "Help Centre", "heading": "How can we help?", "placeholder": "Ask a question in your own words…",
        "accent_color": "#0f766e",
        "no_match_hint": "Try other words for what you need, e.g. the task or the role it is about."}


def widget_config(settings: Settings) -> dict:
    """What the script needs from settings: its words, its colour, and the limits it works within."""
    face = {name: getattr(settings, name, default) or default for name, default in FACE.items()}
    return {**face, "top_k": settings.top_k, "max_question_chars": settings.max_question_chars}


def widget_script(settings: Settings) -> str:
    # ensure_ascii: every character outside ASCII (U+2028 too) is a \\u escape, so the JSON is plain JS
    return SCRIPT.read_text(encoding="utf-8").replace("__CONFIG__", json.dumps(widget_config(settings), ensure_ascii=True))


def preview_page(script_url: str, site_name: str) -> str:
    """`/widget`: the box as a visitor sees it, under the line to copy into a page."""
    tag = f'<script src="{script_url}" data-placeholder="Ask a question…" async></script>'
    return (f"<!doctype html><html lang='en'><head><meta charset='utf-8'>"
            f"<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>{escape(site_name)}: search box for your pages</title></head>"
            "<body style='font-family: system-ui, sans-serif; max-width: 820px; margin: 24px auto; padding: 0 12px'>"
            "<h1>The search box for your pages</h1><p>Copy this line where the box should appear, and add "
            "your site's origin to <code>allowed_origins</code>:</p>"
            f"<pre style='white-space: pre-wrap; background: #f1f5f9; padding: 12px'>{escape(tag)}</pre>"
            f"<h2>Preview</h2>{tag}</body></html>")


def add_widget_route(demo, settings: Settings) -> None:
    """`/widget.js`, and `/widget`: a page that previews it and shows the line to copy."""
    body = widget_script(settings).encode("utf-8")
    headers = {"Cache-Control": "public, max-age=300", "X-Content-Type-Options": "nosniff",
               "Cross-Origin-Resource-Policy": "cross-origin"}
    site = widget_config(settings)["site_name"]

    def widget() -> Response:
        return Response(body, media_type="text/javascript; charset=utf-8", headers=headers)

    def preview(request: Request) -> Response:
        return Response(preview_page(str(request.url_for("widget")), site), media_type="text/html; charset=utf-8",
                        headers={"X-Content-Type-Options": "nosniff"})

    add_route(demo, "/widget.js", widget, "GET")
    add_route(demo, "/widget", preview, "GET")


__all__ = ["add_widget_route", "preview_page", "widget_config", "widget_script"]
