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
def doors_app(sample_index, embedder, page_server, tmp_path_factory):
    """The sample served with the page server's origin allowed, its question log in a temp folder
    (`assistant.settings.data_dir`): (assistant, app url)."""
    from assistant import Assistant

    settings = Settings(index_dir=sample_index, allowed_origins=page_server.origin,
                        rate_limit_per_minute=DOORS_RATE_LIMIT, data_dir=tmp_path_factory.mktemp("doors-log"))
    assistant = Assistant(settings, embedder=embedder)
    demo, url = start_app(assistant, settings)
    yield assistant, url
    demo.close()


# --- a throwaway PostgreSQL server (Debian's postgresql: initdb + pg_ctl in a temp folder) ----------

def _postgres_bin() -> Path | None:
    import shutil

    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name))
    return versions[-1].parent if versions else None


@pytest.fixture(scope="session")
def postgres_server():
    """A real PostgreSQL on a unix socket in a temp folder, for the session: its base url
    (`postgresql://postgres@/postgres?host=…`). initdb refuses root, so as root it runs as the
    `postgres` user (or `nobody`). Skipped, saying why, where Debian's postgresql is not installed."""
    import pwd
    import shutil
    import subprocess
    import tempfile

    bin_dir = _postgres_bin()
    if bin_dir is None:
        pytest.skip("PostgreSQL binaries not found (apt-get install postgresql); `make test` installs them")
    root = Path(tempfile.mkdtemp(prefix="assistant-pg-"))  # not under pytest's folder: root-only, and deep
    data, sock = root / "data", root / "s"
    sock.mkdir()
    as_user: list[str] = []
    if os.geteuid() == 0:
        user = next((u for u in ("postgres", "nobody") if _has_user(pwd, u)), None)
        if user is None:
            pytest.skip("running as root with no `postgres` or `nobody` user for initdb")
        entry = pwd.getpwnam(user)
        for path in (root, sock):
            os.chown(path, entry.pw_uid, entry.pw_gid)
        as_user = ["runuser", "-u", user, "--"]
    run = lambda *args: subprocess.run([*as_user, *map(str, args)], check=True, capture_output=True)  # noqa: E731
    run(bin_dir / "initdb", "-D", data, "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8")
    options = f"-c listen_addresses='' -c unix_socket_directories={sock} -c fsync=off -c max_connections=200"
    run(bin_dir / "pg_ctl", "-D", data, "-o", options, "-l", root / "log", "-w", "-t", "60", "start")
    try:
        yield f"postgresql://postgres@/postgres?host={sock}"
    finally:
        run(bin_dir / "pg_ctl", "-D", data, "-m", "immediate", "-w", "stop")
        shutil.rmtree(root, ignore_errors=True)


def _has_user(pwd, name: str) -> bool:
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


@pytest.fixture()
def postgres_url(postgres_server):
    """A fresh, empty database on the session's PostgreSQL server: its url."""
    import uuid

    import psycopg

    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_server, autocommit=True) as connection:
        connection.execute(f"CREATE DATABASE {name}")
    yield postgres_server.replace("/postgres?", f"/{name}?")
    with psycopg.connect(postgres_server, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(params=["sqlite", "postgresql"])
def store_settings(request, tmp_path) -> Settings:
    """Settings whose question log is SQLite in tmp_path, then (second run) a fresh PostgreSQL database."""
    url = request.getfixturevalue("postgres_url") if request.param == "postgresql" else None
    return Settings(data_dir=tmp_path / "data", database_url=url)
