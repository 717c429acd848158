"""Links that work wherever the answer goes: `/api/search`, the MCP tools, Gradio's `/search` and `ask --json`
hand out absolute links, from `public_url` when set, else from the request's own base, and believe a
proxy's X-Forwarded-Host only from `forwarded_allow_ips`."""

from __future__ import annotations

import json
import threading

import httpx
import pytest
from click.testing import CliRunner
from conftest import start_app
from fastapi import FastAPI
from gradio_client import Client
from starlette.testclient import TestClient

from assistant import Assistant, Settings, SettingsError, load_settings
from assistant.answer.addresses import absolute, absolute_answer, absolute_document
from assistant.cli import main
from tests.test_mcp import mcp_session
from ui.api import add_api_routes
from ui.doors import Door
from ui.forwarded import ProxyHeaders, Trusted

PUBLIC = "https://help.example.org/kb"
QUESTION = "How do I move from PMO analyst to PMO manager?"
READER = "/read/articles/pmo-analyst-to-pmo-manager.md"  # its section, or the whole article


def test_paths_on_the_app_are_joined_to_the_base_and_other_links_kept():
    assert absolute("/read/a.md#x", PUBLIC + "/") == PUBLIC + "/read/a.md#x"
    for kept in ("https://coffee.example.org/help/#x", "//cdn.example.org/a", "notes.md", ""):
        assert absolute(kept, PUBLIC) == kept
    body = {"passages": [{"url": "/read/a.md"}], "more": [{"url": "https://x.org/b"}], "question": "q"}
    assert absolute_answer(body, PUBLIC) == {"passages": [{"url": PUBLIC + "/read/a.md"}],
                                             "more": [{"url": "https://x.org/b"}], "question": "q"}
    document = {"url": "/read/a.md", "sections": [{"url": "/read/a.md#one"}]}
    assert absolute_document(document, PUBLIC)["sections"][0]["url"] == PUBLIC + "/read/a.md#one"


def test_trusted_proxies_are_addresses_and_networks():
    trusted = Trusted("127.0.0.1, 10.0.0.0/8, ::1")
    assert "127.0.0.1" in trusted and "10.20.30.40" in trusted and "::1" in trusted
    assert "203.0.113.5" not in trusted and None not in trusted and "testclient" not in trusted
    assert "198.51.100.1" in Trusted("*")


def test_public_url_must_be_an_http_address():
    assert load_settings(env={"ASSISTANT_PUBLIC_URL": PUBLIC}).serving.public_url == PUBLIC
    with pytest.raises(SettingsError, match="public_url"):
        load_settings(env={"ASSISTANT_PUBLIC_URL": "javascript:alert(1)"})


@pytest.fixture(scope="module")
def api_only(sample_index, embedder):
    """/api/search alone on a FastAPI app behind ProxyHeaders (trusting 127.0.0.1 only): no page, no port."""

    def make(**settings) -> FastAPI:
        chosen = Settings(index_dir=sample_index, rate_limit_per_minute=0, log_questions=False, **settings)
        app = FastAPI()
        add_api_routes(app, Door(Assistant(chosen, embedder=embedder), chosen), threading.Event())
        app.add_middleware(ProxyHeaders, trusted="127.0.0.1")
        return app

    return make


def first_url(client: TestClient, **headers) -> str:
    response = client.get("/api/search", params={"q": QUESTION, "k": 1}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["passages"][0]["url"]


def test_the_api_links_from_the_request_base_and_only_a_trusted_proxys_host(api_only):
    app = api_only()
    forged = {"X-Forwarded-Host": "evil.example.net", "X-Forwarded-Proto": "https"}
    stranger = TestClient(app, base_url="http://assistant.internal:7860", client=("203.0.113.5", 4321))
    assert first_url(stranger).startswith("http://assistant.internal:7860" + READER)
    assert first_url(stranger, **forged).startswith("http://assistant.internal:7860" + READER)  # ignored
    proxy = TestClient(app, base_url="http://assistant.internal:7860", client=("127.0.0.1", 4321))
    assert first_url(proxy, **{"X-Forwarded-Host": "help.example.org", "X-Forwarded-Proto": "https"}).startswith(
        "https://help.example.org" + READER)
    bad = first_url(proxy, **{"X-Forwarded-Host": "x.org/<script>"})
    assert bad.startswith("http://assistant.internal:7860" + READER)  # not a host: the connection's own


def test_public_url_wins_over_every_header(api_only):
    client = TestClient(api_only(public_url=PUBLIC + "/"), client=("127.0.0.1", 4321))
    assert first_url(client, **{"X-Forwarded-Host": "help.example.org"}).startswith(PUBLIC + READER)


@pytest.fixture(scope="module")
def public_app(sample_index, embedder, tmp_path_factory):
    settings = Settings(index_dir=sample_index, public_url=PUBLIC, data_dir=tmp_path_factory.mktemp("public-log"))
    server, url = start_app(Assistant(settings, embedder=embedder), settings)
    yield url
    server.close()


def test_every_door_for_programs_links_through_public_url(public_app):
    api = httpx.get(public_app + "api/search", params={"q": QUESTION, "k": 3}, timeout=60).json()
    assert api["passages"][0]["url"].startswith(PUBLIC + READER)
    gradio = Client(public_app, verbose=False).predict(QUESTION, 3, api_name="/search")
    assert gradio["passages"][0]["url"] == api["passages"][0]["url"]

    async def calls(session):
        found = json.loads((await session.call_tool("search_help", {"question": QUESTION, "limit": 3})).content[0].text)
        whole = await session.call_tool("get_document", {"url": found["passages"][0]["url"]})
        return found, json.loads(whole.content[0].text)

    found, document = mcp_session(public_app, calls)
    assert found["passages"][0]["url"] == api["passages"][0]["url"]
    assert document["url"] == PUBLIC + "/read/articles/pmo-analyst-to-pmo-manager.md"
    assert all(section["url"].startswith(document["url"]) for section in document["sections"])


def test_mcp_links_from_the_request_base_not_an_untrusted_forwarded_host(doors_app):
    _, url = doors_app  # trusts 127.0.0.1 (the default): a proxy on this machine names the public host
    search = lambda session: session.call_tool("search_help", {"question": QUESTION, "limit": 1})  # noqa: E731
    plain = json.loads(mcp_session(url, search).content[0].text)
    assert plain["passages"][0]["url"].startswith(url + READER.lstrip("/"))
    proxied = mcp_session(url, search, headers={"X-Forwarded-Host": "help.example.org", "X-Forwarded-Proto": "https"})
    assert json.loads(proxied.content[0].text)["passages"][0]["url"].startswith("https://help.example.org" + READER)


def test_ask_json_links_through_public_url_or_says_they_are_relative(sample_index):
    runner = CliRunner()
    args = ["ask", QUESTION, "--index", str(sample_index), "--json", "--top-k", "1"]
    relative = json.loads(runner.invoke(main, args, catch_exceptions=False).output)
    assert relative["passages"][0]["url"].startswith(READER) and "public_url" in relative["relative_links"]
    whole = json.loads(runner.invoke(main, args, env={"ASSISTANT_PUBLIC_URL": PUBLIC}, catch_exceptions=False).output)
    assert whole["passages"][0]["url"].startswith(PUBLIC + READER) and "relative_links" not in whole
    assert whole == absolute_answer({k: v for k, v in relative.items() if k != "relative_links"}, PUBLIC)
