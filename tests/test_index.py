"""The index on disk: manifest, checks on load, incremental rebuilds, locking."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from filelock import FileLock

from assistant import Assistant, Settings
from assistant.cli import main
from corpus import ChunkSettings
from index import (
    BuildLocked,
    BuildOptions,
    CorruptIndex,
    IndexMismatch,
    MissingIndex,
    NothingIndexed,
    build_index,
    current_version,
    load_index,
    plan_build,
)
from index.manifest import FORMAT_VERSION

ARTICLE = """---
title: {title}
url: https://kb.example.org/{slug}/
---
# {title}

## Overview
{body}
"""


def write(folder, slug, title, body):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{slug}.md").write_text(ARTICLE.format(title=title, slug=slug, body=body))


@pytest.fixture()
def content(tmp_path):
    folder = tmp_path / "content"
    write(folder, "budgets", "Tracking project budgets", "Forecast spend monthly and record accruals for invoices.")
    write(folder, "risks", "Keeping a risk register", "Every risk needs an owner, a score and a next review date.")
    write(folder, "gates", "Stage gate reviews", "A gate review decides whether a project may continue.")
    return folder


def chunker(embedder):
    return ChunkSettings(embedder.max_tokens, 200, 32)


def test_manifest_records_what_the_index_holds(content, tmp_path, embedder):
    build_index(content, tmp_path / "index", embedder, chunker(embedder))
    index = load_index(tmp_path / "index")
    manifest = json.loads((tmp_path / "index" / "versions" / index.version / "manifest.json").read_text())
    assert manifest["format_version"] == FORMAT_VERSION
    assert manifest["model"] == {"name": "all-MiniLM-L6-v2", "dimension": 384, "max_seq_length": 256,
                                 "variant": "fp32", "backend": embedder.backend}
    assert embedder.backend in ("openvino-bf16", "openvino-f32", "onnx")
    assert manifest["counts"] == {"documents": 3, "chunks": 3, "by_type": {"article": 3}, "segments": 1,
                                  "deleted": 0}
    assert set(manifest["documents"]) == {"budgets.md", "risks.md", "gates.md"}
    [segment] = manifest["segments"]
    assert segment["rows"] == 3 and segment["ann"] == {"kind": "exact"}  # small: exact search
    record = json.loads((tmp_path / "index" / "segments" / segment["name"] / "segment.json").read_text())
    assert {"vectors.npy", "chunks.zst", "offsets.npy", "docs.npy", "units.npy", "unit_scales.npy"} <= set(record["files"])
    assert "sentence-transformers" in manifest["libraries"] and manifest["built_at"]


def test_missing_index_says_what_to_run(tmp_path):
    with pytest.raises(MissingIndex, match="run `assistant build` first"):
        load_index(tmp_path / "nowhere")


def test_model_mismatch_is_refused_with_the_fix(content, tmp_path, embedder):
    build_index(content, tmp_path / "index", embedder, chunker(embedder))
    with pytest.raises(IndexMismatch, match="assistant build --full"):
        load_index(tmp_path / "index", expected_model="BAAI/bge-small-en-v1.5")


FORMAT_4 = Path(__file__).parent / "data" / "format4-index"  # two articles, as format 4 (before issue 30) wrote them


def test_an_index_of_the_previous_format_is_refused_with_the_rebuild_message(tmp_path):
    index_dir = shutil.copytree(FORMAT_4, tmp_path / "index")
    with pytest.raises(IndexMismatch, match=r"has format 4, this version reads 6 — run `assistant build --full`"):
        load_index(index_dir)
    asked = CliRunner().invoke(main, ["ask", "How do I claim expenses?", "--index", str(index_dir)])
    assert asked.exit_code == 1 and "run `assistant build --full`" in asked.output


def test_a_build_over_the_previous_format_rewrites_it_in_full(content, tmp_path, embedder):
    index_dir = shutil.copytree(FORMAT_4, tmp_path / "index")
    report = build_index(content, index_dir, embedder, chunker(embedder))
    assert report.full and "has format 4" in report.full_reason and report.chunks_embedded == 3
    assert load_index(index_dir).manifest.format_version == FORMAT_VERSION == 6


def test_altered_index_file_is_refused(content, tmp_path, embedder):
    build_index(content, tmp_path / "index", embedder, chunker(embedder))
    [chunks] = (tmp_path / "index" / "segments").glob("*/chunks.zst")
    chunks.write_bytes(chunks.read_bytes()[:-20])
    with pytest.raises(CorruptIndex, match="checksum mismatch"):
        load_index(tmp_path / "index")


def test_rebuild_embeds_only_what_changed_and_forgets_deleted(content, tmp_path, embedder):
    index_dir = tmp_path / "index"
    first = build_index(content, index_dir, embedder, chunker(embedder))
    assert (first.added, first.chunks_embedded) == (3, 3)
    write(content, "budgets", "Tracking project budgets", "Forecast spend weekly using the purple ledger method.")
    write(content, "lessons", "Lessons learned", "Hold a retrospective within two weeks of closing.")
    (content / "gates.md").unlink()
    plan = plan_build(content, index_dir, embedder.name, chunker(embedder))
    assert (plan.added, plan.changed, plan.removed) == (("lessons.md",), ("budgets.md",), ("gates.md",))
    second = build_index(content, index_dir, embedder, chunker(embedder))
    assert (second.added, second.changed, second.removed, second.unchanged) == (1, 1, 1, 1)
    assert second.chunks_embedded == 2
    assistant = Assistant(Settings(index_dir=index_dir), embedder)
    assert assistant.ask("purple ledger method").passages[0].doc_id == "budgets.md"
    for question in ("gate review decides whether a project may continue", "stage gate"):
        assert all(p.doc_id != "gates.md" for p in assistant.ask(question, top_k=10).passages)


def test_unchanged_content_publishes_nothing_new(content, tmp_path, embedder):
    first = build_index(content, tmp_path / "index", embedder, chunker(embedder))
    again = build_index(content, tmp_path / "index", embedder, chunker(embedder))
    assert not again.published and again.version == first.version and again.chunks_embedded == 0


def test_chunker_change_forces_a_full_rebuild(content, tmp_path, embedder):
    build_index(content, tmp_path / "index", embedder, chunker(embedder))
    report = build_index(content, tmp_path / "index", embedder, ChunkSettings(256, 120, 16))
    assert report.full and "chunker settings changed" in report.full_reason and report.chunks_embedded == 3


def test_nothing_indexable_keeps_the_previous_index(content, tmp_path, embedder):
    build_index(content, tmp_path / "index", embedder, chunker(embedder))
    before = current_version(tmp_path / "index")
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "blank.md").write_text("   \n")
    with pytest.raises(NothingIndexed, match="previous index is unchanged"):
        build_index(empty, tmp_path / "index", embedder, chunker(embedder))
    assert current_version(tmp_path / "index") == before
    assert len(load_index(tmp_path / "index").chunks) == 3


def test_a_second_build_at_once_is_refused(content, tmp_path, embedder):
    index_dir = tmp_path / "index"
    index_dir.mkdir()
    with FileLock(str(index_dir / "build.lock")):
        with pytest.raises(BuildLocked, match="Another build is running"):
            build_index(content, index_dir, embedder, chunker(embedder))


def test_old_versions_are_pruned(content, tmp_path, embedder):
    index_dir = tmp_path / "index"
    for n in range(4):
        write(content, "budgets", "Tracking project budgets", f"Revision {n} of the budget advice.")
        build_index(content, index_dir, embedder, chunker(embedder), BuildOptions(keep_versions=2))
    versions = sorted(p.name for p in (index_dir / "versions").iterdir())
    assert len(versions) == 2 and current_version(index_dir) == versions[-1]


def test_an_index_inside_the_content_folder_is_not_indexed(content, embedder):
    index_dir = content / "search-index"
    build_index(content, index_dir, embedder, chunker(embedder))
    (content / "notes.txt").write_text("Board notes about the quarterly review.")
    report = build_index(content, index_dir, embedder, chunker(embedder))
    assert report.added == 1 and report.documents == 4
    assert not any(doc.startswith("search-index/") for doc in load_index(index_dir).manifest.documents)
