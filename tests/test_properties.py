"""Bad questions: whatever a visitor types, search and the chat answer or refuse clearly, never crash.

Property-based (hypothesis) over the real model and the sample index: arbitrary Unicode (lone
surrogates, which JSON can carry, included), control characters, very long input, punctuation only,
and other scripts. Every answer must be well formed and encodable as the UTF-8 JSON the web app sends.
"""

from __future__ import annotations

import json
import re
from html import unescape

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assistant import NO_MATCH, Answer, Assistant, Settings
from ui.render import answer_html, question_html

EXAMPLES = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
LIMIT = Settings().answers.max_question_chars

ANY_UNICODE = st.text(st.characters(exclude_categories=()), max_size=200)  # surrogates, controls, unassigned
CONTROLS = st.text(st.characters(categories=["Cc", "Cf", "Zs", "Zl", "Zp"]), min_size=1, max_size=50)
PUNCTUATION = st.text(st.characters(categories=["P", "S"]), min_size=1, max_size=60)
SCRIPTS = st.text(st.sampled_from(
    "项目管理办公室如何建立"  # Chinese
    "プロジェクト管理"  # Japanese
    "مكتب إدارة المشاريع"  # Arabic (right to left)
    "управлениепроектами"  # Cyrillic
    "परियोजनाप्रबंधन"  # Devanagari, with combining marks
    "Ωμέγα ÄÖÜß ñ é\u0301 🙂👩‍💻🇬🇧 \u202e\u200d"  # Greek, accents, emoji sequences, bidi override
), min_size=1, max_size=80)
LONG = st.builds(lambda word, times: word * times, st.text(min_size=1, max_size=20), st.integers(100, 3000))
QUESTIONS = st.one_of(ANY_UNICODE, CONTROLS, PUNCTUATION, SCRIPTS, LONG,
                      st.sampled_from(["How do I set up a PMO?", "stage gate <script>alert(1)</script>",
                                       "raci\x00chart", "x" * LIMIT, "x" * (LIMIT + 1), "   ", "\ud800"]))


@pytest.fixture(scope="module")
def assistant(sample_index, embedder) -> Assistant:
    return Assistant(Settings(index_dir=sample_index), embedder=embedder)


@pytest.fixture(scope="module")
def respond(assistant):
    """The chat's submit handler as Gradio calls it, with no earlier questions: (question, history) ->
    (box, history, header)."""
    from ui.doors import Door
    from ui.feedback import ChatFeedback
    from ui.page import handlers
    from ui.render import site_header

    settings = assistant.settings
    feedback = ChatFeedback(settings)
    door = Door(assistant, settings, feedback.log, feedback.remember)
    respond, _ = handlers(settings, door, feedback, lambda: site_header(assistant.info(), settings))
    yield lambda question, history: respond(question, history, [])[:3]
    if feedback.log is not None:
        feedback.log.close()


def as_utf8_json(value) -> bytes:
    """What the web app sends; raises on anything JSON or UTF-8 cannot carry (a lone surrogate)."""
    return json.dumps(value, ensure_ascii=False, allow_nan=False).encode("utf-8")


def check_answer(assistant: Assistant, question: str, answer: Answer) -> None:
    assert isinstance(answer, Answer)
    data = answer.as_dict()
    as_utf8_json(data)
    problem = assistant.check_question(question)
    if problem:  # a clear refusal: a message, nothing to cite
        assert answer.answered is False and answer.passages == () and answer.message == problem
        if len(question) > LIMIT:
            assert f"the limit is {LIMIT:,}" in problem
        return
    if answer.kind == "small_talk":  # "hi", "thanks": the site's reply, nothing searched
        assert answer.passages == () and answer.message in (assistant.reply(answer.small_talk),)
        return
    assert 1 <= len(answer.passages) <= assistant.settings.answers.top_k
    if answer.answered:  # the refusal rule said this knowledge base answers it, and its cards clear the floor
        found = assistant.search(assistant.index, assistant.embedder, question)
        assert assistant.refusal_rule().answers(found.evidence, found.calibration)
    assert (answer.message is None) if answer.answered else answer.message.startswith(NO_MATCH)
    for p in answer.passages:
        assert p.title and p.text and 0.0 <= p.score <= 1.0001
        assert p.url.startswith(("https://", "http://", "/read/"))
    if not answer.answered:  # the nearest documents, one each
        assert len({p.doc_id for p in answer.passages}) == len(answer.passages)


@EXAMPLES
@given(question=QUESTIONS)
def test_search_answers_or_refuses_any_question(assistant, question):
    check_answer(assistant, question, assistant.ask(question))


@EXAMPLES
@given(question=ANY_UNICODE, top_k=st.one_of(st.none(), st.integers(-5, 500)))
def test_search_keeps_top_k_in_bounds(assistant, question, top_k):
    answer = assistant.ask(question, top_k=top_k)
    as_utf8_json(answer.as_dict())
    assert len(answer.passages) <= 50


HISTORY = st.lists(st.fixed_dictionaries({"role": st.sampled_from(["user", "assistant"]),
                                          "content": st.text(max_size=30)}), max_size=4)


@EXAMPLES
@given(question=QUESTIONS, history=HISTORY)
def test_chat_handler_answers_or_refuses_any_question(assistant, respond, question, history):
    box, new_history, header = respond(question, list(history))
    problem = assistant.check_question(question)
    # an answered question clears the box; a refused one stays there to be edited (as UTF-8 can carry it)
    assert box == ("" if not problem else question.encode("utf-8", "replace").decode("utf-8"))
    assert new_history[:len(history)] == history and len(new_history) == len(history) + 2
    asked, replied = new_history[-2:]
    assert asked == {"role": "user", "content": question_html(question)}
    # an answer logged for feedback comes wrapped with its answer_id (ui.feedback), a no-match reply marked
    # kb-no-match (its own "This did not help"); a refusal is not wrapped
    assert replied["role"] == "assistant" and re.match(r'(<div class="kb-turn (kb-no-match )?kb-answer-[0-9a-f]{32}">)?'
                                                       r'<div class="kb-answer', replied["content"])
    problem = assistant.check_question(question)
    if problem:  # the refusal itself, escaped, and nothing else
        assert replied["content"] == answer_html(Answer(question, False, (), problem))
    else:
        assert "kb-card" in replied["content"] or "kb-nearest" in replied["content"]
    assert "How can we help?" in header
    as_utf8_json([box, new_history, header])


@settings(EXAMPLES, max_examples=15)
@given(payload=st.sampled_from(["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "\"'><svg onload=x>",
                                "javascript:alert(1)", "<a href='data:text/html,x'>x</a>"]),
       around=st.text(st.characters(codec="utf-8"), max_size=40))
def test_markup_in_a_question_is_echoed_as_text(respond, payload, around):
    _, history, _ = respond(around + payload, [])
    echoed = history[-2]["content"]
    assert "<script" not in echoed and "<img" not in echoed and "<svg" not in echoed and "<a " not in echoed
    inner = echoed.removeprefix('<span class="kb-question">').removesuffix("</span>")
    assert payload in unescape(inner)  # never clipped here: the question is under 300 characters


def test_refusals_say_what_to_do(assistant):
    assert assistant.ask("").message.startswith("Please type a question")
    assert assistant.ask("\x00\u200b \t\n").message.startswith("Please type a question")
    assert "Please shorten it" in assistant.ask("x" * (LIMIT + 1)).message
    lone = assistant.ask("stage gate \ud800")
    assert lone.message == "Your question contains characters that could not be read; please type it again."
    assert lone.question == "stage gate ?"
