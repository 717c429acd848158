"""The MCP tools for AI assistants, served by Gradio's MCP server at `/gradio_api/mcp/` (streamable HTTP).

    search_help(question, limit=5)  passages that answer a question, each with its deep link
    get_document(url)               one indexed document's text, section by section, with each section's link

They are Gradio API endpoints too (`/search_help`, `/get_document`); their descriptions, which an
assistant reads to choose them, are their docstrings. On by default; `mcp_server = false` turns the
server and both tools off. Calls count against the same per-client rate limit as `/api/search`.
"""

from __future__ import annotations

import json

import gradio as gr

from assistant.documents import find_document
from ui.doors import MAX_TOP_K, Door, clamp_top_k

SEARCH_HELP = """Search the {site} knowledge base (help articles, recorded sessions and slide decks) for the passages that answer a question.

Use this tool first whenever the user asks how to do something, what something means, or where to find guidance on a topic this help centre may cover. It searches by meaning, so pass the user's question in plain words. Each passage comes with `url`, a deep link to exactly where it is: the article's section, the moment in the recording (`start_seconds`) or the deck's page. Answer from the passages' `text` (the `highlight` is the sentence that matches best) and cite their `url`s so the user can check. When `answered` is false nothing matched confidently: the passages are only the nearest documents, so say that the knowledge base does not cover it rather than guessing. To read a whole document, call get_document with one of its urls.

Args:
    question: The user's question in their own words, as a full sentence, e.g. "How do I move from analyst to manager?" (at most {max_chars} characters).
    limit: How many passages to return, from 1 to {max_k}; 5 is usually enough.

Returns:
    JSON text: {{"question", "answered", "message", "passages": [{{"title", "url", "section", "text", "highlight", "score", "source_type", "start_seconds", "end_seconds", "page", "doc_id"}}]}}, best passage first.
"""

GET_DOCUMENT = """Read one whole document of the {site} knowledge base: its title, its link, and its text section by section, each section with its own deep link (anchor, recording moment or deck page).

Use this after search_help when a passage is not enough: to read the steps before and after it, to summarise the whole article or session, or to cite a more precise section. It only returns documents that are in the knowledge base.

Args:
    url: A `url` from a search_help result (a deep link with #section, #t= or #page= is fine), or a document's own address.

Returns:
    JSON text: {{"title", "url", "source_type", "doc_id", "truncated", "sections": [{{"section", "url", "text", "start_seconds", "page"}}]}}; `truncated` is true when a very long document was cut.
"""


def add_mcp_tools(door: Door, site: str) -> None:
    """Inside a `gr.Blocks`: the two tools, as public API endpoints the MCP server turns into tools."""

    def search_help(question: str, limit: int = 5, request: gr.Request = None) -> str:
        _check_rate(door, request)
        reply = door.search(question, clamp_top_k(limit, door.settings.top_k), channel="mcp")
        if reply.status != 200:
            raise gr.Error(reply.body["error"])
        answer = {key: value for key, value in reply.body.items() if key != "answer_id"}  # the log's, not the model's
        return json.dumps(answer, ensure_ascii=False)

    def get_document(url: str, request: gr.Request = None) -> str:
        _check_rate(door, request)
        document = find_document(door.assistant.index.chunks, url if isinstance(url, str) else "")
        if document is None:
            raise gr.Error(f"No document in the knowledge base has the address {str(url)[:300]!r}. "
                           "Pass a `url` exactly as search_help returned it.")
        return json.dumps(document.as_dict(), ensure_ascii=False)

    words = {"site": site, "max_chars": f"{door.settings.max_question_chars:,}", "max_k": MAX_TOP_K}
    search_help.__doc__ = SEARCH_HELP.format(**words)
    get_document.__doc__ = GET_DOCUMENT.format(**words)
    # queue=False: the MCP server calls these directly, not through a loopback HTTP call to the queue
    gr.api(search_help, api_name="search_help", queue=False)
    gr.api(get_document, api_name="get_document", queue=False)


def not_a_tool(fn):
    """An API endpoint that the MCP server should not offer as a tool (Gradio lists only `tool`s)."""
    getattr(fn, "__func__", fn)._mcp_type = "api"  # a bound method: mark its function
    return fn


def _check_rate(door: Door, request: gr.Request | None) -> None:
    client = getattr(getattr(request, "client", None), "host", "") or ""
    wait = door.limited(client)
    if wait is not None:
        raise gr.Error(f"Too many questions from this address; try again in {wait} s.")


__all__ = ["add_mcp_tools", "not_a_tool"]
