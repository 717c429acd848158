"""Bad content: a folder of broken and hostile files, built through `assistant build`.

Every bad file is skipped with its own one-line reason in the build report (or loads with a warning),
the good files around them are indexed and answer questions, markup in articles stays text, links
never lead outside the folder, and a build that finds nothing to index fails without touching the
published index. The loaders' own unit tests are in test_loaders.py; this is the whole build.
"""

from __future__ import annotations

import codecs
import json
import os
import random
import time
import tracemalloc
from pathlib import Path

import pytest
from click.testing import CliRunner

from assistant import Assistant, Settings
from assistant.cli import main
from corpus.errors import LoadError
from corpus.folder import MAX_FILE_BYTES, load_file
from ui.render import answer_html

BINARY = "binary data (NUL bytes), not text; remove it or save it as UTF-8 text"
NO_TEXT = "no text found (only markup, scripts or whitespace)"
OUTSIDE = "link points outside the content folder; not followed"
LOOP = "symlink loop; not followed"
FIX_YAML = "fix the YAML between the '---' lines"
VTT_TIMES = "times look like 00:01:02.500"
UNSAFE = "only http(s) and relative links are allowed"
ALIAS_BOMB = "---\n" + "".join(
    f"{name}: &{name} [{', '.join([f'*{prev}' if prev else 'lol'] * 9)}]\n"
    for prev, name in zip([None, "a", "b", "c", "d", "e", "f", "g"], "abcdefgh")
) + "title: *h\n---\n# Alias bomb survivor\n\nA billion laughs in the front matter must not stop this.\n"

# Bad files: path -> the exact one-line reason the build report gives.
SKIPPED = {
    "empty.md": "empty file",
    "whitespace.txt": "empty file",
    "nbsp-only.md": "only whitespace",
    "image.md": BINARY,
    "nul-bytes.txt": BINARY,
    "noise.txt": "binary data (control characters), not text; remove it or save it as UTF-8 text",
    "broken-utf16.txt": "broken UTF-16 text (unexpected end of data); save it as UTF-8",
    "huge.txt": f"50.0 MB is over the {MAX_FILE_BYTES / 1e6:.1f} MB limit; split the file",
    "html-no-body.html": NO_TEXT,
    "html-scripts-only.html": NO_TEXT,
    "html-nested-5000.html": "HTML nested more than 512 elements deep; simplify the page",
    "front-matter-unclosed.md": f"malformed front matter: while parsing a flow sequence; {FIX_YAML}",
    "front-matter-bad-mapping.md": f"malformed front matter: mapping values are not allowed in this context; {FIX_YAML}",
    "broken-time.vtt": f"not valid WebVTT: bad cue time on line 3 ('00:00:xx.000 --> 00:00:02.000'); {VTT_TIMES}",
    "negative-time.vtt": f"not valid WebVTT: bad cue time on line 3 ('-00:00:01.000 --> 00:00:04.000'); {VTT_TIMES}",
    "negative-time.srt": "not valid SubRip: bad cue time on line 2 ('-00:00:01,000 --> 00:00:04,000'); "
                         "times look like 00:01:02,500",
    "impossible-times.srt": "no usable SubRip cues (empty, or every cue has broken times)",
    "loop-a.md": LOOP,
    "loop-b.md": LOOP,
    "loop-self.md": LOOP,
    "dangling.md": "broken link or not a regular file",
    "pipe.txt": "broken link or not a regular file",
    "secret-link.md": OUTSIDE,
    "outside-dir": OUTSIDE,
    "same-url-b.md": "same url as same-url-a.md (the first file in path order wins)",
}
# Files that load, some with a caveat: path -> the warnings the report gives for it.
INDEXED = {
    "good/raci.md": [],
    "good/stage-gates.html": [],
    "good/session.vtt": [],
    "latin1.txt": ["not UTF-8: read as Windows-1252/Latin-1"],
    "utf16-bom.md": [],
    "utf16-no-bom.txt": ["no byte-order mark: read as UTF-16-LE"],
    "utf8-bom.md": [],
    "html-nested-300.html": [],
    "out-of-order.srt": ["cues were out of order: sorted by start time"],
    "js-url.md": [f"refused url 'javascript:alert(1)': {UNSAFE}"],
    "data-url.txt": [f"refused url 'data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==': {UNSAFE}"],
    "canonical-js.html": [f"refused url 'JaVaScRiPt:alert(document.cookie)': {UNSAFE}"],
    "alias-bomb.md": ["ignored 'title': expected text, found a list"],
    "payload.md": [],
    "payload.html": [],
    "same-url-a.md": [],
}


def write(root: Path, rel: str, content: str | bytes) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def hostile_corpus(root: Path) -> Path:
    """The content folder of good, broken and hostile files that SKIPPED and INDEXED describe."""
    outside = root.parent / "outside"
    write(outside, "secret.md", "# Salaries\n\nTOP SECRET payroll figures that must never be indexed.\n")
    # Good files, to be found around the bad ones.
    write(root, "good/raci.md", "# RACI charts\n\n## Who decides\nA RACI chart names who is responsible, "
                                "accountable, consulted and informed for each project decision.\n")
    write(root, "good/stage-gates.html", "<html><body><main><h1>Stage gates</h1><h2 id='criteria'>Gate criteria</h2>"
                                         "<p>Each stage gate checks the business case before funding continues.</p>"
                                         "</main></body></html>")
    write(root, "good/session.vtt", "WEBVTT\n\n00:00:01.000 --> 00:00:04.000\n<v Ana>We rebuilt the benefits "
                                    "register in the second month.\n")
    write(root, "good/session.yaml", "title: Benefits session\nurl: https://help.example.org/sessions/benefits/\n")
    # Empty, blank, binary.
    write(root, "empty.md", b"")
    write(root, "whitespace.txt", " \n\t\r\n  \n")
    write(root, "nbsp-only.md", "\u00a0\u3000\u2003\n")
    write(root, "image.md", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + random.Random(1).randbytes(512))
    write(root, "nul-bytes.txt", b"Looks like text\x00but has NUL bytes in it.")
    write(root, "noise.txt", random.Random(2).randbytes(8192).replace(b"\x00", b"\x01"))
    # Encodings.
    write(root, "latin1.txt", "Caf\u00e9 budget r\u00e9sum\u00e9: the na\u00efve steering committee "
                              "approved \u00a3500 for the portfolio caf\u00e9.".encode("cp1252"))
    write(root, "utf16-bom.md", codecs.BOM_UTF16_LE + "# Gantt charts\n\nA Gantt chart shows the schedule "
                                                      "of tasks over time.\n".encode("utf-16-le"))
    write(root, "utf16-no-bom.txt", "Earned value compares planned value, earned value and actual cost "
                                    "of the work done.".encode("utf-16-le"))
    write(root, "broken-utf16.txt", codecs.BOM_UTF16_LE + "Broken".encode("utf-16-le") + b"\x00\xd8")
    write(root, "utf8-bom.md", codecs.BOM_UTF8 + b"# Lessons learned\n\nRun a retrospective at every stage end.\n")
    # 50 MB of ordinary lines: refused by size before a byte is read.
    with open(root / "huge.txt", "wb") as f:
        block = b"the same line of project text, over and over again\n" * 20_000
        while f.tell() < 50_000_000:
            f.write(block[:50_000_000 - f.tell()])
    # HTML without content, and nesting that would be slow to walk.
    write(root, "html-no-body.html", "<html><head><title>Only a title</title><meta name=x></head></html>")
    write(root, "html-scripts-only.html", "<html><body><script>alert(1)</script><style>p{color:red}</style>"
                                          "<noscript>enable JS</noscript></body></html>")
    write(root, "html-nested-5000.html", "<html><body>" + "<div>level " * 5000 + "</div>" * 5000 + "</body></html>")
    write(root, "html-nested-300.html", "<html><body><h1>Nested page</h1>" + "<div>" * 300
          + "<p>The programme calendar lists every board meeting.</p>" + "</div>" * 300 + "</body></html>")
    # Front matter: broken YAML, and a YAML alias bomb that would print as gigabytes.
    write(root, "front-matter-unclosed.md", "---\ntitle: [unclosed\n---\nBody\n")
    write(root, "front-matter-bad-mapping.md", "---\ntitle: a: b: c\n---\nBody\n")
    write(root, "alias-bomb.md", ALIAS_BOMB)
    # Transcripts with broken, negative, impossible and out-of-order times.
    write(root, "broken-time.vtt", "WEBVTT\n\n00:00:xx.000 --> 00:00:02.000\nA cue with a broken time.\n")
    write(root, "negative-time.vtt", "WEBVTT\n\n-00:00:01.000 --> 00:00:04.000\nBefore the start.\n")
    write(root, "negative-time.srt", "1\n-00:00:01,000 --> 00:00:04,000\nBefore the start.\n")
    write(root, "impossible-times.srt", "1\n00:00:09,000 --> 00:00:02,000\nEnds before it starts.\n")
    write(root, "out-of-order.srt", "1\n00:00:10,000 --> 00:00:12,000\nThen the sponsor signed off.\n\n"
                                    "2\n00:00:01,000 --> 00:00:03,000\nFirst we baselined the schedule.\n")
    # Links: loops, dangling, a named pipe, and links out of the folder.
    os.symlink("loop-b.md", root / "loop-a.md")
    os.symlink("loop-a.md", root / "loop-b.md")
    os.symlink("loop-self.md", root / "loop-self.md")
    os.symlink(root, root / "good" / "up")  # a folder loop: walked once, not reported
    os.symlink(root / "missing.md", root / "dangling.md")
    os.mkfifo(root / "pipe.txt")  # reading it would block for ever
    os.symlink(outside / "secret.md", root / "secret-link.md")
    os.symlink(outside, root / "outside-dir")
    # Unsafe urls in metadata, and the same url twice.
    write(root, "js-url.md", "---\nurl: javascript:alert(1)\n---\n# Risk appetite\n\nRisk appetite statements "
                             "set the exposure a board accepts.\n")
    write(root, "data-url.txt", "Dependency maps show which projects wait on which.")
    write(root, "data-url.yaml", "title: Dependencies\n"
                                 "url: 'data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=='\n")
    write(root, "canonical-js.html", '<html><head><link rel="canonical" href="JaVaScRiPt:alert(document.cookie)">'
                                     "</head><body><p>Escalation paths name who hears about a red status first.</p>"
                                     "</body></html>")
    write(root, "same-url-a.md", "---\nurl: https://help.example.org/kb/dup/\n---\nThe first copy of the page.\n")
    write(root, "same-url-b.md", "---\nurl: https://help.example.org/kb/dup/\n---\nThe second copy of the page.\n")
    # Articles whose text carries markup and script payloads.
    write(root, "payload.md", "# <img src=x onerror=alert(1)> Variance\n\nQuarterly budget variance "
                              "<script>alert('kb')</script> is explained to the finance board.\n")
    write(root, "payload.html", "<html><body><h1>Timesheets</h1><p>Timesheet compliance &lt;script&gt;alert(2)"
                                "&lt;/script&gt; is chased every Friday.</p><script>alert(3)</script></body></html>")
    return root


def build(content: Path, index: Path):
    return CliRunner().invoke(main, ["build", str(content), "--index", str(index), "--json"], catch_exceptions=False)


@pytest.fixture(scope="module")
def hostile_build(tmp_path_factory):
    """The hostile corpus, built once through the CLI: (content, index, report, seconds)."""
    base = tmp_path_factory.mktemp("hostile")
    content = hostile_corpus(base / "content")
    started = time.perf_counter()
    result = build(content, base / "index")
    seconds = time.perf_counter() - started
    assert result.exit_code == 0, result.output
    return content, base / "index", json.loads(result.stdout), seconds


def test_every_bad_file_is_reported_with_its_reason(hostile_build):
    _, _, report, _ = hostile_build
    reasons = {s["path"]: s["reason"] for s in report["skipped"]}
    assert reasons == SKIPPED
    assert all("\n" not in r and len(r) <= 300 for r in reasons.values())


def test_the_good_files_around_them_are_indexed(hostile_build, embedder):
    _, index, report, seconds = hostile_build
    assistant = Assistant(Settings(index_dir=index), embedder=embedder)
    assert sorted(assistant.index.manifest.documents) == sorted(INDEXED)
    assert report["documents"] == len(INDEXED) and report["published"] is True
    assert seconds < 120  # no file hangs the build: not the pipe, the bomb, the nesting or the 50 MB


def test_files_that_load_with_a_caveat_carry_it_in_the_report(hostile_build):
    _, _, report, _ = hostile_build
    expected = sorted(f"{path}: {w}" for path, warnings in INDEXED.items() for w in warnings)
    assert sorted(report["warnings"]) == expected


@pytest.mark.parametrize("question, doc_id", [
    ("who is accountable in a RACI chart", "good/raci.md"),
    ("café budget résumé steering committee", "latin1.txt"),
    ("earned value planned value actual cost", "utf16-no-bom.txt"),
    ("Gantt chart schedule of tasks", "utf16-bom.md"),
    ("risk appetite statements", "js-url.md"),
    ("programme calendar board meeting", "html-nested-300.html"),
    ("benefits register", "good/session.vtt"),
])
def test_good_files_answer_questions(hostile_build, embedder, question, doc_id):
    _, index, _, _ = hostile_build
    answer = Assistant(Settings(index_dir=index), embedder=embedder).ask(question, top_k=3)
    assert doc_id in [p.doc_id for p in answer.passages]


def test_unsafe_urls_are_refused_and_the_document_links_to_its_own_source(hostile_build, embedder):
    _, index, _, _ = hostile_build
    assistant = Assistant(Settings(index_dir=index), embedder=embedder)
    links = {c.doc_id: c.url for c in assistant.index.chunks}
    assert links["js-url.md"] == "/read/js-url.md"
    assert links["data-url.txt"] == "/read/data-url.txt"
    assert links["canonical-js.html"] == "/read/canonical-js.html"
    assert links["same-url-a.md"] == "https://help.example.org/kb/dup/"
    assert not any(url.lower().startswith(("javascript:", "data:")) for url in links.values())


def test_nothing_outside_the_folder_is_indexed(hostile_build, embedder):
    _, index, _, _ = hostile_build
    assistant = Assistant(Settings(index_dir=index), embedder=embedder)
    assert not any("SECRET" in c.text or c.doc_id.startswith(("secret", "outside", "good/up/"))
                   for c in assistant.index.chunks)
    assert assistant.source_file("secret-link.md") is None


@pytest.mark.parametrize("question, doc_id, payload", [
    ("quarterly budget variance finance board", "payload.md", "<script>alert('kb')</script>"),
    ("timesheet compliance chased every Friday", "payload.html", "<script>alert(2)</script>"),
])
def test_markup_in_articles_is_indexed_as_text_and_rendered_escaped(hostile_build, embedder, question, doc_id,
                                                                    payload):
    _, index, _, _ = hostile_build
    answer = Assistant(Settings(index_dir=index), embedder=embedder).ask(question, top_k=3)
    passage = next(p for p in answer.passages if p.doc_id == doc_id)
    assert payload in passage.text  # the words are kept, as words
    html = answer_html(answer)
    assert "<script" not in html and "<img" not in html and "&lt;script&gt;" in html
    assert "alert(3)" not in passage.text  # a real <script> element is not content


def test_a_file_over_the_limit_is_refused_before_it_is_read(tmp_path):
    with open(tmp_path / "huge.txt", "wb") as f:
        f.truncate(50_000_000)  # sparse: no disk, and no memory unless someone reads it
    tracemalloc.start()
    try:
        with pytest.raises(LoadError, match=r"^50\.0 MB is over the 20\.0 MB limit; split the file$"):
            load_file(tmp_path / "huge.txt", tmp_path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1_000_000


def test_a_folder_with_nothing_to_index_fails_and_keeps_the_published_index(tmp_path, embedder):
    good, bad, index = tmp_path / "good", tmp_path / "bad", tmp_path / "index"
    write(good, "raci.md", "# RACI charts\n\nA RACI chart names who is accountable for each decision.\n")
    assert build(good, index).exit_code == 0
    published = (index / "CURRENT").read_text()
    write(bad, "empty.md", b"")
    write(bad, "image.md", b"\x89PNG\r\n\x1a\n\x00\x00")
    write(bad, "broken.vtt", "WEBVTT\n\nnot a time --> x\nhello\n")
    result = build(bad, index)
    assert result.exit_code == 1
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines[0] == "Skipped 3 file(s):"
    assert sorted(line.split(":")[0].strip() for line in lines[1:4]) == ["broken.vtt", "empty.md", "image.md"]
    assert "  empty.md: empty file" in lines
    assert lines[4:] == [f"Error: No document in {bad} could be indexed (3 skipped); the previous index is "
                         "unchanged. Fix the files listed, or point at another folder."]
    assert (index / "CURRENT").read_text() == published
    answer = Assistant(Settings(index_dir=index), embedder=embedder).ask("who is accountable for a decision?")
    assert answer.passages[0].doc_id == "raci.md"


def test_a_first_build_with_nothing_to_index_publishes_nothing(tmp_path):
    write(tmp_path / "bad", "blank.txt", "   \n")
    result = build(tmp_path / "bad", tmp_path / "index")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[:2] == ["Skipped 1 file(s):", "  blank.txt: empty file"]
    assert result.stderr.splitlines()[2].startswith("Error: No document in ")
    assert not (tmp_path / "index" / "CURRENT").exists()
