"""`assistant eval` on a small BEIR-layout folder, through the real entry point."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from assistant.cli import main

DOCS = {
    "d1": ("Risk registers", "Every risk needs an owner, a likelihood and impact score, and a review date."),
    "d2": ("Earned value", "Cost performance index is earned value divided by actual cost."),
    "d3": ("Stakeholder maps", "Plot stakeholders on a power and interest grid to plan engagement."),
    "d4": ("Stage gates", "A gate review decides whether a project continues, changes or stops."),
    "d5": ("Lessons learned", "Hold a retrospective within two weeks and file actions in a lessons library."),
}
QUERIES = {"q1": ("how is the cost performance index calculated", "d2"),
           "q2": ("who decides if a project should stop at a gate", "d4"),
           "q3": ("power interest grid for stakeholders", "d3")}


@pytest.fixture()
def dataset(tmp_path):
    folder = tmp_path / "tiny"
    (folder / "qrels").mkdir(parents=True)
    (folder / "corpus.jsonl").write_text("".join(
        json.dumps({"_id": i, "title": t, "text": x}) + "\n" for i, (t, x) in DOCS.items()))
    (folder / "queries.jsonl").write_text("".join(
        json.dumps({"_id": q, "text": text}) + "\n" for q, (text, _) in QUERIES.items())
        + json.dumps({"_id": "off", "text": "best banana bread recipe", "metadata": {"type": "off_topic"}}) + "\n")
    (folder / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\n" + "".join(
        f"{q}\t{doc}\t1\n" for q, (_, doc) in QUERIES.items()))
    return folder


@pytest.mark.parametrize("mode", ["dense", "bm25", "hybrid"])
def test_eval_json_on_a_beir_folder(dataset, mode):
    result = CliRunner().invoke(main, ["eval", "--dataset", str(dataset), "--mode", mode, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert {"dataset", "mode", "queries", "recall@1", "recall@5", "recall@10", "mrr@10", "ndcg@10",
            "seconds"} <= set(data)
    assert data["mode"] == mode and data["queries"] == 3 and data["off_topic"] == 1
    assert data["recall@1"] == 1.0 and data["ndcg@10"] == 1.0 and data["recall@10"] == 1.0


def test_eval_text_report_and_reuse_of_the_cached_index(dataset, tmp_path):
    first = CliRunner().invoke(main, ["eval", "--dataset", str(dataset)])
    assert first.exit_code == 0 and "ndcg@10" in first.output and "Off-topic answered" in first.output
    cached = list((tmp_path / ".assistant" / "eval").iterdir())
    again = CliRunner().invoke(main, ["eval", "--dataset", str(dataset)])
    assert again.exit_code == 0 and list((tmp_path / ".assistant" / "eval").iterdir()) == cached
    versions = list((cached[0] / "versions").iterdir())
    assert len(versions) == 1  # the unchanged corpus was not indexed again


def test_eval_of_a_folder_that_is_not_beir_says_what_it_needs(tmp_path):
    (tmp_path / "nope").mkdir()
    result = CliRunner().invoke(main, ["eval", "--dataset", str(tmp_path / "nope")])
    assert result.exit_code == 1
    assert "a BEIR folder needs corpus.jsonl, queries.jsonl and qrels/" in result.output
    assert "a knowledge base folder content/ and questions/" in result.output
