"""Serving from Milvus: the web API and the chat while the server goes away and comes back, and two
`assistant serve` replicas that share nothing but the Milvus server moving to a newly published version."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import httpx
import pytest

pytest.importorskip("pymilvus", reason="the Milvus backend needs pymilvus: pip install '.[milvus]' (make install does)")
pytest.importorskip("milvus_lite", reason="these tests start a milvus-lite server: pip install '.[milvus]' "
                                          "(milvus-lite 2.5, setuptools<81; make install does)")

from conftest import ask_in_page, needs_browser, open_page, start_app, stop_all  # noqa: E402

from assistant import Settings  # noqa: E402
from assistant.answer.search import Assistant  # noqa: E402
from assistant.build.run import run_build  # noqa: E402
from index.milvus import LiteServer  # noqa: E402
from index.milvus.lite import free_port  # noqa: E402
from tests.test_milvus import ARTICLES  # noqa: E402
from ui.api import UNAVAILABLE  # noqa: E402

pytestmark = pytest.mark.slow
QUESTION = "What is the lantern protocol for portfolio triage?"
DEADLINE_S = 300  # two model loads at once on a busy 2-core machine can take minutes


def content_folder(tmp_path, names=("risks.md", "gates.md", "lantern.md")):
    content = tmp_path / "content"
    content.mkdir(exist_ok=True)
    for name in names:
        (content / name).write_text(ARTICLES[name])
    return content


def test_milvus_stopped_during_questions_gives_503_with_retry_after_then_answers_again(tmp_path, embedder):
    db, port = tmp_path / "milvus" / "serving.db", free_port()
    server = LiteServer(db, port).start()
    settings = Settings(content_dir=content_folder(tmp_path), index_dir=tmp_path / "index", index_backend="milvus",
                        milvus_uri=server.uri, milvus_collection="serving", data_dir=tmp_path / "data")
    run_build(settings, embedder=embedder, show_progress=False)
    demo, url = start_app(Assistant(settings, embedder), settings)
    try:
        with httpx.Client(base_url=url, timeout=60) as http:
            answer = http.get("/api/search", params={"q": QUESTION})
            assert answer.status_code == 200 and answer.json()["passages"][0]["doc_id"] == "lantern.md"
            assert http.get("/api/health").status_code == 200
            server.stop()
            started = time.monotonic()
            down = http.get("/api/search", params={"q": "who decides whether a project continues"})
            assert time.monotonic() - started < 15
            assert down.status_code == 503 and down.headers["retry-after"] == "5"
            assert "index server is not answering" in down.json()["error"]
            health = http.get("/api/health")  # the readiness probe says why; the liveness probe stays 200
            assert health.status_code == 503 and health.headers["retry-after"] == "5"
            assert server.uri in health.json()["reason"] and "cannot be reached" in health.json()["error"]
            assert http.get("/api/live").json() == {"status": "alive"}
            server = LiteServer(db, port).start()
            deadline = time.monotonic() + 90
            while (back := http.get("/api/search", params={"q": QUESTION})).status_code != 200:
                assert back.status_code == 503 and time.monotonic() < deadline
                time.sleep(0.5)
            assert back.json()["passages"][0]["doc_id"] == "lantern.md"
            assert http.get("/api/health").status_code == 200
    finally:
        demo.close()
        server.stop()


@needs_browser
@pytest.mark.browser
def test_the_chat_says_search_is_unavailable_while_milvus_is_down_then_answers(browser, tmp_path, embedder):
    db, port = tmp_path / "milvus" / "chat.db", free_port()
    server = LiteServer(db, port).start()
    settings = Settings(content_dir=content_folder(tmp_path), index_dir=tmp_path / "index", index_backend="milvus",
                        milvus_uri=server.uri, milvus_collection="chat", data_dir=tmp_path / "data")
    run_build(settings, embedder=embedder, show_progress=False)
    demo, url = start_app(Assistant(settings, embedder), settings)
    try:
        page = open_page(browser, url)
        server.stop()
        down, _ = ask_in_page(page, QUESTION)
        assert UNAVAILABLE in down.inner_text() and "Traceback" not in page.content()
        server = LiteServer(db, port).start()
        deadline = time.monotonic() + 90
        while "lantern" not in (answer := ask_in_page(page, QUESTION)[0]).inner_text().lower():
            assert time.monotonic() < deadline, answer.inner_text()
            time.sleep(1)
        page.close()
    finally:
        demo.close()
        server.stop()


def start_replica(settings: Settings, index_dir, port: int) -> subprocess.Popen:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "ASSISTANT_INDEX_BACKEND": "milvus",
           "ASSISTANT_MILVUS_URI": settings.milvus.uri, "ASSISTANT_MILVUS_COLLECTION": settings.milvus.collection,
           "ASSISTANT_INDEX_DIR": str(index_dir), "ASSISTANT_LOG_QUESTIONS": "false"}
    return subprocess.Popen([sys.executable, "-P", "-m", "assistant", "serve", "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def top_doc(url: str, replica: subprocess.Popen, deadline: float) -> str:
    while time.monotonic() < deadline:
        assert replica.poll() is None, f"replica exited: {replica.stderr.read()[-2000:]}"
        try:
            response = httpx.get(url + "api/search", params={"q": QUESTION}, timeout=10)
            if response.status_code == 200:
                return response.json()["passages"][0]["doc_id"]
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"replica at {url} did not answer within {DEADLINE_S} s")


def test_two_replicas_sharing_only_the_milvus_server_swap_to_a_new_version(tmp_path, embedder, milvus):
    settings = Settings(content_dir=content_folder(tmp_path, ("risks.md", "gates.md")),
                        index_dir=tmp_path / "builder", index_backend="milvus", milvus_uri=milvus.uri,
                        milvus_collection="replicas")
    run_build(settings, embedder=embedder, show_progress=False)
    ports = [free_port(), free_port()]
    replicas = [start_replica(settings, tmp_path / f"replica-{n}", port) for n, port in enumerate(ports)]
    try:
        deadline = time.monotonic() + DEADLINE_S
        urls = [f"http://127.0.0.1:{port}/" for port in ports]
        assert "lantern.md" not in [top_doc(u, r, deadline) for u, r in zip(urls, replicas)]
        (settings.content.dir / "lantern.md").write_text(ARTICLES["lantern.md"])
        run_build(settings, embedder=embedder, show_progress=False)  # a third process's job: publish
        answers = ["", ""]
        while time.monotonic() < deadline and answers != ["lantern.md"] * 2:
            answers = [top_doc(u, r, deadline) for u, r in zip(urls, replicas)]
            time.sleep(0.2)
        assert answers == ["lantern.md", "lantern.md"]
    finally:
        stop_all(replicas)
