"""The reader as a help centre's article page: an article's own file rendered (markdown-it-py, HTML sanitised
by nh3), links between documents opening in the reader, tables and images from the content folder, and
hostile markup inert. Unit tests on a tiny real folder, then the same pages in Chromium."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from fastapi import FastAPI
from starlette.testclient import TestClient

from assistant import Assistant
from conftest import needs_browser, start_app
from ui.article_html import markdown_body
from ui.library import Library
from ui.reader import add_reader_route

GUIDE = """---
title: Setting up the board
---
# Setting up the board

Read [the charter](charter.md#who-signs-it) first, or the [glossary](../glossary) and the
[template](../files/board-pack.pdf). See [our site](https://example.org/board) too.

## Members

| Role | Who |
|---|---|
| Chair | The sponsor |
| Secretary | The PMO analyst |

![Board seating plan](../images/seating.png "Seating")

<table><tr><th>Meeting</th><th>When</th></tr><tr><td>Monthly board</td><td>First Monday</td></tr></table>

```
quorum = 3
```

## Hostile bits

Minutes. <script>window.__pwned=1</script> <img src="../images/seating.png" onerror="window.__pwned=1">
<img src="https://tracker.example.net/pixel.png" alt="pixel"> [click me](javascript:window.__pwned=1)
[away](../../../etc/passwd) <a href="data:text/html,hi">data</a> <p style="color:red" class="kb-turn"
id="t=5" onclick="window.__pwned=1">styled</p>
"""
CHARTER = "# The board charter\n\n## Who signs it\n\nThe sponsor signs the charter after the first board.\n"
GLOSSARY = "# Glossary\n\nA board is the group that decides.\n"


def png(width: int = 3, height: int = 2) -> bytes:
    """A tiny real PNG (solid teal)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    rows = b"".join(b"\x00" + b"\x0f\x76\x6e" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def write_board_kb(root: Path) -> Path:
    content = root / "board"
    for folder in ("guides", "images", "files", ".private"):
        (content / folder).mkdir(parents=True)
    (content / "guides" / "setting-up.md").write_text(GUIDE, encoding="utf-8")
    (content / "guides" / "charter.md").write_text(CHARTER, encoding="utf-8")
    (content / "glossary.md").write_text(GLOSSARY, encoding="utf-8")
    (content / "images" / "seating.png").write_bytes(png())
    (content / ".private" / "secret.png").write_bytes(png())
    (content / "files" / "board-pack.pdf").write_bytes(b"%PDF-1.4\n%%EOF\n")  # a file, not indexed
    return content


@pytest.fixture(scope="module")
def board(tmp_path_factory, embedder):
    """The tiny board knowledge base, built once: (assistant, content folder)."""
    from conftest import chunk_settings
    from index import build_index
    from assistant import Settings

    root = tmp_path_factory.mktemp("board-kb")
    content = write_board_kb(root)
    build_index(content, root / "index", embedder, chunk_settings(embedder))
    settings = Settings(content_dir=content, index_dir=root / "index", data_dir=root / "data")
    return Assistant(settings, embedder=embedder), content


@pytest.fixture(scope="module")
def reader(board) -> TestClient:
    assistant, _ = board
    app = FastAPI()
    add_reader_route(app, assistant, assistant.settings)
    return TestClient(app)


def test_markdown_renders_headings_links_tables_images_and_code(reader):
    page = BeautifulSoup(reader.get("/read/guides/setting-up.md").text, "html.parser")
    article = page.select_one(".kb-article")
    assert page.h1.get_text() == "Setting up the board" and not article.find("h1")  # the title once
    assert [h["id"] for h in article.find_all("h2")] == ["members", "hostile-bits"]
    links = {a.get_text(): a["href"] for a in article.find_all("a")}
    # relative to the page (/read/guides/…), so they work under a proxy's path too
    assert links["the charter"] == "../../read/guides/charter.md#who-signs-it"  # another document: the reader
    assert links["glossary"] == "../../read/glossary.md"  # named without its .md, as sites write it
    assert links["template"] == "../../asset/files/board-pack.pdf"  # a file of the folder, served from it
    assert links["our site"] == "https://example.org/board"
    tables = article.find_all("table")
    assert [[c.get_text() for c in row.find_all(["th", "td"])] for row in tables[0].find_all("tr")] == [
        ["Role", "Who"], ["Chair", "The sponsor"], ["Secretary", "The PMO analyst"]]
    assert [td.get_text() for td in tables[1].find_all("td")] == ["Monthly board", "First Monday"]  # HTML table
    image = article.find("img")
    assert image["src"] == "../../asset/images/seating.png" and image["alt"] == "Board seating plan"
    assert article.find("pre").get_text() == "quorum = 3\n"


def test_hostile_markup_is_dropped_and_links_outside_the_folder_are_words(reader):
    response = reader.get("/read/guides/setting-up.md")
    article = BeautifulSoup(response.text, "html.parser").select_one(".kb-article")
    html = str(article)
    assert "<script" not in html and "__pwned" not in html and "javascript:" not in html and "data:" not in html
    assert not article.select("[onerror], [onclick], [style], [class], [id^='t=']")
    assert "tracker.example.net" not in html and "pixel" in article.get_text()  # outside image: its alt text
    for words in ("click me", "away", "data"):
        assert words in article.get_text() and not article.find("a", string=words)
    assert [img["src"] for img in article.find_all("img")] == ["../../asset/images/seating.png"] * 2
    assert "img-src 'self';" in response.headers["content-security-policy"]


def test_assets_are_served_only_from_inside_the_content_folder(reader):
    image = reader.get("/asset/images/seating.png")
    assert image.status_code == 200 and image.headers["content-type"] == "image/png" and image.content == png()
    assert image.headers["content-security-policy"].startswith("sandbox;")
    download = reader.get("/asset/files/board-pack.pdf?download=1")
    assert download.headers["content-disposition"].startswith("attachment;")
    for bad in ("/asset/.private/secret.png", "/asset/../board/images/seating.png", "/asset/%2e%2e/etc/passwd",
                "/asset/guides/charter.md", "/asset/images/none.png", "/asset/images/"):
        assert reader.get(bad).status_code == 404, bad


def test_a_link_is_resolved_from_the_linking_documents_folder(tmp_path):
    content = write_board_kb(tmp_path)
    library = Library(content.resolve(), frozenset({"guides/charter.md", "glossary.md", "decks/a.pdf"}))
    resolve = library.resolver("guides/setting-up.md")
    assert resolve.link("charter.md", "x").href == "../../read/guides/charter.md"
    assert resolve.link("/glossary.md#board", "x").href == "../../read/glossary.md#board"  # from the folder's root
    assert resolve.link("../decks/a.pdf", "The deck").href == "../../read/decks/a.pdf"
    download = resolve.link("../decks/a.pdf", ">> Download the deck")
    assert download.href == "../../asset/decks/a.pdf?download=1" and download.download
    assert resolve.link("#members", "x").href == "#members" and resolve.link("../../x.md", "x") is None
    assert resolve.image("../.private/secret.png") is None and resolve.image("https://x.org/a.png") is None
    body = markdown_body("# T\n\n[g](../glossary.md)", resolve)
    assert body == '<p><a href="../../read/glossary.md" rel="noopener noreferrer">g</a></p>\n'


# --- in Chromium ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def board_url(board):
    assistant, _ = board
    server, url = start_app(assistant)
    yield url
    server.close()


@needs_browser
@pytest.mark.browser
def test_an_article_link_opens_the_other_article_and_its_table_and_image_render(browser, board_url):
    page = browser.new_page()
    errors, dialogs = [], []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(board_url + "read/guides/setting-up.md")
    image = page.locator(".kb-article img").first
    image.scroll_into_view_if_needed()
    page.wait_for_function("() => { const i = document.querySelector('.kb-article img'); "
                           "return i && i.complete && i.naturalWidth === 3; }")
    cells = page.locator(".kb-article table").first.locator("td")
    assert cells.all_inner_texts()[:2] == ["Chair", "The sponsor"]
    assert page.locator(".kb-article table").first.evaluate("t => getComputedStyle(t.querySelector('td')).borderTopStyle") == "solid"
    page.locator(".kb-article p").filter(has_text="styled").click()  # an onclick that must not run
    assert page.evaluate("window.__pwned") is None and errors == [] and dialogs == []
    page.get_by_role("link", name="the charter").click()
    page.wait_for_url("**/read/guides/charter.md#who-signs-it")
    assert page.locator("h1").inner_text() == "The board charter"
    assert page.evaluate("""() => { const r = document.getElementById('who-signs-it').getBoundingClientRect();
        return location.hash === '#who-signs-it' && r.top >= 0 && r.bottom <= innerHeight; }""")  # at its section
    page.close()
