"""Live reload: a served app under a steady stream of questions while two rebuilds publish.

Every document of a content edition carries that edition's marker word, so an answer whose
passages came from two index versions would show two markers. No question may fail, every answer
must come from one published version, and once the app serves the last edition it never goes back.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import replace

import pytest
from gradio_client import Client

from assistant import Assistant
from index import current_version, load_index
from conftest import start_app
from ui.reload import IndexReloader


EDITIONS = ("amber", "cobalt", "scarlet")
QUESTIONS = ("How do we run a risk register?", "When should we forecast project spend?",
             "What happens at a stage gate review?", "Who owns the benefits register?")
NEW_QUESTION = "What is the lantern protocol for portfolio triage?"
CLIENTS = 3
DEADLINE_S = 45


def write_edition(content, edition: int) -> None:
    """The whole folder at one edition: three base articles, plus the new article from edition 1 on."""
    marker = f"Edition {EDITIONS[edition]}."
    articles = {
        "risks.md": "# Risk registers\n\nEvery risk needs an owner, a score and a monthly review date.",
        "budgets.md": "# Budgets\n\nForecast project spend monthly and record accruals at each month end.",
        "gates.md": "# Stage gates\n\nA stage gate review decides whether a project continues, stops or changes.",
    }
    if edition >= 1:
        step = "scored by the sponsor" if edition == 1 else "scored by the portfolio board within five days"
        articles["lantern.md"] = ("# The lantern protocol\n\nThe lantern protocol for portfolio triage: every "
                                  f"proposal is {step}, then ranked against strategic themes.")
    for name, body in articles.items():
        (content / name).write_text(f"{body} {marker}\n", encoding="utf-8")


def edition_of(passages: list[dict]) -> set[str]:
    return {word for p in passages for word in EDITIONS if f"Edition {word}." in p["text"]}


@pytest.mark.slow  # a served app under concurrent questions while two builds publish
def test_questions_never_fail_or_mix_versions_while_two_rebuilds_publish(build, embedder, tmp_path):
    content = tmp_path / "content"
    content.mkdir()
    write_edition(content, 0)
    settings = replace(build(content), rate_limit_per_minute=0)  # clients ask faster than one visitor may
    assistant = Assistant(settings, embedder=embedder)
    demo, url = start_app(assistant)
    results: list[tuple[float, float, str, object]] = []  # (started, ended, question, result or exception)
    stop = threading.Event()

    def ask_steadily(worker: int) -> None:
        client = Client(url, verbose=False)
        for n in range(200):
            if stop.is_set():
                return
            question = (QUESTIONS + (NEW_QUESTION,))[(n + worker) % (len(QUESTIONS) + 1)]
            started = time.monotonic()
            try:
                result = client.predict(question, 5, api_name="/search")
            except Exception as exc:  # noqa: BLE001 — a failed question is what this test counts
                result = exc
            results.append((started, time.monotonic(), question, result))

    workers = [threading.Thread(target=ask_steadily, args=(w,), daemon=True) for w in range(CLIENTS)]
    published: dict[str, set[tuple[str, str]]] = {}  # version -> (doc_id, text) of its chunks
    swap_seconds = []
    try:
        for worker in workers:
            worker.start()
        deadline = time.monotonic() + DEADLINE_S
        published[current_version(settings.index.dir)] = chunk_texts(settings.index.dir)
        for edition in (1, 2):
            time.sleep(1.5)  # questions keep flowing on the current version first
            write_edition(content, edition)
            build(content)
            version = current_version(settings.index.dir)
            published[version] = chunk_texts(settings.index.dir, version)
            done = time.monotonic()
            while assistant.index.version != version and time.monotonic() < deadline:
                time.sleep(0.01)
            swap_seconds.append(time.monotonic() - done)
            assert assistant.index.version == version, "the app did not swap to the newly published index"
        swapped_at = time.monotonic()
        while time.monotonic() < deadline and (  # enough answers after the swap, the new article's among them
                sum(r[0] > swapped_at for r in results) < 2 * CLIENTS
                or not any(r[0] > swapped_at and r[2] == NEW_QUESTION for r in results)):
            time.sleep(0.1)
    finally:
        stop.set()
        for worker in workers:
            worker.join(timeout=30)
        demo.close()

    print(f"\n{len(results)} questions; publish → serving the new index: "
          + ", ".join(f"{s:.2f} s" for s in swap_seconds))
    failed = [(q, r) for _, _, q, r in results if isinstance(r, Exception)]
    assert failed == []
    for _, _, question, result in results:
        assert result["passages"], question
        assert len(edition_of(result["passages"])) == 1, (question, result)
        chunks = {(p["doc_id"], p["text"]) for p in result["passages"]}
        assert any(chunks <= texts for texts in published.values()), (question, result)
    after = [(q, r) for started, _, q, r in results if started > swapped_at]
    assert len(after) >= 2 * CLIENTS
    assert all(edition_of(r["passages"]) == {"scarlet"} for _, r in after)
    lantern = [r for q, r in after if q == NEW_QUESTION]
    assert lantern and all(r["passages"][0]["doc_id"] == "lantern.md" for r in lantern)
    assert all("portfolio board within five days" in r["passages"][0]["text"] for r in lantern)
    assert any(edition_of(r["passages"]) == {"amber"} for _, _, _, r in results), "no question ran before"


def chunk_texts(index_dir, version: str | None = None) -> set[tuple[str, str]]:
    return {(c.doc_id, c.text) for c in load_index(index_dir, version=version).chunks}


def load_manifest_segments(index_dir, version: str) -> list[str]:
    manifest = json.loads((index_dir / "versions" / version / "manifest.json").read_text())
    return [s["name"] for s in manifest["segments"]]


def test_a_bad_new_index_is_refused_and_the_old_one_keeps_serving(build, embedder, tmp_path, caplog):
    content = tmp_path / "content"
    content.mkdir()
    write_edition(content, 0)
    settings = build(content)
    assistant = Assistant(settings, embedder=embedder)
    good = assistant.index.version
    write_edition(content, 1)
    build(content)
    bad = current_version(settings.index.dir)
    new_segment = load_manifest_segments(settings.index.dir, bad)[-1]
    (settings.index.dir / "segments" / new_segment / "chunks.zst").write_text("garbage\n")  # checksum fails
    reloader = IndexReloader(assistant)
    assert reloader.check() is False
    assert assistant.index.version == good
    assert "refused" in caplog.text and "checksum" in caplog.text
    caplog.clear()
    assert reloader.check() is False and caplog.text == ""  # refused once, not reloaded every second
    assert assistant.ask("lantern protocol").passages[0].doc_id != "lantern.md"
    write_edition(content, 2)
    build(content, full=True)
    assert reloader.check() is True
    assert assistant.ask(NEW_QUESTION).passages[0].doc_id == "lantern.md"


def test_the_reloader_thread_swaps_without_any_question_and_stops(build, embedder, tmp_path):
    content = tmp_path / "content"
    content.mkdir()
    write_edition(content, 0)
    settings = build(content)
    assistant = Assistant(settings, embedder=embedder)
    reloader = IndexReloader(assistant, interval=0.05)
    reloader.start()
    try:
        write_edition(content, 1)
        build(content)
        deadline = time.monotonic() + 10
        while assistant.index.version != current_version(settings.index.dir) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert assistant.index.version == current_version(settings.index.dir)
    finally:
        reloader.stop()
        reloader.join(timeout=5)
    assert not reloader.is_alive()
