"""The Milvus backend against a real milvus-lite server process on loopback (no mock): a build, an
incremental edit and delete, a builder killed mid-version, a server that is not there."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest

pytest.importorskip("pymilvus", reason="the Milvus backend needs pymilvus: pip install '.[milvus]' (make install does)")
pytest.importorskip("milvus_lite", reason="these tests start a milvus-lite server: pip install '.[milvus]' "
                                          "(milvus-lite 2.5, setuptools<81; make install does)")

from assistant import Settings  # noqa: E402
from assistant.answer.search import Assistant  # noqa: E402
from assistant.answer.stores import milvus_target  # noqa: E402
from assistant.build.run import run_build  # noqa: E402
from assistant.config import SAMPLE_CONTENT  # noqa: E402
from index import BackendUnavailable, CorruptIndex, MissingIndex  # noqa: E402
from index.milvus import connect  # noqa: E402
from index.milvus.lite import free_port  # noqa: E402
from index.milvus.versions import current, read_manifest, rows_name, version_names  # noqa: E402

ARTICLES = {
    "risks.md": "# Risk registers\n\nEvery risk needs an owner, a score and a review date. Review the register weekly.\n",
    "gates.md": "# Stage gates\n\nA stage gate review decides whether a project continues, pauses or stops.\n",
    "lantern.md": "# The lantern protocol\n\nThe lantern protocol for portfolio triage: every proposal is scored by "
                  "the portfolio board within five days.\n",
}


@pytest.fixture()
def kb(tmp_path, milvus, request):
    """Settings of a small content folder indexed into its own collection on the worker's milvus-lite
    server (conftest's `milvus`)."""
    content = tmp_path / "content"
    content.mkdir()
    for name, text in ARTICLES.items():
        (content / name).write_text(text)
    name = "t_" + "".join(c if c.isalnum() else "_" for c in request.node.name)[:60]
    return Settings(content_dir=content, index_dir=tmp_path / "index", index_backend="milvus",
                    milvus_uri=milvus.uri, milvus_collection=name, keep_versions=2)


def top_doc(assistant: Assistant, question: str) -> str:
    return assistant.ask(question).passages[0].doc_id


def stored_rows(conn, where: str = "row >= 0") -> int:
    """Rows in the collection every version's rows live in, whichever versions have them."""
    return int(conn.call("query", rows_name(conn), filter=where, output_fields=["count(*)"])[0]["count(*)"])


def test_build_publishes_a_version_that_answers_with_its_citations(kb, embedder, monkeypatch):
    monkeypatch.setenv("MILVUS_TOKEN", "secret-token-never-written")
    report = run_build(kb, embedder=embedder, show_progress=False)
    assert (report.published, report.documents, report.added, report.search["kind"]) == (True, 3, 3, "milvus")
    assistant = Assistant(kb, embedder)
    answer = assistant.ask("What is the lantern protocol for portfolio triage?")
    assert answer.answered and answer.passages[0].doc_id == "lantern.md"
    assert answer.passages[0].title == "The lantern protocol" and "five days" in answer.passages[0].highlight
    assert top_doc(assistant, "who decides if a project continues") == "gates.md"
    again = run_build(kb, embedder=embedder, show_progress=False)
    assert (again.published, again.version, again.chunks_embedded) == (False, report.version, 0)
    conn = connect(milvus_target(kb))
    written = read_manifest(conn, report.version).to_json() + json.dumps(report.as_dict())
    assert "secret-token-never-written" not in written


def test_incremental_edit_and_delete_never_cites_the_deleted_document(kb, embedder):
    first = run_build(kb, embedder=embedder, show_progress=False)
    (kb.content.dir / "risks.md").write_text("# Risk registers\n\nThe quokka rule: every risk is re-scored by its "
                                             "owner each fortnight.\n")
    (kb.content.dir / "lantern.md").unlink()
    plan = run_build(kb, embedder=embedder, dry_run=True)
    assert (plan.changed, plan.removed, len(plan.unchanged)) == (("risks.md",), ("lantern.md",), 1)
    report = run_build(kb, embedder=embedder, show_progress=False)
    assert (report.changed, report.removed, report.unchanged, report.full) == (1, 1, 1, False)
    assert report.chunks_embedded == 1 and report.chunks == 2
    assistant = Assistant(kb, embedder)
    assert assistant.index.version == report.version != first.version
    for question in ("What is the lantern protocol for portfolio triage?", "lantern protocol", "portfolio board"):
        assert "lantern.md" not in [p.doc_id for p in assistant.ask(question).passages]
    assert top_doc(assistant, "what is the quokka rule") == "risks.md"
    conn = connect(milvus_target(kb))
    assert version_names(conn) == [first.version, report.version]  # keep_versions = 2
    third = run_build(replace(kb, keep_versions=1), embedder=embedder, full=True, show_progress=False)
    assert version_names(conn) == [third.version]
    assert stored_rows(conn) == third.chunks == 2  # the released versions' rows are deleted from the collection


@pytest.mark.slow
def test_a_builder_killed_mid_version_leaves_the_old_version_serving(kb, embedder, tmp_path):
    first = run_build(kb, embedder=embedder, show_progress=False)
    conn = connect(milvus_target(kb))
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "ASSISTANT_INDEX_BACKEND": "milvus",
           "ASSISTANT_MILVUS_URI": kb.milvus.uri, "ASSISTANT_MILVUS_COLLECTION": kb.milvus.collection,
           "ASSISTANT_INDEX_DIR": str(kb.index.dir), "ASSISTANT_CONTENT_DIR": str(SAMPLE_CONTENT)}
    builder = subprocess.Popen([sys.executable, "-P", "-m", "assistant", "build", "--full", "--json"], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        end = read_manifest(conn, first.version).server["end"]
        while stored_rows(conn, f"row >= {end}") == 0:  # the new version's rows are going in
            assert builder.poll() is None, builder.stderr.read().decode()[-2000:]
            assert time.monotonic() < deadline, "the builder never wrote a row"
            time.sleep(0.05)
        os.kill(builder.pid, signal.SIGKILL)
        builder.wait(timeout=10)
    finally:
        if builder.poll() is None:
            builder.kill()
    assert current(conn) == first.version
    assistant = Assistant.open(kb)
    assert assistant.index.version == first.version
    assert top_doc(assistant, "What is the lantern protocol for portfolio triage?") == "lantern.md"
    (kb.content.dir / "gates.md").write_text("# Stage gates\n\nGate reviews happen monthly.\n")
    after = run_build(kb, embedder=embedder, show_progress=False)  # deletes the half-made version's rows
    assert version_names(conn) == [first.version, after.version]
    assert stored_rows(conn) == 3 + 1  # the first version's rows and the edited article's


def test_a_server_that_is_not_there_fails_the_build_naming_it(kb, embedder, tmp_path):
    gone = replace(kb, milvus_uri=f"http://user:pw@127.0.0.1:{free_port()}")
    started = time.monotonic()
    with pytest.raises(BackendUnavailable) as failure:
        run_build(gone, embedder=embedder, show_progress=False)
    assert time.monotonic() - started < 30
    message = str(failure.value)
    assert "http://127.0.0.1:" in message and "pw" not in message and "milvus_uri" in message


def test_no_published_version_says_to_build(kb, embedder):
    with pytest.raises(MissingIndex, match="run `assistant build` first"):
        Assistant(kb, embedder)


@pytest.mark.slow
def test_cli_build_and_ask_through_milvus(kb, tmp_path):
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "ASSISTANT_INDEX_BACKEND": "milvus",
           "ASSISTANT_MILVUS_URI": kb.milvus.uri, "ASSISTANT_MILVUS_COLLECTION": kb.milvus.collection,
           "ASSISTANT_INDEX_DIR": str(kb.index.dir), "ASSISTANT_CONTENT_DIR": str(kb.content.dir)}
    built = subprocess.run([sys.executable, "-P", "-m", "assistant", "build", "--json"], env=env, capture_output=True,
                           text=True, timeout=300)
    assert built.returncode == 0, built.stderr[-2000:]
    assert json.loads(built.stdout)["search"]["kind"] == "milvus"
    asked = subprocess.run([sys.executable, "-P", "-m", "assistant", "ask", "--json", "lantern protocol triage"], env=env,
                           capture_output=True, text=True, timeout=300)
    assert asked.returncode == 0, asked.stderr[-2000:]
    assert json.loads(asked.stdout)["passages"][0]["doc_id"] == "lantern.md"


def test_settings_refuse_an_unknown_backend_and_a_bad_collection_name():
    from assistant import SettingsError, load_settings

    with pytest.raises(SettingsError, match="index_backend must be one of local, milvus"):
        load_settings(env={"ASSISTANT_INDEX_BACKEND": "opensearch"})
    with pytest.raises(SettingsError, match="milvus_collection"):
        load_settings(env={"ASSISTANT_MILVUS_COLLECTION": "kb-prod"})
    assert Path(load_settings(env={}).index.dir) == Path(".assistant/index")


def test_a_published_version_whose_collection_is_gone_says_to_rebuild(kb, embedder):
    run_build(kb, embedder=embedder, show_progress=False)
    conn = connect(milvus_target(kb))
    conn.call("drop_collection", rows_name(conn))
    with pytest.raises(CorruptIndex, match=r"is not on the Milvus server .* run `assistant build --full`"):
        Assistant(kb, embedder)
    assert run_build(kb, embedder=embedder, show_progress=False).full  # the next build starts over


@pytest.mark.slow
def test_scale_bench_smoke_prints_both_backends_side_by_side(tmp_path):
    bench = Path(__file__).resolve().parent.parent / "bench" / "scale.py"
    run = subprocess.run([sys.executable, str(bench), "--smoke", "--backend", "milvus", "--dir", str(tmp_path / "s"),
                          "--results", str(tmp_path)],
                         capture_output=True, text=True, timeout=600, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    assert run.returncode == 0, run.stderr[-3000:]
    result = json.loads(run.stdout[run.stdout.index("{"):])
    for backend in ("local", "milvus"):
        assert result[backend]["chunks"] == 2000 and result[backend]["changed_article_found"] is True
        assert result[backend]["p50_ms"] > 0 and result[backend]["recall_at_10"] >= 0.9


@pytest.mark.slow
def test_one_article_publishes_only_its_own_rows_and_the_old_version_stays_readable(kb, embedder):
    """3,000 chunks written as a full build writes them (vectors made up: no model time), then one article
    rewritten through the real build: only its rows go in, the old version still reads its old text, and
    releasing the old version deletes the replaced rows."""
    import numpy as np

    from corpus import Chunk, Document, LoadResult, Segment
    from index.build import run_build as build_into
    from index.manifest import DocumentEntry, Manifest
    from index.milvus.build import MilvusStore, write_version
    from index.milvus.store import open_version
    from index.milvus.versions import remove_old_versions
    from tests.conftest import chunk_settings

    rng = np.random.default_rng(30)
    docs = [f"kb/{d:03d}.md" for d in range(300)]
    chunks = [Chunk(f"{doc}#{n}", doc, f"Article {doc}", f"https://kb.example.org/{doc}", "article", ("Part",),
                    f"Part {n} of {doc}: forms, approvals and deadlines.", f"Article {doc}\n\nPart {n}")
              for doc in docs for n in range(10)]
    vectors = rng.normal(size=(len(chunks), embedder.dimension)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    entries = {doc: DocumentEntry(f"hash-{doc}", f"Article {doc}", f"https://kb.example.org/{doc}", "article", 10)
               for doc in docs}
    model = {"name": embedder.name, "dimension": embedder.dimension, "max_seq_length": embedder.max_tokens,
             "variant": embedder.variant, "backend": embedder.backend}
    conn = connect(milvus_target(kb))
    first = write_version(conn, chunks, vectors, [v[None, :] for v in vectors], Manifest(
        model, chunk_settings(embedder).as_dict(), entries, 0, "now", str(kb.content.dir)))
    lantern = "The lantern protocol for portfolio triage: every proposal is scored by the board within five days."
    loaded = [Document(d, e.title, e.url, e.source_type, (), e.content_hash) for d, e in entries.items()]
    loaded[42] = Document(docs[42], "Lantern", entries[docs[42]].url, "article", (Segment(lantern, ("Overview",),
                                                                                          "overview"),), "new-hash")
    report = build_into(MilvusStore(milvus_target(kb), kb.index.dir), lambda known: LoadResult(tuple(loaded), (), ()),
                        kb.content.dir, embedder, chunk_settings(embedder))
    assert (report.changed, report.unchanged, report.chunks_embedded, report.chunks) == (1, 299, 1, 2991)
    assert stored_rows(conn) == 3001 and stored_rows(conn, "row >= 3000") == 1  # the article's one row, no copy
    segments = read_manifest(conn, report.version).segments
    assert [(s["first"], s["rows"], s["deleted"], s["dead"]) for s in segments] == [(0, 3000, 10, [[420, 430]]),
                                                                                   (3000, 1, 0, [])]
    new = Assistant(kb, embedder)
    answer = new.ask("What is the lantern protocol for portfolio triage?")
    assert answer.passages[0].doc_id == docs[42] and "five days" in answer.passages[0].text
    old = open_version(conn, first)  # still readable, as its own rows only
    assert old.chunk(425).text.startswith("Part 5 of kb/042.md") and old.chunk(3000).text == ""
    assert [c.doc_id for c in old.chunks].count(docs[42]) == 10 and len(list(new.index.chunks)) == 2991
    assert remove_old_versions(conn, keep=1) == [first]
    assert stored_rows(conn) == 2991 and stored_rows(conn, "row >= 420 and row < 430") == 0


@pytest.mark.slow
@pytest.mark.parametrize("stop", ["SIGTERM", "SIGINT"])
def test_the_lite_launcher_stops_its_server_when_it_is_stopped(tmp_path, stop):
    from index.milvus.lite import _listening, free_port

    port = free_port()
    launcher = subprocess.Popen([sys.executable, "-m", "index.milvus.lite", str(tmp_path / "milvus.db"), "--port",
                                 str(port)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert "listening" in launcher.stdout.readline(), launcher.stderr.read()[-2000:]
        assert _listening(port)
        launcher.send_signal(getattr(signal, stop))
        assert launcher.wait(timeout=60) == 0
        deadline = time.monotonic() + 60
        while _listening(port):  # the server process goes with it
            assert time.monotonic() < deadline, f"milvus-lite still listens on {port} after the launcher's {stop}"
            time.sleep(0.2)
    finally:
        launcher.kill()
