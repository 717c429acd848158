"""The web UI: a help-centre chat over the knowledge base, and a `/search` API for programs.

    serve(settings)                      loads the model and index once, then serves until stopped
    create_app(assistant, settings)      the gr.Blocks, for tests and embedding
    launch(demo, host, port, block)      how both start it (SSR off, the help-centre theme), with live
                                         reload: a newly published index is swapped in between questions

Programs call `gradio_client.Client(url).predict("question", 5, api_name="/search")` and get the
same JSON as `assistant ask --json`; a third argument, the earlier questions of the conversation
(a list, oldest first), lets a follow-up be searched with them.

The site's face (name, heading, subtitle, placeholder, examples, hint, accent colour, logo) comes
from settings; with no examples configured they are taken from the index's own content.

same JSON as `assistant ask --json`. Other sites and programs have their own doors: the JSON API
(`/api/search`, ui/api.py), the embeddable widget (`/widget.js`, ui/widget.py) and the MCP tools
(`/gradio_api/mcp/`, ui/mcp.py), all through one `Door` (ui/doors.py).
"""

from __future__ import annotations

import atexit
import logging
import signal
import time

import gradio as gr
from fastapi.responses import FileResponse, Response

from assistant import Answer, Assistant, Settings
from assistant.config import origins
from ui.admin import admin_panel
from index.errors import BackendUnavailable
from ui.api import UNAVAILABLE, add_api_routes, banner
from ui.control import add_control_route, add_route, withdraw
from ui.doors import Door
from ui.mcp import add_mcp_tools, not_a_tool
from ui.quick_import import one_app
from ui.feedback import ChatFeedback, add_click_route
from ui.reload import POLL_SECONDS, IndexReloader
from ui.render import answer_html, header_html, question_html
from ui.theme import CSS, THEME, accent_css
from ui.widget import add_widget_route

log = logging.getLogger(__name__)

MAX_TOP_K = 50
CONTEXT_QUESTIONS = 2  # earlier questions a follow-up may be searched with
# After an answer renders, bring the newest question to the top of the chat so the answer reads from its start.
SCROLL_TO_NEWEST = """() => { setTimeout(() => {
  const asked = document.querySelectorAll('#kb-chat .kb-question');
  let box = asked.length ? asked[asked.length - 1].parentElement : null;
  while (box && !(box.scrollHeight > box.clientHeight && /auto|scroll/.test(getComputedStyle(box).overflowY)))
    box = box.parentElement;
  if (!box) return;
  const top = asked[asked.length - 1].getBoundingClientRect().top - box.getBoundingClientRect().top;
  box.scrollTop += top - 24;
}, 100); }"""


def create_app(assistant: Assistant, settings: Settings) -> gr.Blocks:
    """The chat, example questions, a header saying what the knowledge base holds, `/search`, and the
    admin panel when an admin password is set."""

    feedback = ChatFeedback(settings)
    examples = assistant.examples()

    def header() -> str:
        return header_html(assistant.info(), settings.site_name, settings.heading, settings.subtitle,
                           settings.logo_url)

    def respond(question: str, history: list | None, asked: list | None):
        question = question or ""
        asked = list(asked or [])
        started = time.perf_counter()
        try:
            answer = assistant.ask(question, top_k=settings.top_k, previous=asked[-CONTEXT_QUESTIONS:])
        except BackendUnavailable:  # the index server (Milvus) is down: a message, not a traceback
            answer = Answer(question=question[:200], answered=False, passages=(), message=UNAVAILABLE)
        answer_id = feedback.record(answer, started, "web", assistant.index.version)
        turn = [{"role": "user", "content": question_html(question)},
                {"role": "assistant", "content": feedback.reply(answer_html(answer, settings.no_match_hint),
                                                                answer_id)}]
        refused = not answer.passages and answer.message is not None
        # A refused question stays in the box to be shortened or rephrased; an answered one clears it.
        kept = question.encode("utf-8", "replace").decode("utf-8") if refused else ""  # no lone surrogates
        return kept, list(history or []) + turn, header(), asked if refused else asked + [question.strip()]

    def search(question: str, top_k: int = 5, previous: list[str] | None = None) -> dict:
        """Cited passages for a question, as `assistant ask --json` prints them; `previous`: the
        conversation's earlier questions, oldest first (optional)."""
        k = max(1, min(int(top_k or settings.top_k), MAX_TOP_K))
        started = time.perf_counter()
        earlier = [str(q) for q in previous or [] if isinstance(q, (str, int, float))][-CONTEXT_QUESTIONS:]
        answer = assistant.ask(question or "", top_k=k, previous=earlier)
        return feedback.api_answer(answer, feedback.record(answer, started, "api", assistant.index.version))

    door = Door(assistant, settings, feedback)  # the API, widget and MCP tools share it (and its rate limit)
    with one_app(), gr.Blocks(title=settings.site_name, analytics_enabled=False) as demo:
        heading = gr.HTML(header(), js_on_load=None, elem_id="kb-header")
        chat = _chatbot(settings.heading)
        feedback.attach(demo, chat)  # 👍/👎 under answers, the improvement box just below the chat
        asked = gr.State([])
        with gr.Row(equal_height=True):
            box = gr.Textbox(placeholder=settings.placeholder, show_label=False, lines=1, max_lines=4, scale=5,
                             autofocus=True, submit_btn=True, elem_id="kb-question")
        if examples:
            gr.Markdown("**Try one of these:**")
        with gr.Row(elem_classes="kb-examples"):
            buttons = [gr.Button(text, size="sm", variant="secondary") for text in examples]
        outputs = [box, chat, heading, asked]
        box.submit(respond, [box, chat, asked], outputs, api_visibility="private").then(None, js=SCROLL_TO_NEWEST)
        for button, text in zip(buttons, examples):
            button.click(lambda history, before, q=text: respond(q, history, before)[1:], [chat, asked],
                         outputs[1:], api_visibility="private").then(None, js=SCROLL_TO_NEWEST)
        admin_panel(assistant, settings, heading, feedback.log)
        gr.api(not_a_tool(search), api_name="search")
        if settings.mcp_server:
            add_mcp_tools(door, settings.site_name)
        demo.load(header, None, heading, api_visibility="private")
    with one_app():  # launch() builds the one FastAPI app that is served
        demo.queue(default_concurrency_limit=settings.concurrency_limit, max_size=settings.max_queue)
    demo.door = door
    return demo


def _chatbot(heading: str) -> gr.Chatbot:
    # render_markdown=False: messages are our own escaped HTML, inserted without a Markdown pass
    # (which could turn content into links or emphasis); Gradio still sanitizes it.
    return gr.Chatbot(
        elem_id="kb-chat", show_label=False, height=None, min_height=240, max_height="64vh",
        render_markdown=False, sanitize_html=True, latex_delimiters=[],
        placeholder=f"**{_markdown_text(heading)}** Ask a question, or pick an example below.", autoscroll=False,
        layout="panel",
    )


def _markdown_text(text: str) -> str:
    """Settings text placed in Gradio's Markdown placeholder: its Markdown and HTML characters escaped."""
    return "".join("\\" + ch if ch in "\\`*_{}[]()#+-.!<>|~" else ch for ch in text)


def launch(demo: gr.Blocks, assistant: Assistant, host: str = "127.0.0.1", port: int = 7860, block: bool = True,
           reload_interval: float = POLL_SECONDS):
    """Start the server, and the live reload that swaps to each newly published index until it closes.
    SSR stays off: Gradio 6.27–6.31 trust forged Host headers with SSR on."""
    result = demo.launch(server_name=host, server_port=port, ssr_mode=False, theme=THEME,
                         css=CSS + accent_css(assistant.settings.accent_color),
                         prevent_thread_lock=True, show_error=False, quiet=not block,
                         mcp_server=assistant.settings.mcp_server)
    add_source_route(demo, assistant)
    add_click_route(demo)
    door = getattr(demo, "door", None) or Door(assistant, assistant.settings)
    add_api_routes(demo, door)
    add_widget_route(demo, door.settings)
    if block:
        print(banner(demo.local_url or f"http://{host}:{demo.server_port}/", origins(door.settings.allowed_origins)))
    token = add_control_route(demo, assistant, f"http://127.0.0.1:{demo.server_port}/")
    atexit.register(withdraw, assistant.settings.index_dir, token)
    IndexReloader(assistant, reload_interval, alive=lambda: demo.is_running).start()
    if block:
        signal.signal(signal.SIGTERM, _interrupt)  # `kill` ends the server as Ctrl+C does, tidily
        try:
            demo.block_thread()
        finally:
            withdraw(assistant.settings.index_dir, token)
    return result


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def add_source_route(demo: gr.Blocks, assistant: Assistant) -> None:
    """`/source/<doc_id>`: the raw file of an indexed document that names no url of its own, served as
    inert text (or a PDF) in a sandbox, so an article's markup can never run on this origin."""

    def source(doc_id: str) -> Response:
        path = assistant.source_file(doc_id)
        if path is None:
            return Response("Not in the knowledge base.", status_code=404, media_type="text/plain")
        media = "application/pdf" if path.suffix.lower() == ".pdf" else "text/plain; charset=utf-8"
        return FileResponse(path, media_type=media, headers={
            "X-Content-Type-Options": "nosniff", "Content-Security-Policy": "sandbox; default-src 'none'"})

    add_route(demo, "/source/{doc_id:path}", source, "GET")


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 7860, assistant: Assistant | None = None) -> None:
    """Load the model and index once (unless given), then serve the UI and `/search` until stopped."""
    assistant = assistant or Assistant.open(settings)
    launch(create_app(assistant, settings), assistant, host, port, block=True)
