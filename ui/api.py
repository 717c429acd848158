"""The plain JSON API: `GET /api/search` and `GET /api/health`, callable from any HTTP client or page.

    GET /api/search?q=how+do+I+get+started&k=5[&after=earlier+question]
        200: exactly `assistant ask --json`'s JSON, its links absolute (public_url, else this request's base)
        400: {"error": "...", ...the same JSON with no passages}: missing, empty, over-long question, bad k
        403: {"error": "...", "origin": ..., "setting": ...}: asked from another site's page whose origin is not
             in allowed_origins; nothing is searched or logged, and only this refusal is readable by that page
        429: {"error": "..."} with Retry-After: over rate_limit_per_minute for this client
        503: {"error": "..."} with Retry-After: more questions waiting than the app takes (max_queue), or
             the index server (index_backend = "milvus") cannot be reached
    GET /api/health       the probe for load balancers and readiness checks
        200: {"status": "ok", "version": ..., "documents": ..., "chunks": ..., "model": ..., "built_at": ...}
        503: {"error": "..."} with Retry-After: not serving every door yet, or (with "reason") the configured
             index server (index_backend = "milvus") cannot be reached: questions would get 503 too
    GET /api/live         the liveness probe: 200 {"status": "alive"} while the process answers HTTP at all
                          (restart it when this fails; /api/health's 503 only means "send no traffic")

Cross-origin calls (the widget on another site) are allowed only from the `allowed_origins`
setting, by one CORSMiddleware on the whole app; Gradio then adds no CORS rule of its own. A simple
GET needs no preflight, so `/api/search` itself checks the Origin header too: a refused origin's
question is not searched or logged, and the 403 names the setting line that would allow it.
"""

from __future__ import annotations

import asyncio
import re
import threading

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.middleware.cors import CORSMiddleware

from assistant.answer.addresses import absolute_answer
from assistant.answer.stores import server_problem
from assistant.config import origins
from index.errors import BackendUnavailable
from ui.doors import RETRY_AFTER_S, UNAVAILABLE, Door, Limited, Limits
from ui.forwarded import public_base

PREFIX = "/api/"
CHANNEL_PARAM = "channel"  # the widget says ?channel=widget, the reader's search box reader; the rest is "api"
NO_STORE = {"Cache-Control": "no-store"}


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


def add_api_routes(app: FastAPI, door: Door, ready: threading.Event) -> None:
    """`/api/search` and `/api/health` on our app (its CORSMiddleware allows the `allowed_origins`)."""
    admission = Admission(door.settings.serving.concurrency_limit, door.settings.serving.max_queue)
    allowed = origins(door.settings.serving.allowed_origins)

    async def search(request: Request) -> JSONResponse:
        origin = request.headers.get("origin")
        if origin and not origin_allowed(origin, allowed, request.headers.get("host", "")):
            return refused_origin(origin)
        params = request.query_params
        channel = params.get(CHANNEL_PARAM) if params.get(CHANNEL_PARAM) in ("widget", "reader") else "api"
        try:
            door.admit(request.client.host if request.client else "", channel)
        except Limited as exc:
            return _error(429, str(exc), exc.wait)
        top_k, problem = _top_k(params.get("k"), door.limits)
        if problem:
            return _error(400, problem)
        if admission.full():
            return _error(503, "The assistant is busy; try again in a moment.", 1)
        async with admission:
            try:
                reply = await run_in_threadpool(door.search, params.get("q"), top_k, params.getlist("after"), channel)
            except BackendUnavailable:  # the index server (Milvus) is down: say so, and when to retry
                return _error(503, UNAVAILABLE, RETRY_AFTER_S)
        body = absolute_answer(reply.body, public_base(request, door.settings.serving.public_url))
        return JSONResponse(body, status_code=reply.status, headers=NO_STORE)

    async def health() -> JSONResponse:
        """The load balancer's probe: 200 once every door is served and the index is loaded, 503 before."""
        if not ready.is_set():
            return _error(503, "Starting: not serving every door yet; try again in a moment.", 1)
        problem = await run_in_threadpool(server_problem, door.settings, door.assistant.index)
        if problem:
            return _error(503, f"Not answering questions: {problem}.", RETRY_AFTER_S, reason=problem)
        info = door.assistant.info()
        body = {"status": "ok", **{key: info[key] for key in
                                   ("version", "documents", "chunks", "by_type", "model", "built_at")}}
        return JSONResponse(body, headers=NO_STORE)

    app.add_api_route(PREFIX + "search", search, methods=["GET"])
    app.add_api_route(PREFIX + "health", health, methods=["GET"])
    app.add_api_route(PREFIX + "live", lambda: JSONResponse({"status": "alive"}, headers=NO_STORE), methods=["GET"])


def banner(url: str, allowed: tuple[str, ...]) -> str:
    """What `assistant serve` prints about the API and the widget (Gradio prints the MCP address)."""
    who = ", ".join(allowed) if allowed else "none yet (set allowed_origins)"
    return (f"* JSON API: {url}api/search?q=how+do+I+get+started (pages of other sites allowed: {who})\n"
            f"* Search box for your pages: {url}widget")


def origin_allowed(origin: str, allowed: tuple[str, ...], host: str) -> bool:
    """A page on this server itself, or an origin in allowed_origins ("*": any)."""
    origin = origin.rstrip("/")
    return "*" in allowed or origin in allowed or origin.partition("://")[2] == host


def setting_line(origin: str) -> str:
    """The assistant.toml line that lets a page on `origin` use the widget."""
    return f'allowed_origins = "{origin}"'


def refused_origin(origin: str) -> JSONResponse:
    """403 for a page whose origin is not allowed, readable by that page (this refusal only) so the widget
    can say "not available here" and tell the owner, in the console, which line to add."""
    web = re.fullmatch(r"https?://[^/\s?#\"]{1,200}", origin) is not None  # not "null" (a file, a sandbox)
    shown = origin if web else "a page with no web origin"
    body = {"error": f"Search is not available on {shown}: "
                     + ("its origin is not in allowed_origins." if web else "the box works on http(s) pages."),
            "origin": origin if web else None, "setting": setting_line(origin) if web else ""}
    return JSONResponse(body, status_code=403, headers={**NO_STORE, "Access-Control-Allow-Origin": origin[:200],
                                                         "Vary": "Origin"})


def _top_k(value: str | None, limits: Limits) -> tuple[int, str | None]:
    if value in (None, ""):
        return limits.top_k, None
    try:
        number = int(value)
    except ValueError:
        number = 0
    if not 1 <= number <= limits.max_top_k:
        return limits.top_k, f"k must be a whole number from 1 to {limits.max_top_k}, got {value[:20]!r}."
    return number, None


def _error(status: int, message: str, retry_after: int | None = None, **extra) -> JSONResponse:
    headers = dict(NO_STORE)
    if retry_after is not None:
        headers["Retry-After"] = str(retry_after)
    return JSONResponse({"error": message, **extra}, status_code=status, headers=headers)


def cross_origin(app: FastAPI, allowed: tuple[str, ...]) -> None:
    """CORS for the whole app through Starlette's CORSMiddleware: only the allowed origins' pages may read
    answers (GET), without credentials. Gradio sees it and leaves its own CORS rule out of the mounted UI."""
    app.add_middleware(CORSMiddleware, allow_origins=list(allowed), allow_methods=["GET"], allow_headers=[],
                       allow_credentials=False, max_age=600)


__all__ = ["Admission", "add_api_routes", "banner", "cross_origin", "origin_allowed", "setting_line"]
