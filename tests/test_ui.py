"""The web UI in a real Chromium, over the real model and the sample index.

Browser tests are skipped only when /usr/bin/chromium is absent (CI installs it).
The Enter→answer latency is printed and written to bench/results/ui/ui_latency.txt; a screenshot of a
real answer goes to bench/results/ui/screenshot.png (ignored by git; `make screenshot` copies it to
docs/screenshot.png, the README's picture).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from conftest import ask_in_page, needs_browser, open_page, start_app

from assistant import NO_MATCH, Answer, Assistant, Passage, Settings, load_settings
from assistant.answer.links import clock
from assistant.config import SAMPLE_KB
from ui.render import answer_html, header_html, passage_card

OUT = Path(__file__).resolve().parent.parent / "bench" / "results" / "ui"
PAYLOAD = '<script>window.__pwned=1</script> <img src=x onerror="window.__pwned=1">'
LATENCIES: list[float] = []


@pytest.fixture(scope="module")
def assistant(sample_index, embedder) -> Assistant:
    face = load_settings(SAMPLE_KB / "assistant.toml", env={})  # the sample's face, as `make serve` uses it
    return Assistant(replace(face, index_dir=sample_index), embedder=embedder)


@pytest.fixture(scope="module")
def app_url(assistant):
    demo, url = start_app(assistant)
    yield url
    demo.close()


@pytest.fixture(scope="module", autouse=True)
def _report_latency():
    yield
    if LATENCIES:
        line = (f"Enter→answer in the browser: median {sorted(LATENCIES)[len(LATENCIES) // 2]:.2f} s, "
                f"max {max(LATENCIES):.2f} s over {len(LATENCIES)} questions")
        print("\n" + line)
        OUT.mkdir(parents=True, exist_ok=True)
        (OUT / "ui_latency.txt").write_text(line + "\n", encoding="utf-8")


def ask(page, question: str):
    """Type a question, press Enter, wait for the new answer; returns its element."""
    answer, elapsed = ask_in_page(page, question)
    LATENCIES.append(elapsed)
    print(f"\nEnter→answer {elapsed:.2f} s: {question[:70]}")
    return answer


@needs_browser
@pytest.mark.browser
def test_answer_cites_the_article_with_its_link(browser, app_url, sample_index, embedder):
    page = open_page(browser, app_url)
    expect_header = page.locator("#kb-header").inner_text()
    assert "34 articles, 2 slide decks and 4 sessions" in expect_header and "last rebuilt" in expect_header
    answer = ask(page, "how do I move from PMO analyst to PMO manager?")
    first = answer.locator(".kb-card").first
    assert "PMO analyst to PMO manager" in first.locator(".kb-title").inner_text()
    link = first.locator("a.kb-link")
    assert link.get_attribute("href").startswith("/read/articles/pmo-analyst-to-pmo-manager.md")
    assert link.get_attribute("target") == "_blank" and "noopener" in link.get_attribute("rel")
    expected = Assistant(Settings(index_dir=sample_index), embedder).ask("how do I move from PMO analyst to PMO manager?")
    assert first.locator("mark").count() == (1 if expected.passages[0].highlight else 0)  # shown only when sure
    OUT.mkdir(parents=True, exist_ok=True)
    page.wait_for_timeout(400)  # let the chat finish scrolling the new question into place
    page.screenshot(path=str(OUT / "screenshot.png"), full_page=False)
    page.close()


@needs_browser
@pytest.mark.browser
def test_transcript_answer_links_to_the_cue(browser, app_url, assistant):
    question = "how did the hospital PMO get consultants to turn up to project board meetings?"
    expected = next(p for p in assistant.ask(question).passages if p.source_type == "transcript")
    page = open_page(browser, app_url)
    answer = ask(page, question)
    times = answer.locator("a.kb-time")
    assert times.count() >= 1
    first = times.first
    assert first.inner_text().strip() == f"▶ {clock(expected.start_seconds)}"
    assert first.get_attribute("href") == expected.url
    assert first.get_attribute("href").endswith(f"#t={int(expected.start_seconds)}")
    page.close()


@needs_browser
@pytest.mark.browser
def test_one_relevant_passage_shows_one_card_and_the_rest_behind_more_results(browser, app_url, assistant):
    question = "what is a brag file and how often should I add to it"
    expected = assistant.ask(question)
    assert len(expected.passages) == 1 and expected.more
    page = open_page(browser, app_url)
    answer = ask(page, question)
    assert answer.locator(".kb-card").count() == 1
    highlight = expected.passages[0].highlight  # "Add to it every Friday…", when the choice is sure
    assert answer.locator(".kb-card mark").count() == (1 if highlight else 0)
    assert not highlight or answer.locator(".kb-card mark").inner_text() == highlight
    more = answer.locator("details.kb-more")
    assert more.locator("summary").inner_text() == f"More results ({len(expected.more)})"
    assert not more.locator(".kb-nearest").is_visible()  # closed until asked for
    more.locator("summary").click()
    assert more.locator(".kb-nearest a").count() == len(expected.more)
    page.close()


@needs_browser
@pytest.mark.browser
def test_a_workplace_question_outside_the_knowledge_base_is_refused_with_the_nearest_articles(browser, app_url):
    page = open_page(browser, app_url)
    answer = ask(page, "where can I see this week's canteen menu?")
    assert NO_MATCH in answer.inner_text() and answer.locator(".kb-card").count() == 0
    assert answer.locator(".kb-nearest a").count() >= 1
    page.close()


@needs_browser
@pytest.mark.browser
def test_off_topic_question_says_no_match(browser, app_url):
    page = open_page(browser, app_url)
    answer = ask(page, "what's a good recipe for banana bread?")
    assert NO_MATCH in answer.inner_text()
    assert answer.locator(".kb-nearest a").count() >= 1
    assert "nearest articles are below" in answer.inner_text() and "rephras" not in answer.inner_text().lower()
    page.close()


@needs_browser
@pytest.mark.browser
def test_follow_up_keeps_history_and_examples_ask(browser, app_url):
    page = open_page(browser, app_url)
    ask(page, "How should I score projects to prioritise the portfolio?")
    ask(page, "and how do we plan capacity for it?")
    answers = page.locator("#kb-chat .kb-answer")
    assert answers.count() == 2
    assert "portfolio-prioritisation-scoring" in answers.nth(0).inner_html()
    page.get_by_role("button", name="How did the hospital PMO get clinicians to attend project boards?").click()
    answers.nth(2).wait_for(timeout=30_000)
    assert answers.nth(2).locator("a.kb-time").count() >= 1
    page.close()


@needs_browser
@pytest.mark.browser
def test_narrow_screen_stacks_cards_without_horizontal_scroll(browser, app_url):
    page = open_page(browser, app_url, width=375, height=740)
    answer = ask(page, "how do I move from PMO analyst to PMO manager?")
    boxes = answer.evaluate("a => [...a.querySelectorAll('.kb-card')].map(c => c.getBoundingClientRect().toJSON())")
    assert len(boxes) >= 2
    assert all(a["bottom"] <= b["top"] + 1 and a["left"] == b["left"] for a, b in zip(boxes, boxes[1:]))
    assert all(box["right"] <= 375 for box in boxes)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.close()


@needs_browser
@pytest.mark.browser
def test_over_long_question_is_refused(browser, app_url):
    page = open_page(browser, app_url)
    answer = ask(page, "why " * 600)
    assert "the limit is 2,000" in answer.inner_text()
    assert answer.locator(".kb-card").count() == 0
    page.close()


def hostile_content(root: Path) -> Path:
    articles = root / "content" / "articles"
    articles.mkdir(parents=True)
    (articles / "evil.md").write_text(
        "---\n"
        f"title: 'Project boards {PAYLOAD}'\n"
        "url: 'javascript:alert(1)'\n"
        "type: article\n"
        "---\n"
        "# Getting consultants to project boards\n\n"
        f"Consultants attend project boards when the agenda is clinical. `{PAYLOAD}` "
        f"{PAYLOAD} [click me](javascript:alert(1)) **bold** $$x^2$$\n",
        encoding="utf-8")
    (articles / "calm.md").write_text(
        "---\ntitle: Running a project board\nurl: https://help.example.org/kb/boards/\n---\n"
        "# Running a project board\n\nSend papers a week ahead and keep the board to decisions.\n",
        encoding="utf-8")
    return root / "content"


@needs_browser
@pytest.mark.browser
def test_hostile_content_renders_as_text_and_runs_nothing(browser, build, embedder, tmp_path):
    settings = build(hostile_content(tmp_path))
    demo, url = start_app(Assistant(settings, embedder=embedder), settings)
    try:
        page = open_page(browser, url)
        dialogs = []
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        answer = ask(page, "how do I get consultants to attend project boards?")
        page.wait_for_timeout(500)  # give any injected handler the chance to fire
        assert "<script>window.__pwned=1</script>" in answer.inner_text()
        assert dialogs == []
        assert page.evaluate("window.__pwned") is None
        chat = page.locator("#kb-chat")
        assert chat.locator("script").count() == 0 and chat.locator("img").count() == 0
        assert chat.locator('a[href^="javascript:"]').count() == 0
        assert chat.locator("[onerror]").count() == 0
        page.close()
    finally:
        demo.close()


@needs_browser
@pytest.mark.browser
def test_another_site_face_moment_links_markdown_and_a_refused_question_kept(browser, coffee_index, embedder):
    settings = replace(load_settings(coffee_index.parent / "assistant.toml", env={}), index_dir=coffee_index)
    coffee = Assistant(settings, embedder=embedder)
    demo, url = start_app(coffee, settings)
    try:
        page = open_page(browser, url)
        assert "Bean Counter Help" in page.locator("#kb-header").text_content()
        assert "Roasting questions?" in page.locator("#kb-header").inner_text()
        box = page.locator("#kb-question textarea")
        assert box.get_attribute("placeholder") == "Ask about roasting, resting or grinding…"
        assert page.get_by_role("button", name="What grind suits a French press?").count() == 1
        assert "PMO" not in page.content() and page.title() == "Bean Counter Help"
        question = "What do you do with the beans when the roast is finished?"
        expected = coffee.ask(question).passages[0]
        answer = ask(page, question)
        first = answer.locator("a.kb-time").first
        assert first.inner_text().strip() == f"▶ {clock(expected.start_seconds)}" == "▶ 5:00"
        assert first.get_attribute("href").endswith("#t=300")
        assert "Tip them straight into a metal colander" in answer.locator(".kb-answering mark").first.inner_text()
        stored = ask(page, "how should I store green beans?")
        assert "**" not in stored.inner_text() and stored.locator("strong").count() >= 1
        long_question = "why " * 600
        refused = ask(page, long_question)
        assert "the limit is 2,000" in refused.inner_text()
        assert box.input_value() == long_question
        page.close()
    finally:
        demo.close()


def test_cards_escape_content_and_drop_unsafe_links():
    evil = Passage(title=f"T {PAYLOAD}", url="javascript:alert(1)", section="A › <b>B</b>",
                   text=f"Before. {PAYLOAD} after.", highlight=PAYLOAD, score=0.9, source_type="transcript",
                   start_seconds=754.2, end_seconds=760.0)
    html = passage_card(evil)
    assert "<script" not in html and "<img" not in html and "<b>" not in html
    assert "javascript:" not in html.split("href=")[0] and "href=" not in html
    assert "&lt;script&gt;" in html and "▶ 12:34" in html and "<mark>" in html
    nomatch = answer_html(Answer("q", False, (evil,), NO_MATCH))
    assert "href=" not in nomatch and NO_MATCH in nomatch


def test_header_counts_what_the_index_holds():
    html = header_html({"by_type": {"article": 32, "transcript": 4, "deck": 1},
                        "built_at": "2026-03-02T09:15:00+00:00"})
    assert "32 articles, 1 slide deck and 4 sessions" in html
    assert "last rebuilt 2 Mar 2026, 09:15 UTC" in html
