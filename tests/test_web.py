"""Web sources against a real help-centre site on loopback (tests/helpcentre_site.py): the sitemap,
the WordPress REST API, a bounded crawl, linked decks, recordings, and what a re-build costs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import chunk_settings
from helpcentre_site import HelpCentre

from assistant.answer.links import deep_link
from assistant.cli import main
from corpus.sources import load_sources
from corpus.web import Politeness, WebOptions
from index import BuildOptions, build_index, load_index

FAST = WebOptions(Politeness(rate=1000, backoff=0.01))  # tests do not wait 0.5 s a request
BOILERPLATE = ("How Can We Help", "Was this article helpful", "Please Share Your Feedback", "out of 5 stars",
               "All Topics", "Table of Contents", "Previous ", "Next ", "All rights reserved", "Popular")


@pytest.fixture()
def site():
    server = HelpCentre().start()
    yield server
    server.stop()


def web_build(embedder, index_dir: Path, sources: list, options: WebOptions = FAST, full: bool = False):
    def loader(known):
        return load_sources(sources, index_dir, None, known, options)

    return build_index(index_dir / "web", index_dir, embedder, chunk_settings(embedder),
                       BuildOptions(full=full, sources=tuple(str(s) for s in sources)), loader=loader)


def urls(site, *slugs):
    return {f"{site.url}kb/{slug}/" for slug in slugs}


def test_site_root_indexes_allowed_articles_and_the_deck_with_links(site, embedder, tmp_path):
    report = web_build(embedder, tmp_path / "index", [site.url])
    index = load_index(tmp_path / "index")
    deck = f"{site.url}wp-content/uploads/pmo-career.pdf"
    assert set(index.manifest.documents) == urls(site, "stage-gates", "raid-logs", "pmo-career", "benefits") | {
        deck, f"{site.url}about/"}
    assert not any("/kb/internal-" in path for path, _, _ in site.log), "robots.txt Disallow was not honoured"
    assert ("/kb/stage-gates/amp/", 200) in [(p, s) for p, s, _ in site.log]  # read, and indexed as its canonical
    assert any("internal-pricing" in s.path and "robots.txt" in s.reason for s in report.skipped)
    assert report.fetch[0]["mode"] == "sitemap"
    links = {deep_link(c) for c in index.chunks}
    assert f"{site.url}kb/stage-gates/#gate-criteria" in links
    assert f"{deck}#page=2" in links
    assert index.manifest.documents[deck].source_type == "deck"
    assert index.manifest.documents[deck].title == "Taking ownership of your PMO career — slides"
    text = " ".join(c.text for c in index.chunks)
    assert "Confidential day rates" not in text
    assert not [b for b in BOILERPLATE if b in text], "navigation, ratings or footer leaked into the index"
    assert report.fetch[0]["decks"] == [{"deck": deck, "article": f"{site.url}kb/pmo-career/"}]
    note = report.fetch[0]["recordings"][0]
    assert note == {"article": f"{site.url}kb/pmo-career/", "recording": "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
                    "transcript": None}


def test_rebuild_after_one_change_downloads_only_the_sitemap_and_that_page(site, embedder, tmp_path):
    web_build(embedder, tmp_path / "index", [site.url])
    site.log.clear()
    again = web_build(embedder, tmp_path / "index", [site.url])
    assert (again.changed, again.added, again.removed, again.published) == (0, 0, 0, False)
    assert site.full_downloads() == [], "an unchanged site was downloaded again"
    site.log.clear()
    site.edit("raid-logs", "Archive closed items every month so the log stays readable.")
    report = web_build(embedder, tmp_path / "index", [site.url])
    assert (report.changed, report.added, report.removed) == (1, 0, 0)
    assert report.unchanged == 5
    assert set(site.full_downloads()) <= {"/sitemap_index.xml", "/sitemap-kb.xml.gz", "/kb/raid-logs/"}
    assert "/kb/raid-logs/" in site.full_downloads()
    pages = [(p, s) for p, s, _ in site.log if p.startswith("/kb/")]
    assert [p for p, s in pages if s == 200] == ["/kb/raid-logs/"]
    # Pages with an unchanged lastmod cost no request; the one listed without a lastmod costs a 304.
    assert [(p, s) for p, s in pages if p != "/kb/raid-logs/"] == [("/kb/stage-gates/amp/", 304)]
    assert any("Archive closed items" in c.text for c in load_index(tmp_path / "index").chunks)


def test_removed_pages_leave_the_index_and_a_failing_page_keeps_its_version(site, embedder, tmp_path):
    web_build(embedder, tmp_path / "index", [site.url])
    site.remove("benefits")  # dropped from the sitemap, and 404
    site.fail("raid-logs", 410)  # still listed, with a new lastmod, but gone
    site.edit("raid-logs", "gone")
    site.fail("stage-gates", 500)
    site.edit("stage-gates", "This edit never arrives.")
    report = web_build(embedder, tmp_path / "index", [site.url])
    documents = load_index(tmp_path / "index").manifest.documents
    assert not urls(site, "benefits", "raid-logs") & set(documents) and report.removed == 2
    assert f"{site.url}kb/stage-gates/" in documents
    assert report.changed == 0
    assert any("kb/stage-gates/" in w and "HTTP 500" in w and "kept" in w for w in report.warnings), report.warnings
    assert report.fetch[0]["failed"] == 2 and report.fetch[0]["gone"] == 1  # the article and its AMP copy
    tries = [s for p, s, _ in site.log if p == "/kb/stage-gates/" and s == 500]
    assert len(tries) == 1 + FAST.politeness.retries  # retried with backoff before giving up


def test_wordpress_api_with_pagination_and_modified_after(site, embedder, tmp_path):
    api = site.url + "wp-json/"
    report = web_build(embedder, tmp_path / "index", [api])
    assert report.fetch[0]["mode"] == "wordpress"
    documents = load_index(tmp_path / "index").manifest.documents
    assert set(documents) == urls(site, "stage-gates", "raid-logs", "pmo-career", "benefits") | {
        f"{site.url}wp-content/uploads/pmo-career.pdf"}
    listing = [p for p, _, _ in site.log if p.startswith("/wp-json/wp/v2/kb")]
    assert any("page=3" in p for p in listing), "X-WP-TotalPages was not followed"
    site.log.clear()
    site.edit("benefits", "Review benefits at six and twelve months.")
    again = web_build(embedder, tmp_path / "index", [api])
    assert (again.changed, again.added, again.removed) == (1, 0, 0)
    pulls = [p for p, _, _ in site.log if "modified_after=2025-03-01T09%3A00%3A00" in p]
    assert pulls, "the second pull did not ask for items modified after the first"
    assert not [p for p, _, _ in site.log if p.startswith("/kb/")], "article pages fetched although the API gave them"


def test_crawl_when_there_is_no_sitemap_or_api(embedder, tmp_path):
    site = HelpCentre(sitemap=False, wordpress=False).start()
    try:
        report = web_build(embedder, tmp_path / "index", [site.url + "kb/"])
        documents = set(load_index(tmp_path / "index").manifest.documents)
        assert report.fetch[0]["mode"] == "crawl"
        assert urls(site, "stage-gates", "raid-logs", "pmo-career", "benefits") <= documents
        assert f"{site.url}about/" not in documents, "the crawl left the start page's folder"
        assert not any("/kb/internal-" in p for p, _, _ in site.log)
        limited = load_sources([site.url + "kb/"], None, options=WebOptions(Politeness(rate=1000), max_pages=2))
        assert len([d for d in limited.documents if d.source_type == "article"]) == 2
        assert any("stopped at 2 pages" in w for w in limited.warnings)
    finally:
        site.stop()


def test_transcript_naming_the_embedded_recording_is_attached_to_its_article(site, embedder, tmp_path):
    folder = tmp_path / "content"
    folder.mkdir()
    (folder / "career-session.vtt").write_text("WEBVTT\n\n00:00:01.000 --> 00:00:06.000\n"
                                               "Ask your manager for one stretch assignment each quarter.\n")
    (folder / "career-session.yaml").write_text("title: Career session\nurl: https://youtu.be/dQw4w9WgXcQ\n")
    report = web_build(embedder, tmp_path / "index", [folder, site.url])
    index = load_index(tmp_path / "index")
    assert index.manifest.documents["career-session.vtt"].title == (
        "Career session — recording from “Taking ownership of your PMO career”")
    assert report.fetch[0]["recordings"][0]["transcript"] == "career-session.vtt"
    cue = next(c for c in index.chunks if c.doc_id == "career-session.vtt")
    assert deep_link(cue) == "https://youtu.be/dQw4w9WgXcQ?t=1s"


def test_unreadable_site_keeps_everything_indexed_from_it(site, embedder, tmp_path):
    web_build(embedder, tmp_path / "index", [site.url])
    site.stop()
    report = web_build(embedder, tmp_path / "index", [site.url])
    assert report.removed == 0 and len(load_index(tmp_path / "index").manifest.documents) == 6
    assert any("kept" in w for w in report.warnings)
    site.start()  # the fixture stops it again


def test_cli_build_url_dry_run_lists_what_would_change_and_writes_nothing(site, tmp_path, monkeypatch):
    monkeypatch.setenv("ASSISTANT_WEB_RATE", "1000")
    index_dir = tmp_path / "idx"
    result = CliRunner().invoke(main, ["build", site.url, "--index", str(index_dir), "--dry-run", "--json"])
    assert result.exit_code == 0, result.output
    plan = json.loads(result.output)
    assert f"{site.url}kb/stage-gates/" in plan["added"] and plan["fetch"][0]["mode"] == "sitemap"
    assert not (index_dir / "web").exists()
    watch = CliRunner().invoke(main, ["build", site.url, "--index", str(index_dir), "--watch"])
    assert watch.exit_code == 1 and "--watch follows a content folder" in watch.output


def test_credentials_are_sent_but_never_written_and_progress_is_shown(site, embedder, tmp_path):
    from dataclasses import replace

    from assistant import Assistant, Settings
    from assistant.build.run import run_build
    from ui.admin import build_settings

    secret_source = site.url.replace("http://", "http://editor:hunter2-secret@")
    seen = []  # what the web app's progress bar is fed
    report = run_build(Settings(index_dir=tmp_path / "index", sources=(secret_source,), web_rate=1000),
                       embedder=embedder, progress=lambda fraction, message: seen.append((fraction, message)))
    fetched = [(f, m) for f, m in seen if m.startswith("fetched")]
    assert fetched[-1][1] == "fetched 6/6 pages"  # 4 articles, /about/, the AMP copy
    assert all(0 <= f <= 0.05 for f, _ in fetched), fetched
    assert [f for f, _ in fetched] == sorted(f for f, _ in fetched)
    assert site.authorizations == {"Basic ZWRpdG9yOmh1bnRlcjItc2VjcmV0"}  # editor:hunter2-secret
    written = [p.read_bytes() for p in (tmp_path / "index").rglob("*") if p.is_file()]
    assert not any(b"hunter2" in data for data in written)
    assert "hunter2" not in json.dumps(report.as_dict())
    # The admin panel rebuilds the recorded sources, with the configured credentials put back.
    served = Settings(index_dir=tmp_path / "index")
    assistant = Assistant(served, embedder)
    assert build_settings(assistant, served).content.sources == (site.url,)
    configured = replace(served, sources=(secret_source,))
    assert build_settings(assistant, configured).content.sources == (secret_source,)


def test_sources_setting_from_toml_and_environment(tmp_path):
    from assistant.config import SettingsError, load_settings

    (tmp_path / "assistant.toml").write_text('sources = ["content/", "https://help.example.org/kb/"]\nweb_rate = 0.5\n')
    settings = load_settings(tmp_path / "assistant.toml", env={})
    assert settings.content.sources == ("content/", "https://help.example.org/kb/") and settings.web.rate == 0.5
    from_env = load_settings(None, env={"ASSISTANT_SOURCES": "a/| https://h.org/"})
    assert from_env.content.sources == ("a/", "https://h.org/")
    with pytest.raises(SettingsError, match="web_rate must be above 0"):
        load_settings(None, env={"ASSISTANT_WEB_RATE": "0"})
    from assistant.build.reading import web_options

    assert web_options(load_settings(None, env={"ASSISTANT_WEB_RETRIES": "0"})).politeness.retries == 0
    assert web_options(load_settings(None, env={})).politeness.retries == 3
    with pytest.raises(SettingsError, match="web_retries must be 0"):
        load_settings(None, env={"ASSISTANT_WEB_RETRIES": "-1"})
    with pytest.raises(SettingsError, match="of folders and URLs"):
        load_settings(None, env={"ASSISTANT_SOURCES": '[1, 2]'})


def test_several_folders_keep_ids_that_point_at_their_files(tmp_path):
    for name in ("guides", "sessions/notes"):
        (tmp_path / "site" / name).mkdir(parents=True)
        (tmp_path / "site" / name / "a.md").write_text(f"# {name}\n\nText of {name}.\n")
    from corpus.sources import content_root

    folders = [tmp_path / "site" / "guides", tmp_path / "site" / "sessions" / "notes"]
    loaded = load_sources(folders, tmp_path / "index")
    assert [d.doc_id for d in loaded.documents] == ["guides/a.md", "sessions/notes/a.md"]
    assert all((content_root(folders) / d.doc_id).is_file() for d in loaded.documents)


def test_cli_names_the_reason_when_a_site_cannot_be_read(tmp_path, monkeypatch):
    import socket

    monkeypatch.setenv("ASSISTANT_WEB_RATE", "1000")
    monkeypatch.setenv("ASSISTANT_WEB_RETRIES", "0")  # a refused connection is tried once (default: 1+2+4 s of retries)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{sock.getsockname()[1]}/"
    result = CliRunner().invoke(main, ["build", closed, "--index", str(tmp_path / "idx")])
    assert result.exit_code == 1
    assert "could be indexed" in result.output and "robots.txt" in result.output and "ConnectError" in result.output
    refused = CliRunner().invoke(main, ["build", "ftp://files.example.org/kb", "--index", str(tmp_path / "idx")])
    assert refused.exit_code == 1 and "only http(s) sites and folders can be indexed" in refused.output


def test_a_wordpress_sites_categories_are_the_readers_topics(site, embedder, tmp_path):
    from fastapi import FastAPI
    from starlette.testclient import TestClient

    from assistant import Assistant, Settings
    from ui.reader import add_reader_route

    site.sitemap = False  # read through the REST API
    report = web_build(embedder, tmp_path / "index", [site.url])
    assert report.published
    topics = {doc_id: entry.topic for doc_id, entry in load_index(tmp_path / "index").manifest.documents.items()}
    assert topics[f"{site.url}kb/stage-gates/"] == topics[f"{site.url}kb/raid-logs/"] == "Governance"
    assert topics[f"{site.url}kb/pmo-career/"] == "Careers"
    settings = Settings(index_dir=tmp_path / "index")
    app = FastAPI()
    add_reader_route(app, Assistant(settings, embedder), settings)
    listing = TestClient(app).get("/read/").text
    assert "Governance" in listing and "Careers" in listing
