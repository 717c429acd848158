"""What a visitor notices in a card: lists stay lists, an owner's ordinary inline HTML renders, and
anything else from content stays inert text."""

from __future__ import annotations

from ui.markup import inline_html
from ui.render import passage_body
from ui.theme import CSS

DECK = """Keep a brag file
- A running document of outcomes you delivered, with numbers and dates.
- Add to it every Friday; it takes five minutes.
- Use it for appraisals, promotion cases and interviews."""


def test_bullets_render_as_a_list_with_the_answer_marked():
    html = passage_body(DECK, "Add to it every Friday; it takes five minutes.")
    assert html.startswith('<p class="kb-text">Keep a brag file</p><ul class="kb-list">')
    assert html.count("<li>") == 3 and "<li><mark>Add to it every Friday; it takes five minutes.</mark></li>" in html
    assert "- A running" not in html  # no flattened "- a - b - c"


def test_numbered_steps_render_as_an_ordered_list_and_wrapped_lines_join():
    text = "How to start:\n\n1. Agree the cut-off day\n   with the sponsor.\n2. Publish the calendar."
    html = passage_body(text, "Publish the calendar.")
    assert '<ol class="kb-list"><li>Agree the cut-off day with the sponsor.</li><li><mark>' in html


def test_allowlisted_inline_html_renders_and_everything_else_stays_text():
    html = inline_html("Press <kbd>Ctrl</kbd> + <KBD>S</KBD>.<br/>H<sub>2</sub>O, x<sup>2</sup>, <em>really</em>")
    assert html == ("Press <kbd>Ctrl</kbd> + <kbd>S</kbd>.<br>H<sub>2</sub>O, x<sup>2</sup>, <em>really</em>")
    hostile = inline_html('<kbd onclick="x()">a</kbd> <script>alert(1)</script> <em>open <img src=x onerror=y>')
    assert "<script" not in hostile and "<img" not in hostile and "<kbd onclick" not in hostile
    assert "&lt;kbd onclick=" in hostile and "&lt;em&gt;open" in hostile  # attributes or no closing tag: shown as text


def test_badges_follow_the_accent_colour():
    badge = CSS[CSS.index(".kb-badge {"):].split("}", 1)[0]
    assert "var(--kb-accent" in badge and "#e6f4f1" not in badge
