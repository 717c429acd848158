"""The question and feedback store: one interface, two backends.

    store = open_store(settings)     SQLite (WAL) at <data_dir>/analytics.sqlite3, or PostgreSQL when
                                     `database_url` is set; migrated to the latest schema on opening
    store.write(items)               questions, feedback, clicks and ratings in one committed transaction
    store.snapshot(since)            what a report reads; store.purge(before) drops old questions

A Store holds one connection and is used by one thread at a time (the log's writer thread, or a
report). Every database error becomes StoreUnavailable, with the store's location in the message.
"""

from __future__ import annotations

import sqlite3
import time
import uuid
from pathlib import Path
from typing import Any

from assistant.analytics import schema
from assistant.analytics.errors import AnalyticsError, SchemaTooNew, StoreUnavailable
from assistant.analytics.records import Citation, Click, Feedback, Question, Rating, Snapshot

SQLITE_NAME = "analytics.sqlite3"
BUSY_SECONDS = 2.0  # how long a write waits for a lock before giving up (off the question path)
PG_TIMEOUTS = {"connect_timeout": 3, "options": "-c statement_timeout=5000 -c lock_timeout=2000"}

FEEDBACK_SQL = """INSERT INTO feedback (answer_id, helpful, comment, given_at)
    SELECT q.id, ?, ?, ? FROM questions q WHERE q.id = ?
    ON CONFLICT (answer_id) DO UPDATE SET helpful = excluded.helpful, given_at = excluded.given_at,
        comment = CASE WHEN excluded.comment <> '' THEN excluded.comment ELSE feedback.comment END"""
RATING_SQL = """INSERT INTO ratings (doc_id, visitor, day, title, stars, comment, rated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (doc_id, visitor, day) DO UPDATE SET stars = excluded.stars, rated_at = excluded.rated_at,
        title = excluded.title,
        comment = CASE WHEN excluded.comment <> '' THEN excluded.comment ELSE ratings.comment END"""
CLICK_SQL = """INSERT INTO clicks (id, answer_id, position, url, clicked_at)
    SELECT ?, c.question_id, c.position, c.url, ? FROM citations c
    WHERE c.question_id = ? AND c.url = ? ORDER BY c.position LIMIT 1"""


class Store:
    """The common SQL; subclasses connect and say how their driver writes parameters."""

    location = ""
    errors: tuple[type[BaseException], ...] = ()

    def __init__(self, connection: Any):
        self.connection = connection

    # --- the driver's differences -------------------------------------------------------------
    def sql(self, text: str) -> str:
        return text

    def begin(self, read_only: bool = False) -> None:
        raise NotImplementedError

    # --- transactions ---------------------------------------------------------------------------
    def _run(self, work, read_only: bool = False):
        try:
            self.begin(read_only)
            result = work(self.connection.cursor())
            self.connection.commit()
            return result
        except self.errors as exc:
            self._rollback()
            raise StoreUnavailable(f"analytics store {self.location}: {_first_line(exc)}") from exc
        except BaseException:
            self._rollback()
            raise

    def _rollback(self) -> None:
        try:
            self.connection.rollback()
        except self.errors:
            pass

    def execute(self, cursor, text: str, params: tuple = ()):
        cursor.execute(self.sql(text), params)
        return cursor

    # --- schema -----------------------------------------------------------------------------------
    def version(self) -> int:
        return self._run(lambda cur: self._version(cur))

    def _version(self, cursor) -> int:
        self.execute(cursor, schema.VERSION_TABLE)
        row = self.execute(cursor, "SELECT MAX(version) FROM schema_version").fetchone()
        return int(row[0] or 0)

    def lock_for_migration(self, cursor) -> None:
        """Keep a second server starting at the same moment from migrating too."""

    def migrate(self, upto: int = schema.LATEST) -> tuple[int, int]:
        """Apply the migrations this store lacks, in one transaction: (version before, after)."""

        def work(cursor) -> tuple[int, int]:
            self.lock_for_migration(cursor)
            before = self._version(cursor)
            if before > schema.LATEST:
                raise SchemaTooNew(
                    f"the analytics store {self.location} has schema version {before}, newer than this "
                    f"assistant's {schema.LATEST}: upgrade the assistant, or point data_dir/database_url elsewhere")
            for version, description, statements in schema.pending(before, upto):
                for statement in statements:
                    self.execute(cursor, statement)
                self.execute(cursor, "INSERT INTO schema_version (version, applied_at, description) VALUES (?, ?, ?)",
                             (version, time.time(), description))
            return before, max(before, min(upto, schema.LATEST))

        return self._run(work)

    # --- writing ----------------------------------------------------------------------------------
    def write(self, items: list) -> list[bool]:
        """Store questions, feedback and clicks in order, in one transaction. For each item: True when
        stored; False for feedback or a click whose answer is not in the store."""

        def work(cursor) -> list[bool]:
            results, run = [], []
            for item in [*items, None]:  # consecutive questions go in together (two statements)
                if isinstance(item, Question):
                    run.append(item)
                    continue
                if run:
                    self._write_questions(cursor, run)
                    results += [True] * len(run)
                    run = []
                if item is not None:
                    results.append(self._write_one(cursor, item))
            return results

        return self._run(work)

    def _write_questions(self, cursor, questions: list[Question]) -> None:
        cursor.executemany(self.sql(
            "INSERT INTO questions (id, asked_at, source, question, answered, top_score, latency_ms, index_version) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)"),
            [(q.id, q.asked_at, q.source, q.question, q.answered, q.top_score, q.latency_ms, q.index_version)
             for q in questions])
        citations = [(q.id, c.position, c.doc_id, c.title, c.url, c.score) for q in questions for c in q.citations]
        if citations:
            cursor.executemany(self.sql("INSERT INTO citations (question_id, position, doc_id, title, url, score) "
                                        "VALUES (?, ?, ?, ?, ?, ?)"), citations)

    def _write_one(self, cursor, item) -> bool:
        if isinstance(item, Feedback):
            self.execute(cursor, FEEDBACK_SQL, (item.helpful, item.comment, item.given_at, item.answer_id))
            return cursor.rowcount > 0
        if isinstance(item, Click):
            self.execute(cursor, CLICK_SQL, (uuid.uuid4().hex, item.clicked_at, item.answer_id, item.url))
            return cursor.rowcount > 0
        if isinstance(item, Rating):
            self.execute(cursor, RATING_SQL, (item.doc_id, item.visitor, item.day, item.title, item.stars,
                                              item.comment, item.rated_at))
            return True
        raise TypeError(f"cannot store {type(item).__name__}")

    def purge(self, before: float) -> int:
        """Delete the questions asked before `before` (with their citations, feedback, clicks), and older ratings."""

        def work(cursor) -> int:
            self.execute(cursor, "DELETE FROM ratings WHERE rated_at < ?", (before,))
            old = "SELECT id FROM questions WHERE asked_at < ?"
            for table, column in (("clicks", "answer_id"), ("feedback", "answer_id"), ("citations", "question_id")):
                self.execute(cursor, f"DELETE FROM {table} WHERE {column} IN ({old})", (before,))
            return self.execute(cursor, "DELETE FROM questions WHERE asked_at < ?", (before,)).rowcount

        return self._run(work)

    # --- reading ----------------------------------------------------------------------------------
    def snapshot(self, since: float | None = None) -> Snapshot:
        """The questions asked since `since` (all when None), with their citations, feedback, clicks."""
        return self._run(lambda cur: self._snapshot(cur, since), read_only=True)

    def _snapshot(self, cursor, since: float | None) -> Snapshot:
        start = -1.0 if since is None else since
        recent = "SELECT id FROM questions WHERE asked_at >= ?"
        cited: dict[str, list[Citation]] = {}
        for qid, *row in self.execute(cursor, "SELECT question_id, position, doc_id, title, url, score FROM citations "
                                      f"WHERE question_id IN ({recent}) ORDER BY question_id, position", (start,)):
            cited.setdefault(qid, []).append(Citation(int(row[0]), row[1], row[2], row[3], float(row[4])))
        questions = tuple(
            Question(r[0], float(r[1]), r[2], r[3], bool(r[4]), None if r[5] is None else float(r[5]), float(r[6]),
                     r[7], tuple(cited.get(r[0], ())))
            for r in self.execute(cursor, "SELECT id, asked_at, source, question, answered, top_score, latency_ms, "
                                  "index_version FROM questions WHERE asked_at >= ? ORDER BY asked_at, id", (start,)))
        feedback = tuple(Feedback(r[0], bool(r[1]), r[2], float(r[3])) for r in self.execute(
            cursor, f"SELECT answer_id, helpful, comment, given_at FROM feedback WHERE answer_id IN ({recent}) "
            "ORDER BY given_at", (start,)))
        clicks = tuple(Click(r[0], r[1], float(r[2]), int(r[3])) for r in self.execute(
            cursor, f"SELECT answer_id, url, clicked_at, position FROM clicks WHERE answer_id IN ({recent}) "
            "ORDER BY clicked_at", (start,)))
        ratings = tuple(Rating(r[0], r[1], r[2], r[3], int(r[4]), r[5], float(r[6])) for r in self.execute(
            cursor, "SELECT doc_id, title, visitor, day, stars, comment, rated_at FROM ratings WHERE rated_at >= ? "
            "ORDER BY rated_at", (start,)))
        return Snapshot(since, questions, feedback, clicks, ratings)

    def counts(self) -> dict[str, int]:
        """Rows per table (for benchmarks and checks)."""
        tables = ("questions", "citations", "feedback", "clicks", "ratings")
        return self._run(lambda cur: {t: int(self.execute(cur, f"SELECT COUNT(*) FROM {t}").fetchone()[0])
                                      for t in tables}, read_only=True)

    def close(self) -> None:
        try:
            self.connection.close()
        except self.errors:
            pass


class SQLiteStore(Store):
    errors = (sqlite3.Error,)

    def __init__(self, path: Path, busy_seconds: float = BUSY_SECONDS):
        self.location = str(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(path, timeout=busy_seconds, isolation_level=None, check_same_thread=False)
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=FULL")  # a commit is on disk before feedback is acknowledged
            connection.execute("PRAGMA foreign_keys=ON")
        except (sqlite3.Error, OSError) as exc:
            raise StoreUnavailable(f"cannot open the analytics store {path}: {_first_line(exc)} — check that "
                                   "data_dir is a writable folder") from exc
        super().__init__(connection)

    def begin(self, read_only: bool = False) -> None:
        # a write takes the lock at once, not half-way through; a read sees one snapshot (WAL: never blocks)
        self.connection.execute("BEGIN" if read_only else "BEGIN IMMEDIATE")


class PostgresStore(Store):
    MIGRATION_LOCK = 7_311_011  # any constant shared by every server of this product

    def __init__(self, url: str):
        try:
            import psycopg
        except ImportError as exc:
            raise AnalyticsError("database_url needs the PostgreSQL driver: pip install 'psycopg[binary]'") from exc
        self.errors = (psycopg.Error,)
        self.location = _redacted(url)
        try:
            connection = psycopg.connect(url, autocommit=False, **PG_TIMEOUTS)
        except psycopg.Error as exc:
            raise StoreUnavailable(f"cannot reach the analytics database {self.location}: {_first_line(exc)} — "
                                   "check database_url and that the server is running") from exc
        super().__init__(connection)

    def sql(self, text: str) -> str:
        return text.replace("?", "%s")

    def begin(self, read_only: bool = False) -> None:
        if read_only:  # every SELECT of a snapshot sees the same moment
            self.connection.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        # otherwise psycopg opens the transaction with the first statement

    def lock_for_migration(self, cursor) -> None:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", (self.MIGRATION_LOCK,))


def open_store(data_dir: Path, database_url: str | None = None, migrate: bool = True) -> Store:
    """The configured store, migrated to the latest schema (raises StoreUnavailable, SchemaTooNew)."""
    store = PostgresStore(database_url) if database_url else SQLiteStore(Path(data_dir) / SQLITE_NAME)
    if migrate:
        try:
            store.migrate()
        except AnalyticsError:
            store.close()
            raise
    return store


def _redacted(url: str) -> str:
    """The url without its password, for messages and logs."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return urlunsplit(parts._replace(netloc=netloc))
    return url


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
