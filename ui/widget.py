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
from pathlib import Path

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


def add_widget_route(demo, settings: Settings) -> None:
    body = widget_script(settings).encode("utf-8")
    headers = {"Cache-Control": "public, max-age=300", "X-Content-Type-Options": "nosniff",
               "Cross-Origin-Resource-Policy": "cross-origin"}

    def widget() -> Response:
        return Response(body, media_type="text/javascript; charset=utf-8", headers=headers)

    add_route(demo, "/widget.js", widget, "GET")


__all__ = ["add_widget_route", "widget_config", "widget_script"]
