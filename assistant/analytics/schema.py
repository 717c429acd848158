"""The store's tables, as numbered migrations. `schema_version` records each one applied; a store
opened by a newer assistant is migrated forward in one transaction at start, and a store written by
a newer assistant than this one is refused (SchemaTooNew) rather than guessed at.

The SQL is the common ground of SQLite and PostgreSQL: TEXT, INTEGER, BOOLEAN, DOUBLE PRECISION,
and text ids (uuid4 hex), so both backends run the same statements.
"""

from __future__ import annotations

VERSION_TABLE = """CREATE TABLE IF NOT EXISTS schema_version (
    version INTEGER PRIMARY KEY, applied_at DOUBLE PRECISION NOT NULL, description TEXT NOT NULL)"""

# (version, description, statements)
MIGRATIONS: tuple[tuple[int, str, tuple[str, ...]], ...] = (
    (1, "questions, their citations, and feedback", (
        """CREATE TABLE questions (
            id TEXT PRIMARY KEY,
            asked_at DOUBLE PRECISION NOT NULL,
            source TEXT NOT NULL,
            question TEXT NOT NULL,
            answered BOOLEAN NOT NULL,
            top_score DOUBLE PRECISION,
            latency_ms DOUBLE PRECISION NOT NULL,
            index_version TEXT)""",
        """CREATE TABLE citations (
            question_id TEXT NOT NULL REFERENCES questions (id) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            doc_id TEXT NOT NULL,
            title TEXT NOT NULL,
            url TEXT NOT NULL,
            score DOUBLE PRECISION NOT NULL,
            PRIMARY KEY (question_id, position))""",
        """CREATE TABLE feedback (
            answer_id TEXT PRIMARY KEY REFERENCES questions (id) ON DELETE CASCADE,
            helpful BOOLEAN NOT NULL,
            comment TEXT NOT NULL DEFAULT '',
            given_at DOUBLE PRECISION NOT NULL)""",
    )),
    (2, "passage clicks; indexes for reports and retention", (
        """CREATE TABLE clicks (
            id TEXT PRIMARY KEY,
            answer_id TEXT NOT NULL REFERENCES questions (id) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            url TEXT NOT NULL,
            clicked_at DOUBLE PRECISION NOT NULL)""",
        "CREATE INDEX clicks_answer ON clicks (answer_id)",
        "CREATE INDEX questions_asked_at ON questions (asked_at)",
    )),
    (3, "article ratings from the reader: one per visitor, article and day", (
        """CREATE TABLE ratings (
            doc_id TEXT NOT NULL,
            visitor TEXT NOT NULL,
            day TEXT NOT NULL,
            title TEXT NOT NULL,
            stars INTEGER NOT NULL,
            comment TEXT NOT NULL DEFAULT '',
            rated_at DOUBLE PRECISION NOT NULL,
            PRIMARY KEY (doc_id, visitor, day))""",
        "CREATE INDEX ratings_rated_at ON ratings (rated_at)",
    )),
)
LATEST = MIGRATIONS[-1][0]


def pending(current: int, upto: int = LATEST) -> list[tuple[int, str, tuple[str, ...]]]:
    """The migrations after `current`, up to and including `upto`, in order."""
    return [m for m in MIGRATIONS if current < m[0] <= upto]
