"""The `assistant` command through its real entry point: exit codes, JSON shape, messages."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from assistant.cli import main

PASSAGE_KEYS = {"title", "url", "section", "text", "highlight", "score", "source_type", "start_seconds", "end_seconds"}


def run(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture()
def small_content(tmp_path):
    folder = tmp_path / "content"
    folder.mkdir()
    (folder / "raci.md").write_text("# RACI charts\n\n## Who decides\nA RACI chart names who is accountable.\n")
    (folder / "broken.md").write_text("---\ntitle: [unclosed\n---\nBody\n")
    return folder


def test_build_prints_a_report_with_skipped_files(small_content, tmp_path):
    result = run("build", str(small_content), "--index", str(tmp_path / "idx"))
    assert result.exit_code == 0, result.output
    assert "Indexed 1 documents into 1 chunks" in result.output
    assert "Skipped 1 file(s):" in result.output and "broken.md: malformed front matter" in result.output


def test_build_dry_run_writes_nothing(small_content, tmp_path):
    result = run("build", str(small_content), "--index", str(tmp_path / "idx"), "--dry-run")
    assert result.exit_code == 0 and "would add     raci.md" in result.output
    assert not (tmp_path / "idx").exists()


def test_build_of_a_missing_folder_fails_with_one_line(tmp_path):
    result = CliRunner().invoke(main, ["build", str(tmp_path / "nope"), "--index", str(tmp_path / "idx")])
    assert result.exit_code == 1
    assert result.output.strip() == f"Error: content folder {tmp_path / 'nope'} does not exist or is not a folder"


def test_ask_json_shape(sample_index):
    result = run("ask", "how do I move from PMO analyst to PMO manager?", "--index", str(sample_index), "--json",
                 "--top-k", "3")
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert set(data) >= {"question", "answered", "passages"} and data["answered"] is True
    assert len(data["passages"]) + len(data["more"]) == 3 and PASSAGE_KEYS <= set(data["passages"][0])
    assert data["passages"][0]["url"].startswith("/read/articles/pmo-analyst-to-pmo-manager.md")


def test_ask_text_shows_title_section_and_link(sample_index):
    result = run("ask", "what should a weekly status report for executives look like?", "--index", str(sample_index))
    assert result.exit_code == 0
    assert "1. " in result.output and "/read/articles/" in result.output


def test_ask_without_an_index_says_what_to_run(tmp_path):
    result = CliRunner().invoke(main, ["ask", "anything", "--index", str(tmp_path / "none")])
    assert result.exit_code == 1
    assert result.output.strip() == f"Error: No index at {tmp_path / 'none'} — run `assistant build` first."


def test_ask_an_empty_question_is_a_usage_error(sample_index):
    result = CliRunner().invoke(main, ["ask", "  ", "--index", str(sample_index)])
    assert result.exit_code == 2 and result.output.startswith("Error: Please type a question")


def test_model_mismatch_names_the_fix(sample_index, tmp_path):
    (tmp_path / "assistant.toml").write_text(f'index_dir = "{sample_index}"\nmodel = "{tmp_path}/other-model"\n')
    result = CliRunner().invoke(main, ["info"])
    assert result.exit_code == 1 and "run `assistant build --full`" in result.output


def test_info_json(sample_index):
    data = json.loads(run("info", "--index", str(sample_index), "--json").output)
    assert data["by_type"] == {"article": 34, "deck": 2, "transcript": 4} and data["model"] == "all-MiniLM-L6-v2"
    assert data["chunks"] > 100 and data["built_at"]


@pytest.mark.parametrize("command", sorted(main.commands))
def test_every_command_has_help_with_an_example(command):
    result = run(command, "--help")
    assert result.exit_code == 0 and "Example:" in result.output and "assistant " + command in result.output


def test_module_entry_point_runs(sample_index):
    done = subprocess.run([sys.executable, "-m", "assistant", "ask", "stakeholder power interest grid",
                           "--index", str(sample_index), "--json"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["passages"][0]["title"]


def test_ask_after_an_earlier_question_searches_with_it(coffee_index):
    result = run("ask", "how long should it be?", "--index", str(coffee_index), "--after",
                 "what grind suits a French press?", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["searched_for"] == "what grind suits a French press — how long should it be"
    assert data["passages"][0]["doc_id"] == "guides/grinding.md"
    assert {"passage_start_seconds", "passage_end_seconds", "exchange"} <= set(data["passages"][0])


def test_refusals_come_before_any_model_or_index_loads(tmp_path, monkeypatch):
    import assistant.answer.embedders

    def no_model(*args, **kwargs):
        raise AssertionError("a model was loaded for a question that is refused")

    monkeypatch.setattr(assistant.answer.embedders, "open_embedder", no_model)
    empty = CliRunner().invoke(main, ["ask", " \t", "--index", str(tmp_path / "none")])
    assert empty.exit_code == 2 and empty.output.startswith("Error: Please type a question")
    missing = CliRunner().invoke(main, ["ask", "anything", "--index", str(tmp_path / "none")])
    assert missing.exit_code == 1 and "run `assistant build` first" in missing.output


def test_ask_answers_small_talk_in_words_and_prints_reader_links_whole_with_public_url(sample_index, monkeypatch):
    hello = run("ask", "--index", str(sample_index), "hello!")
    assert hello.exit_code == 0 and hello.output.startswith("Hello!") and "  - " in hello.output
    monkeypatch.setenv("ASSISTANT_PUBLIC_URL", "https://help.example.org/kb")
    answer = run("ask", "--index", str(sample_index), "how do I move from PMO analyst to PMO manager?")
    assert answer.exit_code == 0 and "https://help.example.org/kb/read/articles/pmo-analyst-to-pmo-manager.md" in answer.output
    assert " /read/" not in answer.output


def test_config_shows_every_setting_with_where_it_came_from_and_masks_secrets(tmp_path, monkeypatch):
    face = tmp_path / "site.toml"
    face.write_text('[face]\nsite_name = "Acme Help"\n[index]\ndir = "idx"\n[serving]\nadmin_password = "letmein"\n')
    monkeypatch.setenv("ASSISTANT_TOP_K", "3")
    monkeypatch.setenv("MILVUS_TOKEN", "hunter2")
    shown = run("--config", str(face), "config", "--json")
    assert shown.exit_code == 0, shown.output
    rows = {row["flat"]: row for row in json.loads(shown.output)}
    assert (rows["site_name"]["value"], rows["site_name"]["origin"]) == ("Acme Help", f"file {face}")
    assert (rows["index_dir"]["table"], rows["index_dir"]["key"], rows["index_dir"]["value"]) == ("index", "dir", "idx")
    assert (rows["top_k"]["value"], rows["top_k"]["origin"]) == (3, "environment ASSISTANT_TOP_K")
    assert rows["heading"]["origin"] == "default"
    assert "hunter2" not in shown.output and "letmein" not in shown.output
    assert rows["milvus_token"]["origin"] == "environment MILVUS_TOKEN"
    text = run("--config", str(face), "config")
    assert "[face]" in text.output and "site_name" in text.output and "(environment ASSISTANT_TOP_K)" in text.output


def test_a_secret_the_environment_alone_may_hold_is_refused_in_the_file(tmp_path):
    face = tmp_path / "site.toml"
    face.write_text('[milvus]\ntoken = "written"\n')
    refused = CliRunner().invoke(main, ["--config", str(face), "config"])
    assert refused.exit_code == 1 and "MILVUS_TOKEN" in refused.output and "written" not in refused.output
