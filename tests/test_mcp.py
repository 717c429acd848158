"""The MCP tools through the real `mcp` client over streamable HTTP, as an AI assistant would call them;
and `get_document`'s lookup on the sample index."""

from __future__ import annotations

import asyncio
import json
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from conftest import start_app
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client

from assistant import Assistant, Settings
from assistant.answer.addresses import absolute_answer
from assistant.answer.documents import find_document, join_overlapping


def mcp_session(url: str, calls, headers: dict | None = None):
    """Open a session on the app's MCP server, run `await calls(session)`, return its result; `headers` go
    with every request (as a proxy in front would add them)."""

    async def run():
        http = httpx.AsyncClient(headers=headers, timeout=60) if headers else None
        async with streamable_http_client(url + "gradio_api/mcp/", http_client=http) as (read, write, _):
            async with ClientSession(read, write) as session:
                await session.initialize()
                return await calls(session)

    # its own thread: Playwright's sync API (the browser tests) keeps an event loop running in this one
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, run()).result(timeout=120)


def test_tools_are_listed_with_descriptions_for_a_model(doors_app):
    _, url = doors_app
    tools = mcp_session(url, lambda session: session.list_tools()).tools
    by_name = {tool.name: tool for tool in tools}
    assert set(by_name) == {"search_help", "get_document"}
    search = by_name["search_help"]
    assert search.description.startswith("Search the Help Centre knowledge base")  # the site_name setting
    assert "cite" in search.description and "get_document" in search.description
    assert search.inputSchema["required"] == ["question"]
    assert search.inputSchema["properties"]["limit"]["type"] == "integer"
    assert "question" in search.inputSchema["properties"]["question"]["description"]
    assert by_name["get_document"].inputSchema["required"] == ["url"]


def test_search_then_read_the_document_it_links_to(doors_app):
    assistant, url = doors_app
    question = "how did the hospital PMO get consultants to turn up to project board meetings?"

    async def calls(session):
        found = await session.call_tool("search_help", {"question": question, "limit": 3})
        answer = json.loads(found.content[0].text)
        moment = next(p for p in answer["passages"] if p["source_type"] == "transcript")
        document = await session.call_tool("get_document", {"url": moment["url"]})
        return found, answer, moment, document

    found, answer, moment, document = mcp_session(url, calls)
    assert not found.isError and answer == absolute_answer(assistant.ask(question, top_k=3).as_dict(), url)
    assert moment["url"].startswith(url + "read/sessions/") and "#t=" in moment["url"]  # opens from anywhere
    whole = json.loads(document.content[0].text)
    assert not document.isError and whole["doc_id"] == moment["doc_id"] and whole["source_type"] == "transcript"
    moment_at = int(moment["url"].rsplit("#t=", 1)[1])  # the answering moment, inside one of the sections
    starts = sorted(int(section["url"].rsplit("#t=", 1)[1]) for section in whole["sections"])
    assert any(start <= moment_at for start in starts)
    assert all(section["url"].startswith(whole["url"]) for section in whole["sections"])


def test_tool_errors_say_what_to_do(doors_app):
    _, url = doors_app

    async def calls(session):
        return (await session.call_tool("get_document", {"url": "https://elsewhere.example/nothing"}),
                await session.call_tool("search_help", {"question": "   "}))

    missing, empty = mcp_session(url, calls)
    assert missing.isError and "Pass a `url` exactly as search_help returned it" in missing.content[0].text
    assert empty.isError and "Please type a question" in empty.content[0].text


def test_mcp_server_off_by_setting(sample_index, embedder):
    settings = Settings(index_dir=sample_index, mcp_server=False)
    demo, url = start_app(Assistant(settings, embedder=embedder), settings)
    try:
        assert httpx.get(url + "gradio_api/mcp/").status_code == 404
        info = httpx.get(url + "gradio_api/info").json()
        assert set(info["named_endpoints"]) == {"/search", "/feedback"}  # no MCP tools
        assert httpx.get(url + "api/search", params={"q": "raci"}).status_code == 200
    finally:
        demo.close()


@pytest.fixture(scope="module")
def chunks(sample_index, embedder):
    return Assistant(Settings(index_dir=sample_index), embedder=embedder).index.chunks


def test_a_document_is_found_by_any_link_into_it(chunks):
    article = next(c for c in chunks if c.source_type == "article" and c.anchor)
    for link in (article.url, article.url + "#" + article.anchor, article.url.rstrip("/"), article.doc_id):
        found = find_document(chunks, link)
        assert found is not None and found.doc_id == article.doc_id, link
    assert find_document(chunks, "https://help.example.org/kb/no-such-article/") is None
    assert find_document(chunks, "") is None


def test_a_document_reads_back_whole_in_order_with_section_links(chunks):
    doc_id = "articles/stage-gate-governance.md"
    own = [c for c in chunks if c.doc_id == doc_id]
    document = find_document(chunks, own[0].url)
    text = "\n".join(section.text for section in document.sections)
    assert all(chunk.text[:80] in text for chunk in own)
    assert len(text) <= sum(len(c.text) + 2 for c in own)  # overlap shared by neighbours appears once
    sections = [s.section for s in document.sections]
    assert len(sections) == len(set(sections))
    assert [s.url for s in document.sections if s.section][0].startswith(own[0].url + "#")
    cut = find_document(chunks, own[0].url, max_chars=300)
    assert cut.truncated and len(cut.sections) < len(document.sections)


def test_overlapping_neighbours_join_once():
    assert join_overlapping("one two three four five", "three four five six") == "one two three four five six"
    assert join_overlapping("no overlap here.", "Next part.") == "no overlap here.\n\nNext part."


def test_every_door_logs_its_questions_tagged_by_channel(doors_app):
    import random
    import string
    import time

    from assistant.analytics import build_report, open_store

    assistant, url = doors_app
    tag = "".join(random.choices(string.ascii_lowercase, k=12))  # letters: the log masks long digit runs
    marker = f"which gate checks the business case {tag}"
    headers = {"X-Forwarded-For": "198.51.100.77"}
    api = httpx.get(url + "api/search", params={"q": marker + " api"}, headers=headers).json()
    widget = httpx.get(url + "api/search", params={"q": marker + " widget", "channel": "widget"}, headers=headers)
    mcp_session(url, lambda session: session.call_tool("search_help", {"question": marker + " mcp"}))
    assert len(api["answer_id"]) == 32 and widget.json()["answer_id"] != api["answer_id"]
    deadline, sources = time.monotonic() + 30, {}
    while time.monotonic() < deadline and len(sources) < 3:  # the log writes in the background
        store = open_store(assistant.settings.analytics.data_dir)
        try:
            snapshot = store.snapshot()
        finally:
            store.close()
        sources = {q.question.rsplit(" ", 1)[1]: q.source for q in snapshot.questions if q.question.startswith(marker)}
    assert sources == {"api": "api", "widget": "widget", "mcp": "mcp"}
    by_channel = build_report(snapshot, None).by_channel
    assert {"api", "widget", "mcp"} <= set(by_channel) and by_channel["mcp"]["questions"] >= 1
