"""`assistant report`, end to end as docs/insights.md says: serve the sample, ask 12 questions through
/search, give feedback, kill the server with SIGKILL, and read the report. Plus its pure parts."""

from __future__ import annotations

import csv
import json
import os
import signal
import socket
import subprocess
import sys
import time

import numpy as np
import pytest
from click.testing import CliRunner

from assistant.analytics import mask, parse_since
from assistant.analytics.export import safe_cell
from assistant.analytics.gaps import central, group_by_meaning
from assistant.cli import main
from conftest import KEPT_ENV

ANSWERED = ["How do I move from PMO analyst to PMO manager?",
            "How should I score projects to prioritise the portfolio?",
            "What should a weekly status report for executives include?", "What are stage gate criteria?",
            "How do we run a lessons learned session that sticks?", "How do I map stakeholders?"]
TRAVEL = ["How do I claim my travel expenses?", "How do I get my travel expenses paid back?",
          "How do I claim back money I spent on travel?"]
PARKING = ["Where can I park my car at the office?", "How do I get a parking permit for the office car park?",
           "Is there free car parking for employees at the office?"]


def serve(index_dir, data_dir, tmp_path) -> tuple[subprocess.Popen, str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_") or k in KEPT_ENV}  # the model cache
    env.update(HF_HUB_OFFLINE="1", ASSISTANT_DATA_DIR=str(data_dir))
    log = open(tmp_path / "serve.log", "wb")  # noqa: SIM115 (closed with the test's tmp_path)
    server = subprocess.Popen([sys.executable, "-m", "assistant", "serve", "--index", str(index_dir), "--port",
                               str(port)], stdout=log, stderr=subprocess.STDOUT, env=env, cwd=tmp_path)
    return server, f"http://127.0.0.1:{port}/"


def wait_until_up(server: subprocess.Popen, url: str, tmp_path, timeout: float = 180):
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert server.poll() is None, (tmp_path / "serve.log").read_text()[-2000:]
        try:
            if httpx.get(url + "gradio_api/info", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise AssertionError("assistant serve did not start:\n" + (tmp_path / "serve.log").read_text()[-2000:])


@pytest.mark.slow  # `assistant serve` as a subprocess, killed with SIGKILL
def test_report_after_questions_feedback_and_kill_9(sample_index, tmp_path):
    from gradio_client import Client

    data_dir = tmp_path / "data"
    server, url = serve(sample_index, data_dir, tmp_path)
    try:
        wait_until_up(server, url, tmp_path)
        client = Client(url, verbose=False)
        answers = {q: client.predict(q, 5, api_name="/search") for q in ANSWERED + TRAVEL + PARKING}
        assert all(answers[q]["answered"] for q in ANSWERED)
        assert not any(answers[q]["answered"] for q in TRAVEL + PARKING)
        client.predict(answers[ANSWERED[0]]["answer_id"], True, api_name="/feedback")
        client.predict(answers[ANSWERED[1]]["answer_id"], True, api_name="/feedback")
        client.predict(answers[ANSWERED[2]]["answer_id"], False, "Show a one-page template", api_name="/feedback")
        server.send_signal(signal.SIGKILL)  # right after the last acknowledgement
        server.wait(timeout=30)
    finally:
        if server.poll() is None:
            server.kill()

    result = CliRunner().invoke(main, ["report", "--json", "--since", "30d", "--csv", str(tmp_path / "csv")],
                                env={"ASSISTANT_DATA_DIR": str(data_dir)}, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["questions"], report["answered"], report["no_match"]) == (12, 6, 6)
    assert (report["helpful"], report["not_helpful"]) == (2, 1)
    gaps = [g for g in report["gaps"] if g["size"] == 3]
    assert len(gaps) == 2
    assert {frozenset(g["examples"]) for g in gaps} == {frozenset(TRAVEL), frozenset(PARKING)}
    assert all(g["question"] in g["examples"] and g["nearest_title"] and g["nearest_url"] for g in gaps)
    assert [g["size"] for g in report["gaps"]] == sorted((g["size"] for g in report["gaps"]), reverse=True)
    assert ANSWERED[2] in {q for g in report["gaps"] for q in g["examples"]}  # the 👎 one is a gap too
    complaint, = report["documents_with_complaints"]
    assert complaint["not_helpful"] == 1 and complaint["comments"][0]["comment"] == "Show a one-page template"
    assert "weekly status report" in complaint["title"].lower()
    assert sum(day["questions"] for day in report["per_day"].values()) == 12
    assert report["click_through_rate"] is None  # no question came from the chat page
    assert {row["question"] for row in csv.DictReader(open(tmp_path / "csv" / "questions.csv"))} == set(answers)

    text = CliRunner().invoke(main, ["report"], env={"ASSISTANT_DATA_DIR": str(data_dir)})
    assert text.exit_code == 0 and "Questions (since " in text.output and ": 12 · answered 6 · no match 6 (50%)" in text.output
    assert "Content gaps" in text.output and "How do I claim" in text.output


def test_report_without_a_log_says_what_to_do(tmp_path):
    result = CliRunner().invoke(main, ["report"], env={"ASSISTANT_DATA_DIR": str(tmp_path / "none")})
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: No question log at {tmp_path / 'none' / 'analytics.sqlite3'}: start "
                                    "`assistant serve`")
    assert not (tmp_path / "none").exists()
    bad = CliRunner().invoke(main, ["report", "--since", "last tuesday"], env={"ASSISTANT_DATA_DIR": str(tmp_path)})
    assert bad.exit_code == 1 and "use e.g. 30d, 12h, 2w, 2026-03-01 or all" in bad.output


def unit(angle_degrees: float) -> np.ndarray:
    angle = np.radians(angle_degrees)
    return np.array([np.cos(angle), np.sin(angle), 0.0], dtype=np.float32)


def test_grouping_by_meaning_is_a_pure_function_of_the_vectors():
    # two tight bundles (around 0° and 90°) and one loner (at 200°)
    vectors = np.stack([unit(0), unit(10), unit(-8), unit(90), unit(95), unit(200)])
    assert group_by_meaning(vectors, similarity=0.8) == [[0, 1, 2], [3, 4], [5]]
    assert group_by_meaning(vectors, similarity=0.8, weights=np.array([1, 1, 1, 5, 5, 1])) == [[3, 4], [0, 1, 2], [5]]
    assert group_by_meaning(vectors, similarity=-1.0) == [[0, 1, 2, 3, 4, 5]]  # everything is "similar enough"
    assert group_by_meaning(vectors[:1]) == [[0]] and group_by_meaning(vectors[:0]) == []
    assert central(vectors, [0, 1, 2])[0] == 0  # 0° sits between 10° and -8°


def test_rephrasings_of_a_missing_topic_group_together_with_the_real_model(embedder):
    vectors = embedder.embed(TRAVEL + PARKING + ["How do I book annual leave?"])
    groups = group_by_meaning(vectors)
    assert sorted(map(sorted, groups)) == [[0, 1, 2], [3, 4, 5], [6]]


@pytest.mark.parametrize("text, expected", [
    ("mail jo.bloggs+kb@example.co.uk now", "mail <email> now"),
    ("call +44 20 7946 0958 or (020) 7946-0958", "call <phone> or <phone>"),
    ("card 4111 1111 1111 1111, or 4111-1111-1111-1111", "card <number>, or <number>"),
    ("order 55512345 please", "order <phone> please"),
    ("ISO 21500 since 2026-03-02, v2.31, 3 projects, 1,000,000 budget", "ISO 21500 since 2026-03-02, v2.31, "
     "3 projects, 1,000,000 budget"),
])
def test_personal_details_are_masked(text, expected):
    assert mask(text) == expected


def test_periods_and_spreadsheet_safe_cells():
    now = 1_800_000_000.0
    assert parse_since("30d", now) == now - 30 * 86400 and parse_since("12h", now) == now - 12 * 3600
    assert parse_since("all", now) is None and parse_since("2026-03-01", now) == 1772323200.0
    assert safe_cell('=HYPERLINK("http://evil")') == '\'=HYPERLINK("http://evil")'
    assert safe_cell("@SUM(A1)") == "'@SUM(A1)" and safe_cell("plain") == "plain" and safe_cell(-3) == -3


def test_any_text_becomes_storable_and_masking_is_stable():
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from assistant.analytics.privacy import clean

    @settings(max_examples=300, deadline=None)
    @given(st.text(alphabet=st.characters(codec=None), max_size=200))
    def check(text):
        kept = mask(clean(text, 10_000))
        kept.encode("utf-8")  # no lone surrogates left
        assert "\x00" not in kept and mask(kept) == kept

    check()


def test_report_reads_a_postgresql_log(postgres_url):
    from assistant import NO_MATCH, Answer, Passage
    from assistant.analytics import QuestionLog, open_store

    nearest = Passage(title="Project financial tracking", url="https://help.example.org/kb/finance/", section="",
                      text="…", highlight="", score=0.3, source_type="article", doc_id="finance.md")
    log = QuestionLog(lambda: open_store(None, postgres_url))
    try:
        ids = [log.record(Answer(q, False, (nearest,), NO_MATCH), "api", 0.02, "v1") for q in TRAVEL]
        log.feedback(ids[0], False, "We need this")
    finally:
        log.close()
    result = CliRunner().invoke(main, ["report", "--json", "--since", "all"],
                                env={"ASSISTANT_DATABASE_URL": postgres_url})
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    # a 👎 on a no-match reply is that reply's "did not help", counted apart from answers' 👎
    assert (report["questions"], report["no_match"], report["not_helpful"]) == (3, 3, 0)
    assert report["refusal_did_not_help"] == 1
    assert [(g["size"], g["nearest_title"]) for g in report["gaps"]] == [(3, "Project financial tracking")]


def test_a_no_match_reply_that_did_not_help_is_counted_apart_from_answers_not_helpful():
    from assistant.analytics.records import Feedback, Question, Snapshot
    from assistant.analytics.report import build_report
    from assistant.analytics.text import report_text

    def asked(n: int, answered: bool) -> Question:
        return Question(f"{n:032x}", 1000.0 + n, "web", f"question {n}", answered, None, 5.0, None)

    questions = (asked(1, True), asked(2, True), asked(3, False), asked(4, False))
    votes = (Feedback(f"{1:032x}", True, "", 1), Feedback(f"{2:032x}", False, "", 1),
             Feedback(f"{3:032x}", False, "", 1))  # 3: "This did not help" under a no-match reply
    report = build_report(Snapshot(None, questions, votes), None, now=2000.0)
    assert (report.helpful, report.not_helpful, report.refusal_did_not_help) == (1, 1, 1)
    assert report.as_dict()["refusal_did_not_help"] == 1
    assert "not helpful 1 · no-match replies that did not help 1" in report_text(report)
