"""The web app, whole before it listens: one FastAPI app holding every route of ours, with the
Gradio page mounted on it through Gradio's public `gr.mount_gradio_app`.

    serve(settings)                  loads the model and index once, then serves until stopped
    create_app(assistant, settings)  -> WebApp(app, door, feedback, page, ready, token): nothing listens yet
    launch(web, assistant, host, port, block)  -> Server (ui.server): uvicorn started on the whole app

Routes: the page and Gradio's API (`/`, `/gradio_api/…`, with `/search` and `/feedback`), the MCP
tools (`/gradio_api/mcp/`, ui/mcp.py), the JSON API (`/api/search`, and `/api/health`: the probe
for load balancers, ui/api.py), the embeddable widget (`/widget.js`, `/widget`, ui/widget.py),
the built-in reader (`/read/…`, ui/reader.py: the page of a document with none of its own; `/asset/…`: the
content folder's images, recordings and decks; `/ratings`: "Was this article helpful?", ui/ratings.py),
documents' raw files (`/source/…`), the feedback beacon (`/feedback/click`, ui/feedback.py) and
the control route of `assistant build` (`/control/build`, ui/control.py). Every question through
any of them passes one `Door` (ui/doors.py). CORS: one CORSMiddleware with `allowed_origins`.

The site's face (name, heading, subtitle, placeholder, examples, hint, accent colour, logo) comes
from settings; with no examples configured they are taken from the index's own content.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import gradio as gr
from fastapi import FastAPI
from fastapi.responses import FileResponse, Response

from assistant import Assistant, Settings
from assistant.config import origins
from ui.api import add_api_routes, cross_origin
from ui.control import add_control_route
from ui.doors import Door
from ui.feedback import ChatFeedback, add_click_route
from ui.forwarded import ProxyHeaders, trusted_proxies
from ui.mcp import McpEndpoint
from ui.page import build_page
from ui.ratings import Ratings, add_rating_route, signing_key
from ui.reader import add_reader_route
from ui.reload import POLL_SECONDS
from ui.theme import CSS, THEME, accent_css
from ui.widget import add_widget_route


@dataclass(frozen=True)
class WebApp:
    app: FastAPI  # every route, Gradio mounted at "/"
    door: Door  # the one way in
    feedback: ChatFeedback  # the question log's side of the page (`.log`: None when logging is off)
    page: gr.Blocks
    ready: threading.Event  # set once the server listens with every door mounted (/api/health: 200)
    token: str  # what the control route checks; ui.server writes it into serve.json


def create_app(assistant: Assistant, settings: Settings) -> WebApp:
    """Every route of ours, then the page mounted under them; nothing listens until `launch`."""
    feedback = ChatFeedback(settings)
    door = Door(assistant, settings, feedback.log, feedback.remember)
    page = build_page(assistant, settings, door, feedback)
    mcp = McpEndpoint(door, settings.face.site_name) if settings.serving.mcp_server else None
    app = FastAPI(title=settings.face.site_name, docs_url=None, redoc_url=None, openapi_url=None,
                  lifespan=mcp.lifespan if mcp else None)
    cross_origin(app, origins(settings.serving.allowed_origins))
    app.add_middleware(ProxyHeaders, trusted=trusted_proxies(settings.serving.forwarded_allow_ips))  # outermost: first
    if mcp:
        mcp.add_to(app)
    ready = threading.Event()
    add_api_routes(app, door, ready)
    add_widget_route(app, settings, door.limits)
    ratings = Ratings(assistant, feedback.log, public_url=settings.serving.public_url,  # "Was this article helpful?"
                      key=signing_key(settings.serving.secret_key, settings.analytics.data_dir) if feedback.log is not None else None)
    add_reader_route(app, assistant, settings, ratings)
    add_rating_route(app, ratings)
    add_source_route(app, assistant)
    add_click_route(app, feedback)
    token = add_control_route(app, assistant)
    # SSR stays off: Gradio 6.27–6.31 trust forged Host headers with SSR on.
    # footer_links=[]: no "Use via API · Built with Gradio · Settings"; the owner's footer_html instead (ui/page.py)
    gr.mount_gradio_app(app, page, path="/", ssr_mode=False, theme=THEME, show_error=False, footer_links=[],
                        css=CSS + accent_css(settings.face.accent_color), mcp_server=False)  # ours: ui/mcp.py
    return WebApp(app, door, feedback, page, ready, token)


def add_source_route(app: FastAPI, assistant: Assistant) -> None:
    """`/source/<doc_id>`: the raw file of an indexed document, served as inert text (or a PDF) in a
    sandbox, so an article's markup can never run on this origin. Links open the reader (`/read/…`)."""

    def source(doc_id: str) -> Response:
        path = assistant.source_file(doc_id)
        if path is None:
            return Response("Not in the knowledge base.", status_code=404, media_type="text/plain")
        media = "application/pdf" if path.suffix.lower() == ".pdf" else "text/plain; charset=utf-8"
        return FileResponse(path, media_type=media, headers={
            "X-Content-Type-Options": "nosniff", "Content-Security-Policy": "sandbox; default-src 'none'"})

    app.add_api_route("/source/{doc_id:path}", source, methods=["GET"])


def launch(web: WebApp, assistant: Assistant, host: str = "127.0.0.1", port: int = 7860, block: bool = True,
           reload_interval: float = POLL_SECONDS):
    """Serve the whole app (port 0: a free one), with the live reload that swaps to each newly published
    index; `block`: until stopped (Ctrl+C, SIGTERM). Returns the ui.server.Server (`url`, `close()`)."""
    from ui.server import Server

    server = Server(web, assistant, host, port, reload_interval)
    if block:
        server.run()
    else:
        server.start()
    return server


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 7860, assistant: Assistant | None = None) -> None:
    """Load the model and index once (unless given), then serve every door until stopped."""
    assistant = assistant or Assistant.open(settings)
    launch(create_app(assistant, settings), assistant, host, port, block=True)


__all__ = ["WebApp", "add_source_route", "create_app", "launch", "serve"]
