"""The reader's "All topics" page and the way between articles: topics from front matter, sidecars, folders
and site addresses; `/read/` with counts; previous / next within a topic and the search box, in Chromium."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from fastapi import FastAPI
from starlette.testclient import TestClient

from assistant import Assistant, Settings
from conftest import needs_browser, start_app
from ui.reader import add_reader_route
from ui.topics import GENERAL, Entry, catalogue, topic_of

FILES = {
    "careers/analyst-to-manager.md": "# From analyst to manager\n\nAsk for stretch work and keep a record of results.\n",
    "careers/interviews.md": "# Preparing for PMO interviews\n\nBring one story about a report that changed a decision.\n",
    "careers/boards.md": "---\ncategory: Governance\n---\n# Running project boards\n\n"
                         "A board decides; send papers a week ahead.\n",
    "governance/stage-gates.md": "# Stage gates\n\nEach gate checks the business case against thresholds.\n",
    "faq.txt": "Where are the templates? In the library, under Templates.\n",
    "faq.yaml": "title: Quick answers\ntopic: Getting started\n",
}


def test_a_topic_comes_from_front_matter_then_the_folder_then_the_address():
    assert topic_of("careers/boards.md", {"category": "Governance"}) == "Governance"
    assert topic_of("a/b.md", {"topic": "  Reporting  ", "category": "x"}) == "Reporting"
    assert topic_of("a/b.md", {"categories": [3, "Careers", "Other"]}) == "Careers"
    assert topic_of("pmo-careers/a.md", {}) == "Pmo careers" and topic_of("a.md", {}) == GENERAL
    assert topic_of("https://help.example.org/kb/careers/raci/", {}) == "Careers"
    assert topic_of("https://help.example.org/kb/raci/", {}) == "help.example.org"


def test_topics_are_listed_by_name_and_documents_by_title():
    entries = [Entry(d, t, f"/read/{d}", "article", topic) for d, t, topic in (
        ("z.md", "Zebra", GENERAL), ("b.md", "beta", "Careers"), ("a.md", "Alpha", "Careers"), ("c.md", "C", "Boards"))]
    found = catalogue(entries)
    assert [(t, [e.title for e in es]) for t, es in found.topics] == [
        ("Boards", ["C"]), ("Careers", ["Alpha", "beta"]), (GENERAL, ["Zebra"])]
    assert [e and e.title for e in found.neighbours("a.md")] == [None, "beta"]
    assert [e and e.title for e in found.neighbours("b.md")] == ["Alpha", None]
    assert found.neighbours("none.md") == (None, None)


@pytest.fixture(scope="module")
def topics_kb(tmp_path_factory, embedder):
    from conftest import chunk_settings
    from index import build_index

    root = tmp_path_factory.mktemp("topics-kb")
    content = root / "content"
    for name, text in FILES.items():
        (content / name).parent.mkdir(parents=True, exist_ok=True)
        (content / name).write_text(text, encoding="utf-8")
    build_index(content, root / "index", embedder, chunk_settings(embedder))
    settings = Settings(content_dir=content, index_dir=root / "index", data_dir=root / "data")
    return Assistant(settings, embedder=embedder)


def test_all_topics_lists_each_topic_with_its_count(topics_kb):
    app = FastAPI()
    add_reader_route(app, topics_kb, topics_kb.settings)
    client = TestClient(app)
    assert client.get("/read", follow_redirects=False).headers["location"] == "read/"
    page = BeautifulSoup(client.get("/read/").text, "html.parser")
    assert page.h1.get_text() == "All topics" and "5 documents in 3 topics." in page.get_text()
    heads = [" ".join(h.get_text().split()) for h in page.select(".kb-topic h2")]
    assert heads == ["Careers (2)", "Getting started (1)", "Governance (2)"]
    governance = page.select(".kb-topic")[2]
    assert [a.get_text() for a in governance.select("a")] == ["Running project boards", "Stage gates"]
    assert governance.select("a")[0]["href"] == "../read/careers/boards.md"
    article = BeautifulSoup(client.get("/read/careers/boards.md").text, "html.parser")
    crumbs = article.select_one(".kb-crumbs")
    assert crumbs.get_text(" ", strip=True) == "< All topics › Governance"
    assert [a["href"] for a in crumbs.select("a")] == ["../../read/", "../../read/#topic-governance"]
    assert article.select_one("a[rel=next]")["href"] == "../../read/governance/stage-gates.md"
    assert article.select_one("a[rel=prev]") is None


@needs_browser
@pytest.mark.browser
def test_previous_and_next_walk_a_topic_and_the_search_box_shows_cards(browser, topics_kb):
    server, url = start_app(topics_kb)
    try:
        page = browser.new_page()
        page.goto(url + "read/")
        careers = page.locator(".kb-topic").filter(has_text="Careers (2)")
        careers.get_by_role("link", name="From analyst to manager").click()
        page.wait_for_url("**/read/careers/analyst-to-manager.md")
        assert page.locator("a[rel=prev]").count() == 0
        page.locator("a[rel=next]").click()
        page.wait_for_url("**/read/careers/interviews.md")
        assert page.locator("h1").inner_text() == "Preparing for PMO interviews"
        assert page.locator("a[rel=next]").count() == 0  # the topic's last
        page.locator("a[rel=prev]").click()
        page.wait_for_url("**/read/careers/analyst-to-manager.md")
        page.get_by_role("link", name="< All topics").click()
        page.wait_for_url("**/read/")
        assert page.locator("h1").inner_text() == "All topics"

        page.goto(url + "read/careers/interviews.md")
        page.get_by_role("searchbox", name="Search the help centre").fill("what does each stage gate check?")
        page.get_by_role("button", name="Search").click()
        first = page.locator(".kb-results .kb-card").first
        first.wait_for()
        assert first.locator("h3").inner_text() == "Stage gates" and first.locator("mark").count() == 1
        first.locator("h3 a").click()
        page.wait_for_url("**/read/governance/stage-gates.md**")
        assert page.locator("h1").inner_text() == "Stage gates"
        page.close()
    finally:
        server.close()
