"""Recordings beside their transcripts: a local video served from the content folder, YouTube and Vimeo in
their players' iframes, a CSP that allows exactly the host the recording plays from; the cited moment is
the answering turn; in Chromium a real WebM (tests/media.py) starts at the card's second and a click on a
time plays from there."""

from __future__ import annotations

from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from fastapi import FastAPI
from starlette.testclient import TestClient

from assistant import Assistant, Settings
from conftest import ask_in_page, needs_browser, open_page, start_app
from tests.media import webm_bytes
from ui.library import Library
from ui.media import player_for
from ui.reader import add_reader_route

CUES = [  # the answering cue starts late in its second (7.8 s): a link names 7, the host's question ends 7.1
    (0.0, 2.9, "Sam Host", "Welcome to the board talk, where we discuss how project boards run."),
    (3.0, 7.1, "Sam Host", "How far ahead should the board papers go out to the members?"),
    (7.8, 11.0, "Ada Chair", "Send the board papers out a full week before the meeting so members can read them."),
    (11.2, 14.0, "Ada Chair", "Late papers mean decisions get deferred to the next board."),
]
YOUTUBE = "https://www.youtube.com/watch?v=dQw4w9WgXcQ"


def vtt(cues) -> str:
    def at(s: float) -> str:
        return f"00:00:{int(s):02d}.{int(round(s % 1 * 1000)):03d}"
    return "WEBVTT\n\n" + "\n".join(f"{at(a)} --> {at(b)}\n<v {who}>{text}</v>\n" for a, b, who, text in cues)


def write_sessions(root: Path, video: bytes) -> Path:
    content = root / "talks"
    (content / "sessions").mkdir(parents=True)
    for name, recording in (("board-talk", "board-talk.webm"), ("tube-talk", YOUTUBE),
                            ("vimeo-talk", "https://vimeo.com/76979871"), ("pod-talk", "https://pod.example.org/ep/4")):
        (content / "sessions" / f"{name}.vtt").write_text(vtt(CUES), encoding="utf-8")
        (content / "sessions" / f"{name}.yaml").write_text(f"title: {name}\nrecording: {recording}\n", encoding="utf-8")
    (content / "sessions" / "board-talk.webm").write_bytes(video)
    return content


@pytest.fixture(scope="module")
def talks(tmp_path_factory, embedder):
    from conftest import chunk_settings
    from index import build_index

    root = tmp_path_factory.mktemp("talks")
    content = write_sessions(root, b"\x1aE\xdf\xa3 not a real video: the browser test writes one")
    build_index(content, root / "index", embedder, chunk_settings(embedder))
    settings = Settings(content_dir=content, index_dir=root / "index", data_dir=root / "data")
    return Assistant(settings, embedder=embedder)


def test_a_recording_plays_from_the_content_folder_its_host_or_its_players_iframe(tmp_path):
    content = write_sessions(tmp_path, b"x")
    library = Library(content.resolve(), frozenset())
    local = player_for("board-talk.webm", library, "sessions/board-talk.vtt", "../../")
    assert (local.kind, local.src, local.media_src) == ("video", "../../asset/sessions/board-talk.webm", "'self'")
    assert player_for("missing.webm", library, "sessions/board-talk.vtt", "../../") is None
    assert player_for("../../etc/x.mp4", library, "sessions/board-talk.vtt", "../../") is None
    tube = player_for(YOUTUBE, library, "s.vtt", "../")
    assert (tube.kind, tube.src, tube.frame_src, tube.media_src) == (
        "youtube", "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ", "https://www.youtube-nocookie.com", "")
    assert player_for("https://youtu.be/dQw4w9WgXcQ", library, "s.vtt", "../").src == tube.src
    assert player_for("https://vimeo.com/76979871", library, "s.vtt", "../").frame_src == "https://player.vimeo.com"
    audio = player_for("https://cdn.example.org/ep4.mp3", library, "s.vtt", "../")
    assert (audio.kind, audio.media_src) == ("audio", "https://cdn.example.org")
    assert player_for("https://pod.example.org/ep/4", library, "s.vtt", "../") is None  # a page: linked, not played
    assert player_for("javascript:alert(1)", library, "s.vtt", "../") is None


def test_each_page_allows_exactly_the_host_its_recording_plays_from(talks):
    app = FastAPI()
    add_reader_route(app, talks, talks.settings)
    client = TestClient(app)
    policies = {}
    for name in ("board-talk", "tube-talk", "vimeo-talk", "pod-talk"):
        response = client.get(f"/read/sessions/{name}.vtt")
        policies[name] = {d.split()[0]: d.split()[1:] for d in response.headers["content-security-policy"].split("; ")}
        page = BeautifulSoup(response.text, "html.parser")
        if name == "board-talk":
            assert page.select_one("video.kb-media")["src"] == "../../asset/sessions/board-talk.webm"
        if name == "tube-talk":
            frame = page.select_one("iframe.kb-embed")
            assert frame["data-embed"] == "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ" and not frame.get("src")
            assert [a["href"] for a in page.select(".kb-at")][:2] == ["#t=0", "#t=7"]  # times play here
    assert policies["board-talk"]["media-src"] == ["'self'"] and "frame-src" not in policies["board-talk"]
    assert policies["tube-talk"]["frame-src"] == ["https://www.youtube-nocookie.com"]
    assert policies["vimeo-talk"]["frame-src"] == ["https://player.vimeo.com"]
    assert "media-src" not in policies["tube-talk"] and policies["tube-talk"]["default-src"] == ["'none'"]
    assert "frame-src" not in policies["pod-talk"] and "media-src" not in policies["pod-talk"]
    pod = BeautifulSoup(client.get("/read/sessions/pod-talk.vtt").text, "html.parser")
    assert pod.select(".kb-at")[1]["href"] == "https://pod.example.org/ep/4#t=7"  # no player: into its page


# --- in Chromium ------------------------------------------------------------------------------------

@needs_browser
@pytest.mark.browser
def test_a_local_video_starts_at_the_cards_second_and_a_time_plays_from_there(browser, talks):
    video = Path(talks.settings.content.dir) / "sessions" / "board-talk.webm"
    video.write_bytes(webm_bytes(browser, seconds=15))  # a real VP8 WebM, encoded by this browser
    server, url = start_app(talks)
    try:
        page = open_page(browser, url)
        answer, _ = ask_in_page(page, "How far ahead should the board papers be sent to members?")
        card = answer.locator(".kb-card").filter(has=page.locator('a.kb-link[href*="board-talk.vtt#t="]')).first
        href = card.locator("a.kb-link").get_attribute("href")
        second = int(href.rsplit("#t=", 1)[1])
        with page.context.expect_page() as opened:
            card.locator("a.kb-link").click()
        reader = opened.value
        reader.wait_for_function("""(at) => { const v = document.querySelector('video.kb-media');
            return v && v.readyState >= 1 && !v.seeking && Math.abs(v.currentTime - at) < 0.01; }""", arg=second)
        assert second in (3, 7)  # at the answer, or at the question just before it
        assert reader.locator(".kb-cue.kb-here").get_attribute("data-start") == "7.8"  # the answering turn

        reader.goto(url + "read/sessions/board-talk.vtt#t=7")  # the answering turn, not the question before it
        assert reader.locator(".kb-cue.kb-here").get_attribute("data-start") == "7.8"
        assert reader.locator(".kb-turn.kb-here .kb-speaker").inner_text() == "Ada Chair"
        reader.evaluate("document.querySelector('video.kb-media').muted = true")  # autoplay needs no sound
        reader.locator(".kb-turn").nth(0).locator("a.kb-at").click()  # "0:00" → plays from the start
        reader.locator(".kb-turn").nth(1).locator("a.kb-at").click()  # "0:07"
        reader.wait_for_function("""() => { const v = document.querySelector('video.kb-media');
            return !v.paused && v.currentTime >= 7 && v.currentTime < 10; }""")
        assert reader.url.endswith("#t=7") and reader.locator(".kb-cue.kb-here").get_attribute("data-start") == "7.8"
        reader.close()
        page.close()
    finally:
        server.close()


@needs_browser
@pytest.mark.browser
def test_a_youtube_recording_opens_in_its_iframe_at_the_cited_second(browser, talks):
    server, url = start_app(talks)
    try:
        page = browser.new_page()
        page.route("https://www.youtube-nocookie.com/**", lambda route: route.fulfill(body="player", content_type="text/html"))
        page.goto(url + "read/sessions/tube-talk.vtt#t=11")
        frame = page.locator("iframe.kb-embed")
        page.wait_for_function("() => (document.querySelector('iframe.kb-embed').getAttribute('src') || '')"
                               ".endsWith('?start=11')")
        page.locator(".kb-turn").nth(1).locator("a.kb-at").click()
        page.wait_for_function("() => document.querySelector('iframe.kb-embed').getAttribute('src')"
                               ".endsWith('?start=7&autoplay=1')")
        assert frame.get_attribute("src").startswith("https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ")
        page.close()
    finally:
        server.close()
