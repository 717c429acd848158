"""The question log's store, the same tests on SQLite and on a real PostgreSQL (initdb + pg_ctl)."""

from __future__ import annotations

import logging
import sqlite3
import time

import pytest

from assistant import NO_MATCH, Answer, Passage, Settings
from assistant.analytics import FeedbackRefused, QuestionLog, SchemaTooNew, StoreUnavailable, open_store
from assistant.analytics.records import Click, Feedback, Question
from assistant.analytics.store import SQLITE_NAME, SQLiteStore

HOSTILE = ("<script>alert(1)</script>", "'); DROP TABLE feedback; --", "a\x00b", "lone \ud800 surrogate",
           "Robert'); DELETE FROM questions WHERE ('1'='1")


def passage(title: str, url: str, score: float) -> Passage:
    return Passage(title=title, url=url, section="", text="…", highlight="", score=score, source_type="article",
                   doc_id=url.rsplit("/", 1)[-1] + ".md")


def answer(question: str, answered: bool = True) -> Answer:
    passages = (passage("Stage gates", "https://kb.example.org/gates", 0.71),
                passage("Risk registers", "https://kb.example.org/risks", 0.52))
    return Answer(question, answered, passages, None if answered else NO_MATCH)


def open_log(settings: Settings, **kwargs) -> QuestionLog:
    return QuestionLog(lambda: open_store(settings.analytics.data_dir, settings.analytics.database_url), **kwargs)


@pytest.fixture()
def log(store_settings):
    question_log = open_log(store_settings)
    yield question_log
    question_log.close()


def snapshot(settings: Settings):
    store = open_store(settings.analytics.data_dir, settings.analytics.database_url)
    try:
        return store.snapshot()
    finally:
        store.close()


def test_questions_feedback_and_clicks_are_stored(store_settings, log):
    first = log.record(answer("Email jo@example.org about stage gates"), "web", 0.0213, "v1")
    second = log.record(answer("banana bread?", answered=False), "api", 0.019, "v1")
    assert log.click(first, "https://kb.example.org/risks")
    assert log.click(first, "https://elsewhere.example.org/")  # queued, but not a citation: not stored
    stored = log.feedback(first, False, "Call me on 07700 900123, the gate criteria are missing")
    assert stored.comment == "Call me on <phone>, the gate criteria are missing"
    log.feedback(second, True)
    log.feedback(first, False)  # a later vote without a comment keeps the comment
    assert log.flush()
    data = snapshot(store_settings)
    by_id = {q.id: q for q in data.questions}
    assert by_id[first].question == "Email <email> about stage gates" and by_id[first].source == "web"
    assert by_id[first].answered and by_id[first].top_score == pytest.approx(0.71)
    assert by_id[first].latency_ms == pytest.approx(21.3) and by_id[first].index_version == "v1"
    assert [(c.position, c.title) for c in by_id[first].citations] == [(1, "Stage gates"), (2, "Risk registers")]
    assert by_id[second].answered is False and by_id[second].source == "api"
    assert [(c.answer_id, c.position) for c in data.clicks] == [(first, 2)]
    votes = {f.answer_id: f for f in data.feedback}
    assert votes[first].helpful is False and "gate criteria are missing" in votes[first].comment
    assert votes[second].helpful is True and votes[second].comment == ""


def test_feedback_for_an_unknown_answer_or_bad_input_is_refused(log):
    with pytest.raises(FeedbackRefused, match="No answer with answer_id 0123"):
        log.feedback("0123456789abcdef0123456789abcdef", True)
    with pytest.raises(FeedbackRefused, match="32 hex characters"):
        log.feedback("not-an-id", True)
    answer_id = log.record(answer("q"), "api", 0.01, None)
    with pytest.raises(FeedbackRefused, match="helpful must be true or false"):
        log.feedback(answer_id, "yes")
    with pytest.raises(FeedbackRefused, match="the limit is 2,000"):
        log.feedback(answer_id, False, "x" * 1_000_000)
    with pytest.raises(FeedbackRefused, match="must be text"):
        log.feedback(answer_id, False, {"comment": 1})


def test_hostile_feedback_is_stored_as_plain_text(store_settings, log):
    ids = [log.record(answer(text), "web", 0.01, None) for text in HOSTILE]
    for answer_id, text in zip(ids, HOSTILE):
        log.feedback(answer_id, False, text)
    data = snapshot(store_settings)
    comments = {f.answer_id: f.comment for f in data.feedback}
    assert comments[ids[0]] == HOSTILE[0] and comments[ids[1]] == HOSTILE[1] and comments[ids[4]] == HOSTILE[4]
    assert comments[ids[2]] == "ab" and comments[ids[3]] == "lone ? surrogate"
    assert len(data.questions) == len(HOSTILE)  # nothing dropped, nothing injected


def test_refused_questions_are_not_logged(log):
    refused = Answer("x" * 3000, False, (), "Your question is 3,000 characters long; the limit is 2,000.")
    assert log.record(refused, "web", 0.001, None) is None


def test_retention_deletes_old_questions_with_their_feedback(store_settings):
    now = time.time()
    store = open_store(store_settings.analytics.data_dir, store_settings.analytics.database_url)
    try:
        old = Question("a" * 32, now - 200 * 86400, "web", "old", True, 0.5, 10.0, None, answer("x").passages and ())
        new = Question("b" * 32, now - 10 * 86400, "web", "new", True, 0.5, 10.0, None)
        store.write([old, new, Feedback(old.id, False, "stale", now), Click(old.id, "u", now)])
    finally:
        store.close()
    log = open_log(store_settings, retention_days=180)  # deletes at start
    try:
        deadline = time.monotonic() + 30
        while [q.id for q in snapshot(store_settings).questions] != [new.id] and time.monotonic() < deadline:
            time.sleep(0.05)
        data = snapshot(store_settings)
        assert [q.id for q in data.questions] == [new.id] and data.feedback == ()
    finally:
        log.close()


def test_an_older_store_is_migrated_at_start(store_settings):
    store = open_store(store_settings.analytics.data_dir, store_settings.analytics.database_url, migrate=False)
    try:
        assert store.migrate(upto=1) == (0, 1)
        store.write([Question("c" * 32, time.time(), "web", "kept across the upgrade", False, 0.2, 5.0, "v0")])
    finally:
        store.close()
    store = open_store(store_settings.analytics.data_dir, store_settings.analytics.database_url)  # migrates 1 → 2 → 3
    try:
        assert store.version() == 3
        assert [q.question for q in store.snapshot().questions] == ["kept across the upgrade"]
        assert store.counts()["clicks"] == store.counts()["ratings"] == 0  # the tables versions 2 and 3 added
        assert store.migrate() == (3, 3)  # idempotent
    finally:
        store.close()


def test_a_store_from_a_newer_assistant_is_refused(store_settings):
    store = open_store(store_settings.analytics.data_dir, store_settings.analytics.database_url)
    try:
        store.write([])
        store._run(lambda cur: store.execute(cur, "INSERT INTO schema_version VALUES (?, ?, ?)", (99, 0.0, "future")))
    finally:
        store.close()
    with pytest.raises(SchemaTooNew, match="schema version 99, newer than this assistant's 3: upgrade"):
        open_store(store_settings.analytics.data_dir, store_settings.analytics.database_url)


def test_a_locked_store_never_blocks_a_question_and_logs_once(tmp_path, caplog):
    settings = Settings(data_dir=tmp_path / "data")
    open_store(settings.analytics.data_dir).close()
    blocker = sqlite3.connect(settings.analytics.data_dir / SQLITE_NAME, isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")  # another program holds the write lock
    log = QuestionLog(lambda: SQLiteStore(settings.analytics.data_dir / SQLITE_NAME, busy_seconds=0.05))
    try:
        with caplog.at_level(logging.WARNING, logger="assistant.analytics.recorder"):
            started = time.perf_counter()
            ids = [log.record(answer(f"question {n}"), "web", 0.01, None) for n in range(20)]
            assert time.perf_counter() - started < 0.5 and all(ids)
            with pytest.raises(StoreUnavailable, match="please try again"):
                log.feedback(ids[0], True)
            deadline = time.monotonic() + 30
            while log.stats.failures < 3 and time.monotonic() < deadline:
                time.sleep(0.05)
        warnings = [r.getMessage() for r in caplog.records if "could not write" in r.getMessage()]
        assert log.stats.failures >= 3 and len(warnings) == 1 and "database is locked" in warnings[0]
        blocker.execute("ROLLBACK")  # the lock is released: the retried questions are written
        assert log.flush()
        deadline = time.monotonic() + 30
        while len(snapshot(settings).questions) < 20 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(snapshot(settings).questions) == 20
    finally:
        blocker.close()
        log.close()


def test_a_full_store_drops_questions_but_not_answers(tmp_path, caplog):
    path = tmp_path / "data" / SQLITE_NAME
    open_store(path.parent).close()

    def full_store():
        store = SQLiteStore(path)
        pages = store.connection.execute("PRAGMA page_count").fetchone()[0]
        store.connection.execute(f"PRAGMA max_page_count = {pages}")  # "database or disk is full"
        return store

    log = QuestionLog(full_store)
    try:
        with caplog.at_level(logging.WARNING, logger="assistant.analytics.recorder"):
            ids = [log.record(answer("a long question " * 200), "web", 0.01, None) for _ in range(5)]
            assert all(ids)
            deadline = time.monotonic() + 30
            while log.stats.dropped < 5 and time.monotonic() < deadline:
                time.sleep(0.05)
        assert log.stats.dropped == 5
        warnings = [r.getMessage() for r in caplog.records if "could not write" in r.getMessage()]
        assert len(warnings) == 1 and "full" in warnings[0]
    finally:
        log.close()


def test_an_unreachable_database_never_blocks_a_question(tmp_path, caplog):
    url = f"postgresql://postgres@/analytics?host={tmp_path}"  # no server listens there
    log = QuestionLog(lambda: open_store(tmp_path, url))
    try:
        with caplog.at_level(logging.WARNING, logger="assistant.analytics.recorder"):
            started = time.perf_counter()
            assert all(log.record(answer("q"), "api", 0.01, None) for _ in range(10))
            assert time.perf_counter() - started < 0.5
            deadline = time.monotonic() + 30
            while log.stats.failures < 2 and time.monotonic() < deadline:
                time.sleep(0.05)
        warnings = [r.getMessage() for r in caplog.records if "could not write" in r.getMessage()]
        assert len(warnings) == 1 and "cannot reach the analytics database" in warnings[0]
    finally:
        log.close(timeout=1)


def test_log_settings_from_the_file_and_environment(tmp_path):
    from pathlib import Path

    from assistant.config import SettingsError, load_settings

    defaults = load_settings(env={})
    assert (defaults.analytics.log_questions, defaults.analytics.retention_days, defaults.analytics.data_dir, defaults.analytics.database_url) == (
        True, 180, Path(".assistant/data"), None)
    (tmp_path / "assistant.toml").write_text('log_questions = false\nretention_days = 30\ndata_dir = "kb-data"\n')
    settings = load_settings(env={"ASSISTANT_DATABASE_URL": "postgresql://kb@db.internal/help"})
    assert (settings.analytics.log_questions, settings.analytics.retention_days, settings.analytics.data_dir) == (False, 30, Path("kb-data"))
    assert settings.analytics.database_url == "postgresql://kb@db.internal/help"
    assert load_settings(env={"ASSISTANT_LOG_QUESTIONS": "yes"}).analytics.log_questions is True
    with pytest.raises(SettingsError, match="log_questions"):
        load_settings(env={"ASSISTANT_LOG_QUESTIONS": "sometimes"})
    with pytest.raises(SettingsError, match="database_url must start with postgresql://"):
        load_settings(env={"ASSISTANT_DATABASE_URL": "mysql://x"})
    with pytest.raises(SettingsError, match="retention_days must be 0"):
        load_settings(env={"ASSISTANT_RETENTION_DAYS": "-1"})


def test_a_failure_warning_is_logged_at_most_once_a_minute(caplog):
    from assistant.analytics.recorder import Throttled

    now = [1000.0]
    throttled = Throttled(logging.getLogger("fake-clock-test"), clock=lambda: now[0])  # a fake clock, named so
    with caplog.at_level(logging.WARNING, logger="fake-clock-test"):
        assert throttled.warning("store down")
        for step in range(5):
            now[0] += 10
            assert not throttled.warning("store down")
        now[0] += 15  # 65 s after the first
        assert throttled.warning("store down")
    assert [r.getMessage() for r in caplog.records] == ["store down", "store down (5 more in the last minute not logged)"]
