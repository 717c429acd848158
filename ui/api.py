"""The plain JSON API: `GET /api/search` and `GET /api/health`, callable from any HTTP client or page.

    GET /api/search?q=how+do+I+get+started&k=5[&after=earlier+question]
        200: exactly `assistant ask --json`'s JSON
        400: {"error": "...", ...the same JSON with no passages}: missing, empty, over-long question, bad k
        429: {"error": "..."} with Retry-After: over rate_limit_per_minute for this client
        503: {"error": "..."} with Retry-After: more questions waiting than the app takes (max_queue), or
             the index server (index_backend = "milvus") cannot be reached
    GET /api/health
        200: {"status": "ok", "version": ..., "documents": ..., "chunks": ..., "model": ..., "built_at": ...}

Cross-origin calls (the widget on another site) are allowed only from the `allowed_origins`
setting. Gradio's own CORS rule (any origin when served on a public host, loopback origins on
loopback) does not apply to these routes: they sit behind our own, stricter rule.
"""

from __future__ import annotations

import asyncio

from fastapi import Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from assistant.config import origins
from index.errors import BackendUnavailable
from ui.control import add_route
from ui.doors import MAX_TOP_K, Door

PREFIX = "/api/"
CHANNEL_PARAM = "channel"  # the widget says ?channel=widget; everything else counts as "api"
NO_STORE = {"Cache-Control": "no-store"}
UNAVAILABLE = "Search is unavailable for a moment (the index server is not answering); try again shortly."
RETRY_AFTER_S = 5


class Admission:
    """At most `running` questions searched at once and `waiting` more queued; past that, refuse at once."""

    def __init__(self, running: int, waiting: int):
        self._slots = asyncio.Semaphore(max(1, running))
        self._cap = max(1, running) + max(0, waiting)
        self._inside = 0

    @property
    def inside(self) -> int:
        return self._inside

    def full(self) -> bool:
        return self._inside >= self._cap

    async def __aenter__(self):
        self._inside += 1
        try:
            await self._slots.acquire()
        except BaseException:  # the caller went away while waiting
            self._inside -= 1
            raise

    async def __aexit__(self, *exc):
        self._slots.release()
        self._inside -= 1


def add_api_routes(demo, door: Door) -> None:
    """`/api/search` and `/api/health` on the launched app, behind the allowed-origins CORS rule."""
    admission = Admission(door.settings.concurrency_limit, door.settings.max_queue)

    async def search(request: Request) -> JSONResponse:
        params = request.query_params
        channel = "widget" if params.get(CHANNEL_PARAM) == "widget" else "api"
        wait = door.limited(request.client.host if request.client else "")
        if wait is not None:
            return _error(429, f"Too many questions from this address; try again in {wait} s.", wait)
        top_k, problem = _top_k(params.get("k"), door.settings.top_k)
        if problem:
            return _error(400, problem)
        if admission.full():
            return _error(503, "The assistant is busy; try again in a moment.", 1)
        async with admission:
            try:
                reply = await run_in_threadpool(door.search, params.get("q"), top_k, params.getlist("after"), channel)
            except BackendUnavailable:  # the index server (Milvus) is down: say so, and when to retry
                return _error(503, UNAVAILABLE, RETRY_AFTER_S)
        return JSONResponse(reply.body, status_code=reply.status, headers=NO_STORE)

    def health() -> JSONResponse:
        info = door.assistant.info()
        body = {"status": "ok", **{key: info[key] for key in
                                   ("version", "documents", "chunks", "by_type", "model", "built_at")}}
        return JSONResponse(body, headers=NO_STORE)

    add_route(demo, PREFIX + "search", search, "GET")
    add_route(demo, PREFIX + "health", health, "GET")
    guard_cross_origin(demo.app, origins(door.settings.allowed_origins))


def banner(url: str, allowed: tuple[str, ...]) -> str:
    """What `assistant serve` prints about the API and the widget (Gradio prints the MCP address)."""
    who = ", ".join(allowed) if allowed else "none yet (set allowed_origins)"
    return (f"* JSON API: {url}api/search?q=how+do+I+get+started (pages of other sites allowed: {who})\n"
            f"* Search box for your pages: {url}widget")


def _top_k(value: str | None, default: int) -> tuple[int, str | None]:
    if value in (None, ""):
        return default, None
    try:
        number = int(value)
    except ValueError:
        number = 0
    if not 1 <= number <= MAX_TOP_K:
        return default, f"k must be a whole number from 1 to {MAX_TOP_K}, got {value[:20]!r}."
    return number, None


def _error(status: int, message: str, retry_after: int | None = None) -> JSONResponse:
    headers = dict(NO_STORE)
    if retry_after is not None:
        headers["Retry-After"] = str(retry_after)
    return JSONResponse({"error": message}, status_code=status, headers=headers)


class CrossOriginGuard:
    """CORS for our own routes: Starlette's CORSMiddleware with the allowed origins, and the request's
    Origin hidden from Gradio's middleware (which would otherwise allow origins of its own choosing)."""

    def __init__(self, app: ASGIApp, allowed: tuple[str, ...], prefixes: tuple[str, ...] = (PREFIX,)):
        self.app = app
        self.prefixes = prefixes
        self.cors = CORSMiddleware(_without_origin(app), allow_origins=list(allowed), allow_methods=["GET"],
                                   allow_headers=[], allow_credentials=False, max_age=600)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(self.prefixes):
            await self.cors(scope, receive, send)
        else:
            await self.app(scope, receive, send)


def _without_origin(app: ASGIApp) -> ASGIApp:
    async def inner(scope: Scope, receive: Receive, send: Send) -> None:
        if "origin" in Headers(scope=scope):
            scope = {**scope, "headers": [(k, v) for k, v in scope["headers"] if k.lower() != b"origin"]}
        await app(scope, receive, send)

    return inner


def guard_cross_origin(app, allowed: tuple[str, ...]) -> None:
    """Put the guard in front of the running app's whole middleware stack (Gradio's CORS included)."""
    stack = app.middleware_stack or app.build_middleware_stack()
    app.middleware_stack = CrossOriginGuard(stack, allowed)


__all__ = ["add_api_routes", "banner", "guard_cross_origin"]
