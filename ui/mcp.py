"""The MCP tools for AI assistants, at `/gradio_api/mcp/` (streamable HTTP, stateless), served by the
official `mcp` package's server on our own app: exactly these two tools, nothing else of the app.

    search_help(question, limit=5)  passages that answer a question, each with its deep link
    get_document(url)               one indexed document's text, section by section, with each section's link

Their descriptions, which an assistant reads to choose them, are below. On by default;
`mcp_server = false` turns both off (the route is not there). Calls go through the one Door:
the same question check, limits, per-client rate limit and question log (channel "mcp") as
`/api/search`.
"""

from __future__ import annotations

import contextlib
import json

import anyio
from fastapi import FastAPI
from mcp import types
from mcp.server.lowlevel import Server
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from starlette.types import Receive, Scope, Send

from assistant.answer.addresses import absolute_answer, absolute_document
from assistant.answer.documents import find_document
from ui.doors import Door
from ui.forwarded import public_base

PATH = "/gradio_api/mcp"  # where Gradio's own MCP server was: clients keep their address

SEARCH_HELP = """Search the {site} knowledge base (help articles, recorded sessions and slide decks) for the passages that answer a question.

Use this tool first whenever the user asks how to do something, what something means, or where to find guidance on a topic this help centre may cover. It searches by meaning, so pass the user's question in plain words. Each passage comes with `url`, a deep link to exactly where it is: the article's section, the moment in the recording (`start_seconds`) or the deck's page. Answer from the passages' `text` (the `highlight` is the sentence that matches best) and cite their `url`s so the user can check. `passages` are the ones relevant enough to show; `more` holds weaker ones found too, to use only when the passages do not cover the question. When `answered` is false nothing matched confidently: the passages are only the nearest documents, so say that the knowledge base does not cover it rather than guessing. To read a whole document, call get_document with one of its urls.

Args:
    question: The user's question in their own words, as a full sentence, e.g. "How do I move from analyst to manager?" (at most {max_chars} characters).
    limit: How many passages to return, from 1 to {max_k}; 5 is usually enough.

Returns:
    JSON text: {{"question", "answered", "message", "passages": [{{"title", "url", "section", "text", "highlight", "score", "rank_score", "source_type", "start_seconds", "end_seconds", "page", "doc_id"}}], "more": [the same, weaker]}}, best passage first.
"""

GET_DOCUMENT = """Read one whole document of the {site} knowledge base: its title, its link, and its text section by section, each section with its own deep link (anchor, recording moment or deck page).

Use this after search_help when a passage is not enough: to read the steps before and after it, to summarise the whole article or session, or to cite a more precise section. It only returns documents that are in the knowledge base.

Args:
    url: A `url` from a search_help result (a deep link with #section, #t= or #page= is fine), or a document's own address.

Returns:
    JSON text: {{"title", "url", "source_type", "doc_id", "truncated", "sections": [{{"section", "url", "text", "start_seconds", "page"}}]}}; `truncated` is true when a very long document was cut.
"""


class ToolError(Exception):
    """A tool call that cannot be answered; the message tells the assistant what to do instead."""


def tools(door: Door, site: str) -> list[types.Tool]:
    words = {"site": site, "max_chars": f"{door.limits.max_question_chars:,}", "max_k": door.limits.max_top_k}
    question = {"type": "string", "description": "The user's question in their own words, as a full sentence "
                f"(at most {words['max_chars']} characters)."}
    limit = {"type": "integer", "default": 5, "description": f"How many passages to return, from 1 to {words['max_k']}."}
    url = {"type": "string", "description": "A `url` from a search_help result, or a document's own address."}
    return [
        types.Tool(name="search_help", description=SEARCH_HELP.format(**words),
                   inputSchema={"type": "object", "properties": {"question": question, "limit": limit},
                                "required": ["question"]}),
        types.Tool(name="get_document", description=GET_DOCUMENT.format(**words),
                   inputSchema={"type": "object", "properties": {"url": url}, "required": ["url"]}),
    ]


def call(door: Door, name: str, arguments: dict, client: str, base: str | None = None) -> str:
    """One tool call through the door (blocking: run it in a worker thread); raises ToolError. Links to the
    app's own pages (the reader) are made absolute against `base`."""
    from ui.doors import Limited

    try:
        door.admit(client, "mcp")
    except Limited as exc:
        raise ToolError(str(exc)) from None
    if name == "search_help":
        reply = door.search(arguments.get("question"), arguments.get("limit"), channel="mcp")
        if reply.status != 200:
            raise ToolError(reply.body["error"])
        answer = {key: value for key, value in reply.body.items() if key != "answer_id"}  # the log's, not the model's
        return json.dumps(absolute_answer(answer, base), ensure_ascii=False)
    if name == "get_document":
        url = arguments.get("url")
        document = find_document(door.assistant.index.chunks, url if isinstance(url, str) else "")
        if document is None:
            raise ToolError(f"No document in the knowledge base has the address {str(url)[:300]!r}. "
                            "Pass a `url` exactly as search_help returned it.")
        return json.dumps(absolute_document(document.as_dict(), base), ensure_ascii=False)
    raise ToolError(f"No tool named {name!r}: use search_help or get_document.")


class McpEndpoint:
    """The MCP server as an ASGI endpoint (a class instance, so Starlette hands it the raw request);
    `lifespan` runs its session manager while the app runs."""

    def __init__(self, door: Door, site: str):
        server = Server(f"{site} knowledge base")
        listed = tools(door, site)

        @server.list_tools()
        async def list_tools() -> list[types.Tool]:
            return listed

        @server.call_tool()
        async def call_tool(name: str, arguments: dict) -> list[types.TextContent]:
            request = server.request_context.request
            client = request.client.host if request is not None and request.client else ""
            base = public_base(request, door.settings.serving.public_url)
            text = await anyio.to_thread.run_sync(call, door, name, arguments, client, base)
            return [types.TextContent(type="text", text=text)]

        self.manager = StreamableHTTPSessionManager(app=server, stateless=True)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.manager.handle_request(scope, receive, send)

    @contextlib.asynccontextmanager
    async def lifespan(self, _app):
        async with self.manager.run():
            yield

    def add_to(self, app: FastAPI) -> None:
        for path in (PATH, PATH + "/"):
            app.add_route(path, self, methods=["GET", "POST", "DELETE"], include_in_schema=False)


__all__ = ["PATH", "McpEndpoint", "call", "tools"]
