""""Was this article helpful?" on every reader page: one to five stars and "How can we improve this article?",
stored in the question log's store (SQLite or PostgreSQL, the note masked as answer feedback is).

    ratings = Ratings(assistant, question_log)      None inside when log_questions is off: no stars on pages
    ratings.token(doc_id)                            -> what the page carries and sends back
    add_rating_route(app, ratings)                   POST /ratings {"doc_id", "stars", "comment", "token"}

A rating is accepted only from a page of this app (its Origin names this host, or `public_url`'s) that carries a token this
server signed for that document within the last day; from one address at most RATINGS_PER_MINUTE a
minute; only for a document of the published index. The store keeps one rating per visitor (a hash of
the address and the day), article and day: a later one replaces it, and a later one without a note keeps
the earlier note. Refusals store nothing: 403 (origin, token, unknown document), 429 (too many, with
Retry-After), 400 (bad stars or note), 503 (the store is unavailable).
"""

from __future__ import annotations

import hashlib
import hmac
import math
import os
import secrets
import time
from pathlib import Path
from urllib.parse import urlsplit

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from limits import RateLimitItemPerMinute
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from starlette.concurrency import run_in_threadpool

from assistant import Assistant
from assistant.analytics import FeedbackRefused, QuestionLog, StoreUnavailable
from ui.feedback import json_object

ROUTE = "/ratings"
RATINGS_PER_MINUTE = 10  # from one address, every article together
TOKEN_SECONDS = 24 * 3600
MAX_BODY_BYTES = 16_384  # a 2,000-character note in any script fits
NO_STORE = {"Cache-Control": "no-store"}


class Ratings:
    def __init__(self, assistant: Assistant, question_log: QuestionLog | None, per_minute: int = RATINGS_PER_MINUTE,
                 public_url: str | None = None, key: bytes | None = None):
        self.assistant, self.log = assistant, question_log
        parts = urlsplit(public_url or "")
        self.public_origin = f"{parts.scheme}://{parts.netloc}" if parts.netloc else None  # also this app's pages
        self._key = key or secrets.token_bytes(32)  # see signing_key: shared by every server of the site
        self._rate = RateLimitItemPerMinute(per_minute)
        self._limiter = MovingWindowRateLimiter(MemoryStorage())

    @property
    def on(self) -> bool:
        return self.log is not None

    def token(self, doc_id: str, now: float | None = None) -> str:
        issued = int(time.time() if now is None else now)
        return f"{issued}.{self._sign(doc_id, issued)}"

    def valid(self, token: object, doc_id: str, now: float | None = None) -> bool:
        if not isinstance(token, str) or "." not in token:
            return False
        issued, _, signature = token.partition(".")
        if not issued.isdigit() or not 0 <= (time.time() if now is None else now) - int(issued) <= TOKEN_SECONDS:
            return False
        return hmac.compare_digest(signature, self._sign(doc_id, int(issued)))

    def _sign(self, doc_id: str, issued: int) -> str:
        return hmac.new(self._key, f"{doc_id}\n{issued}".encode("utf-8", "replace"), hashlib.sha256).hexdigest()[:32]

    def wait(self, address: str) -> int:
        """0 when this address may rate now; else the whole seconds until it may."""
        key = f"rating:{address or 'unknown'}"
        if self._limiter.hit(self._rate, key):
            return 0
        return max(1, math.ceil(self._limiter.get_window_stats(self._rate, key).reset_time - time.time()))

    def title(self, doc_id: str) -> str | None:
        """The document's title when it is in the published index; None otherwise."""
        entry = self.assistant.index.manifest.documents.get(doc_id)
        return entry.title if entry is not None else None


def add_rating_route(app: FastAPI, ratings: Ratings) -> None:
    async def rate(request: Request) -> JSONResponse:
        if not ratings.on:
            return _answer(404, "Ratings are off on this help centre (log_questions = false).")
        origin = request.headers.get("origin", "")
        if not origin or (origin.partition("://")[2] != request.headers.get("host", "")
                          and origin != ratings.public_origin):
            return _answer(403, "Ratings are accepted only from this help centre's own pages.")
        data = await _body(request)
        doc_id = data.get("doc_id") if isinstance(data, dict) else None
        if not isinstance(doc_id, str) or not ratings.valid(data.get("token"), doc_id):
            return _answer(403, "This page is out of date: reload it, then rate the article again.")
        wait = ratings.wait(request.client.host if request.client else "")
        if wait:
            return _answer(429, f"Too many ratings from this address; try again in {wait} s.", {"Retry-After": str(wait)})
        title = ratings.title(doc_id)
        if title is None:
            return _answer(403, "That document is not in the knowledge base.")
        try:
            stored = await run_in_threadpool(ratings.log.rate, doc_id, title, request.client.host if request.client
                                             else "", data.get("stars"), data.get("comment") or "")
        except FeedbackRefused as exc:
            return _answer(400, str(exc))
        except StoreUnavailable as exc:
            return _answer(503, str(exc), {"Retry-After": "60"})
        return JSONResponse({"stored": True, "stars": stored.stars, "comment": stored.comment}, headers=NO_STORE)

    app.add_api_route(ROUTE, rate, methods=["POST"])


async def _body(request: Request) -> dict | None:
    return await json_object(request, MAX_BODY_BYTES)


def _answer(status: int, message: str, headers: dict | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers={**NO_STORE, **(headers or {})})


__all__ = ["RATINGS_PER_MINUTE", "ROUTE", "Ratings", "add_rating_route"]


def signing_key(secret: str | None, data_dir: Path) -> bytes:
    """What the pages' rating tokens are signed with: the `secret_key` setting (give every server behind one
    address the same), else a random key kept in `data_dir/secret_key` (made once, readable by its owner
    only), so tokens outlive a restart and servers sharing the folder agree; in memory where it cannot be
    written."""
    if secret:
        return hashlib.sha256(secret.encode("utf-8")).digest()
    path = Path(data_dir) / "secret_key"
    try:
        return bytes.fromhex(path.read_text(encoding="ascii").strip())
    except (OSError, ValueError):
        pass
    key = secrets.token_bytes(32)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="ascii") as handle:
            handle.write(key.hex())
    except FileExistsError:  # another server made it first: theirs
        return bytes.fromhex(path.read_text(encoding="ascii").strip())
    except OSError:
        pass
    return key
