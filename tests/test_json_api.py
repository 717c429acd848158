"""`/api/search`, `/api/health` and `/widget.js` over HTTP, as curl or another site's page calls them.

Each test that counts against the rate limit comes from its own client address (X-Forwarded-For,
which the server trusts from loopback only, as behind a reverse proxy on the same machine).
"""

from __future__ import annotations

import asyncio
import json
import re
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from conftest import DOORS_RATE_LIMIT

from assistant import NO_MATCH, Answer, Settings, SettingsError, load_settings
from assistant.answer.addresses import absolute_answer
from assistant.config import origins
from tests.test_api import PASSAGE_KEYS  # noqa: E402 — one definition of what a passage holds
from ui.api import Admission
from ui.doors import Door
from ui.widget import MAX_BYTES


def client(url: str, address: str) -> httpx.Client:
    return httpx.Client(base_url=url, headers={"X-Forwarded-For": address}, timeout=60)


def test_search_returns_the_cli_json(doors_app):
    assistant, url = doors_app
    question = "How do I move from PMO analyst to PMO manager?"
    with client(url, "198.51.100.1") as http:
        response = http.get("/api/search", params={"q": question, "k": 3})
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert len(body.pop("answer_id")) == 32  # the question log's id, for feedback
    assert body == absolute_answer(assistant.ask(question, top_k=3).as_dict(), url)
    assert body["answered"] is True and len(body["passages"]) + len(body["more"]) == 3
    assert all(set(p) == PASSAGE_KEYS for p in body["passages"])
    assert body["passages"][0]["url"].startswith(url + "read/articles/pmo-analyst-to-pmo-manager.md")


def test_search_defaults_and_no_match_and_follow_up_parameter(doors_app):
    _, url = doors_app
    with client(url, "198.51.100.2") as http:
        default = http.get("/api/search", params={"q": "stage gate criteria"}).json()
        off_topic = http.get("/api/search", params={"q": "what's a good recipe for banana bread?"}).json()
        follow_up = http.get("/api/search", params=[("q", "and who signs it off?"), ("after", "stage gate criteria")])
    assert len(default["passages"]) + len(default["more"]) == Settings().answers.top_k
    assert off_topic["answered"] is False and off_topic["kind"] == "no_match" and off_topic["message"].startswith(NO_MATCH) and off_topic["passages"]
    assert follow_up.status_code == 200 and follow_up.json()["question"] == "and who signs it off?"


@pytest.mark.parametrize("params, words", [
    ({}, "Add a question"),
    ({"q": ""}, "Please type a question"),
    ({"q": " \t\n "}, "Please type a question"),
    ({"q": "x" * 2001}, "the limit is 2,000"),
    ({"q": "stage gates", "k": "lots"}, "k must be a whole number from 1 to 50"),
    ({"q": "stage gates", "k": "0"}, "k must be a whole number from 1 to 50"),
    ({"q": "stage gates", "k": "51"}, "k must be a whole number from 1 to 50"),
])
def test_unusable_questions_get_a_400_that_says_why(doors_app, params, words):
    _, url = doors_app
    with client(url, "198.51.100.3") as http:
        response = http.get("/api/search", params=params)
    assert response.status_code == 400
    assert words in response.json()["error"]


def test_a_client_over_the_rate_limit_gets_429_with_retry_after(doors_app):
    _, url = doors_app
    with client(url, "203.0.113.7") as noisy, client(url, "203.0.113.8") as other:
        codes = [noisy.get("/api/search", params={"q": "stage gates"}).status_code for _ in range(DOORS_RATE_LIMIT)]
        refused = noisy.get("/api/search", params={"q": "stage gates"})
        assert codes == [200] * DOORS_RATE_LIMIT
        assert refused.status_code == 429
        assert 1 <= int(refused.headers["retry-after"]) <= 60
        assert "try again in" in refused.json()["error"]
        assert other.get("/api/search", params={"q": "stage gates"}).status_code == 200


def test_cors_headers_only_for_allowed_origins(doors_app, page_server):
    _, url = doors_app
    with client(url, "198.51.100.4") as http:
        allowed = http.get("/api/search", params={"q": "raci"}, headers={"Origin": page_server.origin})
        assert allowed.headers["access-control-allow-origin"] == page_server.origin
        assert "access-control-allow-credentials" not in allowed.headers
        # another loopback origin: Gradio's own rule would allow it; ours does not
        for stranger in ("http://127.0.0.1:1", "http://localhost:8000", "https://evil.example"):
            refused = http.get("/api/search", params={"q": "raci"}, headers={"Origin": stranger})
            # not searched: a 403 naming the line to add, which only that refusal lets the page read
            assert refused.status_code == 403 and "passages" not in refused.json(), stranger
            assert refused.json()["setting"] == f'allowed_origins = "{stranger}"'
            assert refused.headers["access-control-allow-origin"] == stranger
            assert "access-control-allow-credentials" not in refused.headers
        preflight = {"Origin": page_server.origin, "Access-Control-Request-Method": "GET"}
        ok = http.options("/api/search", headers=preflight)
        assert ok.status_code == 200 and ok.headers["access-control-allow-origin"] == page_server.origin
        bad = http.options("/api/search", headers={**preflight, "Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in bad.headers
        # Gradio's own routes: our rule too (Gradio leaves CORS to an app that configures it)
        for stranger in ("http://127.0.0.1:1", "http://localhost:9"):
            info = http.get("/gradio_api/info", headers={"Origin": stranger})
            assert info.status_code == 200 and "access-control-allow-origin" not in info.headers, stranger


def test_health_says_what_is_served(doors_app):
    assistant, url = doors_app
    body = httpx.get(url + "api/health").json()
    assert body["status"] == "ok" and body["version"] == assistant.index.version
    assert body["documents"] == 40 and body["by_type"] == {"article": 34, "deck": 2, "transcript": 4}
    assert body["model"] == "all-MiniLM-L6-v2" and body["chunks"] > 0 and body["built_at"]


def test_widget_script_is_small_javascript_styled_from_settings(doors_app):
    _, url = doors_app
    response = httpx.get(url + "widget.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert len(response.content) <= MAX_BYTES
    config = json.loads(re.search(r"var CONFIG = (\{.*?\});", response.text).group(1))
    assert config["top_k"] == 5 and config["max_question_chars"] == 2000
    assert re.fullmatch(r"#[0-9a-f]{6}", config["accent_color"])
    assert "innerHTML" not in response.text and "insertAdjacentHTML" not in response.text


def test_allowed_origins_setting():
    assert Settings().serving.allowed_origins is None and origins(None) == ()
    settings = load_settings(env={"ASSISTANT_ALLOWED_ORIGINS": "https://www.example.org, http://localhost:3000/"})
    assert origins(settings.serving.allowed_origins) == ("https://www.example.org", "http://localhost:3000")
    with pytest.raises(SettingsError, match="allowed_origins has 'www.example.org'"):
        load_settings(env={"ASSISTANT_ALLOWED_ORIGINS": "www.example.org"})
    with pytest.raises(SettingsError, match="rate_limit_per_minute"):
        load_settings(env={"ASSISTANT_RATE_LIMIT_PER_MINUTE": "-1"})
    assert load_settings(env={"ASSISTANT_MCP_SERVER": "false"}).serving.mcp_server is False


def test_admission_refuses_past_running_plus_waiting_and_forgets_who_left():
    async def scenario():
        gate = Admission(running=1, waiting=1)
        release = asyncio.Event()

        async def hold():
            async with gate:
                await release.wait()

        first, second = asyncio.create_task(hold()), asyncio.create_task(hold())
        while gate.inside < 2:  # both entered: one running, one waiting
            await asyncio.sleep(0)
        full_with_two = gate.full()
        second.cancel()  # the waiting caller goes away
        await asyncio.gather(second, return_exceptions=True)
        after_leaving = gate.full()
        release.set()
        await first
        return full_with_two, after_leaving, gate.inside

    with ThreadPoolExecutor(1) as pool:  # its own loop: Playwright's sync API may hold this thread's
        assert pool.submit(asyncio.run, scenario()).result(timeout=30) == (True, False, 0)


class FakeAssistant:
    """A fake for the door's logic around `Assistant.ask`: records how it was called, and refuses a blank
    question as Assistant.ask does (a message, nothing cited)."""

    def __init__(self, settings: Settings):
        self.settings, self.calls = settings, []

    def ask(self, question, top_k=None, query_vector=None, previous=()):
        self.calls.append((question, top_k, tuple(previous)))
        if not question.strip():
            return Answer(question, False, (), "Please type a question.")
        return Answer(question, True, ())


def test_door_passes_the_earlier_questions_within_the_limits():
    settings = Settings(max_question_chars=50)
    fake = FakeAssistant(settings)
    door = Door(fake, settings)
    assert door.search("and then?", "3", ["first", " ", "second", "third " + "x" * 80], "widget").status == 200
    assert fake.calls == [("and then?", 3, ("second", ("third " + "x" * 80)[:50]))]
    door.search("alone", None)
    assert fake.calls[-1] == ("alone", 5, ())
    door.search("many", 500)
    assert fake.calls[-1][1] == door.limits.max_top_k == 50
    refused = door.search("   ")
    assert refused.status == 400 and refused.body["error"] == "Please type a question."
    missing = door.search(None)
    assert missing.status == 400 and "Add a question" in missing.body["error"] and len(fake.calls) == 4


def test_one_rate_limit_per_client_for_every_channel_and_none_in_process():
    from ui.doors import Limited

    settings = Settings(rate_limit_per_minute=2)
    door = Door(FakeAssistant(settings), settings)
    door.admit("192.0.2.1", "web")
    door.admit("192.0.2.1", "mcp")
    with pytest.raises(Limited, match="try again in") as limited:
        door.admit("192.0.2.1", "api")
    assert 1 <= limited.value.wait <= 60
    door.admit("192.0.2.1", "feedback")  # feedback has its own allowance
    door.admit("192.0.2.2", "api")  # another client
    for _ in range(10):
        door.admit(None, "web")  # a call from inside the process: never limited


@pytest.mark.parametrize("allowed, origin, expected", [
    ((), "https://evil.example", None),
    (("https://www.example.org",), "https://www.example.org", "https://www.example.org"),
    (("https://www.example.org",), "https://evil.example", None),
    (("*",), "https://anyone.example", "*"),
])
def test_one_cors_rule_for_the_whole_app(allowed, origin, expected):
    from fastapi import FastAPI
    from starlette.testclient import TestClient

    from ui.api import cross_origin

    app = FastAPI()
    cross_origin(app, allowed)
    app.add_api_route("/api/search", lambda: {"ok": True})
    app.add_api_route("/gradio_api/info", lambda: {"ok": True})
    http = TestClient(app)
    for path in ("/api/search", "/gradio_api/info"):
        assert http.get(path, headers={"Origin": origin}).headers.get("access-control-allow-origin") == expected


def test_small_talk_through_the_api_is_a_reply_not_a_refusal(sample_settings, embedder):
    from starlette.testclient import TestClient

    from assistant import Assistant
    from ui import create_app

    web = create_app(Assistant(sample_settings, embedder=embedder), sample_settings)
    with TestClient(web.app) as http:
        hello = http.get("/api/search", params={"q": "hi there"})
    web.page.close(verbose=False)
    body = hello.json()
    assert hello.status_code == 200 and body["kind"] == "small_talk" and body["examples"] and "error" not in body
