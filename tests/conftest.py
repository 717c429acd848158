"""Shared fixtures: the real bundled model, and the sample knowledge base indexed once per run.

Every test runs with HF_HUB_OFFLINE=1 and its working folder in tmp_path, so nothing reads or
writes outside the test's own folders, except the model's ONNX export cache (below).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import tempfile
from pathlib import Path

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
# The model's ONNX export (also for the CLI subprocesses the tests start): made once and kept in the
# checkout's ignored .assistant/test-model-cache, keyed by the model folder's fingerprint and the
# export format, so later runs skip the export. ASSISTANT_TEST_FRESH_EXPORT=1: a fresh one per run.
if os.environ.get("ASSISTANT_TEST_FRESH_EXPORT"):
    MODEL_CACHE = tempfile.mkdtemp(prefix="assistant-test-models-")
    atexit.register(shutil.rmtree, MODEL_CACHE, True)
else:
    MODEL_CACHE = str(Path(__file__).resolve().parent.parent / ".assistant" / "test-model-cache")
os.environ["ASSISTANT_MODEL_CACHE_DIR"] = MODEL_CACHE
# Under pytest-xdist each worker (and what it starts) embeds on its share of the cores (at least one):
# workers each running every core's worth of threads on a 2-core machine spend much of it spinning in OpenMP.
if os.environ.get("PYTEST_XDIST_WORKER"):
    CORES = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    CORE_SHARE = str(max(1, CORES // int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", 1))))
    os.environ.setdefault("ASSISTANT_ONNX_THREADS", CORE_SHARE)  # bulk embedding, ONNX Runtime and OpenVINO
    os.environ.setdefault("OMP_NUM_THREADS", CORE_SHARE)  # PyTorch (the reference backend)
KEPT_ENV = {"ASSISTANT_MODEL_CACHE_DIR", "ASSISTANT_ONNX_THREADS"}

import pytest  # noqa: E402

from assistant.build import run as building  # noqa: E402
from assistant.config import Settings  # noqa: E402
from corpus import ChunkSettings  # noqa: E402
from index import BuildOptions, Embedder, EmbedderSpec, build_index, make_embedder  # noqa: E402
from tests.pdfs import minimal_pdf  # noqa: E402


def pytest_collection_modifyitems(config, items):
    """A browser test is a slow one too: `pytest -m "not slow"` leaves both out.

    Run in parallel as `make test` does (pytest-xdist, `--dist load --maxschedchunk 1`: one test at a time
    to whichever worker is free), the slow tests go out first and spread over the workers, so the run
    does not end waiting on one of them; a module's served app may then start on several workers.
    (Not `--dist loadgroup`: with pytest 9 its groups are silently ignored, xdist 3.8 renaming tests
    through an attribute pytest no longer reads; nor `loadfile`, which sends the largest files first.)"""
    for item in items:
        if item.get_closest_marker("browser") and not item.get_closest_marker("slow"):
            item.add_marker(pytest.mark.slow)
    if os.environ.get("PYTEST_XDIST_WORKER"):
        items.sort(key=lambda item: not item.get_closest_marker("slow"))  # stable: each file's order kept
        if not _model_exported():
            # The first run of a checkout exports the model (about 15 s, one core, under a lock): the first
            # test wanting it starts the export, the tests that need no model keep the other workers busy
            # meanwhile, then the rest follow, slow first. (Every worker sorts alike: all have collected
            # before any test runs, so none sees the export made.)
            first = next((n for n, item in enumerate(items) if "embedder" in item.fixturenames), 0)
            rest = items[:first] + items[first + 1:]
            items[:] = items[first:first + 1] + sorted(rest, key=lambda item: "embedder" in item.fixturenames)


def _model_exported() -> bool:
    from index.embedding.model_cache import export_paths
    from index.embedding.protocol import DEFAULT_MODEL

    return export_paths(DEFAULT_MODEL, Path(MODEL_CACHE))[1].ready("fp32")


@pytest.fixture(scope="session", autouse=True)
def _run_folder(tmp_path_factory):
    """Fixtures wider than a test (a module's served app) are set up in a folder of the run's own, so a
    relative default (`.assistant/data`, the question log) never lands in the checkout, where the
    owner's own `assistant serve` keeps its log."""
    checkout = os.getcwd()
    os.chdir(tmp_path_factory.mktemp("run"))
    yield
    os.chdir(checkout)


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    for name in list(os.environ):
        if name.startswith("ASSISTANT_") and name not in KEPT_ENV:
            monkeypatch.delenv(name)


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    """The default embedder (fp32: OpenVINO where installed, else ONNX Runtime), exported into the test model cache."""
    return embedder_of()


def embedder_of(**fields) -> Embedder:
    """An embedder as make_embedder makes it, kept in the test model cache, on this worker's share of the cores."""
    return make_embedder(EmbedderSpec(cache_dir=Path(MODEL_CACHE), threads=int(os.environ.get("ASSISTANT_ONNX_THREADS", 0))),
                         **fields)


def chunk_settings(embedder: Embedder, settings: Settings | None = None) -> ChunkSettings:
    return building.chunk_settings(settings or Settings(), embedder)


@pytest.fixture(scope="session")
def eval_cache(tmp_path_factory, embedder) -> Path:
    """Where `evaluate` keeps its indexes in tests; holds the sample index from the start (built once
    per run), so evaluating the sample questions reuses it instead of embedding the sample again."""
    from assistant.evaluate.run import eval_index

    def build(into: Path) -> Path:  # on every core: the other worker is most likely waiting for it
        with every_core():
            return eval_index(Settings(), None, embedder_of(), cache_dir=into)

    cache = tmp_path_factory.mktemp("eval-cache")
    built_once(tmp_path_factory, "sample-index", cache, build)
    return cache


@contextlib.contextmanager
def every_core():
    """Embedders made inside embed in bulk on every core, not on this worker's share."""
    share = os.environ.pop("ASSISTANT_ONNX_THREADS", None)
    try:
        yield
    finally:
        if share is not None:
            os.environ["ASSISTANT_ONNX_THREADS"] = share


@pytest.fixture(scope="session")
def sample_index(eval_cache, embedder) -> Path:
    """The bundled sample knowledge base as `assistant eval` builds it (already in `eval_cache`, so this
    finds it unchanged); tests must not modify it."""
    from assistant.evaluate.run import eval_index

    return eval_index(Settings(), None, embedder, cache_dir=eval_cache)


def built_once(tmp_path_factory, name: str, into: Path, build) -> Path:
    """`build(folder)` -> an index folder under `folder`, made once per run, into `into`.

    In one process it is built in place. Under pytest-xdist the first worker to get here builds it in the
    run's shared temp folder while the others wait on a lock, then each worker copies it into `into`: its
    own copy, so no two workers ever run a build (even an incremental one) on the same folder."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return build(into)
    from filelock import FileLock

    shared = tmp_path_factory.getbasetemp().parent / name  # the run's temp folder, above the workers' own
    with FileLock(f"{shared}.lock"):
        done = shared / "built.txt"
        if not done.exists():
            shutil.rmtree(shared, ignore_errors=True)
            shared.mkdir()
            done.write_text(str(build(shared).relative_to(shared)), encoding="utf-8")
    built = Path(done.read_text(encoding="utf-8"))
    shutil.copytree(shared / built, into / built, ignore=shutil.ignore_patterns("build.lock"))
    return into / built


@pytest.fixture()
def sample_settings(sample_index) -> Settings:
    return Settings(index_dir=sample_index)


@pytest.fixture()
def build(embedder, tmp_path):
    """Build an index of a content folder: build(content_dir) -> Settings pointing at it."""

    def _build(content_dir: Path, index_dir: Path | None = None, embedder: Embedder = embedder, **kwargs) -> Settings:
        settings = Settings(content_dir=content_dir, index_dir=index_dir or tmp_path / "index")
        build_index(content_dir, settings.index.dir, embedder, chunk_settings(embedder), BuildOptions(**kwargs))
        return settings

    return _build


# --- the web app and a real browser -------------------------------------------------------------

CHROMIUM = Path("/usr/bin/chromium")
BROWSER_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--no-first-run"]
needs_browser = pytest.mark.skipif(not CHROMIUM.exists(), reason="no Chromium at /usr/bin/chromium "
                                   "(apt-get install chromium); browser tests need a real browser")


def start_app(assistant, settings: Settings | None = None) -> tuple[object, str]:
    """The app on a free loopback port, started as `assistant serve` starts it: (server, url);
    `server.web` is the ui.app.WebApp, `server.close()` stops it."""
    from ui import create_app, launch

    server = launch(create_app(assistant, settings or assistant.settings), assistant, "127.0.0.1", 0, block=False)
    return server, server.url


@pytest.fixture(scope="session")
def milvus(tmp_path_factory):
    """One milvus-lite server for the worker's whole run (a start costs a second, a stop two); each test
    uses collections of its own on it. Tests that stop a server start their own."""
    from index.milvus import LiteServer

    with LiteServer(tmp_path_factory.mktemp("milvus") / "tests.db") as server:
        yield server


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
    """A new tab on the app, once the page is wired: its load events have run (the last one marks the
    chat's bubbles, ui/page.py's PLAIN_LABELS), so a question typed now is not typed before the page
    listens. The tab's console and page errors are kept for `ask_in_page`'s message."""
    page = browser.new_page(viewport={"width": width, "height": height})
    page.kb_log = []
    page.on("console", lambda message: page.kb_log.append(f"console {message.type}: {message.text}"))
    page.on("pageerror", lambda error: page.kb_log.append(f"page error: {error}"))
    page.on("requestfailed", lambda request: page.kb_log.append(f"failed: {request.method} {request.url}"))
    page.on("response", lambda response: "/gradio_api/" in response.url and page.kb_log.append(
        f"{response.status} {response.request.method} {response.url.split('/gradio_api/')[1][:60]}"))
    page.goto(url)
    page.locator("#kb-question textarea").wait_for()
    page.wait_for_function("() => window.__kbLabels === true", timeout=60_000)
    return page


def ask_in_page(page, question: str):
    """Type a question, press Enter, wait for the new answer: (its element, seconds it took). If no
    answer comes, the failure says what the page showed instead (the box, error toasts, its console)."""
    import time

    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    answers = page.locator("#kb-chat .kb-answer")
    before = answers.count()
    box = page.locator("#kb-question textarea")
    box.fill(question)
    page.wait_for_function("([el, q]) => el.value === q", arg=[box.element_handle(), question], timeout=30_000)
    started = time.perf_counter()
    box.press("Enter")
    try:
        answers.nth(before).wait_for(timeout=60_000)
    except PlaywrightTimeout:
        toasts = page.locator(".toast-body").all_inner_texts()
        raise AssertionError(f"no answer to {question!r} in 60 s; the box holds {box.input_value()!r}, "
                             f"{answers.count()} answers, toasts {toasts}, log {getattr(page, 'kb_log', [])[-30:]}") from None
    took = time.perf_counter() - started
    page.wait_for_function(SCROLLED_TO_NEWEST, timeout=30_000)  # a click before that scroll can miss
    return answers.nth(before), took


# True once the chat has scrolled the newest question to the top, as the page does just after each answer
# (ui/page.py's SCROLL_TO_NEWEST, on a timer): its box is 24 px down, or the box has nothing to scroll, or
# it is at its end with the question lower down (that scroll then moves nothing).
SCROLLED_TO_NEWEST = """() => {
  const asked = document.querySelectorAll('#kb-chat .kb-question');
  let box = asked.length ? asked[asked.length - 1].parentElement : null;
  while (box && !(box.scrollHeight > box.clientHeight && /auto|scroll/.test(getComputedStyle(box).overflowY)))
    box = box.parentElement;
  if (!box) return true;
  const top = asked[asked.length - 1].getBoundingClientRect().top - box.getBoundingClientRect().top;
  const atEnd = box.scrollTop + box.clientHeight >= box.scrollHeight - 1;
  return Math.abs(top - 24) <= 2 || (atEnd && top > 24);
}"""


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
    (`assistant.settings.analytics.data_dir`): (assistant, app url)."""
    from assistant import Assistant

    settings = Settings(index_dir=sample_index, allowed_origins=page_server.origin,
                        rate_limit_per_minute=DOORS_RATE_LIMIT, data_dir=tmp_path_factory.mktemp("doors-log"))
    assistant = Assistant(settings, embedder=embedder)
    demo, url = start_app(assistant, settings)
    yield assistant, url
    demo.close()


# --- a throwaway PostgreSQL server (Debian's postgresql: initdb + pg_ctl in a temp folder) ----------

def stop_all(processes, timeout: float = 20) -> None:
    """SIGTERM every process, then wait for each (killing one that does not stop in time)."""
    import signal
    import subprocess

    for process in processes:
        process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()


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
# --- a small knowledge base made here: hard-wrapped Markdown, a Q&A recording, a slide deck -----

COFFEE_RESTING = """---
title: Resting roasted coffee
url: https://coffee.example.org/help/resting/
---
# Resting roasted coffee

## How long to rest

Freshly roasted beans release carbon dioxide for days, and brewing them too early gives sour,
uneven cups. For espresso, rest the beans for seven to ten days; the pressure of an espresso
machine exaggerates the gas. Filter coffee is ready sooner, after about 2.5 days, e.g. for a
V60 or a batch brewer.

## Storing the beans

- **Green:** keep unroasted beans in a cool, dark room, below 60% humidity.
- **Roasted:** use a bag with a one-way valve, and keep it away from sunlight.
- **Keep a visible backlog.** Label each bag with its roast date.
"""

COFFEE_GRINDING = """---
title: Grinding for your brewer
url: https://coffee.example.org/help/grinding/
---
# Grinding for your brewer

A burr grinder gives even particles; a blade grinder chops them unevenly and makes the cup
bitter. Grind just before brewing, because ground coffee goes stale within about fifteen
minutes. For a French press use a coarse grind, like sea salt, and brew for four minutes.
"""

COFFEE_CUES = [  # (start seconds, speaker, text): a host and a guest; the answer to the cooling question at 5:02
    (185, "Sam Host", "Welcome back. Let's talk about what happens inside the roaster once it is hot."),
    (196, "Ada Roaster", "The beans turn yellow first, and the kitchen starts to smell like toasted bread."),
    (215, "Ada Roaster", "After that they brown slowly while the sugars caramelise inside each bean."),
    (236, "Sam Host", "And how do you know when the roast is getting close to done?"),
    (244, "Ada Roaster", "You listen for the cracks. The popping sound tells you the roast is developing."),
    (262, "Sam Host", "How dark do you usually take a roast for espresso at home?"),
    (270, "Ada Roaster", "I stop about a minute after the popping slows down, a medium roast."),
    (288, "Sam Host", "What about the chaff? It gets everywhere in my kitchen."),
    (296, "Ada Roaster", "Roast near an extractor fan or outdoors, and empty the chaff tray every batch."),
    (300, "Sam Host", "So what do you do with the beans when the roast is finished?"),
    (302, "Ada Roaster", "Tip them straight into a metal colander and stir them for four minutes until they are cool to the touch."),
    (320, "Ada Roaster", "If they stay hot they keep roasting, and the flavour turns flat and smoky."),
    (338, "Sam Host", "Do you use a fan to speed that up?"),
    (345, "Ada Roaster", "A desk fan blowing across the colander works well and costs nothing."),
    (380, "Sam Host", "How soon can people drink what they have roasted?"),
    (388, "Ada Roaster", "Give espresso roasts a week and filter roasts a couple of days before brewing."),
    (440, "Sam Host", "Any last tip for people starting out with a popcorn machine?"),
    (452, "Ada Roaster", "Keep notes of every batch: the time, the colour and when you heard the popping."),
    (480, "Sam Host", "Thanks Ada, that was really useful for everyone roasting at home."),
]


def _vtt_time(seconds: float) -> str:
    return f"00:{int(seconds) // 60:02d}:{int(seconds) % 60:02d}.000"


def coffee_vtt() -> str:
    blocks = ["WEBVTT", ""]
    for number, (start, speaker, text) in enumerate(COFFEE_CUES):
        end = COFFEE_CUES[number + 1][0] - 0.5 if number + 1 < len(COFFEE_CUES) else start + 10
        blocks += [f"{_vtt_time(start)} --> {_vtt_time(end)}", f"<v {speaker}>{text}</v>", ""]
    return "\n".join(blocks)


COFFEE_FACE = """site_name = "Bean Counter Help"
heading = "Roasting questions?"
subtitle = "Home roasting, answered from our guides and recordings."
placeholder = "Ask about roasting, resting or grinding…"
examples = ["How long should I rest beans for espresso?", "What grind suits a French press?"]
no_match_hint = "Try words like roast, rest, grind or brew."
accent_color = "#8b4513"
"""


def write_coffee_kb(root: Path) -> Path:
    content = root / "coffee"
    (content / "guides").mkdir(parents=True)
    (content / "sessions").mkdir()
    (content / "decks").mkdir()
    (content / "guides" / "resting.md").write_text(COFFEE_RESTING, encoding="utf-8")
    (content / "guides" / "grinding.md").write_text(COFFEE_GRINDING, encoding="utf-8")
    (content / "sessions" / "roasting-qa.vtt").write_text(coffee_vtt(), encoding="utf-8")
    (content / "sessions" / "roasting-qa.yaml").write_text(
        "title: Live Q&A - roasting at home\nurl: https://coffee.example.org/live/roasting-qa/\n", encoding="utf-8")
    (content / "decks" / "roast-levels.pdf").write_bytes(minimal_pdf([
        ["Roast levels"],
        ["First crack", "First crack begins at about 196 degrees C, when steam splits the beans.",
         "Light roasts are stopped soon after it."],
        ["Second crack", "Second crack starts near 224 degrees C and marks a dark roast."],
    ]))
    (content / "decks" / "roast-levels.yaml").write_text(
        "title: Roast levels deck\nurl: https://coffee.example.org/decks/roast-levels.pdf\n", encoding="utf-8")
    return content


@pytest.fixture(scope="session")
def coffee_index(tmp_path_factory, embedder) -> Path:
    """The small coffee knowledge base, built once; tests must not modify it."""
    root = tmp_path_factory.mktemp("coffee")
    index_dir = root / "index"
    build_index(write_coffee_kb(root), index_dir, embedder, chunk_settings(embedder))
    (root / "assistant.toml").write_text(COFFEE_FACE, encoding="utf-8")
    return index_dir
