"""The built-in reader (`/read/<doc_id>`): the page a document with no page of its own opens on.

Unit tests of its HTML (ids the links use, escaping, the CSP's script hash, transcripts' turns), the
route over the bundled sample, and in a real Chromium: a card's link opens the reader at the section
with the sentence marked, a transcript's at its cue, a deck's at its page, and a hostile article
stays inert.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import replace
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from fastapi import FastAPI
from starlette.testclient import TestClient

from assistant import Assistant, load_settings
from assistant.config import SAMPLE_CONTENT, SAMPLE_KB
from conftest import ask_in_page, needs_browser, open_page, start_app
from corpus import Document, Segment
from index import load_index
from ui.reader import add_reader_route
from ui.reader_html import Face, article_page, policy
from ui.transcript_html import transcript_page

FACE = Face("PMO Help Centre", "#0f766e")
PAYLOAD = '<script>window.__pwned=1</script> <img src=x onerror="window.__pwned=1">'


def soup(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")


# --- the pages' HTML ------------------------------------------------------------------------------

def test_every_anchor_a_sample_link_uses_is_one_heading_id_in_its_reader_page(sample_index, reader):
    chunks = load_index(sample_index).chunks
    anchors: dict[str, set[str]] = {}
    for chunk in chunks:
        if chunk.source_type == "article":
            anchors.setdefault(chunk.doc_id, set()).update([chunk.anchor] if chunk.anchor else [])
    assert len(anchors) == 34 and sum(map(len, anchors.values())) > 100
    for doc_id, wanted in anchors.items():
        page = soup(reader.get(f"/read/{doc_id}").text)  # the article's own file, rendered
        ids = [tag["id"] for tag in page.find_all(id=True)]
        assert len(ids) == len(set(ids)), doc_id
        headings = {tag["id"] for tag in page.find_all(re.compile(r"^h[2-6]$"), id=True)}
        assert wanted <= headings, (doc_id, wanted - headings)


def test_an_article_page_keeps_lists_tables_and_the_owners_inline_tags():
    doc = Document("a.md", "Steps", "/read/a.md", "article", (
        Segment("Press <kbd>Ctrl</kbd> then:\n\n- open the log\n- add the **risk**\n\nRole | Years\nAnalyst | 1 to 4",
                ("Setting up", "The log"), "the-log"),), "0" * 32)
    page = soup(article_page(doc, FACE))
    assert page.h1.get_text() == "Steps" and page.find("h2").get_text() == "Setting up"
    assert page.find("h3")["id"] == "the-log"
    assert [li.get_text() for li in page.select("main ul li")] == ["open the log", "add the risk"]
    assert page.find("kbd").get_text() == "Ctrl" and page.find("strong").get_text() == "risk"
    assert [td.get_text() for td in page.select("table tr td")] == ["Role", "Years", "Analyst", "1 to 4"]
    assert "PMO Help Centre" in page.title.get_text() and "--kb-accent: #0f766e" in page.style.get_text()


def test_hostile_content_is_escaped_and_only_our_script_is_allowed():
    doc = Document("evil.md", f"Boards {PAYLOAD}", "/read/evil.md", "article", (
        Segment(f"Minutes. {PAYLOAD} [click](javascript:alert(1)) <style>body{{display:none}}</style>",
                (f"Setup {PAYLOAD}",), 'x" onmouseover="alert(1)'),), "0" * 32)
    html = article_page(doc, Face("Help <b>", "#123456", "javascript:alert(1)"))
    page = soup(html)
    assert len(page.find_all("script")) == len(page.find_all("style")) == 1
    assert not page.find_all(["img", "iframe"])
    assert not page.select("[onerror], [onmouseover], [onload]") and "javascript:" not in html
    assert page.find("h2")["id"] == 'x" onmouseover="alert(1)'  # one attribute, escaped
    assert PAYLOAD in page.main.get_text() and "Help <b>" in page.header.get_text()
    csp = policy(Face("Help <b>", "#123456"))
    assert csp.startswith("default-src 'none';") and "unsafe-inline" not in csp and "unsafe-eval" not in csp
    script, style = page.script.string, page.style.string
    for source, text in (("script-src", script), ("style-src", style)):
        digest = base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()
        assert f"{source} 'sha256-{digest}'" in csp


def test_a_transcript_page_lists_turns_with_times_and_moments_into_the_recording():
    cues = (Segment("Welcome.", start=3.5, end=8, speaker="Priya Nair"),
            Segment("Our guest is Tom.", start=8.2, end=12, speaker="Priya Nair"),
            Segment("Thanks <b>Priya</b>.", start=65.0, end=70, speaker="Tom Okafor"),
            Segment("Applause.", start=71.0, end=72))
    doc = Document("s.vtt", "Hospital PMO", "/read/s.vtt", "transcript", cues, "0" * 32)
    page = soup(transcript_page(doc, FACE, "https://www.youtube.com/watch?v=dQw4w9WgXcQ"))
    turns = page.select(".kb-turn")
    assert [t.select_one(".kb-speaker").get_text() if t.select_one(".kb-speaker") else None for t in turns] == [
        "Priya Nair", "Tom Okafor", None]
    assert [t.select_one(".kb-at").get_text() for t in turns] == ["0:03", "1:05", "1:11"]
    assert [c["id"] for c in page.select(".kb-cue")] == ["t=3", "t=8", "t=65", "t=71"]
    play = page.select(".kb-cue")[2].select_one(".kb-play")
    assert play["href"] == "https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=65s"
    assert "Thanks <b>Priya</b>." in page.get_text()
    bare = soup(transcript_page(doc, FACE, None))
    assert not bare.select(".kb-play, .kb-recording") and bare.select_one(".kb-at")["href"] == "#t=3"


# --- the route over the sample ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def sample_assistant(sample_index, embedder) -> Assistant:
    face = load_settings(SAMPLE_KB / "assistant.toml", env={})  # the sample's face, as `make serve` uses it
    return Assistant(replace(face, index_dir=sample_index), embedder=embedder)


@pytest.fixture(scope="module")
def reader(sample_assistant) -> TestClient:
    app = FastAPI()
    add_reader_route(app, sample_assistant, sample_assistant.settings)
    return TestClient(app)


def test_the_route_serves_articles_transcripts_and_decks_and_nothing_else(reader):
    article = reader.get("/read/articles/pmo-analyst-to-pmo-manager.md")
    assert article.status_code == 200 and article.headers["content-type"].startswith("text/html")
    assert article.headers["content-security-policy"].startswith("default-src 'none';")
    assert article.headers["x-content-type-options"] == "nosniff"
    assert "<h1>From PMO analyst to PMO manager" in article.text and "PMO Help Centre" in article.text
    tools = soup(reader.get("/read/articles/choosing-ppm-tools.html").text)  # an HTML article's own table
    assert tools.select(".kb-article table tr") and tools.select(".kb-article table td")
    career = soup(reader.get("/read/articles/taking-ownership-of-your-pmo-career.md").text)
    deck_link = career.select_one(".kb-article a[download]")  # "[>> Download the deck](../decks/….pdf)"
    assert deck_link.get_text() == ">> Download the deck"
    assert deck_link["href"] == "../../asset/decks/pmo-career-lattice.pdf?download=1"
    transcript = reader.get("/read/sessions/rail-upgrade-supplier-reporting.srt")
    assert transcript.status_code == 200 and 'class="kb-speaker">Grace Whitfield' in transcript.text
    deck = reader.get("/read/decks/pmo-career-lattice.pdf")
    assert deck.status_code == 200 and deck.headers["content-type"].startswith("text/html")
    page = soup(deck.text)  # "Download the deck", the PDF, and each page's text under its anchor
    assert page.select_one("a.kb-download[download]")["href"] == "../../asset/decks/pmo-career-lattice.pdf?download=1"
    assert page.select_one("iframe.kb-pdf")["src"] == "../../asset/decks/pmo-career-lattice.pdf"
    assert [s["id"] for s in page.select(".kb-page-text")][:2] == ["page=1", "page=2"]
    assert "frame-src 'self';" in deck.headers["content-security-policy"]
    pdf = reader.get("/asset/decks/pmo-career-lattice.pdf")
    assert pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    saved = reader.get("/asset/decks/pmo-career-lattice.pdf?download=1")
    assert saved.headers["content-disposition"].startswith("attachment;")
    for bad in ("/read/../../etc/passwd", "/read/%2e%2e/%2e%2e/etc/passwd", "/read/articles/none.md",
                "/read/assistant.toml"):
        assert reader.get(bad).status_code == 404
    assert "Not in the knowledge base" in reader.get("/read/articles/none.md").text


def test_the_sample_names_no_invented_site():
    for path in SAMPLE_CONTENT.rglob("*"):
        if path.suffix in (".md", ".yaml"):
            assert not re.search(r"^url:", path.read_text(encoding="utf-8"), re.M), path
        if path.suffix == ".html":
            assert 'rel="canonical"' not in path.read_text(encoding="utf-8"), path


# --- in Chromium ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def app_url(sample_assistant):
    demo, url = start_app(sample_assistant)
    yield url
    demo.close()


def open_link(page, card):
    """Click the card's title link (it opens a new tab) and return the reader's tab once loaded."""
    with page.context.expect_page() as opened:
        card.locator("a.kb-link").click()
    reader = opened.value
    reader.wait_for_load_state()
    reader.wait_for_function("() => document.readyState === 'complete'")  # the script marks and scrolls on load
    return reader


def in_view(page, selector: str) -> bool:
    return page.evaluate(f"""() => {{ const r = document.querySelector({selector!r}).getBoundingClientRect();
        return r.top >= 0 && r.bottom <= innerHeight; }}""")


def squash(text: str) -> str:
    return " ".join(text.split())


@needs_browser
@pytest.mark.browser
def test_a_passage_link_opens_the_reader_at_the_section_with_the_sentence_marked(browser, app_url, sample_assistant):
    answer = sample_assistant.ask("how long should the first 90 days of a new PMO take?")  # a sure highlight
    passage = next(p for p in answer.passages + answer.more
                   if re.match(r"/read/articles/[\w-]+\.md#[\w-]+:~:text=", p.url))  # a card's, or under More
    href = passage.url
    anchor = href.split("#", 1)[1].split(":~:", 1)[0]
    page = browser.new_page()
    page.goto(app_url + href.lstrip("/"))
    reader = page
    reader.wait_for_function("() => document.querySelector('mark.kb-cited') !== null")
    marked = squash(" ".join(reader.locator("mark.kb-cited").all_inner_texts()))
    assert marked and marked == squash(passage.highlight.replace("**", ""))
    assert reader.evaluate(f"""() => {{ const h = document.getElementById({anchor!r});
        const m = document.querySelector('mark.kb-cited');
        return !!h && !!(h.compareDocumentPosition(m) & Node.DOCUMENT_POSITION_FOLLOWING); }}""")
    reader.wait_for_function("() => scrollY > 0")
    assert in_view(reader, "mark.kb-cited")
    page.close()


@needs_browser
@pytest.mark.browser
def test_a_transcript_card_link_opens_the_reader_at_its_cue(browser, app_url):
    page = open_page(browser, app_url)
    answer, _ = ask_in_page(page, "how did the rail project get suppliers to report on time?")  # a sure moment
    card = answer.locator(".kb-card").filter(has_text="Session recording").first
    href = card.locator("a.kb-link").get_attribute("href")
    assert re.fullmatch(r"/read/sessions/rail-upgrade-supplier-reporting\.srt#t=\d+", href)
    second = int(href.rsplit("=", 1)[1])
    reader = open_link(page, card)
    cue = reader.locator(".kb-cue.kb-here")
    assert cue.count() == 1 and reader.locator(".kb-turn.kb-here").count() == 1
    # the link opens at the interviewer's question (4:18.9); the cited cue is the answer that follows (4:26.7)
    assert second == 258 and cue.get_attribute("data-start") == "266.7"
    assert squash(card.locator("mark").first.inner_text()).startswith(squash(cue.inner_text())[:60])  # its first cue
    assert in_view(reader, ".kb-cue.kb-here") and reader.evaluate("scrollY") > 0
    reader.close()
    page.close()


@needs_browser
@pytest.mark.browser
def test_a_deck_card_link_opens_its_page_beside_the_pdf_and_the_deck_downloads(browser, app_url):
    page = open_page(browser, app_url)
    answer, _ = ask_in_page(page, "what are the four families of PMO roles")
    card = answer.locator(".kb-card").filter(has_text="Slide deck").first
    href = card.locator("a.kb-link").get_attribute("href")
    assert href == "/read/decks/pmo-career-lattice.pdf#page=2"
    reader = open_link(page, card)
    assert reader.url == app_url + href.lstrip("/")
    reader.wait_for_function("() => document.querySelector('iframe.kb-pdf').getAttribute('src').endsWith('#page=2')")
    assert reader.locator(".kb-page-text.kb-here").get_attribute("id") == "page=2"
    assert in_view(reader, ".kb-page-text.kb-here")
    pdf = reader.request.get(app_url + "asset/decks/pmo-career-lattice.pdf")  # what the viewer beside it shows
    assert pdf.headers["content-type"] == "application/pdf" and pdf.body().startswith(b"%PDF")
    with reader.expect_download() as saving:
        reader.get_by_role("link", name="Download the deck").click()
    assert saving.value.suggested_filename == "pmo-career-lattice.pdf"
    reader.close()
    page.close()


def hostile_folder(root: Path) -> Path:
    content = root / "content"
    content.mkdir()
    (content / "evil.md").write_text(
        f"---\ntitle: 'Boards {PAYLOAD}'\n---\n# Boards\n\n## Setup <img src=x onerror=\"window.__pwned=1\">\n\n"
        f"Minutes of the board. {PAYLOAD} <iframe src=\"javascript:window.__pwned=1\"></iframe> "
        "[click](javascript:window.__pwned=1) <style>body{display:none}</style>\n", encoding="utf-8")
    (content / "evil.html").write_text(
        "<html><head><script>window.__pwned=1</script><meta http-equiv='refresh' content='0;url=javascript:1'>"
        "</head><body onload='window.__pwned=1'><main><h1>Evil page</h1>"
        "<h2 id='x\" onmouseover=\"window.__pwned=1'>Odd</h2><p>Board papers go out a week ahead. "
        "<img src=x onerror='window.__pwned=1'> &lt;script&gt;window.__pwned=1&lt;/script&gt;</p></main></body></html>",
        encoding="utf-8")
    return content


@needs_browser
@pytest.mark.browser
def test_a_hostile_article_stays_inert_in_the_reader(browser, build, embedder, tmp_path):
    settings = build(hostile_folder(tmp_path))
    demo, url = start_app(Assistant(settings, embedder=embedder), settings)
    try:
        page = browser.new_page()
        dialogs, errors = [], []
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        page.on("pageerror", lambda error: errors.append(str(error)))
        for path, words in (("read/evil.md#:~:text=Minutes%20of%20the%20board", "Minutes of the board"),
                            ("read/evil.html#:~:text=Board%20papers", "Board papers")):
            response = page.goto(url + path)
            csp = response.headers["content-security-policy"]
            assert csp.startswith("default-src 'none';") and "script-src 'sha256-" in csp
            page.wait_for_timeout(500)  # give any injected handler the chance to fire
            page.mouse.move(200, 200)
            assert page.evaluate("window.__pwned") is None and dialogs == [] and errors == []
            assert page.locator("script").count() == 1 and page.locator("img, iframe, [onerror], [onload]").count() == 0
            assert page.locator('a[href^="javascript:"]').count() == 0
            assert page.locator("mark.kb-cited").inner_text() == words  # our own script did run
            assert "<script>window." in page.locator("main").inner_text()  # shown as text
        page.close()
    finally:
        demo.close()
