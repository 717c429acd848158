"""`POST /control/build`: builds handed over by `assistant build` (see assistant.build.delegation).

Only loopback callers holding the token from `<index>/serve.json` are served; the build runs with
the app's own model, and the app swaps to the published index before answering.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from dataclasses import replace
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from assistant import KNOWN_ERRORS, Assistant
from assistant.build.delegation import ROUTE, TOKEN_HEADER, announce, withdraw
from ui.reload import build_and_swap

log = logging.getLogger(__name__)
LOOPBACK = {"127.0.0.1", "::1", "localhost"}


def add_control_route(app: FastAPI, assistant: Assistant) -> str:
    """Serve the route; returns the token it checks, which `announce(index_dir, url, token)` writes into
    serve.json once the server listens (and `withdraw` removes)."""
    token = secrets.token_urlsafe(32)

    def build(request: Request, body: dict) -> JSONResponse:
        given = request.headers.get(TOKEN_HEADER, "")
        if not request.client or request.client.host not in LOOPBACK or not hmac.compare_digest(given, token):
            return JSONResponse({"error": "forbidden"}, status_code=403)
        if body.get("model") != assistant.settings.model.name or body.get("variant", "fp32") != assistant.embedder.variant:
            return JSONResponse({"error": "this server embeds with another model"}, status_code=409)
        settings = replace(assistant.settings, content_dir=Path(body["content_dir"]), base_url=body.get("base_url"),
                           sources=())
        try:
            report = build_and_swap(assistant, settings, full=bool(body.get("full")))
        except KNOWN_ERRORS as exc:
            return JSONResponse({"error": str(exc)}, status_code=409)
        log.info("built on request of `assistant build`: %s", report.version)
        return JSONResponse(report.as_dict())

    app.add_api_route(ROUTE, build, methods=["POST"])
    return token


__all__ = ["add_control_route", "announce", "withdraw"]
