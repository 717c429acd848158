"""Content loaders on real files in tmp_path: what a user sees after pointing the assistant at a folder."""

from __future__ import annotations

import codecs
import io
import os
import textwrap
from pathlib import Path

import pytest
from pypdf import PdfReader

from corpus import LoadError, Segment, load_file, load_folder
from tests.pdfs import minimal_pdf

CAREERS_MD = """\
---
title: PMO careers guide
url: https://help.example.org/kb/careers/
updated: 2024-03-05
type: guide
---
# Careers in the PMO

Most people join a PMO as analysts.

## Career paths

There are three common routes.

### From analyst to manager

It usually takes four to six years.

## FAQ & Tips

Ask for a mentor early.
"""


def write(root: Path, rel: str, content: str | bytes) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(textwrap.dedent(content), encoding="utf-8")
    return path


def skipped(result) -> dict[str, str]:
    return {item.path: item.reason for item in result.skipped}


# --- Markdown -------------------------------------------------------------------------------


def test_markdown_front_matter_sets_title_url_date_and_type(tmp_path):
    path = write(tmp_path, "careers.md", CAREERS_MD)
    doc = load_file(path, tmp_path)
    assert doc.doc_id == "careers.md"
    assert doc.title == "PMO careers guide"
    assert doc.url == "https://help.example.org/kb/careers/"
    assert doc.updated == "2024-03-05"
    assert doc.source_type == "guide"
    assert doc.warnings == ()


def test_markdown_sections_and_anchors_follow_the_headings(tmp_path):
    doc = load_file(write(tmp_path, "careers.md", CAREERS_MD), tmp_path)
    assert [(s.section, s.anchor, s.text) for s in doc.segments] == [
        ((), None, "Most people join a PMO as analysts."),
        (("Career paths",), "career-paths", "There are three common routes."),
        (("Career paths", "From analyst to manager"), "from-analyst-to-manager", "It usually takes four to six years."),
        (("FAQ & Tips",), "faq--tips", "Ask for a mentor early."),  # GitHub: one '-' per space
    ]
    # The page's own heading is its title, not a section, even when front matter names it differently.
    assert all("Careers in the PMO" not in s.section for s in doc.segments)


def test_markdown_title_falls_back_to_first_heading_then_file_name(tmp_path):
    with_heading = write(tmp_path, "a.md", "# Running a RAID log\n\nTrack risks weekly.\n")
    assert load_file(with_heading, tmp_path).title == "Running a RAID log"
    without = write(tmp_path, "stage-gate_reviews.md", "Gates stop projects that should stop.\n")
    doc = load_file(without, tmp_path)
    assert doc.title == "Stage gate reviews"
    assert doc.segments == (Segment(text="Gates stop projects that should stop."),)


def test_markdown_anchors_false_in_front_matter_drops_anchors(tmp_path):
    path = write(tmp_path, "a.md", "---\nanchors: false\n---\n# T\n\n## Part one\n\nBody text.\n")
    doc = load_file(path, tmp_path)
    assert doc.segments == (Segment(text="Body text.", section=("Part one",), anchor=None),)


def test_malformed_front_matter_is_skipped_with_a_one_line_reason(tmp_path):
    write(tmp_path, "bad.md", "---\ntitle: [unclosed\nurl: x\n---\n# Bad\n\nBody.\n")
    write(tmp_path, "good.md", "# Good\n\nStill loads.\n")
    result = load_folder(tmp_path)
    assert [d.doc_id for d in result.documents] == ["good.md"]
    reason = skipped(result)["bad.md"]
    assert reason.startswith("malformed front matter:")
    assert "\n" not in reason


# --- HTML ---------------------------------------------------------------------------------------

PAGE = """\
<!doctype html>
<html><head><title>Site title | PMO Hub</title>
<link rel="canonical" href="https://help.example.org/kb/raid-logs/">
<meta property="og:url" content="https://help.example.org/og-only/">
<style>.NAV{color:red} STYLETEXT</style><script>var s = "SCRIPTTEXT";</script></head>
<body>
<nav>NAVTEXT Home About</nav>
<h1>RAID logs that work</h1>
<p>A RAID log tracks risks, <b>assumptions</b>, issues and dependencies.</p>
<h2 id="why-keep-one">Why keep one</h2>
<p>It keeps the board informed.</p>
<h3>Without an id</h3>
<p>Owners review it weekly.</p>
<aside>ASIDETEXT related articles</aside>
<h2 id="owners">Owners &amp; reviews</h2>
<ul><li>Weekly review</li><li>Named owner</li></ul>
<footer>FOOTERTEXT copyright 2024</footer>
<script>console.log("SCRIPT2TEXT")</script>
</body></html>
"""


def test_html_keeps_main_content_only(tmp_path):
    doc = load_file(write(tmp_path, "raid.html", PAGE), tmp_path)
    everything = "\n".join(s.text for s in doc.segments)
    for boilerplate in ("NAVTEXT", "FOOTERTEXT", "ASIDETEXT", "SCRIPTTEXT", "SCRIPT2TEXT", "STYLETEXT", "color:red"):
        assert boilerplate not in everything
    assert "A RAID log tracks risks, assumptions, issues and dependencies." in everything


def test_html_title_url_sections_and_id_anchors(tmp_path):
    doc = load_file(write(tmp_path, "raid.html", PAGE), tmp_path)
    assert doc.title == "RAID logs that work"
    assert doc.url == "https://help.example.org/kb/raid-logs/"
    assert doc.source_type == "article"
    assert [(s.section, s.anchor, s.text) for s in doc.segments] == [
        ((), None, "A RAID log tracks risks, assumptions, issues and dependencies."),
        (("Why keep one",), "why-keep-one", "It keeps the board informed."),
        (("Why keep one", "Without an id"), None, "Owners review it weekly."),  # no id: no made-up anchor
        (("Owners & reviews",), "owners", "Weekly review\nNamed owner"),
    ]


def test_html_title_from_title_tag_and_url_from_og_url(tmp_path):
    page = ("<html><head><title>Benefits tracking</title>"
            "<meta property='og:url' content='https://help.example.org/kb/benefits/'></head>"
            "<body><p>Track benefits after closure.</p></body></html>")
    doc = load_file(write(tmp_path, "benefits.htm", page), tmp_path)
    assert doc.title == "Benefits tracking"
    assert doc.url == "https://help.example.org/kb/benefits/"
    assert doc.segments == (Segment(text="Track benefits after closure."),)


# --- Plain text -----------------------------------------------------------------------------


def test_plain_text_is_one_segment_titled_from_the_file_name(tmp_path):
    path = write(tmp_path, "notes/weekly_status-tips.txt", "First paragraph.\r\n\r\n\r\nSecond   paragraph.\n")
    doc = load_file(path, tmp_path)
    assert doc.doc_id == "notes/weekly_status-tips.txt"
    assert doc.title == "Weekly status tips"
    assert doc.source_type == "text"
    assert doc.url == "/read/notes/weekly_status-tips.txt"
    assert doc.segments == (Segment(text="First paragraph.\n\nSecond paragraph."),)


# --- Transcripts ----------------------------------------------------------------------------

VTT = """\
WEBVTT

00:00:01.000 --> 00:00:04.000
<v Priya Shah>Welcome to the PMO session.

00:01:02.500 --> 00:01:05.250
<v Tom>Thanks, Priya. Let's start with governance.

01:00:00.000 --> 01:00:02.000
No voice on this cue.
"""

SRT = """\
1
00:00:01,000 --> 00:00:04,000
PRIYA: Welcome everyone.

2
00:01:02,500 --> 00:01:05,250
Tom Baker: Thanks for having me.

3
00:01:06,000 --> 00:01:08,000
no speaker on this line.
"""


def test_vtt_cues_keep_times_and_voices(tmp_path):
    doc = load_file(write(tmp_path, "sessions/kickoff.vtt", VTT), tmp_path)
    assert doc.source_type == "transcript"
    assert doc.title == "Kickoff"
    assert doc.segments == (
        Segment(text="Welcome to the PMO session.", start=1.0, end=4.0, speaker="Priya Shah"),
        Segment(text="Thanks, Priya. Let's start with governance.", start=62.5, end=65.25, speaker="Tom"),
        Segment(text="No voice on this cue.", start=3600.0, end=3602.0),
    )


def test_srt_cues_keep_times_and_name_prefixes(tmp_path):
    doc = load_file(write(tmp_path, "talk.srt", SRT), tmp_path)
    assert doc.segments == (
        Segment(text="Welcome everyone.", start=1.0, end=4.0, speaker="Priya"),
        Segment(text="Thanks for having me.", start=62.5, end=65.25, speaker="Tom Baker"),
        Segment(text="no speaker on this line.", start=66.0, end=68.0),
    )


def test_transcript_sidecar_gives_title_url_and_date(tmp_path):
    path = write(tmp_path, "kickoff.vtt", VTT)
    write(tmp_path, "kickoff.yaml", "title: PMO kickoff webinar\nurl: https://video.example.org/kickoff\ndate: 2024-05-01\n")
    doc = load_file(path, tmp_path)
    assert (doc.title, doc.url, doc.updated) == ("PMO kickoff webinar", "https://video.example.org/kickoff", "2024-05-01")
    result = load_folder(tmp_path)
    assert [d.doc_id for d in result.documents] == ["kickoff.vtt"]  # the sidecar is not a document
    assert result.skipped == ()


def test_editing_the_sidecar_changes_the_content_hash(tmp_path):
    path = write(tmp_path, "kickoff.vtt", VTT)
    write(tmp_path, "kickoff.yaml", "title: First title\n")
    before = load_file(path, tmp_path).content_hash
    write(tmp_path, "kickoff.yaml", "title: Second title\n")
    assert load_file(path, tmp_path).content_hash != before


@pytest.mark.parametrize("name, content", [
    ("broken.vtt", "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nFirst.\n\n00:00:0x.000 --> 00:00:04.000\nLost cue.\n"),
    ("seconds.vtt", "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nFirst.\n\n00:00:61.000 --> 00:00:62.000\nLost cue.\n"),
    ("noheader.vtt", "00:00:01.000 --> 00:00:02.000\nFirst.\n"),
    ("broken.srt", "1\n00:00:01,000 --> 00:00:02,000\nFirst.\n\n2\n00:00:0x,000 --> 00:00:04,000\nLost cue.\n"),
])
def test_broken_timestamps_skip_the_file_with_a_reason(tmp_path, name, content):
    write(tmp_path, name, content)
    write(tmp_path, "ok.txt", "Still here.")
    result = load_folder(tmp_path)
    assert [d.doc_id for d in result.documents] == ["ok.txt"]
    reason = skipped(result)[name]
    assert reason.startswith("not valid WebVTT" if name.endswith(".vtt") else "not valid SubRip")
    assert "\n" not in reason


def test_bad_vtt_timestamp_reason_names_the_line(tmp_path):
    write(tmp_path, "broken.vtt", "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nFirst.\n\n00:00:0x.000 --> 00:00:04.000\nLost.\n")
    assert skipped(load_folder(tmp_path))["broken.vtt"] == (
        "not valid WebVTT: bad cue time on line 6 ('00:00:0x.000 --> 00:00:04.000'); times look like 00:01:02.500"
    )


@pytest.mark.parametrize("name, content", [
    ("order.vtt", "WEBVTT\n\n00:00:10.000 --> 00:00:12.000\nSecond.\n\n00:00:01.000 --> 00:00:03.000\nFirst.\n"),
    ("order.srt", "1\n00:00:10,000 --> 00:00:12,000\nSecond.\n\n2\n00:00:01,000 --> 00:00:03,000\nFirst.\n"),
])
def test_out_of_order_cues_are_sorted_with_a_warning(tmp_path, name, content):
    write(tmp_path, name, content)
    result = load_folder(tmp_path)
    (doc,) = result.documents
    assert [(s.text, s.start, s.end) for s in doc.segments] == [("First.", 1.0, 3.0), ("Second.", 10.0, 12.0)]
    assert result.warnings == (f"{name}: cues were out of order: sorted by start time",)


@pytest.mark.parametrize("name, content", [
    ("back.vtt", "WEBVTT\n\n00:00:10.000 --> 00:00:05.000\nBackwards.\n\n00:00:11.000 --> 00:00:13.000\nKept.\n"),
    ("back.srt", "1\n00:00:10,000 --> 00:00:05,000\nBackwards.\n\n2\n00:00:11,000 --> 00:00:13,000\nKept.\n"),
])
def test_cue_ending_before_it_starts_is_dropped_with_a_warning(tmp_path, name, content):
    write(tmp_path, name, content)
    result = load_folder(tmp_path)
    (doc,) = result.documents
    assert doc.segments == (Segment(text="Kept.", start=11.0, end=13.0),)
    assert result.warnings == (f"{name}: dropped a cue with impossible times (10s → 5s)",)


# --- PDF ------------------------------------------------------------------------------------


def test_pdf_has_one_segment_per_page_with_page_numbers(tmp_path):
    data = minimal_pdf(["Hello page one", "Hello page two"])
    assert [p.extract_text() for p in PdfReader(io.BytesIO(data), strict=True).pages] == ["Hello page one", "Hello page two"]
    doc = load_file(write(tmp_path, "decks/intro-deck.pdf", data), tmp_path)
    assert doc.source_type == "deck"
    assert doc.title == "Intro deck"
    assert doc.segments == (
        Segment(text="Hello page one", section=("Page 1",), page=1),
        Segment(text="Hello page two", section=("Page 2",), page=2),
    )


def test_pdf_blank_page_is_left_out_but_numbering_holds(tmp_path):
    doc = load_file(write(tmp_path, "d.pdf", minimal_pdf(["First", "", "Third"])), tmp_path)
    assert [(s.page, s.text) for s in doc.segments] == [(1, "First"), (3, "Third")]


def test_corrupt_pdf_is_skipped_with_a_reason(tmp_path):
    write(tmp_path, "broken.pdf", b"%PDF-1.4\nthis is not really a pdf\n")
    write(tmp_path, "ok.txt", "Fine.")
    result = load_folder(tmp_path)
    assert [d.doc_id for d in result.documents] == ["ok.txt"]
    assert skipped(result)["broken.pdf"].startswith("unreadable PDF")


# --- URLs -----------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["https://help.example.org/kb/a/", "http://intranet/kb/a", "/kb/a/", "a/b.html"])
def test_documents_own_http_or_relative_url_is_used(tmp_path, url):
    doc = load_file(write(tmp_path, "a.md", f"---\nurl: {url}\n---\nBody.\n"), tmp_path, base_url="https://base.example/")
    assert doc.url == url
    assert doc.warnings == ()


@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:text/html;base64,PHNjcmlwdD4=", "JavaScript:alert(1)"])
def test_unsafe_urls_are_refused_with_a_warning_and_fall_back(tmp_path, url):
    write(tmp_path, "guides/a.md", f"---\nurl: \"{url}\"\n---\nBody.\n")
    result = load_folder(tmp_path, base_url="https://help.example.org/kb/")
    (doc,) = result.documents
    assert doc.url == "https://help.example.org/kb/guides/a"
    (warning,) = result.warnings
    assert warning.startswith("guides/a.md: refused url ")
    assert warning.endswith(": only http(s) and relative links are allowed")
    assert load_folder(tmp_path).documents[0].url == "/read/guides/a.md"


def test_base_url_joins_the_relative_path_without_extension(tmp_path):
    write(tmp_path, "guides/raid log.md", "Body.")
    write(tmp_path, "sessions/kickoff.vtt", VTT)
    result = load_folder(tmp_path, base_url="https://help.example.org/kb")
    assert [d.url for d in result.documents] == [
        "https://help.example.org/kb/guides/raid%20log",
        "https://help.example.org/kb/sessions/kickoff",
    ]


def test_without_url_or_base_url_the_source_route_is_used(tmp_path):
    write(tmp_path, "guides/raid.md", "Body.")
    assert load_folder(tmp_path).documents[0].url == "/read/guides/raid.md"


def test_same_url_twice_first_in_path_order_wins(tmp_path):
    write(tmp_path, "b.md", "---\nurl: https://help.example.org/kb/x/\n---\nSecond file.\n")
    write(tmp_path, "a.md", "---\nurl: https://help.example.org/kb/x/\n---\nFirst file.\n")
    result = load_folder(tmp_path)
    assert [d.doc_id for d in result.documents] == ["a.md"]
    assert skipped(result) == {"b.md": "same url as a.md (the first file in path order wins)"}


# --- Bad files among good ones ----------------------------------------------------------------


def test_bad_files_are_skipped_with_reasons_and_good_ones_still_load(tmp_path):
    write(tmp_path, "01-good.md", "# Good one\n\nThis article loads.\n")
    write(tmp_path, "02-empty.md", b"")
    write(tmp_path, "03-blank.txt", "   \n\t\n  ")
    write(tmp_path, "04-binary.md", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x01")
    write(tmp_path, "05-scripts.html", "<html><body><script>x()</script><style>p{}</style></body></html>")
    write(tmp_path, "06-good.txt", "Plain text loads too.")
    write(tmp_path, "07-image.png", b"\x89PNG not supported")  # unsupported types are not reported
    result = load_folder(tmp_path)
    assert [d.doc_id for d in result.documents] == ["01-good.md", "06-good.txt"]
    assert skipped(result) == {
        "02-empty.md": "empty file",
        "03-blank.txt": "empty file",
        "04-binary.md": "binary data (NUL bytes), not text; remove it or save it as UTF-8 text",
        "05-scripts.html": "no text found (only markup, scripts or whitespace)",
    }


def test_whitespace_only_after_decoding_is_skipped(tmp_path):
    write(tmp_path, "nbsp.txt", "\u00a0\u3000\n".encode())  # not bytes.strip()-able, but blank text
    assert skipped(load_folder(tmp_path)) == {"nbsp.txt": "only whitespace"}


def test_invalid_utf8_is_read_as_cp1252_with_a_warning(tmp_path):
    write(tmp_path, "legacy.txt", "Caf\u00e9 costs \u20ac5 \u2013 cheap".encode("cp1252"))
    result = load_folder(tmp_path)
    assert result.documents[0].segments[0].text == "Caf\u00e9 costs \u20ac5 \u2013 cheap"
    assert result.warnings == ("legacy.txt: not UTF-8: read as Windows-1252/Latin-1",)


@pytest.mark.parametrize("encoded", [
    codecs.BOM_UTF16_LE + "# Café\n\nRésumé advice.\n".encode("utf-16-le"),
    codecs.BOM_UTF16_BE + "# Café\n\nRésumé advice.\n".encode("utf-16-be"),
    codecs.BOM_UTF8 + "# Café\n\nRésumé advice.\n".encode("utf-8"),
])
def test_bom_marked_text_is_decoded(tmp_path, encoded):
    write(tmp_path, "bom.md", encoded)
    result = load_folder(tmp_path)
    (doc,) = result.documents
    assert doc.title == "Café"
    assert doc.segments == (Segment(text="Résumé advice."),)
    assert result.warnings == ()


def test_file_over_the_size_limit_is_skipped(tmp_path):
    write(tmp_path, "big.txt", "word " * 300)
    write(tmp_path, "small.txt", "Small enough.")
    result = load_folder(tmp_path, max_bytes=1000)
    assert [d.doc_id for d in result.documents] == ["small.txt"]
    assert skipped(result) == {"big.txt": "1,500 bytes is over the 1,000 bytes limit; split the file"}


def test_symlink_outside_the_folder_is_not_followed(tmp_path):
    root, outside = tmp_path / "kb", tmp_path / "private"
    write(outside, "secret.md", "# Secret\n\nDo not index.\n")
    write(root, "good.md", "Good.")
    os.symlink(outside / "secret.md", root / "linked.md")
    os.symlink(outside, root / "linked-dir")
    result = load_folder(root)
    assert [d.doc_id for d in result.documents] == ["good.md"]
    assert skipped(result) == {
        "linked.md": "link points outside the content folder; not followed",
        "linked-dir": "link points outside the content folder; not followed",
    }


def test_symlink_inside_the_folder_is_followed_once(tmp_path):
    write(tmp_path, "real/a.md", "Shared text.")
    write(tmp_path, "b.md", "Linked file.")
    os.symlink(tmp_path / "real", tmp_path / "alias")
    os.symlink(tmp_path / "b.md", tmp_path / "c.md")
    result = load_folder(tmp_path)
    # A linked folder is walked once (first in path order); a linked file loads under its own name.
    assert sorted((d.doc_id, d.segments[0].text) for d in result.documents) == [
        ("alias/a.md", "Shared text."), ("b.md", "Linked file."), ("c.md", "Linked file."),
    ]
    assert result.skipped == ()


def test_symlink_loops_do_not_hang_or_crash(tmp_path):
    write(tmp_path, "sub/good.md", "Good.")
    os.symlink(tmp_path, tmp_path / "sub" / "up")  # a directory loop back to the root
    os.symlink("self.md", tmp_path / "self.md")  # a file link to itself
    os.symlink("b.md", tmp_path / "a.md")
    os.symlink("a.md", tmp_path / "b.md")
    result = load_folder(tmp_path)
    assert [d.doc_id for d in result.documents] == ["sub/good.md"]
    assert skipped(result) == {
        "a.md": "symlink loop; not followed",
        "b.md": "symlink loop; not followed",
        "self.md": "symlink loop; not followed",
    }


def test_broken_symlink_is_reported(tmp_path):
    os.symlink(tmp_path / "missing.md", tmp_path / "dangling.md")
    assert skipped(load_folder(tmp_path)) == {"dangling.md": "broken link or not a regular file"}


def test_hidden_files_and_folders_are_ignored(tmp_path):
    write(tmp_path, ".git/notes.md", "Not content.")
    write(tmp_path, ".draft.md", "Not content.")
    write(tmp_path, "visible.md", "Content.")
    result = load_folder(tmp_path)
    assert [d.doc_id for d in result.documents] == ["visible.md"]
    assert result.skipped == ()


def test_missing_folder_and_unsupported_file_raise_load_error(tmp_path):
    with pytest.raises(LoadError, match="does not exist or is not a folder"):
        load_folder(tmp_path / "nope")
    with pytest.raises(LoadError, match=r"^unsupported file type \.docx$"):
        load_file(write(tmp_path, "a.docx", b"PK"), tmp_path)


def test_same_content_gives_same_hash_and_edits_change_it(tmp_path):
    path = write(tmp_path, "a.md", CAREERS_MD)
    first, second = load_file(path, tmp_path), load_file(path, tmp_path)
    assert first == second
    write(tmp_path, "a.md", CAREERS_MD.replace("four to six", "five to seven"))
    assert load_file(path, tmp_path).content_hash != first.content_hash
