"""The help-centre page (a gr.Blocks): the chat, example questions, a header saying what the knowledge
base holds, Gradio's `/search` and `/feedback` endpoints, the MCP tools and the admin panel. Every
question on it goes through the one `Door` (ui/doors.py).

Programs call `gradio_client.Client(url).predict("question", 5, api_name="/search")` and get the
same JSON as `assistant ask --json`; a third argument, the earlier questions of the conversation
(a list, oldest first), lets a follow-up be searched with them. (The MCP tools are not Gradio
endpoints: ui/mcp.py serves exactly those two.)
"""

from __future__ import annotations

import gradio as gr
import nh3

from assistant import Answer, Assistant, Settings
from assistant.answer.addresses import absolute_answer
from index.errors import BackendUnavailable
from ui.admin import admin_panel
from ui.doors import UNAVAILABLE, Door, Limited, refused
from ui.feedback import ChatFeedback
from ui.forwarded import public_base
from ui.quick_import import one_app
from ui.render import answer_html, question_html, site_header

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

# Gradio's Chatbot names each bubble "<role>'s message: <raw content>"; ours is HTML, so a screen reader
# would read the markup. Keep the role and replace the content with its plain text, also when the
# bubble is re-rendered. DOMParser's document is inert: nothing in it loads or runs.
PLAIN_LABELS = """() => {
  if (window.__kbLabels) return; window.__kbLabels = true;
  const SEP = "'s message: ";
  const plain = (html) => (new DOMParser().parseFromString(html, 'text/html').body.textContent || '')
    .replace(/\\s+/g, ' ').trim();
  const fix = (el) => {
    const label = el.getAttribute && el.getAttribute('aria-label');
    if (!label || !label.includes('<')) return;
    const at = label.indexOf(SEP);
    el.setAttribute('aria-label', at < 0 ? plain(label) : label.slice(0, at + SEP.length) + plain(label.slice(at + SEP.length)));
  };
  const sweep = (root) => root.querySelectorAll('[aria-label*="<"]').forEach(fix);
  new MutationObserver((changes) => changes.forEach((change) => {
    if (change.type === 'attributes') fix(change.target);
    else change.addedNodes.forEach((node) => { if (node.nodeType === 1) { fix(node); sweep(node); } });
  })).observe(document.body, {subtree: true, childList: true, attributes: true, attributeFilter: ['aria-label']});
  sweep(document);
}"""


def build_page(assistant: Assistant, settings: Settings, door: Door, feedback: ChatFeedback) -> gr.Blocks:
    """The page, its queue set from settings; not yet served (ui.app mounts it)."""
    examples = assistant.examples()

    def header() -> str:
        return site_header(assistant.info(), settings)

    respond, search = handlers(settings, door, feedback, header)
    with one_app(), gr.Blocks(title=settings.face.site_name, analytics_enabled=False) as page:
        heading = gr.HTML(header(), js_on_load=None, elem_id="kb-header")
        chat = _chatbot(settings.face.heading)
        feedback.attach(page, chat, door)  # 👍/👎 under answers, the improvement box just below the chat
        asked = gr.State([])
        with gr.Row(equal_height=True):
            box = gr.Textbox(placeholder=settings.face.placeholder, show_label=False, lines=1, max_lines=4, scale=5,
                             autofocus=True, submit_btn=True, elem_id="kb-question")
        if examples:
            gr.Markdown("**Try one of these:**")
        with gr.Row(elem_classes="kb-examples"):
            buttons = [gr.Button(text, size="sm", variant="secondary") for text in examples]
        outputs = [box, chat, heading, asked]
        box.submit(respond, [box, chat, asked], outputs, api_visibility="private").then(None, js=SCROLL_TO_NEWEST)
        for button, text in zip(buttons, examples):
            button.click(_example(respond, text), [chat, asked], outputs[1:],
                         api_visibility="private").then(None, js=SCROLL_TO_NEWEST)
        admin_panel(assistant, settings, heading, feedback.log)
        gr.api(search, api_name="search")
        # Outside the queue (a plain request, no event stream): a question asked while the page's load
        # event was still streaming could be lost with the closing stream (Gradio's client, seen under load).
        page.load(header, None, heading, api_visibility="private", queue=False)
        page.load(None, None, None, js=PLAIN_LABELS, api_visibility="private")
        if settings.face.footer_html:
            gr.HTML(owner_footer(settings.face.footer_html), elem_id="kb-footer")  # Gradio's own footer is off (ui/app.py)
    with one_app():  # gr.mount_gradio_app builds the one app that is served (ui/quick_import.py)
        page.queue(default_concurrency_limit=settings.serving.concurrency_limit, max_size=settings.serving.max_queue)
    return page


def handlers(settings: Settings, door: Door, feedback: ChatFeedback, header):
    """The chat's submit handler and Gradio's `/search` endpoint, both asking through the door:
    respond(question, history, asked) -> (box, history, header, asked); search(question, top_k, previous)."""

    def respond(question: str, history: list | None, asked: list | None, request: gr.Request = None):
        question = question or ""
        asked = list(asked or [])
        try:
            answer, answer_id = _ask(door, question, settings.answers.top_k, asked, "web", request)
        except Limited as exc:  # a message in the conversation; the question stays in the box to send again
            turn = [{"role": "user", "content": question_html(question)},
                    {"role": "assistant", "content": limited_html(exc.wait)}]
            kept = question.encode("utf-8", "replace").decode("utf-8")
            return kept, list(history or []) + turn, header(), asked
        turn = [{"role": "user", "content": question_html(question)},
                {"role": "assistant", "content": feedback.reply(answer_html(answer, settings.face.no_match_hint),
                                                                answer_id, answer.answered)}]
        no = refused(answer)
        # A refused question stays in the box to be shortened or rephrased; an answered one clears it.
        kept = question.encode("utf-8", "replace").decode("utf-8") if no else ""  # no lone surrogates
        return kept, list(history or []) + turn, header(), asked if no else asked + [question.strip()]

    def search(question: str, top_k: int = 5, previous: list[str] | None = None, request: gr.Request = None) -> dict:
        """Cited passages for a question, as `assistant ask --json` prints them; `previous`: the
        conversation's earlier questions, oldest first (optional)."""
        earlier = [str(q) for q in previous or [] if isinstance(q, (str, int, float))]
        try:
            body = door.as_json(*_ask(door, question or "", top_k, earlier, "api", request))
        except Limited as exc:  # a program gets Gradio's error, with the words
            raise gr.Error(str(exc), print_exception=False) from None
        return absolute_answer(body, public_base(request, settings.serving.public_url))  # links that work where it goes

    return respond, search


def _example(respond, text: str):
    def ask_example(history: list | None, asked: list | None, request: gr.Request = None):
        return respond(text, history, asked, request)[1:]

    return ask_example


FOOTER_TAGS = {"a", "p", "span", "small", "strong", "em", "b", "i", "br", "nav", "ul", "li", "div"}


def owner_footer(html: str) -> str:
    """The owner's `footer_html`, through nh3: text, a few tags, and http(s)/mailto links opening in a new tab."""
    clean = nh3.clean(html, tags=FOOTER_TAGS, attributes={"a": {"href", "title"}}, url_schemes={"http", "https", "mailto"},
                      set_tag_attribute_values={"a": {"target": "_blank"}}, link_rel="noopener noreferrer")
    return f'<footer class="kb-footer">{clean}</footer>'


def limited_html(wait: int) -> str:
    """The chat's reply to a visitor over the rate limit: when to ask again (not an error badge)."""
    return ('<div class="kb-answer kb-limited"><p class="kb-notice" role="status">'
            f"You have asked a lot of questions in a short time. Please ask again in {int(wait)} s; "
            "your question is still in the box.</p></div>")


def _ask(door: Door, question: str, top_k, earlier: list, channel: str, request: gr.Request | None):
    """(answer, answer_id) through the door; raises Limited when the visitor is over the rate limit."""
    door.admit(_client(request), channel)
    try:
        return door.answer(question, top_k, earlier, channel)
    except BackendUnavailable:  # the index server (Milvus) is down: a message on the page, not a traceback
        return Answer(question=question[:200], answered=False, passages=(), message=UNAVAILABLE), None


def _client(request: gr.Request | None) -> str | None:
    """The visitor's address; None for a call from inside this process (never rate limited)."""
    if request is None:
        return None
    return getattr(getattr(request, "client", None), "host", "") or ""


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


__all__ = ["build_page", "handlers"]
