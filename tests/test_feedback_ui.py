""""Did this answer your question?" in a real Chromium: 👍, 👎 with a comment and a passage click are
each stored; the Insights tab shows the report behind the admin password, hostile feedback escaped."""

from __future__ import annotations

import time
from dataclasses import replace
from urllib.parse import urljoin

import pytest

from assistant import Assistant, Settings
from assistant.analytics import open_store
from conftest import ask_in_page, needs_browser, open_page, start_app
from ui.feedback import ASK, NOT_HELPED, NOTED, SENT, THANKS
from ui.insights import REFUSED

PASSWORD = "owner's secret"
HOSTILE = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=1</script> =HYPERLINK("http://evil")'


@pytest.fixture(scope="module")
def app(sample_index, embedder, tmp_path_factory):
    settings = Settings(index_dir=sample_index, admin_password=PASSWORD,
                        data_dir=tmp_path_factory.mktemp("feedback") / "data")
    demo, url = start_app(Assistant(settings, embedder=embedder), settings)
    yield demo, url, settings
    demo.close()


def stored(demo, settings: Settings, until, timeout: float = 30):
    """The store's snapshot once `until(snapshot)` holds (the log writes in the background)."""
    deadline = time.monotonic() + timeout
    while True:
        demo.web.feedback.log.flush()
        store = open_store(settings.analytics.data_dir)
        try:
            data = store.snapshot()
        finally:
            store.close()
        if until(data) or time.monotonic() > deadline:
            return data
        time.sleep(0.1)


def vote(page, turn: int, label: str):
    page.locator("#kb-chat .message-row").filter(has=page.locator(".kb-turn")).nth(turn) \
        .get_by_role("button", name=label, exact=True).click()


@needs_browser
@pytest.mark.browser
def test_votes_comment_and_click_are_stored(browser, app):
    demo, url, settings = app
    page = open_page(browser, url)
    page.context.route("https://help.example.org/**", lambda route: route.fulfill(body="the article"))
    first, _ = ask_in_page(page, "how do I move from PMO analyst to PMO manager?")
    assert ASK in page.locator("#kb-chat").inner_text()
    vote(page, 0, "Like")
    page.get_by_text(THANKS).wait_for(timeout=15_000)

    second, _ = ask_in_page(page, "How should I score projects to prioritise the portfolio?")
    vote(page, 1, "Dislike")
    box = page.locator("#kb-improve-text textarea")
    box.wait_for(timeout=15_000)
    assert "How can we improve this article?" in page.locator("#kb-improve").inner_text()
    assert "About: Scoring and ranking projects" in page.locator("#kb-improve").inner_text()
    box.fill("Add a worked example with weights, please. Mail me: jo@example.org")
    page.locator("#kb-improve-send").click()
    page.get_by_text(SENT).wait_for(timeout=15_000)

    link = second.locator(".kb-card a.kb-link").nth(1)  # the second card
    href = link.get_attribute("href")
    with page.context.expect_page() as opened:
        link.click()
    assert opened.value.url.startswith(urljoin(url, href.split("#")[0]))  # the link went straight to the article

    data = stored(demo, settings, lambda d: len(d.questions) == 2 and len(d.feedback) == 2 and d.clicks)
    asked = {q.question: q for q in data.questions}
    liked = asked["how do I move from PMO analyst to PMO manager?"]
    disliked = asked["How should I score projects to prioritise the portfolio?"]
    votes = {f.answer_id: f for f in data.feedback}
    assert votes[liked.id].helpful is True and votes[liked.id].comment == ""
    assert votes[disliked.id].helpful is False
    assert votes[disliked.id].comment == "Add a worked example with weights, please. Mail me: <email>"
    assert [(c.answer_id, c.position, c.url) for c in data.clicks] == [(disliked.id, 2, href)]
    assert liked.source == "web" and liked.answered and liked.citations[0].title.startswith("From PMO analyst")
    page.close()


@needs_browser
@pytest.mark.browser
def test_insights_tab_needs_the_password_and_escapes_feedback(browser, app):
    demo, url, settings = app
    log = demo.web.feedback.log
    from assistant import NO_MATCH, Answer, Passage

    evil = Passage(title="Stage gates", url="https://help.example.org/kb/stage-gate-governance/", section="",
                   text="…", highlight="", score=0.62, source_type="article", doc_id="articles/stage-gate-governance.md")
    answer_id = log.record(Answer(f"stage gates {HOSTILE}", True, (evil,), None), "api", 0.02, None)
    log.feedback(answer_id, False, HOSTILE)
    log.record(Answer(f"where do I park {HOSTILE}", False, (evil,), NO_MATCH), "api", 0.02, None)

    page = open_page(browser, url)
    page.locator("#kb-admin").get_by_text("Admin").first.click()
    page.get_by_role("tab", name="Insights").click()
    page.locator("#kb-admin-password input").fill("guess")
    page.locator("#kb-insights-show").click()
    page.get_by_text(REFUSED).wait_for(timeout=15_000)
    assert page.locator("#kb-insights-gaps table").count() == 0

    page.locator("#kb-admin-password input").fill(PASSWORD)
    page.locator("#kb-insights-show").click()
    page.locator("#kb-insights-gaps table").wait_for(timeout=60_000)
    figures = page.locator("#kb-insights-figures").inner_text()
    assert "Questions" in figures and "No match" in figures and "Not helpful" in figures
    complaints = page.locator("#kb-insights-complaints")
    assert HOSTILE in complaints.inner_text() and "Stage gates" in complaints.inner_text()
    assert HOSTILE in page.locator("#kb-insights-gaps").inner_text()
    insights = page.locator("#kb-admin")
    assert insights.locator("img[src=x], script, [onerror]").count() == 0
    page.wait_for_timeout(300)
    assert page.evaluate("window.__pwned") is None
    assert page.locator("#kb-insights-asked canvas, #kb-insights-asked svg").count() >= 1
    links = page.locator("#kb-insights-csv a[download]")
    names = {links.nth(i).get_attribute("download") for i in range(links.count())}
    assert {"questions.csv", "gaps.csv", "complaints.csv", "documents.csv", "per_day.csv"} <= names
    questions_csv = next(links.nth(i).get_attribute("href") for i in range(links.count())
                         if links.nth(i).get_attribute("download") == "questions.csv")
    assert HOSTILE.replace('"', '""') in page.request.get(questions_csv).text()
    page.close()


def test_without_logging_the_chat_has_no_feedback_and_search_no_answer_id(sample_index, embedder, tmp_path):
    from gradio_client import Client

    settings = Settings(index_dir=sample_index, log_questions=False, data_dir=tmp_path / "data")
    demo, url = start_app(Assistant(settings, embedder=embedder), settings)
    try:
        client = Client(url, verbose=False)
        assert "answer_id" not in client.predict("stage gate criteria", 3, api_name="/search")
        endpoints = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
        assert "/search" in endpoints and not any("feedback" in name for name in endpoints)
        assert not (tmp_path / "data").exists()  # nothing written, not even an empty store
    finally:
        demo.close()


def test_logging_on_by_default_is_off_with_the_setting(tmp_path):
    assert Settings().analytics.log_questions is True
    assert replace(Settings(), log_questions=False).analytics.log_questions is False


def test_the_improvement_prompt_names_the_sources_kind():
    from ui.feedback import improve_prompt

    assert improve_prompt("article") == "How can we improve this article?"
    assert improve_prompt("transcript") == "How can we improve this recording?"
    assert improve_prompt("deck") == "How can we improve this slide deck?"
    assert improve_prompt("something new") == "How can we improve this article?"


@needs_browser
@pytest.mark.browser
def test_no_match_has_its_own_signal_and_bubbles_are_named_in_plain_text(browser, app):
    demo, url, settings = app
    page = open_page(browser, url)
    page.locator("#kb-question textarea").fill("How do I claim my travel expenses?")
    page.locator("#kb-question textarea").press("Enter")
    turn = page.locator("#kb-chat .kb-no-match")
    turn.wait_for(timeout=60_000)
    row = page.locator("#kb-chat .message-row").filter(has=page.locator(".kb-no-match"))
    assert row.get_by_role("button", name="Like", exact=True).count() == 0
    assert row.get_by_role("button", name="Dislike", exact=True).count() == 0
    # Every bubble's accessible name is plain text: the role, then the words, no markup.
    names = page.eval_on_selector_all("#kb-chat [aria-label*=\"'s message: \"]",
                                      "els => els.map((el) => el.getAttribute('aria-label'))")
    assert names and all("<" not in name for name in names), names
    snapshot = page.locator("#kb-chat").aria_snapshot()
    assert "<" not in snapshot and "did not help" in snapshot.lower(), snapshot
    turn.get_by_role("link", name=NOT_HELPED).click()
    page.get_by_text(NOTED).wait_for(timeout=15_000)
    travel = "How do I claim my travel expenses?"
    data = stored(demo, settings, lambda d: any(q.question == travel and q.id in {f.answer_id for f in d.feedback}
                                                for q in d.questions))
    refused = [q for q in data.questions if q.question == travel]
    assert refused and not refused[0].answered
    assert [f.helpful for f in data.feedback if f.answer_id == refused[0].id] == [False]
    page.close()


def test_did_not_help_is_kept_only_for_a_no_match_reply_this_server_showed(tmp_path):
    from assistant import NO_MATCH, Answer, Passage
    from ui.feedback import ChatFeedback

    nearest = Passage(title="Project financial tracking", url="https://help.example.org/kb/finance/", section="",
                      text="…", highlight="", score=0.3, source_type="deck", doc_id="finance.pdf")
    feedback = ChatFeedback(Settings(data_dir=tmp_path / "data"))
    try:
        def logged(answer):  # as the Door logs an answer of the chat, and tells the chat's feedback
            answer_id = feedback.log.record(answer, "web", 0.01, "v1")
            feedback.remember(answer_id, answer, "web")
            return answer_id

        missed = logged(Answer("travel expenses?", False, (nearest,), NO_MATCH))
        found = logged(Answer("finance?", True, (nearest,), None))
        assert "kb-not-helped" in feedback.reply("<p>none</p>", missed, answered=False)
        assert "kb-not-helped" not in feedback.reply("<p>cards</p>", found) and ASK in feedback.reply("", found)
        assert feedback.did_not_help(found) is False  # an answer has 👍 / 👎 instead
        assert feedback.did_not_help("0" * 32) is False and feedback.did_not_help(None) is False
        assert feedback.did_not_help(missed) is True
        assert feedback._titles[found] == ("Project financial tracking", "deck")
    finally:
        feedback.log.close()
    store = open_store(tmp_path / "data")
    try:
        assert [(f.answer_id, f.helpful) for f in store.snapshot().feedback] == [(missed, False)]
    finally:
        store.close()
