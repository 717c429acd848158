""""Was this article helpful?" on reader pages: stored in the question log's store (SQLite and PostgreSQL),
one per visitor, article and day with the last counting, the note masked; refused with nothing stored
for floods, foreign pages, missing tokens and unknown documents; shown by `assistant report` and, in
Chromium, given on the page and read back in the Insights tab."""

from __future__ import annotations

import re
import time

import pytest
from bs4 import BeautifulSoup
from fastapi import FastAPI
from starlette.testclient import TestClient

from assistant import Assistant, Settings
from assistant.analytics import build_report, open_log, report_text
from assistant.analytics.errors import FeedbackRefused
from conftest import needs_browser, open_page, start_app
from tests.test_analytics_store import snapshot
from tests.test_article_pages import board  # noqa: F401 — the tiny board knowledge base
from ui.ratings import RATINGS_PER_MINUTE, Ratings, add_rating_route
from ui.reader import add_reader_route

GUIDE = "guides/setting-up.md"
PASSWORD = "owner's secret"


def test_one_rating_per_visitor_article_and_day_the_last_counting(store_settings):
    log = open_log(store_settings)
    try:
        log.rate("a.md", "Article A", "203.0.113.1", 5)
        log.rate("a.md", "Article A", "203.0.113.1", 2, "Add the template. Mail jo@example.org or 020 7946 0958")
        log.rate("a.md", "Article A", "203.0.113.1", 1)  # a change of mind without a note keeps the note
        log.rate("a.md", "Article A", "203.0.113.2", 4)
        log.rate("b.md", "Article B", "203.0.113.1", 5, "Clear, thanks")
        with pytest.raises(FeedbackRefused, match="from 1 to 5"):
            log.rate("b.md", "Article B", "203.0.113.3", 6)
        with pytest.raises(FeedbackRefused, match="from 1 to 5"):
            log.rate("b.md", "Article B", "203.0.113.3", True)
        with pytest.raises(FeedbackRefused, match="limit is 2,000"):
            log.rate("b.md", "Article B", "203.0.113.3", 3, "x" * 2001)
    finally:
        log.close()
    ratings = snapshot(store_settings).ratings
    assert sorted((r.doc_id, r.stars, r.comment) for r in ratings) == [
        ("a.md", 1, "Add the template. Mail <email> or <phone>"), ("a.md", 4, ""), ("b.md", 5, "Clear, thanks")]
    assert all(re.fullmatch(r"[0-9a-f]{24}", r.visitor) and "203.0" not in r.visitor for r in ratings)
    report = build_report(snapshot(store_settings), None)
    first, second = report.article_ratings
    assert (first["title"], first["ratings"], first["mean"], first["stars"][1]) == ("Article A", 2, 2.5, 1)
    assert first["notes"] == [{"comment": "Add the template. Mail <email> or <phone>", "stars": 1,
                               "date": ratings[0].day}]
    assert second["title"] == "Article B" and second["mean"] == 5.0  # the lowest mean first
    text = report_text(report)
    assert "Article ratings (lowest first" in text and "   2 · 2.5  Article A" in text and "Add the template" in text


@pytest.fixture()
def rated(board, tmp_path):  # noqa: F811
    """The board knowledge base's reader and /ratings on one app, the log in tmp_path: (app, settings, ratings)."""
    assistant, _ = board
    settings = Settings(index_dir=assistant.settings.index.dir, data_dir=tmp_path / "data")
    log = open_log(settings)
    ratings = Ratings(Assistant(settings, embedder=assistant.embedder), log)
    app = FastAPI()
    add_reader_route(app, ratings.assistant, settings, ratings)
    add_rating_route(app, ratings)
    yield app, settings, ratings
    log.close()


def visitor(app, address: str) -> TestClient:
    return TestClient(app, base_url="http://help.test", client=(address, 5000))


def page_token(client: TestClient, doc_id: str) -> str:
    form = BeautifulSoup(client.get(f"/read/{doc_id}").text, "html.parser").select_one("#kb-rate")
    assert form["data-doc"] == doc_id and form["data-post"] == "../../ratings"
    return form["data-token"]


def rate(client: TestClient, doc_id: str, stars, token: str | None, origin: str | None = "http://help.test",
         comment: str = ""):
    body = {"doc_id": doc_id, "stars": stars, "comment": comment, **({"token": token} if token else {})}
    return client.post("/ratings", json=body, headers={"Origin": origin} if origin else {})


def test_a_rating_from_the_page_is_stored(rated):
    app, settings, _ = rated
    client = visitor(app, "198.51.100.10")
    answer = rate(client, GUIDE, 2, page_token(client, GUIDE), comment="Which room? Call 020 7946 0958")
    assert answer.status_code == 200 and answer.json() == {"stored": True, "stars": 2, "comment": "Which room? Call <phone>"}
    assert [(r.doc_id, r.title, r.stars) for r in snapshot(settings).ratings] == [(GUIDE, "Setting up the board", 2)]


def test_rating_abuse_is_refused_and_stores_nothing(rated):
    app, settings, ratings = rated
    flood = visitor(app, "198.51.100.20")
    token = page_token(flood, GUIDE)
    codes = [rate(flood, GUIDE, 1 + n % 5, token) for n in range(50)]  # 50 ratings in a row
    assert [c.status_code for c in codes] == [200] * RATINGS_PER_MINUTE + [429] * (50 - RATINGS_PER_MINUTE)
    assert 1 <= int(codes[-1].headers["retry-after"]) <= 60 and "Too many ratings" in codes[-1].json()["error"]
    kept = snapshot(settings).ratings
    assert [(r.stars) for r in kept] == [1 + (RATINGS_PER_MINUTE - 1) % 5]  # the last accepted one counts

    other = "guides/charter.md"
    client = visitor(app, "198.51.100.21")
    token = page_token(client, other)
    refused = {
        "foreign origin": rate(client, other, 5, token, origin="https://evil.example.net"),
        "no origin": rate(client, other, 5, token, origin=None),
        "no token": rate(client, other, 5, None),
        "forged token": rate(client, other, 5, token[:-4] + "0000"),
        "another page's token": rate(client, other, 5, page_token(client, GUIDE)),
        "unknown document": rate(client, "guides/none.md", 5, ratings.token("guides/none.md")),
    }
    assert {why: r.status_code for why, r in refused.items()} == {why: 403 for why in refused}
    assert "reload it" in refused["no token"].json()["error"]
    assert rate(client, other, 9, token).status_code == 400
    assert snapshot(settings).ratings == kept  # nothing more stored


def test_no_stars_on_pages_when_the_log_is_off(board):  # noqa: F811
    assistant, _ = board
    ratings = Ratings(assistant, None)
    app = FastAPI()
    add_reader_route(app, assistant, assistant.settings, ratings)
    add_rating_route(app, ratings)
    client = visitor(app, "198.51.100.30")
    assert 'id="kb-rate"' not in client.get(f"/read/{GUIDE}").text
    assert rate(client, GUIDE, 3, ratings.token(GUIDE)).status_code == 404


# --- in Chromium ------------------------------------------------------------------------------------

@needs_browser
@pytest.mark.browser
def test_a_rating_given_on_the_page_is_stored_and_shown_in_insights(browser, board, tmp_path):  # noqa: F811
    assistant, _ = board
    settings = Settings(index_dir=assistant.settings.index.dir, admin_password=PASSWORD, data_dir=tmp_path / "data")
    server, url = start_app(Assistant(settings, embedder=assistant.embedder), settings)
    try:
        page = browser.new_page()
        page.goto(url + "read/" + GUIDE)
        form = page.locator("#kb-rate")
        assert form.locator("h2").inner_text() == "Was this article helpful?"
        form.get_by_role("radio", name="2 stars").click()
        form.get_by_text("Thank you for rating this article.").wait_for()
        assert form.locator(".kb-star.kb-on").count() == 2
        form.get_by_label("How can we improve this article?").fill("Say which room the board meets in.")
        form.get_by_role("button", name="Send").click()
        form.get_by_text("Thank you — your suggestion was sent.").wait_for()
        deadline = time.monotonic() + 30
        while not snapshot(settings).ratings and time.monotonic() < deadline:
            time.sleep(0.05)
        (stored,) = snapshot(settings).ratings
        assert (stored.doc_id, stored.stars, stored.comment) == (GUIDE, 2, "Say which room the board meets in.")

        admin = open_page(browser, url)
        admin.locator("#kb-admin").get_by_text("Admin").first.click()
        admin.get_by_role("tab", name="Insights").click()
        admin.locator("#kb-admin-password input").fill(PASSWORD)
        admin.locator("#kb-insights-show").click()
        table = admin.locator("#kb-insights-ratings table")
        table.wait_for(timeout=60_000)
        row = table.locator("tbody tr").first
        assert row.locator("td").all_inner_texts()[:3] == ["Setting up the board", "1", "2.0"]
        assert "Say which room the board meets in." in row.inner_text()
        page.close()
        admin.close()
    finally:
        server.close()


def test_behind_a_proxy_the_public_urls_origin_is_this_apps_own(board, tmp_path):  # noqa: F811
    assistant, _ = board
    settings = Settings(index_dir=assistant.settings.index.dir, data_dir=tmp_path / "data")
    log = open_log(settings)
    try:
        ratings = Ratings(Assistant(settings, embedder=assistant.embedder), log, public_url="https://help.example.org/kb")
        app = FastAPI()
        add_reader_route(app, ratings.assistant, settings, ratings)
        add_rating_route(app, ratings)
        client = visitor(app, "198.51.100.40")  # the proxy passes its own Host: help.test
        token = page_token(client, GUIDE)
        assert rate(client, GUIDE, 4, token, origin="https://help.example.org").status_code == 200
        assert rate(client, GUIDE, 4, token, origin="https://help.example.org.evil.net").status_code == 403
    finally:
        log.close()


def test_a_pages_token_outlives_a_restart_and_holds_on_every_server_of_the_site(tmp_path):
    from ui.ratings import signing_key

    first = Ratings(None, None, key=signing_key(None, tmp_path / "data"))
    restarted = Ratings(None, None, key=signing_key(None, tmp_path / "data"))  # the same folder, read back
    assert restarted.valid(first.token("a.md"), "a.md") and not restarted.valid(first.token("a.md"), "b.md")
    assert oct((tmp_path / "data" / "secret_key").stat().st_mode & 0o777) == "0o600"
    elsewhere = Ratings(None, None, key=signing_key(None, tmp_path / "other"))
    assert not elsewhere.valid(first.token("a.md"), "a.md")  # another folder, another key
    one, two = (Ratings(None, None, key=signing_key("shared secret", tmp_path / f"replica{n}")) for n in (1, 2))
    assert two.valid(one.token("a.md"), "a.md")  # replicas given the same secret_key agree
