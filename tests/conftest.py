"""Shared fixtures: the real bundled model, and the sample knowledge base indexed once per run.

Every test runs with HF_HUB_OFFLINE=1 and its working folder in tmp_path, so nothing reads or
writes outside the test's own folders.
"""

from __future__ import annotations

import os

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from assistant import building  # noqa: E402
from assistant.config import SAMPLE_CONTENT, Settings  # noqa: E402
from corpus import ChunkSettings  # noqa: E402
from index import Embedder, build_index  # noqa: E402


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    for name in list(os.environ):
        if name.startswith("ASSISTANT_"):
            monkeypatch.delenv(name)


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    return Embedder()


def chunk_settings(embedder: Embedder, settings: Settings | None = None) -> ChunkSettings:
    return building.chunk_settings(settings or Settings(), embedder)


@pytest.fixture(scope="session")
def sample_index(tmp_path_factory, embedder) -> Path:
    """The bundled sample knowledge base, built once; tests must not modify it."""
    index_dir = tmp_path_factory.mktemp("sample") / "index"
    build_index(SAMPLE_CONTENT, index_dir, embedder, chunk_settings(embedder))
    return index_dir


@pytest.fixture()
def sample_settings(sample_index) -> Settings:
    return Settings(index_dir=sample_index)


@pytest.fixture()
def build(embedder, tmp_path):
    """Build an index of a content folder: build(content_dir) -> Settings pointing at it."""

    def _build(content_dir: Path, index_dir: Path | None = None, **kwargs) -> Settings:
        settings = Settings(content_dir=content_dir, index_dir=index_dir or tmp_path / "index")
        build_index(content_dir, settings.index_dir, embedder, chunk_settings(embedder), **kwargs)
        return settings

    return _build


# --- the web app and a real browser -------------------------------------------------------------

CHROMIUM = Path("/usr/bin/chromium")
BROWSER_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--no-first-run"]
needs_browser = pytest.mark.skipif(not CHROMIUM.exists(), reason="no Chromium at /usr/bin/chromium "
                                   "(apt-get install chromium); browser tests need a real browser")


def start_app(assistant, settings: Settings | None = None) -> tuple[object, str]:
    """The app on a free loopback port, started as `assistant serve` starts it: (demo, url)."""
    import socket

    from ui import create_app, launch

    demo = create_app(assistant, settings or assistant.settings)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    launch(demo, assistant, "127.0.0.1", port, block=False)
    return demo, f"http://127.0.0.1:{port}/"


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.skip("no Chromium at /usr/bin/chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as play:
        chromium = play.chromium.launch(executable_path=str(CHROMIUM), args=BROWSER_ARGS)
        yield chromium
        chromium.close()


def open_page(browser, url: str, width: int = 1280, height: int = 900):
    page = browser.new_page(viewport={"width": width, "height": height})
    page.goto(url)
    page.locator("#kb-question textarea").wait_for()
    return page


def ask_in_page(page, question: str):
    """Type a question, press Enter, wait for the new answer: (its element, seconds it took)."""
    import time

    answers = page.locator("#kb-chat .kb-answer")
    before = answers.count()
    page.locator("#kb-question textarea").fill(question)
    started = time.perf_counter()
    page.locator("#kb-question textarea").press("Enter")
    answers.nth(before).wait_for(timeout=30_000)
    return answers.nth(before), time.perf_counter() - started


# --- the doors for other sites: a page on a second loopback origin, and an app that allows it ----------

class PageServer:
    """Static pages served from a folder on their own loopback port: another origin than the app's."""

    def __init__(self, root: Path):
        import functools
        import threading
        from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

        class Quiet(SimpleHTTPRequestHandler):
            def log_message(self, *args):
                pass

        self.root = root
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(root)))
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def page(self, name: str, body: str) -> str:
        """Write a page and return its address."""
        (self.root / name).write_text(f"<!doctype html><html><head><meta charset='utf-8'><title>{name}</title>"
                                      f"</head><body>{body}</body></html>", encoding="utf-8")
        return f"{self.origin}/{name}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="session")
def page_server(tmp_path_factory):
    server = PageServer(tmp_path_factory.mktemp("pages"))
    yield server
    server.close()


DOORS_RATE_LIMIT = 20  # per client per minute in `doors_app`; tests that exhaust it use their own address


@pytest.fixture(scope="session")
def doors_app(sample_index, embedder, page_server):
    """The sample served with the page server's origin allowed: (assistant, app url)."""
    from assistant import Assistant

    settings = Settings(index_dir=sample_index, allowed_origins=page_server.origin,
                        rate_limit_per_minute=DOORS_RATE_LIMIT)
    assistant = Assistant(settings, embedder=embedder)
    demo, url = start_app(assistant, settings)
    yield assistant, url
    demo.close()
