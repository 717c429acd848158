"""The `/search` API through gradio_client, as a program would call it: same JSON as `ask --json`."""

from __future__ import annotations

import re

import pytest
from conftest import start_app
from gradio_client import Client
from gradio_client.exceptions import AppError

from assistant import NO_MATCH, Assistant, Settings
from assistant.answer.addresses import absolute_answer

PASSAGE_KEYS = {"title", "url", "section", "text", "highlight", "score", "source_type", "start_seconds",
                "end_seconds", "page", "doc_id", "passage_start_seconds", "passage_end_seconds", "exchange", "rank_score",
                "confidence"}


def start(assistant: Assistant):
    """The app on a free local port: (demo, client)."""
    demo, url = start_app(assistant)
    return demo, Client(url, verbose=False)


@pytest.fixture(scope="module")
def served(sample_index, embedder):
    assistant = Assistant(Settings(index_dir=sample_index), embedder=embedder)
    demo, client = start(assistant)
    yield assistant, client
    demo.close()


def test_search_returns_the_cli_json_with_the_right_article_first(served):
    assistant, client = served
    question = "How do I move from PMO analyst to PMO manager?"
    result = client.predict(question, 5, api_name="/search")
    assert set(result) == {"question", "answered", "kind", "message", "searched_for", "passages", "more", "answer_id"}
    assert re.fullmatch(r"[0-9a-f]{32}", result.pop("answer_id"))  # logging is on by default
    assert result["question"] == question and result["answered"] is True and result["message"] is None
    assert 1 <= len(result["passages"]) <= 5
    assert all(set(p) == PASSAGE_KEYS for p in result["passages"])
    first = result["passages"][0]
    base = client.src.rstrip("/")  # links leave the page absolute: the request's own base
    assert first["url"].startswith(base + "/read/articles/pmo-analyst-to-pmo-manager.md")
    assert result == absolute_answer(assistant.ask(question, top_k=5).as_dict(), base)
    earlier = "How should I score projects to prioritise the portfolio?"
    follow = client.predict("how often should we redo that?", 3, [earlier], api_name="/search")
    assert follow.pop("answer_id")
    assert follow["searched_for"] and follow == absolute_answer(
        assistant.ask("how often should we redo that?", 3, previous=[earlier]).as_dict(), base)


def test_search_honours_top_k_and_reports_no_match(served):
    _, client = served
    two = client.predict("stage gate criteria", 2, api_name="/search")
    assert len(two["passages"]) + len(two["more"]) == 2
    off_topic = client.predict("what's a good recipe for banana bread?", 5, api_name="/search")
    assert off_topic["answered"] is False and off_topic["kind"] == "no_match" and off_topic["message"].startswith(NO_MATCH) and off_topic["passages"]


def test_search_refuses_an_over_long_question(served):
    _, client = served
    result = client.predict("x" * 5000, 5, api_name="/search")
    assert result["answered"] is False and result["passages"] == [] and "the limit is 2,000" in result["message"]


def test_only_search_and_feedback_are_in_the_api(served):
    _, client = served
    named = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    assert set(named) == {"/search", "/feedback"}  # the MCP tools are served apart (ui/mcp.py)


def test_feedback_is_stored_and_bad_feedback_refused_with_a_reason(served):
    _, client = served
    answer_id = client.predict("stage gate criteria", 3, api_name="/search")["answer_id"]
    stored = client.predict(answer_id, False, "Say who signs off <b>each</b> gate", api_name="/feedback")
    assert stored == {"answer_id": answer_id, "helpful": False, "comment": "Say who signs off <b>each</b> gate",
                      "stored": True}
    for args, reason in [(("0" * 32, True, ""), "No answer with answer_id 000"),
                         (("nope", True, ""), "32 hex characters"),
                         ((answer_id, "maybe", ""), "helpful must be true or false"),
                         ((answer_id, False, "x" * 2001), "the limit is 2,000")]:
        with pytest.raises(AppError, match=reason):
            client.predict(*args, api_name="/feedback")


def test_documents_without_a_url_are_served_by_the_app_as_inert_text(build, tmp_path, embedder):
    import urllib.error
    import urllib.request

    content = tmp_path / "plain"
    content.mkdir()
    (content / "notes.md").write_text("# Meeting notes\n\n<script>alert(1)</script> Minutes of the PMO board.\n")
    assistant = Assistant(build(content), embedder=embedder)
    demo, client = start(assistant)
    try:
        url = assistant.ask("PMO board minutes").passages[0].url
        assert url.startswith("/read/notes.md")  # the reader; the raw file stays at /source/
        url = "/source/notes.md"
        base = client.src.rstrip("/")
        with urllib.request.urlopen(base + url) as response:
            assert response.headers["Content-Type"].startswith("text/plain")
            assert response.headers["X-Content-Type-Options"] == "nosniff"
            assert "sandbox" in response.headers["Content-Security-Policy"]
            assert b"<script>alert(1)</script>" in response.read()
        for bad in ("/source/../../etc/passwd", "/source/%2e%2e/%2e%2e/etc/passwd", "/source/other.md"):
            with pytest.raises(urllib.error.HTTPError) as error:
                urllib.request.urlopen(base + bad)
            assert error.value.code == 404
    finally:
        demo.close()
