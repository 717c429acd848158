"""Every accepted text round-trips: line and paragraph separators, NEL, form feeds, controls, emoji,
right-to-left text and combining marks never break a build, the published index, or a search.

The property test writes one file per format with arbitrary Unicode in its body, title, headings,
cue texts and metadata, builds with the real model, and checks the build either skips a file with a
reason or indexes it, the published version loads as `serve` loads it, and a word from each indexed
file's text finds that file.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assistant import Assistant, Settings
from assistant.cli import main
from corpus import LoadResult, chunk_document, load_folder
from corpus.beir import load_corpus
from corpus.text import clean, clean_line
from index import CorruptIndex, IndexStoreError, build_index, current_version, load_index
from tests.conftest import chunk_settings
from tests.test_loaders import minimal_pdf

BREAKS = "\u2028\u2029\u0085\x0b\x0c\x1c\x1d\x1e"


def test_clean_turns_every_separator_into_the_whitespace_it_means():
    assert clean("one\u2028two\u0085three\x0bfour\x1cfive\x1dsix\x1eseven") == \
        "one\ntwo\nthree\nfour\nfive\nsix\nseven"
    assert clean("para one\u2029para two\x0cpage two") == "para one\n\npara two\n\npage two"
    assert clean("tab\x1fseparated\x00\x07 bell\x7f") == "tab separated bell"
    assert clean("lone \ud800 surrogate") == "lone \ufffd surrogate"
    assert clean("café 🙂 עברית e\u0301") == "café 🙂 עברית é"  # NFC, nothing else changes
    assert clean_line(f"A{BREAKS}title\n\nhere") == "A title here"
    assert all(len(clean(f"a{ch}b").splitlines()) == len(clean(f"a{ch}b").split("\n")) for ch in BREAKS)


def write_separator_folder(root: Path) -> Path:
    """The issue's three files: an HTML page and a VTT cue holding U+2028/U+2029, and a Markdown file."""
    root.mkdir()
    (root / "page.html").write_text(
        "<html><head><title>Travel\u2028policy</title></head><body><main><h1>Travel\u2028policy</h1>"
        "<h2 id='approvals'>Budget\u2029approvals</h2><p>Budget approvals\u2028need two signatures"
        "\u2029and a receipt\u0085for every trip.</p></main></body></html>", encoding="utf-8")
    (root / "talk.vtt").write_text(
        "WEBVTT\n\n00:00:01.000 --> 00:00:05.000\n<v Ana\u2028Lee>We map stakeholders\u2028on a power grid.\n\n"
        "00:00:06.000 --> 00:00:09.000\n<v Ben>And keep\u2029a risk register.\n", encoding="utf-8")
    (root / "talk.yaml").write_text("title: \"Session\\u2028recording\"\nurl: https://example.org/talk\n")
    (root / "gantt.md").write_text("# Gantt\u2028charts\n\nBars\x0bshow\x0cthe schedule of each task.\n",
                                   encoding="utf-8")
    return root


def test_separator_folder_builds_and_every_file_is_found(tmp_path, build, embedder):
    settings = build(write_separator_folder(tmp_path / "content"))
    assistant = Assistant(settings, embedder=embedder)
    for question, doc_id in (("signatures for budget approvals", "page.html"),
                             ("stakeholders power grid", "talk.vtt"), ("gantt bars schedule", "gantt.md")):
        answer = assistant.ask(question, top_k=1)
        assert answer.passages[0].doc_id == doc_id
        assert not any(ch in answer.passages[0].text + answer.passages[0].title for ch in BREAKS)
    titles = {c.doc_id: c.title for c in assistant.index.chunks}
    assert titles["talk.vtt"] == "Session recording" and titles["page.html"] == "Travel policy"


def test_cli_build_and_ask_with_separators_exit_zero(tmp_path):
    content = write_separator_folder(tmp_path / "content")
    built = CliRunner().invoke(main, ["build", str(content), "--index", str(tmp_path / "idx")])
    assert built.exit_code == 0, built.output
    asked = CliRunner().invoke(main, ["ask", "stakeholders on a power grid", "--index", str(tmp_path / "idx"),
                                      "--json", "--top-k", "1"])
    assert asked.exit_code == 0 and json.loads(asked.output)["passages"][0]["doc_id"] == "talk.vtt"


def test_a_damaged_chunk_record_is_named_with_its_file_and_row(tmp_path, build):
    import numpy as np
    import zstandard

    from index.records import ChunkRecords

    settings = build(write_separator_folder(tmp_path / "content"))
    [chunks] = (settings.index.dir / "segments").glob("*/chunks.zst")
    offsets = np.load(chunks.parent / "offsets.npy")  # a zstd frame a row (few rows: no dictionary)
    frames = chunks.read_bytes()
    record = zstandard.ZstdDecompressor().decompress(frames[offsets[1]:offsets[2]])
    damaged = zstandard.ZstdCompressor().compress(record[: len(record) // 2])
    chunks.write_bytes(frames[:offsets[1]] + damaged + frames[offsets[2]:])
    np.save(chunks.parent / "offsets.npy", np.r_[offsets[:2], offsets[2:] + len(damaged) - (offsets[2] - offsets[1])])
    with pytest.raises(CorruptIndex) as caught:
        ChunkRecords.open(chunks.parent).chunk(1)
    assert f"{chunks}, row 2," in str(caught.value) and "assistant build --full" in str(caught.value)


def test_a_version_that_does_not_load_back_is_never_published(tmp_path, build, embedder, monkeypatch):
    settings = build(write_separator_folder(tmp_path / "content"))
    published = current_version(settings.index.dir)
    (tmp_path / "content" / "new.md").write_text("# New\n\nA new article about lessons learned.\n")
    from index import records

    real = records.json_line
    monkeypatch.setattr(records, "json_line", lambda record: real(record)[:-1] + "\u2028")  # a writer bug
    with pytest.raises(IndexStoreError) as caught:
        build_index(tmp_path / "content", settings.index.dir, embedder, chunk_settings(embedder))
    message = str(caught.value)
    assert "did not load back as `assistant serve` would load it" in message and "chunks.zst" in message
    assert "Nothing was published" in message and "build --full" not in message
    assert current_version(settings.index.dir) == published
    assert load_index(settings.index.dir).version == published


def test_beir_lines_with_odd_ids_are_skipped_and_odd_texts_read_back_exactly(tmp_path, embedder):
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text(json.dumps({"_id": "id\ud800x", "title": "T", "text": "risk registers"}) + "\n"
                      + json.dumps({"_id": "a", "title": "T\u2028t", "text": "risk \ud83d registers"}) + "\n"
                      + json.dumps({"_id": "b", "title": "Budget", "text": "budget\u2029approvals"},
                                   ensure_ascii=False) + "\n", encoding="utf-8")
    loaded = load_corpus(corpus)
    assert [d.doc_id for d in loaded.documents] == ["a", "b"]
    assert [s.path for s in loaded.skipped] == ["corpus.jsonl:1"] and "surrogates" in loaded.skipped[0].reason
    build_index(tmp_path, tmp_path / "idx", embedder, chunk_settings(embedder), loaded=loaded)
    index = load_index(tmp_path / "idx")
    assert {c.text for c in index.chunks} == {"risk \ufffd registers", "budget\n\napprovals"}
    assert {c.title for c in index.chunks} == {"T t", "Budget"}


def test_chunk_records_with_lone_surrogates_round_trip(tmp_path):
    from corpus import Chunk
    from index import store

    chunk = Chunk("d\ud800#1", "d\ud800", "T\u2028", "/source/d", "article", ("S\u0085",), "a\u2029b", "T a b")
    path = tmp_path / "chunks.jsonl"
    path.write_text(store._json_line(chunk.to_dict()) * 2, encoding="utf-8")
    assert store.read_chunks(path) == (chunk, chunk)
    from index.records import ChunkRecords, write_records

    write_records(tmp_path, [chunk] * 300)  # as a segment stores them: a frame a row, with a dictionary
    assert (tmp_path / "chunks.dict").is_file()
    assert [ChunkRecords.open(tmp_path).chunk(row) for row in (0, 299)] == [chunk, chunk]


def test_eval_on_a_beir_folder_whose_texts_hold_separators_completes(tmp_path):
    folder = tmp_path / "sep"
    (folder / "qrels").mkdir(parents=True)
    docs = {"d1": "Every risk\u2028needs an owner\u2029and a review date.",
            "d2": "Earned value\u0085divided by actual cost\x0cgives the cost performance index.",
            "d3": "Plot stakeholders on a power\u2028and interest grid."}
    (folder / "corpus.jsonl").write_text("".join(json.dumps({"_id": i, "title": f"Doc\u2028{i}", "text": t},
                                                            ensure_ascii=False) + "\n" for i, t in docs.items()),
                                         encoding="utf-8")
    (folder / "queries.jsonl").write_text(json.dumps({"_id": "q1", "text": "cost performance index"}) + "\n")
    (folder / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nq1\td2\t1\n")
    result = CliRunner().invoke(main, ["eval", "--dataset", str(folder), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["recall@1"] == 1.0


# --- the property: arbitrary Unicode in every loader --------------------------------------------

INTERESTING = st.sampled_from(list(BREAKS) + ["\x00", "\x07", "\x1f", "\x7f", "\u200d", "\u202e", "\ufeff",
                                              "\ud83d", "🙂", "👩‍💻", "ש", "ع", "e\u0301", "\u0301", "\t", " "])
TEXT = st.lists(st.one_of(INTERESTING, st.characters(exclude_categories=()),
                          st.sampled_from(["plan", "review", "<b>", "**", "#", "-->", ":", "&amp;", "\n"])),
                max_size=25).map("".join)
LINE = TEXT.map(lambda text: text.replace("\n", " "))


def yaml_text(value: str) -> str:
    return json.dumps(value)  # a JSON string is a YAML double-quoted scalar, escapes included


def write_files(root: Path, texts: dict) -> dict[str, str]:
    """One file per format, each holding its own marker word; returns {doc_id: marker}."""
    import html

    root.mkdir(exist_ok=True)
    t = texts
    files = {
        "article.md": ("quokkamd", f"---\ntitle: {yaml_text(t['title'])}\n---\n# {t['heading']}\n\n"
                                   f"{t['body']}\n\nParagraph quokkamd {t['body2']}\n"),
        "page.html": ("quokkahtml", f"<html><head><title>{html.escape(t['title'])}</title></head><body><nav>x</nav>"
                                    f"<main><h2 id='s'>{html.escape(t['heading'])}</h2><p>{html.escape(t['body'])} "
                                    f"quokkahtml {html.escape(t['body2'])}</p></main></body></html>"),
        "notes.txt": ("quokkatxt", f"{t['body']} quokkatxt {t['body2']}"),
        "talk.vtt": ("quokkavtt", f"WEBVTT\n\n00:00:01.000 --> 00:00:04.000\n<v {t['speaker']}>quokkavtt "
                                  f"{t['cue']}\n\n00:00:05.000 --> 00:00:06.000\n{t['cue']}\n"),
        "talk2.srt": ("quokkasrt", f"1\n00:00:01,000 --> 00:00:04,000\n{t['speaker']}: quokkasrt {t['cue']}\n\n"),
    }
    for name, (_, body) in files.items():
        (root / name).write_bytes(body.encode("utf-8", "surrogatepass"))
    for name in ("notes", "talk", "talk2", "deck"):
        (root / f"{name}.yaml").write_bytes(f"title: {yaml_text(t['title'])}\nurl: https://example.org/{name}\n"
                                            .encode("utf-8", "surrogatepass"))
    (root / "deck.pdf").write_bytes(minimal_pdf([f"quokkapdf {t['ascii']}", "second page"]))
    return {name: marker for name, (marker, _) in files.items()} | {"deck.pdf": "quokkapdf"}


def load_all(root: Path, texts: dict) -> tuple[LoadResult, dict[str, str]]:
    """The folder's files and one BEIR corpus line, loaded: (what loaded or was skipped, {doc_id: marker})."""
    markers = write_files(root, texts)
    corpus = root.parent / (root.name + "-corpus.jsonl")
    corpus.write_bytes(json.dumps({"_id": texts["title"] or "t", "title": texts["heading"],
                                   "text": f"{texts['body']} quokkabeir {texts['body2']}"}).encode() + b"\n")
    folder, beir = load_folder(root), load_corpus(corpus)
    assert len(beir.documents) + len(beir.skipped) == 1
    markers.update({d.doc_id: "quokkabeir" for d in beir.documents})
    loaded = LoadResult(folder.documents + beir.documents, folder.skipped + beir.skipped, ())
    assert all(s.reason for s in loaded.skipped)
    assert {d.doc_id for d in loaded.documents} | {s.path for s in loaded.skipped} >= set(markers) - {"quokkabeir"}
    return loaded, markers


ANY_TEXTS = st.fixed_dictionaries({
    "title": LINE, "heading": LINE, "body": TEXT, "body2": TEXT, "cue": LINE, "speaker": LINE,
    "ascii": st.text(st.characters(min_codepoint=32, max_codepoint=126, exclude_characters="()\\"), max_size=30),
})
QUICK = settings(max_examples=int(os.environ.get("PROPERTY_EXAMPLES", 60)), deadline=None,
                 suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
SLOW = settings(QUICK, max_examples=max(1, QUICK.max_examples // 20))


@QUICK
@given(texts=ANY_TEXTS)
def test_any_text_in_any_loader_chunks_and_round_trips_exactly(tmp_path_factory, embedder, texts):
    from index import store

    from index.records import ChunkRecords, write_records

    loaded, markers = load_all(tmp_path_factory.mktemp("content"), texts)
    path = tmp_path_factory.mktemp("chunks") / "chunks.jsonl"
    for doc in loaded.documents:
        chunks = chunk_document(doc, embedder.count_tokens, chunk_settings(embedder))
        assert any(markers[doc.doc_id] in c.embed_text for c in chunks), doc.doc_id  # body or heading
        for chunk in chunks:
            for text in (chunk.text, chunk.embed_text, chunk.title, *chunk.section):
                assert text.splitlines() == text.split("\n") and "\r" not in text
            assert "\n" not in chunk.title + "".join(chunk.section)
        path.write_text("".join(store._json_line(c.to_dict()) for c in chunks), encoding="utf-8")
        assert store.read_chunks(path) == tuple(chunks)
        folder = tmp_path_factory.mktemp("blocks")
        write_records(folder, chunks)  # as a segment stores them
        assert tuple(ChunkRecords.open(folder).chunk(row) for row in range(len(chunks))) == tuple(chunks)


@SLOW
@given(texts=ANY_TEXTS)
def test_any_text_in_any_loader_is_published_and_found_by_a_word_of_it(tmp_path_factory, embedder, texts):
    root = tmp_path_factory.mktemp("content")
    loaded, markers = load_all(root, texts)
    if not loaded.documents:
        return
    index_dir = root.parent / (root.name + "-index")
    build_index(root, index_dir, embedder, chunk_settings(embedder), loaded=loaded)
    assistant = Assistant(Settings(index_dir=index_dir), embedder=embedder)
    for doc in loaded.documents:
        found = [p.doc_id for p in assistant.ask(markers[doc.doc_id], top_k=3).passages]
        assert doc.doc_id in found, (doc.doc_id, found)
