""""Did this answer your question?": 👍 / 👎 under each answer, a box for how to improve it (naming the
source's kind: article, recording, slide deck), "This did not help" under a no-match reply instead of
👍 / 👎, a beacon for passage clicks, and the `/feedback` API — all written to the question log
(assistant.analytics; a no-match reply's "did not help" is counted apart from answers' 👎).

    feedback = ChatFeedback(settings)            the log per settings (None inside when log_questions is off)
    feedback.reply(html, answer_id, answered)    the bot message: the answer, wrapped with its answer_id
    feedback.attach(demo, chat, door)            inside gr.Blocks: votes, the improvement box, the
                                                 click beacon script, the /feedback API (through the Door)
    add_click_route(app, feedback)               on our FastAPI app: POST /feedback/click (the beacon) and
                                                 POST /feedback/refusal ("This did not help")

Links stay direct: a click is reported by the page with navigator.sendBeacon (the passage's url
and its answer's id); the server keeps it only when that url is one the answer cited, and
stores the card's position from the answer's own citations.
"""

from __future__ import annotations

import atexit
import json
import logging
import re
from collections import OrderedDict
from html import escape

import gradio as gr
from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from assistant import Answer, Settings
from assistant.analytics import FeedbackRefused, QuestionLog, StoreUnavailable, open_log
from assistant.analytics.privacy import COMMENT_CHARS
from ui.doors import Door, Limited

log = logging.getLogger(__name__)

ASK = "Did this answer your question?"
IMPROVE = "How can we improve this article?"
NOT_HELPED = "This did not help"
NOTED = "Thank you — noted. The help-centre team sees which questions found nothing."
# The improvement prompt names what the first cited passage came from.
KIND_WORDS = {"article": "article", "transcript": "recording", "deck": "slide deck", "text": "note"}
THANKS = "Thank you — your feedback helps us improve the help centre."
SENT = "Thank you — your suggestion was sent to the help-centre team."
SUGGEST = "Suggest an improvement"
CLICK_ROUTE = "/feedback/click"
REFUSAL_ROUTE = "/feedback/refusal"
MAX_BEACON_BYTES = 8192
REMEMBERED_TITLES = 10_000  # for "About: <article>" in the improvement box
# The answer_id rides on a class name: Gradio's sanitizer keeps class but drops data-* attributes.
ANSWER_ID_CLASS = re.compile(r'class="kb-turn kb-answer-([0-9a-f]{32})"')
# Report clicks on passage links in the chat (left, middle, keyboard), then let the link open as usual.
BEACON_JS = """() => {
  if (window.__kbBeacon) return; window.__kbBeacon = true;
  const root = ((window.gradio_config && window.gradio_config.root) || '').replace(/\\/$/, '');
  const report = (event) => {
    const link = event.target.closest && event.target.closest('#kb-chat a[href]');
    const turn = link && link.closest('.kb-turn');
    const marker = turn && [...turn.classList].find((name) => name.startsWith('kb-answer-'));
    if (!marker) return;
    if (link.classList.contains('kb-not-helped')) {  // a no-match reply's "This did not help"
      event.preventDefault();
      if (event.type !== 'click') return;
      const sent = JSON.stringify({answer_id: marker.slice(10)});
      navigator.sendBeacon(root + '%s', new Blob([sent], {type: 'text/plain'}));
      const note = document.createElement('span'); note.className = 'kb-noted'; note.setAttribute('role', 'status');
      note.textContent = %s; link.replaceWith(note);
      return;
    }
    const body = JSON.stringify({answer_id: marker.slice(10), url: link.getAttribute('href')});
    navigator.sendBeacon(root + '%s', new Blob([body], {type: 'text/plain'}));
  };
  document.addEventListener('click', report, true);
  document.addEventListener('auxclick', (event) => { if (event.button === 1) report(event); }, true);
}""" % (REFUSAL_ROUTE, json.dumps(NOTED), CLICK_ROUTE)


class ChatFeedback:
    def __init__(self, settings: Settings, question_log: QuestionLog | None = None):
        self.settings = settings
        self.log = question_log if question_log is not None else open_log(settings)
        self._titles: OrderedDict[str, tuple[str, str]] = OrderedDict()  # answer_id -> first passage (title, kind)
        self._no_match: OrderedDict[str, None] = OrderedDict()  # answer_ids of recent no-match replies on the page
        if self.log is not None:
            atexit.register(self.log.close)  # write what is queued when the server stops

    # --- recording answers ------------------------------------------------------------------------
    def remember(self, answer_id: str | None, answer: Answer, channel: str) -> None:
        """What the chat's feedback needs of an answer the Door logged: its first passage (the 👎 box names
        it) or that it found nothing (so "This did not help" is accepted for it)."""
        if not answer_id or channel != "web":
            return
        if answer.answered and answer.passages:
            first = answer.passages[0]
            _remember(self._titles, answer_id, (first.title, first.source_type))
        elif not answer.answered:
            _remember(self._no_match, answer_id, None)

    def reply(self, html: str, answer_id: str | None, answered: bool = True) -> str:
        """The bot message: the rendered answer, marked with its answer_id, and the feedback prompt; a
        no-match reply gets "This did not help" instead (the page hides 👍 / 👎 under `.kb-no-match`)."""
        if answer_id is None:
            return html
        if not answered:
            return (f'<div class="kb-turn kb-no-match kb-answer-{answer_id}">{html}<p class="kb-helpful">'
                    f'<a href="#did-not-help" class="kb-not-helped">{escape(NOT_HELPED)}</a></p></div>')
        return (f'<div class="kb-turn kb-answer-{answer_id}">{html}'
                f'<p class="kb-helpful">{escape(ASK)}</p></div>')

    def did_not_help(self, answer_id: object) -> bool:
        """A no-match reply on the page marked "This did not help": stored as not helpful (the report counts
        it apart). Only for no-match replies this server showed; never raises."""
        if self.log is None or not isinstance(answer_id, str) or answer_id not in self._no_match:
            return False
        try:
            self.log.feedback(answer_id, False)
        except (FeedbackRefused, StoreUnavailable):
            return False
        return True

    # --- the page ---------------------------------------------------------------------------------
    def attach(self, demo: gr.Blocks, chat: gr.Chatbot, door: Door) -> None:
        """Votes under each answer, the improvement box, the click beacon and the /feedback API.
        Nothing when logging is off."""
        if self.log is None:
            return
        chat.feedback_options = ("Like", "Dislike", SUGGEST)
        with gr.Column(visible=False, elem_id="kb-improve") as box:
            about = gr.HTML(elem_id="kb-improve-about")
            text = gr.Textbox(label=IMPROVE, lines=3, max_lines=8, max_length=COMMENT_CHARS,
                              placeholder="What was missing, wrong or unclear?", elem_id="kb-improve-text")
            with gr.Row():
                send = gr.Button("Send suggestion", variant="primary", size="sm", elem_id="kb-improve-send")
                cancel = gr.Button("Cancel", variant="secondary", size="sm", elem_id="kb-improve-cancel")
        status = gr.HTML(elem_id="kb-feedback-status")
        target = gr.State(None)  # the answer_id the box is about
        votes = gr.State({})  # answer_id -> helpful, for this visitor's page

        chat.like(self._on_vote, [chat, votes], [box, about, text, status, target, votes], api_visibility="private")
        send.click(self._on_suggest, [text, target, votes], [box, text, status, target], api_visibility="private")
        cancel.click(lambda: (gr.Column(visible=False), "", "", None), None, [box, text, status, target],
                     api_visibility="private")
        demo.load(None, None, None, js=BEACON_JS, api_visibility="private")
        gr.api(feedback_api(door), api_name="feedback")

    def _on_vote(self, history: list | None, votes: dict, data: gr.LikeData):
        answer_id = _answer_of(history or [], data.index)
        title, kind = self._titles.get(answer_id, ("", "article")) if answer_id else ("", "article")
        hidden = (gr.Column(visible=False), "", "", "", None, votes)
        if answer_id is None:
            return hidden
        if data.liked is True or data.liked is False:
            try:
                self.log.feedback(answer_id, data.liked)
            except (FeedbackRefused, StoreUnavailable) as exc:
                return (*hidden[:3], _status(str(exc), error=True), None, votes)
            votes = {**votes, answer_id: data.liked}
            if data.liked:
                return (*hidden[:3], _status(THANKS), None, votes)
        elif data.liked != SUGGEST:
            return hidden
        about = f'<p class="kb-improve-about">About: <strong>{escape(title)}</strong></p>' if title else ""
        return gr.Column(visible=True), about, gr.Textbox(value="", label=improve_prompt(kind)), "", answer_id, votes

    def _on_suggest(self, text: str, answer_id: str | None, votes: dict):
        if not answer_id:
            return gr.Column(visible=False), "", "", None
        if not (text or "").strip():
            return gr.Column(visible=True), text, _status("Please type your suggestion first.", error=True), answer_id
        try:
            self.log.feedback(answer_id, bool(votes.get(answer_id, False)), text)
        except (FeedbackRefused, StoreUnavailable) as exc:
            return gr.Column(visible=True), text, _status(str(exc), error=True), answer_id
        return gr.Column(visible=False), "", _status(SENT), None



def feedback_api(door: Door):
    def feedback(answer_id: str, helpful: bool, comment: str = "", request: gr.Request = None) -> dict:
        """Record whether an answer helped: the answer_id from a /search answer, helpful true/false,
        and an optional comment (up to 2,000 characters). Returns what was stored."""
        try:
            door.admit(getattr(getattr(request, "client", None), "host", None), "feedback")
            return door.feedback(answer_id, helpful, comment)
        except (Limited, FeedbackRefused, StoreUnavailable) as exc:
            raise gr.Error(str(exc), print_exception=False) from None

    return feedback


def add_click_route(app: FastAPI, feedback: ChatFeedback) -> None:
    """POST /feedback/click: the page's beacon for passage clicks, and POST /feedback/refusal: a no-match
    reply's "This did not help" (always 204; nothing kept when the log is off)."""

    async def click(request: Request) -> Response:
        data = await _beacon(request)
        if data is not None and feedback.log is not None:
            feedback.log.click(data.get("answer_id"), data.get("url"))
        return Response(status_code=204)

    async def refusal(request: Request) -> Response:
        data = await _beacon(request)
        if data is not None:
            await run_in_threadpool(feedback.did_not_help, data.get("answer_id"))
        return Response(status_code=204)

    app.add_api_route(CLICK_ROUTE, click, methods=["POST"])
    app.add_api_route(REFUSAL_ROUTE, refusal, methods=["POST"])


async def json_object(request: Request, limit: int) -> dict | None:
    """A small POST's JSON object; None for a body over `limit` bytes, not UTF-8 JSON, or not an object."""
    body = await request.body()
    if len(body) > limit:
        return None
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    return data if isinstance(data, dict) else None


async def _beacon(request: Request) -> dict | None:
    return await json_object(request, MAX_BEACON_BYTES)


def improve_prompt(kind: str) -> str:
    """"How can we improve this slide deck?": the improvement box's label for the first cited source's kind."""
    return f"How can we improve this {KIND_WORDS.get(kind, 'article')}?"


def _remember(recent: OrderedDict, key: str, value) -> None:
    recent[key] = value
    while len(recent) > REMEMBERED_TITLES:
        recent.popitem(last=False)


def _answer_of(history: list, index) -> str | None:
    """The answer_id of the bot message at `index` of the chat history."""
    position = index[0] if isinstance(index, (list, tuple)) else index
    try:
        message = history[int(position)]
    except (IndexError, TypeError, ValueError):
        return None
    content = message.get("content") if isinstance(message, dict) else getattr(message, "content", "")
    if isinstance(content, list):
        content = " ".join(part.get("text", "") if isinstance(part, dict) else str(part) for part in content)
    content = content if isinstance(content, str) else ""
    found = ANSWER_ID_CLASS.search(content)
    return found.group(1) if found else None


def _status(text: str, error: bool = False) -> str:
    return f'<p class="kb-feedback-status{" kb-error" if error else ""}" role="status">{escape(text)}</p>'
