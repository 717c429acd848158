"""Chunking real loaded documents with the bundled model's own tokenizer: the limit holds, nothing is lost."""

from __future__ import annotations

import hashlib
import random
import re
from pathlib import Path

import pytest

from corpus import ChunkSettings, Document, Segment, chunk_document, load_file

TITLE = "Growing a PMO career"
ARTICLE = f"""\
---
title: {TITLE}
url: https://help.example.org/kb/careers/
---
# {TITLE}

Most people join a PMO as analysts. The work is varied.

## Career paths

There are three common routes out of the analyst role.

### From analyst to manager

It usually takes four to six years. Ask for a mentor early.

## Salary bands

Bands depend on the size of the portfolio.
"""

SUBJECTS = ["The sponsor", "Our portfolio board", "A new analyst", "The finance partner", "Every project manager",
            "The steering group", "A delivery lead", "The change manager"]
VERBS = ["reviews", "questions", "approves", "rewrites", "escalates", "tracks", "publishes", "challenges"]
OBJECTS = ["the risk register", "the benefits profile", "each stage gate", "the weekly status report",
           "the resource plan", "every change request", "the lessons log", "the dependency map"]
WHEN = ["before the board meets", "after each sprint", "at the end of the quarter", "whenever scope moves",
        "during mobilisation", "once funding is agreed"]


def sentences(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return [f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(OBJECTS)} {rng.choice(WHEN)} (note {seed}-{i})."
            for i in range(count)]


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture()
def settings(embedder) -> ChunkSettings:
    return ChunkSettings(embedder.max_tokens, 200, 32)


def chunks_of(path: Path, embedder, settings: ChunkSettings):
    return chunk_document(load_file(path, path.parent), embedder.count_tokens, settings)


def test_bundled_model_limit_is_the_one_we_test_against(embedder):
    assert embedder.max_tokens == 256
    assert embedder.count_tokens("hello world") == 4  # [CLS] hello world [SEP]


# --- Sections and the text the model reads ------------------------------------------------------


def test_section_paths_are_carried_into_chunks(tmp_path, embedder, settings):
    chunks = chunks_of(write(tmp_path / "careers.md", ARTICLE), embedder, settings)
    assert [(c.section, c.anchor, c.text) for c in chunks] == [
        ((), None, "Most people join a PMO as analysts. The work is varied."),
        (("Career paths",), "career-paths", "There are three common routes out of the analyst role."),
        (("Career paths", "From analyst to manager"), "from-analyst-to-manager",
         "It usually takes four to six years. Ask for a mentor early."),
        (("Salary bands",), "salary-bands", "Bands depend on the size of the portfolio."),
    ]
    for chunk in chunks:
        assert (chunk.doc_id, chunk.title, chunk.url, chunk.source_type) == (
            "careers.md", TITLE, "https://help.example.org/kb/careers/", "article")


def test_embed_text_starts_with_title_and_section_path_but_text_does_not(tmp_path, embedder, settings):
    chunks = chunks_of(write(tmp_path / "careers.md", ARTICLE), embedder, settings)
    deep = chunks[2]
    assert deep.embed_text == (
        f"{TITLE} › Career paths › From analyst to manager\n\n"
        "It usually takes four to six years. Ask for a mentor early."
    )
    assert chunks[0].embed_text == f"{TITLE}\n\nMost people join a PMO as analysts. The work is varied."
    for chunk in chunks:
        assert TITLE not in chunk.text
        assert chunk.embed_text.endswith(chunk.text)
        for heading in chunk.section:
            assert heading not in chunk.text


# --- The token limit ------------------------------------------------------------------------------

LONG_WORD = "".join(hashlib.sha256(str(i).encode()).hexdigest() for i in range(47))[:3000]
LONG_HEADING = " ".join(f"governance{i} checkpoint" for i in range(60))  # ~1,300 characters


@pytest.fixture()
def long_article(tmp_path) -> tuple[Path, list[str]]:
    """About 5,000 words in five sections, one with a 3,000-character word and one with a very long heading."""
    all_sentences, parts = [], [f"# {TITLE}\n"]
    headings = ["## Why it matters", "## Roles", "### Analyst", f"### {LONG_HEADING}", "## 日本語の見出し"]
    for number, heading in enumerate(headings):
        parts.append(heading + "\n")
        for paragraph in range(7):
            body = sentences(10, seed=number * 100 + paragraph)
            all_sentences += body
            parts.append(" ".join(body) + "\n")
            if number == 1 and paragraph == 3:
                parts.append(LONG_WORD + "\n")
    path = write(tmp_path / "long.md", "\n".join(parts))
    assert 4500 < len(path.read_text().split()) < 5500
    return path, all_sentences


def test_every_chunk_fits_the_model_including_title_and_path(long_article, embedder, settings):
    path, _ = long_article
    chunks = chunks_of(path, embedder, settings)
    assert len(chunks) > 20
    sizes = [embedder.count_tokens(c.embed_text) for c in chunks]
    assert max(sizes) <= embedder.max_tokens, sorted(sizes)[-5:]
    assert {c.section[-1] for c in chunks} >= {"Roles", LONG_HEADING, "日本語の見出し"}
    assert len({c.chunk_id for c in chunks}) == len(chunks)


def test_no_sentence_is_lost_when_splitting(long_article, embedder, settings):
    path, all_sentences = long_article
    texts = [c.text for c in chunks_of(path, embedder, settings)]
    missing = [s for s in all_sentences if not any(s in text for text in texts)]
    assert missing == []


def test_a_word_longer_than_a_chunk_is_cut_but_kept_whole(long_article, embedder, settings):
    path, _ = long_article
    chunks = [c for c in chunks_of(path, embedder, settings) if c.section == ("Roles",)]
    covered = [False] * len(LONG_WORD)
    for chunk in chunks:
        for piece in chunk.text.split():
            start = LONG_WORD.find(piece) if len(piece) >= 8 else -1
            if start >= 0:
                covered[start:start + len(piece)] = [True] * len(piece)
    assert all(covered), f"{covered.count(False)} characters of the long word are in no chunk"


@pytest.mark.parametrize("title, section", [
    ("Τίτλος " * 80, ("見出し" * 200, "Überschrift " * 60, "🙂" * 300)),  # every head part at its 120-char cap
    ("A" * 5000, ("x" * 5000,)),
])
def test_huge_titles_and_headings_still_fit(embedder, settings, title, section):
    doc = Document("odd.md", title, "/source/odd.md", "article",
                   (Segment(" ".join(sentences(200, seed=7)), section=section),), "0" * 32)
    chunks = chunk_document(doc, embedder.count_tokens, settings)
    assert max(embedder.count_tokens(c.embed_text) for c in chunks) <= embedder.max_tokens
    assert all(s in " ".join(c.text for c in chunks) for s in sentences(200, seed=7))


def test_short_document_is_one_chunk(embedder, settings):
    doc = Document("a.txt", "Tiny", "/source/a.txt", "text", (Segment("Just one line."),), "0" * 32)
    (chunk,) = chunk_document(doc, embedder.count_tokens, settings)
    assert (chunk.text, chunk.embed_text, chunk.section) == ("Just one line.", "Tiny\n\nJust one line.", ())


# --- Transcripts ----------------------------------------------------------------------------------


def vtt_file(tmp_path: Path, cues: list[tuple[float, float, str, str]]) -> Path:
    def clock(seconds: float) -> str:
        ms = round(seconds * 1000)
        return f"{ms // 3_600_000:02d}:{ms // 60_000 % 60:02d}:{ms // 1000 % 60:02d}.{ms % 1000:03d}"

    blocks = [f"{clock(a)} --> {clock(b)}\n<v {who}>{text}" for a, b, who, text in cues]
    return write(tmp_path / "session.vtt", "WEBVTT\n\n" + "\n\n".join(blocks) + "\n")


@pytest.fixture()
def session_cues() -> list[tuple[float, float, str, str]]:
    speakers = ["Priya Shah", "Tom Baker"]
    cues = [(i * 4.5, i * 4.5 + 4.0, speakers[i % 2], sentence)
            for i, sentence in enumerate(sentences(120, seed=42))]
    long_cue = " ".join(sentences(60, seed=43))  # one cue far over the limit on its own
    cues[50] = (cues[50][0], cues[50][1], "Priya Shah", long_cue)
    return cues


def test_transcript_chunks_group_consecutive_cues_with_first_start_and_last_end(tmp_path, embedder, settings, session_cues):
    chunks = chunks_of(vtt_file(tmp_path, session_cues), embedder, settings)
    assert len(chunks) > 3
    covered: list[int] = []
    for chunk in chunks:
        inside = [i for i, cue in enumerate(session_cues) if i != 50 and cue[3] in chunk.text]
        if not inside:  # a piece of the one long cue
            assert (chunk.start, chunk.end) == session_cues[50][:2]
            covered.append(50)
            continue
        assert inside == list(range(inside[0], inside[-1] + 1)), "cues in a chunk must be consecutive"
        first, last = session_cues[inside[0]], session_cues[inside[-1]]
        if inside[0] == 51 and "(note 43-" in chunk.text:  # the long cue's last piece, then the cues after it
            assert chunk.start == session_cues[50][0]
        else:
            assert chunk.start == first[0]
        assert chunk.end == last[1]
        covered += inside
    assert sorted(set(covered)) == list(range(len(session_cues))), "every cue is in some chunk"
    assert [c.start for c in chunks] == sorted(c.start for c in chunks)


def test_transcript_chunk_times_exact_for_short_cues(tmp_path, embedder, settings):
    cues = [(62.5, 65.25, "Priya Shah", "Welcome to the session."), (65.5, 70.0, "Tom Baker", "Thanks, Priya."),
            (3600.0, 3602.0, "Priya Shah", "Let's wrap up.")]
    (chunk,) = chunks_of(vtt_file(tmp_path, cues), embedder, settings)
    assert (chunk.start, chunk.end) == (62.5, 3602.0)
    assert chunk.section == ("00:01:02–01:00:02",)
    assert chunk.text == "Priya Shah: Welcome to the session.\nTom Baker: Thanks, Priya.\nPriya Shah: Let's wrap up."
    assert chunk.embed_text == f"Session › 00:01:02–01:00:02\n\n{chunk.text}"


def test_transcript_chunks_fit_the_model_and_name_speakers(tmp_path, embedder, settings, session_cues):
    chunks = chunks_of(vtt_file(tmp_path, session_cues), embedder, settings)
    assert max(embedder.count_tokens(c.embed_text) for c in chunks) <= embedder.max_tokens
    for chunk in chunks:
        assert re.search(r"^(Priya Shah|Tom Baker): ", chunk.text, re.M) or chunk.start == session_cues[50][0]
    long_pieces = [c for c in chunks if c.start == session_cues[50][0] and "Tom Baker" not in c.text]
    assert len(long_pieces) >= 2 and long_pieces[0].text.startswith("Priya Shah: ")
    joined = " ".join(c.text for c in chunks)
    assert all(s in joined for s in sentences(60, seed=43))


def test_srt_speakers_appear_in_chunk_text(tmp_path, embedder, settings):
    path = write(tmp_path / "talk.srt", "1\n00:00:01,000 --> 00:00:04,000\nPRIYA: Welcome everyone.\n\n"
                                         "2\n00:00:05,000 --> 00:00:07,000\nTom Baker: Thanks.\n")
    (chunk,) = chunks_of(path, embedder, settings)
    assert chunk.text == "Priya: Welcome everyone.\nTom Baker: Thanks."
    assert (chunk.start, chunk.end) == (1.0, 7.0)


# --- Stable ids -----------------------------------------------------------------------------------


def test_same_content_gives_same_chunk_ids(tmp_path, embedder, settings, long_article):
    path, _ = long_article
    first = [c.chunk_id for c in chunks_of(path, embedder, settings)]
    copy = write(tmp_path / "again" / "long.md", path.read_text())
    assert [c.chunk_id for c in chunks_of(copy, embedder, settings)] == first
    assert all(cid.startswith("long.md#") for cid in first)


def test_editing_one_section_changes_only_its_chunk_ids(tmp_path, embedder, settings):
    path = write(tmp_path / "careers.md", ARTICLE)
    before = {c.section: c.chunk_id for c in chunks_of(path, embedder, settings)}
    write(path, ARTICLE.replace("four to six years", "five to seven years"))
    after = {c.section: c.chunk_id for c in chunks_of(path, embedder, settings)}
    changed = {section for section in before if before[section] != after[section]}
    assert changed == {("Career paths", "From analyst to manager")}


def test_repeated_paragraphs_get_distinct_ids(embedder, settings):
    doc = Document("a.md", "T", "/a", "article",
                   (Segment("Same words.", ("A",)), Segment("Same words.", ("A",))), "0" * 32)
    ids = [c.chunk_id for c in chunk_document(doc, embedder.count_tokens, settings)]
    assert len(ids) == 2 and len(set(ids)) == 2
