"""The question and feedback log, and the site owner's report.

Public surface:
    open_log(settings) -> QuestionLog | None      None when log_questions is off
    open_store(data_dir, database_url) -> Store   SQLite (WAL) or PostgreSQL, migrated on opening
    load_report(settings, since, embed) -> (Report, Snapshot)
    parse_since("30d") -> Unix time | None
    mask(text), write_csv(report, snapshot, folder)

Errors: see assistant.analytics.errors (AnalyticsError and its subclasses).
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from assistant.analytics.errors import (
    AnalyticsError,
    FeedbackRefused,
    SchemaTooNew,
    StoreUnavailable,
)
from corpus.lazy import lazy_getattr

if TYPE_CHECKING:
    from assistant.analytics.recorder import QuestionLog
    from assistant.analytics.report import Report

UNITS = {"h": 3600, "d": 86400, "w": 7 * 86400}
# Imported on first use, so `from assistant.analytics.errors import …` (the CLI's error handling) stays light.
_LAZY = {"write_csv": "export", "mask": "privacy", "QuestionLog": "recorder", "Gap": "report", "Report": "report",
         "build_report": "report", "report_text": "text", "SQLITE_NAME": "store", "Store": "store",
         "open_store": "store"}


__getattr__ = lazy_getattr("assistant.analytics", {name: f"assistant.analytics.{module}" for name, module in _LAZY.items()},
                           globals())


def open_log(settings) -> QuestionLog | None:
    """The app's question log (its writer opens the store lazily, so a store that is down at start
    delays nothing); None when `log_questions` is off."""
    if not settings.analytics.log_questions:
        return None
    from assistant.analytics.recorder import QuestionLog
    from assistant.analytics.store import open_store

    return QuestionLog(lambda: open_store(settings.analytics.data_dir, settings.analytics.database_url),
                       retention_days=settings.analytics.retention_days)


def parse_since(text: str | None, now: float | None = None) -> float | None:
    """'30d', '12h', '2w', a date '2026-03-01', or 'all' (None) → the Unix time the period starts."""
    text = (text or "all").strip().lower()
    if text == "all":
        return None
    now = time.time() if now is None else now
    match = re.fullmatch(r"(\d+)\s*([hdw])", text)
    if match:
        return now - int(match.group(1)) * UNITS[match.group(2)]
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise AnalyticsError(f"--since {text!r} is not a period: use e.g. 30d, 12h, 2w, 2026-03-01 or all") from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def load_report(settings, since: float | None, embed) -> tuple[Report, object]:
    """Read the store named by the settings and compute the report over the period."""
    from assistant.analytics.report import build_report
    from assistant.analytics.store import SQLITE_NAME, open_store

    if not settings.analytics.database_url and not (settings.analytics.data_dir / SQLITE_NAME).is_file():
        raise AnalyticsError(f"No question log at {settings.analytics.data_dir / SQLITE_NAME}: start `assistant serve` "
                             "with the same settings (log_questions on) and let visitors ask first")
    store = open_store(settings.analytics.data_dir, settings.analytics.database_url)
    try:
        snapshot = store.snapshot(since)
    finally:
        store.close()
    return build_report(snapshot, embed), snapshot


__all__ = ["AnalyticsError", "FeedbackRefused", "Gap", "QuestionLog", "Report", "SchemaTooNew", "Store",
           "StoreUnavailable", "build_report", "load_report", "mask", "open_log", "open_store", "parse_since",
           "report_text", "write_csv"]
