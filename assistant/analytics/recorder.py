"""The question log: records each answered question, click and piece of feedback without ever
making a visitor wait for the store.

    log = QuestionLog(lambda: open_store(...), retention_days=180)
    answer_id = log.record(answer, "web", seconds, index_version)   # never blocks, never raises
    log.click(answer_id, url)                                        # never blocks, never raises
    log.feedback(answer_id, helpful, comment)                        # returns once committed
    log.rate(doc_id, title, address, stars, comment)                 # an article's rating; once committed

One writer thread owns the store connection. Questions and clicks are queued and written in
batches (one transaction per quarter second at most); feedback goes through the same queue, is
written at once, and its caller waits until the transaction holding it is committed, so
acknowledged feedback survives a `kill -9` (questions of the last quarter second may not). When the
store is locked, full or unreachable, the question is answered as usual, writes are retried a few
times, and the failure is logged at most once a minute (with a count of the ones not logged).
Old questions are deleted at start and daily (`retention_days`; 0 keeps everything).
"""

from __future__ import annotations

import hashlib
import logging
import queue
import re
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field

from assistant.analytics.errors import AnalyticsError, FeedbackRefused, StoreUnavailable
from assistant.analytics.privacy import COMMENT_CHARS, clean, mask
from assistant.analytics.records import Citation, Click, Feedback, Question, Rating
from assistant.analytics.store import Store
from assistant.answer.records import Answer

log = logging.getLogger(__name__)

ANSWER_ID = re.compile(r"[0-9a-f]{32}")
BATCH = 500
# Questions and clicks wait up to this long to share a transaction: fewer commits, and far fewer GIL
# hand-offs from the writer thread to the threads answering questions. Feedback (and flush) never waits.
GATHER_SECONDS = 0.25
ATTEMPTS = 3
RETRY_SECONDS = 1.0
FEEDBACK_WAIT_SECONDS = 5.0
PURGE_EVERY_SECONDS = 24 * 3600
MAX_URL_CHARS = 2048
STOP = object()


class Throttled:
    """A warning logged at most once per `interval` seconds, saying how many were held back."""

    def __init__(self, logger: logging.Logger, interval: float = 60.0, clock: Callable[[], float] = time.monotonic):
        self.logger, self.interval, self.clock = logger, interval, clock
        self._last: float | None = None
        self.held_back = 0

    def warning(self, message: str) -> bool:
        now = self.clock()
        if self._last is not None and now - self._last < self.interval:
            self.held_back += 1
            return False
        extra = f" ({self.held_back} more in the last minute not logged)" if self.held_back else ""
        self.logger.warning("%s%s", message, extra)
        self._last, self.held_back = now, 0
        return True


@dataclass
class Stats:
    written: int = 0  # items committed
    dropped: int = 0  # questions and clicks given up on (store failing, or the queue full)
    failures: int = 0  # failed attempts to write


@dataclass
class _Entry:
    item: object
    done: Future | None = None
    attempts: int = field(default=0)


class QuestionLog:
    def __init__(self, open_store: Callable[[], Store], retention_days: int = 180, max_pending: int = 10_000,
                 clock: Callable[[], float] = time.time):
        self._open_store = open_store
        self.retention_days = retention_days
        self.clock = clock
        self.stats = Stats()
        self.failure_log = Throttled(log)
        self._queue: queue.Queue = queue.Queue(maxsize=max_pending)
        self._store: Store | None = None
        self._next_purge = 0.0
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="question-log", daemon=True)
        self._thread.start()

    # --- the request side -------------------------------------------------------------------------
    def record(self, answer: Answer, source: str, seconds: float, index_version: str | None) -> str | None:
        """Queue the question and what it was answered with; its answer_id, or None for a question
        that was refused (empty, over-long) and so not logged."""
        if answer.kind in ("refused", "small_talk"):  # a no-match reply's message says what the site covers
            return None
        answer_id = uuid.uuid4().hex
        citations = tuple(Citation(n, p.doc_id, p.title, p.url, float(p.score))
                          for n, p in enumerate(answer.passages, start=1))
        top = max((p.score for p in answer.passages), default=None)
        question = Question(answer_id, self.clock(), source, mask(clean(answer.question, 10**6, "question")),
                            answer.answered, top, round(seconds * 1000, 1), index_version, citations)
        return answer_id if self._offer(_Entry(question)) else None

    def click(self, answer_id: str, url: str) -> bool:
        """Queue a click on a passage link of an answer; False when the input is not a click to keep."""
        if not isinstance(answer_id, str) or not ANSWER_ID.fullmatch(answer_id):
            return False
        if not isinstance(url, str) or not url or len(url) > MAX_URL_CHARS:
            return False
        return self._offer(_Entry(Click(answer_id, url, self.clock())))

    def feedback(self, answer_id: object, helpful: object, comment: object = "") -> Feedback:
        """Store 👍/👎 (and an optional comment) for an answer; returns once it is committed.
        Raises FeedbackRefused (bad input, unknown answer) or StoreUnavailable (try again later)."""
        if not isinstance(answer_id, str) or not ANSWER_ID.fullmatch(answer_id.strip().lower()):
            raise FeedbackRefused("answer_id must be the answer_id of a /search answer (32 hex characters).")
        if not isinstance(helpful, bool):
            raise FeedbackRefused("helpful must be true or false.")
        record = Feedback(answer_id.strip().lower(), helpful, mask(clean(comment, COMMENT_CHARS)), self.clock())
        if not self._committed(record):
            raise FeedbackRefused(f"No answer with answer_id {record.answer_id}: use the answer_id of a recent "
                                  "/search answer (answers older than retention_days are deleted).")
        return record

    def rate(self, doc_id: str, title: str, address: str, stars: object, comment: object = "") -> Rating:
        """Store an article's rating (1 to 5 stars, an optional note) as the visitor's one for today, replacing
        an earlier one; returns once committed. The visitor is kept as a hash of `address` and the day, never
        the address. Raises FeedbackRefused (bad input) or StoreUnavailable."""
        if isinstance(stars, bool) or not isinstance(stars, int) or not 1 <= stars <= 5:
            raise FeedbackRefused("stars must be a whole number from 1 to 5.")
        now = self.clock()
        day = time.strftime("%Y-%m-%d", time.gmtime(now))
        visitor = hashlib.sha256(f"{day}|{address}".encode("utf-8", "replace")).hexdigest()[:24]
        record = Rating(doc_id, title, visitor, day, stars, mask(clean(comment, COMMENT_CHARS)), now)
        self._committed(record)
        return record

    def _committed(self, record) -> bool:
        """Queue `record` and wait until the transaction holding it is committed: whether it was stored."""
        entry = _Entry(record, Future())
        try:
            self._queue.put(entry, timeout=FEEDBACK_WAIT_SECONDS)
            return entry.done.result(timeout=FEEDBACK_WAIT_SECONDS)
        except (queue.Full, FutureTimeout) as exc:
            raise StoreUnavailable("feedback could not be saved just now; please try again in a minute.") from exc

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until everything queued so far has been written (or given up on)."""
        marker = _Entry(None, Future())
        try:
            self._queue.put(marker, timeout=timeout)
            marker.done.result(timeout=timeout)
            return True
        except (queue.Full, FutureTimeout):
            return False

    def close(self, timeout: float = 10.0) -> None:
        """Write what is queued, then stop the writer and close the store."""
        if self._thread.is_alive():
            self.flush(timeout)
            self._stopped.set()
            self._queue.put(_Entry(STOP))
            self._thread.join(timeout)

    def _offer(self, entry: _Entry) -> bool:
        try:
            self._queue.put_nowait(entry)
            return True
        except queue.Full:
            self.stats.dropped += 1
            self.failure_log.warning("question log: the write queue is full (the store is too slow or failing); "
                                     "dropping entries")
            return False

    # --- the writer thread ------------------------------------------------------------------------
    def _run(self) -> None:
        try:
            self._connected()  # open (and migrate) the store at start, not at the first question
        except AnalyticsError as exc:
            self._failed(exc)
        while True:
            batch = self._take()
            if batch and batch[-1].item is STOP:
                self._write(batch[:-1])
                break
            if self._due_for_purge():
                self._purge()
            if batch:
                self._write(batch)
        if self._store is not None:
            self._store.close()

    def _take(self) -> list[_Entry]:
        """The next batch: what arrives within GATHER_SECONDS of the first entry, ended early by an
        entry someone waits for (feedback, flush, stop)."""
        try:
            batch = [self._queue.get(timeout=1.0)]
        except queue.Empty:
            return []
        until = time.monotonic() + GATHER_SECONDS
        while len(batch) < BATCH and batch[-1].done is None and batch[-1].item is not STOP:
            left = until - time.monotonic()
            try:
                batch.append(self._queue.get(timeout=left) if left > 0 else self._queue.get_nowait())
            except queue.Empty:
                break
        return batch

    def _write(self, batch: list[_Entry]) -> None:
        entries = [e for e in batch if e.item is not None]
        while entries:
            try:
                results = self._connected().write([e.item for e in entries])
            except AnalyticsError as exc:
                self._failed(exc)
                entries = self._after_failure(entries)
                if entries and self._stopped.wait(RETRY_SECONDS):
                    break
                continue
            self.stats.written += sum(results)
            for entry, stored in zip(entries, results):
                if entry.done:
                    entry.done.set_result(stored)
            break
        for marker in (e for e in batch if e.item is None):
            marker.done.set_result(True)

    def _after_failure(self, entries: list[_Entry]) -> list[_Entry]:
        """Feedback fails at once (its caller is told to try again); the rest is retried a few times."""
        kept = []
        for entry in entries:
            entry.attempts += 1
            if entry.done:
                entry.done.set_exception(
                    StoreUnavailable("feedback could not be saved just now; please try again in a minute."))
            elif entry.attempts < ATTEMPTS:
                kept.append(entry)
            else:
                self.stats.dropped += 1
        return kept

    def _failed(self, exc: Exception) -> None:
        self.stats.failures += 1
        self.failure_log.warning(f"question log: could not write to the store, answers are unaffected: {exc}")
        if self._store is not None:
            self._store.close()
            self._store = None

    def _connected(self) -> Store:
        if self._store is None:
            self._store = self._open_store()
            log.info("question log: writing to %s", self._store.location)
        return self._store

    def _due_for_purge(self) -> bool:
        return self.retention_days > 0 and time.monotonic() >= self._next_purge

    def _purge(self) -> None:
        try:
            removed = self._connected().purge(self.clock() - self.retention_days * 86400)
        except AnalyticsError as exc:
            self._failed(exc)
            self._next_purge = time.monotonic() + 60
            return
        self._next_purge = time.monotonic() + PURGE_EVERY_SECONDS
        if removed:
            log.info("question log: deleted %d question(s) older than %d days", removed, self.retention_days)
