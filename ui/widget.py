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

from fastapi import FastAPI, Request
from fastapi.responses import Response

from assistant import Settings
from assistant.config import SettingsError, origins
from ui.api import setting_line
from ui.doors import Limits

SCRIPT = Path(__file__).parent / "static" / "widget.js"
MAX_BYTES = 30_000  # the widget's budget; tests check it
FACE = ("site_name", "heading", "placeholder", "accent_color", "no_match_hint")  # the settings it shows


def widget_config(settings: Settings, limits: Limits | None = None) -> dict:
    """What the script needs from settings: its words, its colour, and the limits it works within (the
    Door's); the words' defaults are the settings' own."""
    limits = limits or Limits.of(settings)
    return {**{name: getattr(settings.face, name) for name in FACE}, "top_k": limits.top_k,
            "max_question_chars": limits.max_question_chars}


def widget_script(settings: Settings, limits: Limits | None = None) -> str:
    # ensure_ascii: every character outside ASCII (U+2028 too) is a \\u escape, so the JSON is plain JS
    config = json.dumps(widget_config(settings, limits), ensure_ascii=True)
    return SCRIPT.read_text(encoding="utf-8").replace("__CONFIG__", config)


def preview_page(script_url: str, settings: Settings, origin: str | None = None) -> str:
    """`/widget`: the box as a visitor sees it, under the line to copy (with the site's own placeholder),
    and the allowed_origins line for a site's origin (`?origin=`, the link the widget's console message
    gives on a refused page)."""
    site_name = settings.face.site_name
    tag = f'<script src="{script_url}" data-placeholder="{escape(settings.face.placeholder)}" async></script>'
    return (f"<!doctype html><html lang='en'><head><meta charset='utf-8'>"
            f"<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>{escape(site_name)}: search box for your pages</title></head>"
            "<body style='font-family: system-ui, sans-serif; max-width: 820px; margin: 24px auto; padding: 0 12px'>"
            "<h1>The search box for your pages</h1><p>Copy this line where the box should appear, and add "
            "your site's origin to <code>allowed_origins</code>:</p>"
            f"<pre style='white-space: pre-wrap; background: #f1f5f9; padding: 12px'>{escape(tag)}</pre>"
            f"{_origins_part(settings, origin)}<h2>Preview</h2>{tag}</body></html>")


def _origins_part(settings: Settings, origin: str | None) -> str:
    """Which origins may use the box now, and the exact line for the one asked about."""
    allowed = origins(settings.serving.allowed_origins)
    now = ", ".join(f"<code>{escape(o)}</code>" for o in allowed) if allowed else "none yet"
    part = (f"<p id='kb-allowed'>Pages allowed now: {now}. On any other site the box tells visitors "
            "“Search is not available here.” and the browser console names the line to add. "
            "A change to <code>allowed_origins</code> (or to the site's name, colour, words or examples) "
            "takes effect when the assistant is restarted.</p>")
    if origin is None:
        return part
    try:
        wanted = origins(origin)
    except SettingsError:
        wanted = ()
    if len(wanted) != 1 or wanted == ("*",):
        return part + f"<p id='kb-origin-line'>{escape(origin[:200])} is not an origin (scheme://host[:port]).</p>"
    line = setting_line(wanted[0])
    state = ("is allowed already" if wanted[0] in allowed or "*" in allowed
             else "is not allowed yet: add this line to assistant.toml (or add the origin to the list the "
                  "setting already has), then restart the assistant")
    return part + (f"<p>{escape(wanted[0])} {state}:</p><pre id='kb-origin-line' style='background: #f1f5f9; "
                   f"padding: 12px'>{escape(line)}</pre>")


def add_widget_route(app: FastAPI, settings: Settings, limits: Limits) -> None:
    """`/widget.js`, and `/widget`: a page that previews it and shows the line to copy."""
    body = widget_script(settings, limits).encode("utf-8")
    headers = {"Cache-Control": "public, max-age=300", "X-Content-Type-Options": "nosniff",
               "Cross-Origin-Resource-Policy": "cross-origin"}

    def widget() -> Response:
        return Response(body, media_type="text/javascript; charset=utf-8", headers=headers)

    def preview(request: Request) -> Response:
        page = preview_page(str(request.url_for("widget")), settings, request.query_params.get("origin"))
        return Response(page, media_type="text/html; charset=utf-8",
                        headers={"X-Content-Type-Options": "nosniff"})

    app.add_api_route("/widget.js", widget, methods=["GET"], name="widget")
    app.add_api_route("/widget", preview, methods=["GET"])


__all__ = ["add_widget_route", "preview_page", "widget_config", "widget_script"]
