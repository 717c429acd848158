"""The embeddable widget in a real Chromium, on a page served from a second loopback origin."""

from __future__ import annotations

import time
from dataclasses import replace
from urllib.parse import quote, urljoin

import httpx
import pytest
from conftest import needs_browser, start_app
from test_ui import hostile_content

from assistant import NO_MATCH, Assistant
from assistant.analytics import open_store
from assistant.answer.links import clock

pytestmark = [needs_browser, pytest.mark.browser]
QUESTION = "how do I move from PMO analyst to PMO manager?"


def embed(page_server, app_url: str, name: str, attributes: str = "") -> str:
    """A page of another site with the one-line embed; returns its address."""
    return page_server.page(name, "<h1>Our own page</h1><p>Some text of the site.</p>"
                                  f'<script src="{app_url}widget.js" {attributes}></script><footer>end</footer>')


def ask(page, question: str, timeout: float = 30_000):
    widget = page.locator(".kb-widget")
    widget.locator("input").fill(question)
    widget.locator("input").press("Enter")
    page.wait_for_function("() => { const r = document.querySelector('.kb-widget').shadowRoot;"
                           " return r.querySelector('.results').childElementCount > 0"
                           " || r.querySelector('.status.error'); }", timeout=timeout)
    return widget


def test_widget_on_another_site_asks_and_shows_cards_with_links(browser, doors_app, page_server):
    assistant, app_url = doors_app
    url = embed(page_server, app_url, "embed.html", 'data-placeholder="Ask the PMO team…" data-k="3"')
    page = browser.new_page()
    page.goto(url)
    widget = page.locator(".kb-widget")
    assert widget.locator("input").get_attribute("placeholder") == "Ask the PMO team…"
    assert page.evaluate("document.querySelector('.kb-widget').nextElementSibling.tagName") == "SCRIPT"
    ask(page, QUESTION)
    answer = assistant.ask(QUESTION, top_k=3)
    expected = answer.passages
    cards = widget.locator(".card")
    assert cards.count() == len(expected) and len(expected) + len(answer.more) == 3
    if answer.more:  # the weaker passages wait behind a closed "More results"
        assert widget.locator("details.more summary").inner_text() == f"More results ({len(answer.more)})"
    first = cards.first.locator("a.link")
    assert first.get_attribute("href") == urljoin(app_url, expected[0].url)  # the sample's links open the app's reader
    assert first.get_attribute("target") == "_blank" and "noopener" in first.get_attribute("rel")
    assert first.inner_text() == expected[0].title
    assert cards.first.locator("mark").count() == (1 if expected[0].highlight else 0)  # shown only when sure
    accent = cards.first.evaluate("c => getComputedStyle(c).borderLeftColor")
    assert accent == "rgb(15, 118, 110)"  # the accent colour from the app's settings
    assert page.evaluate("getComputedStyle(document.querySelector('h1')).color") == "rgb(0, 0, 0)"  # page untouched
    page.close()


def test_widget_links_a_recording_moment(browser, doors_app, page_server):
    assistant, app_url = doors_app
    question = "how did the hospital PMO get consultants to turn up to project board meetings?"
    moment = next(p for p in assistant.ask(question).passages if p.source_type == "transcript")
    page = browser.new_page(viewport={"width": 375, "height": 740})  # a phone
    page.goto(embed(page_server, app_url, "moment.html", 'data-accent="#c60"'))
    widget = ask(page, question)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    time_link = widget.locator("a.time").first
    assert time_link.inner_text() == f"▶ {clock(moment.start_seconds)}"
    assert time_link.get_attribute("href") == urljoin(app_url, moment.url) and "#t=" in moment.url  # the reader, on the app
    assert widget.locator(".card").first.evaluate("c => getComputedStyle(c).borderLeftColor") == "rgb(204, 102, 0)"
    page.close()


def test_widget_on_an_origin_not_allowed_says_so_and_tells_the_owner_the_line(browser, doors_app, page_server):
    assistant, app_url = doors_app
    url = embed(page_server, app_url, "stranger.html").replace("127.0.0.1", "localhost", 1)
    stranger = "http://localhost:" + url.split("localhost:", 1)[1].split("/", 1)[0]
    page = browser.new_page()
    warnings = []
    page.on("console", lambda message: warnings.append(message.text) if message.type == "warning" else None)
    page.goto(url)
    question = "how do I move from PMO analyst to PMO manager, asked from a stranger's page?"
    widget = ask(page, question)
    assert widget.locator(".status").inner_text() == "Search is not available here."
    assert widget.locator(".card").count() == 0
    line = f'allowed_origins = "{stranger}"'
    assert any(line in text and f"widget?origin={quote(stranger, safe='')}" in text for text in warnings), warnings
    page.close()

    preview = browser.new_page()  # the link in the console message: the same line on the owner's preview
    preview.goto(app_url + "widget?origin=" + quote(stranger, safe=""))
    assert preview.locator("#kb-origin-line").inner_text() == line
    assert page_server.origin in preview.locator("#kb-allowed").inner_text()
    preview.close()

    # Not searched, not logged: a later question reaches the log, the refused one never does.
    marker = "what are stage gate criteria, asked after the stranger?"
    assert httpx.get(app_url + "api/search", params={"q": marker}, timeout=30).status_code == 200
    deadline = time.monotonic() + 30
    while True:
        store = open_store(assistant.settings.analytics.data_dir)
        try:
            asked = {q.question for q in store.snapshot().questions}
        finally:
            store.close()
        if marker in asked or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert marker in asked and question not in asked


def test_a_refused_origins_question_gets_403_naming_the_setting_and_readable_only_as_a_refusal(doors_app):
    _, app_url = doors_app
    reply = httpx.get(app_url + "api/search", params={"q": "how do I map stakeholders?"},
                      headers={"Origin": "https://shop.example.com"}, timeout=30)
    assert reply.status_code == 403
    assert reply.json() == {"error": "Search is not available on https://shop.example.com: its origin is not in "
                                     "allowed_origins.", "origin": "https://shop.example.com",
                            "setting": 'allowed_origins = "https://shop.example.com"'}
    assert reply.headers["access-control-allow-origin"] == "https://shop.example.com"
    assert "passages" not in reply.json()


def test_preview_page_copies_the_sites_own_placeholder():
    from assistant import Settings
    from ui.widget import preview_page

    page = preview_page("https://help.example.org/widget.js",
                        Settings(placeholder='Ask "us" <anything>', allowed_origins="https://www.example.org"))
    assert ('data-placeholder="Ask &quot;us&quot; &lt;anything&gt;"' in page
            and "&lt;script src=&quot;https://help.example.org/widget.js&quot; data-placeholder=&quot;Ask "
            "&amp;quot;us&amp;quot; &amp;lt;anything&amp;gt;&quot; async&gt;&lt;/script&gt;" in page)
    assert "<code>https://www.example.org</code>" in page and "restarted" in page
    assert "kb-origin-line" not in page
    asked = preview_page("/widget.js", Settings(), origin="https://shop.example.com/")
    assert '<pre id=\'kb-origin-line\' style=\'background: #f1f5f9; padding: 12px\'>allowed_origins = ' \
           '&quot;https://shop.example.com&quot;</pre>' in asked
    assert "is not an origin" in preview_page("/widget.js", Settings(), origin="javascript:alert(1)")


def test_hostile_article_stays_inert_in_the_widget(browser, build, embedder, tmp_path, page_server):
    content = hostile_content(tmp_path)
    (content / "articles" / "minutes.md").write_text(
        "# Project board minutes\n\nConsultants attend project boards when minutes are short.\n", encoding="utf-8")
    settings = replace(build(content), allowed_origins=page_server.origin)
    demo, app_url = start_app(Assistant(settings, embedder=embedder), settings)
    try:
        page = browser.new_page()
        dialogs = []
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        page.goto(embed(page_server, app_url, "hostile.html"))
        widget = ask(page, "how do I get consultants to attend project boards?")
        page.wait_for_timeout(500)  # give any injected handler the chance to fire
        if widget.locator("details.more").count():
            widget.locator("details.more summary").click()  # the hostile passage may be among "More results"
        assert "<script>window.__pwned=1</script>" in widget.locator(".results").inner_text()
        assert dialogs == [] and page.evaluate("window.__pwned") is None
        root = "document.querySelector('.kb-widget').shadowRoot"
        assert page.evaluate(f"{root}.querySelectorAll('script, img, iframe, [onerror]').length") == 0
        hrefs = page.evaluate(f"[...{root}.querySelectorAll('a')].map(a => a.href)")
        assert hrefs and all(h.startswith(("http://", "https://")) for h in hrefs)
        source = next(h for h in hrefs if "/read/" in h)  # a document with no url: the app's reader
        assert source.startswith(app_url) and "/read/articles/minutes.md" in source
        assert page.request.get(source).status == 200
        page.close()
    finally:
        demo.close()


def test_preview_page_shows_the_line_to_copy_and_a_working_box(browser, doors_app):
    _, app_url = doors_app
    page = browser.new_page()
    page.goto(app_url + "widget")
    assert page.locator("pre").first.inner_text() == (f'<script src="{app_url}widget.js" '
                                                'data-placeholder="Ask a question in your own words…" '
                                                'async></script>')  # the site's own placeholder
    widget = ask(page, QUESTION)  # same origin as the app: needs no allowed_origins entry
    shown = widget.locator(".card").count() + widget.locator("details.more li").count()
    assert widget.locator(".card").count() >= 1 and shown == 5
    widget.locator("input").fill("what's a good recipe for banana bread?")
    widget.locator("input").press("Enter")
    widget.locator(".notice").wait_for(timeout=30_000)
    assert widget.locator(".notice").inner_text().startswith(NO_MATCH)
    assert widget.locator(".nearest a").count() >= 1 and widget.locator(".card").count() == 0
    page.close()


def test_a_page_with_no_web_origin_is_told_the_box_needs_one(doors_app):
    _, app_url = doors_app
    reply = httpx.get(app_url + "api/search", params={"q": "raci"}, headers={"Origin": "null"}, timeout=30)
    assert reply.status_code == 403 and reply.json()["setting"] == "" and reply.json()["origin"] is None
    assert reply.json()["error"] == "Search is not available on a page with no web origin: the box works on " \
                                    "http(s) pages."


def test_the_widget_shows_a_passages_markdown_as_the_chat_does(browser, build, embedder, tmp_path, page_server):
    from conftest import ask_in_page, open_page

    content = tmp_path / "content"
    content.mkdir()
    (content / "board-papers.md").write_text(
        "# Board papers\n\nSend [the board papers](javascript:alert(3)) a full week ahead, with **the decision** "
        "asked for on _page one_ and `=SUM(A1)` in the budget; press <kbd>Ctrl</kbd> to print. "
        "![the seating plan](seating.png) shows who sits where.\n", encoding="utf-8")
    settings = replace(build(content), allowed_origins=page_server.origin)
    demo, app_url = start_app(Assistant(settings, embedder=embedder), settings)
    try:
        question = "how far ahead should the board papers be sent?"
        chat = open_page(browser, app_url)
        answer, _ = ask_in_page(chat, question)
        in_chat = " ".join(answer.locator(".kb-card .kb-text").first.inner_text().split())
        page = browser.new_page()
        page.goto(embed(page_server, app_url, "markdown.html"))
        in_widget = " ".join(ask(page, question).locator(".card .text").first.inner_text().split())
        assert "the board papers" in in_widget and "javascript" not in in_widget and "](" not in in_widget
        assert "**" not in in_widget and "_page" not in in_widget and "<kbd>" not in in_widget
        assert in_widget == in_chat  # the same words, as the chat shows them
        root = "document.querySelector('.kb-widget').shadowRoot"
        assert page.evaluate(f"[...{root}.querySelectorAll('a')].every(a => a.protocol.startsWith('http'))")
        chat.close()
        page.close()
    finally:
        demo.close()


@needs_browser
@pytest.mark.browser
def test_the_widget_answers_a_greeting_with_examples_that_ask_when_clicked(browser, doors_app, page_server):
    assistant, app_url = doors_app
    page = browser.new_page()
    page.goto(embed(page_server, app_url, "greeting.html", ""))
    widget = ask(page, "hi!")
    assert widget.locator(".notice").inner_text() == assistant.settings.face.reply_greeting
    examples = widget.locator("button.example")
    assert examples.count() == len(assistant.examples()) >= 1
    first = examples.first.inner_text()
    examples.first.click()
    page.wait_for_function("() => document.querySelector('.kb-widget').shadowRoot.querySelectorAll('.card').length > 0",
                           timeout=60_000)
    assert widget.locator("input").input_value() == first
    page.close()
