"""Answers as HTML: pure functions from an Answer (or assistant.info()) to escaped markup.

Every string that came from content (title, section, text, highlight, url) goes through
`html.escape` (passage text through `ui.markup.inline_html`, which escapes first and then renders
**bold**, *italics* and `code`), and only urls that pass `safe_href` become links, so an article
holding `<script>` or `javascript:` shows as text. The chat renders this HTML without Markdown, so
no Markdown pass can undo the escaping; Gradio's sanitizer runs on top as a second fence. The
site's own words (name, heading, hint) come from settings and are escaped too.
"""

from __future__ import annotations

from datetime import datetime
from html import escape

from assistant import Answer, Passage, Settings
from assistant.answer.links import clock, safe_href
from assistant.answer.records import Turn
from ui.markup import blocks_html, inline_html, text_units

TURN_CHARS = 320  # a speaker's turn is clipped around its marked cue to about this many characters
KINDS = {"article": ("article", "articles"), "transcript": ("session", "sessions"),
         "deck": ("slide deck", "slide decks"), "text": ("note", "notes")}
BADGES = {"article": "Article", "transcript": "Session recording", "deck": "Slide deck", "text": "Note"}
QUESTION_ECHO_CHARS = 300


def link(url: str, label: str, css: str = "") -> str:
    """An escaped link that opens in a new tab, or the escaped label alone when the url is unsafe."""
    href = safe_href(url) if url else None
    label_html = escape(label)
    if href is None:
        return f'<span class="{css}">{label_html}</span>' if css else label_html
    return (f'<a class="{css}" href="{escape(href, quote=True)}" target="_blank" '
            f'rel="noopener noreferrer">{label_html}</a>')


def excerpt(text: str, highlight: str, width: int = 480) -> str:
    """The passage around its highlight sentence, the sentence wrapped in <mark>; Markdown emphasis
    rendered, everything else escaped."""
    text = " ".join(text.split())
    highlight = " ".join(highlight.split())
    at = text.find(highlight) if highlight else -1
    if at < 0:
        return inline_html(_clip(text, width))
    room = max(0, width - len(highlight)) // 2
    start = min(at, _word_start(text, max(0, at - room)))
    end = max(at + len(highlight), _word_end(text, min(len(text), at + len(highlight) + room)))
    before = ("…" if start else "") + text[start:at]
    after = text[at + len(highlight):end] + ("…" if end < len(text) else "")
    return f"{inline_html(before)}<mark>{inline_html(highlight)}</mark>{inline_html(after)}"


def passage_body(text: str, highlight: str, width: int = 480) -> str:
    """The passage around its highlight as paragraphs and lists (a slide's or an article's bullets stay a
    list), the highlight marked; about `width` characters of the passage's lines around it."""
    units = text_units(text)
    target = " ".join(highlight.split())
    at = next((n for n, unit in enumerate(units) if target and target in " ".join(unit.split())), None)
    if at is None:
        return f'<p class="kb-text">{excerpt(text, highlight, width)}</p>'
    first = last = at
    room = width - len(units[at])
    while room > 0 and (first > 0 or last + 1 < len(units)):
        if last + 1 < len(units) and (first == 0 or last - at <= at - first):
            last += 1
            room -= len(units[last])
        else:
            first -= 1
            room -= len(units[first])
    shown = units[first:last + 1]
    render = lambda line: excerpt(line, highlight, width) if target in " ".join(line.split()) else inline_html(_clip(line, width))  # noqa: E731
    return blocks_html(shown, render)


def passage_card(passage: Passage) -> str:
    badge = BADGES.get(passage.source_type, passage.source_type.title())
    if passage.page is not None:
        badge += f" · page {int(passage.page)}"
    time_link = ""
    if passage.start_seconds is not None:
        time_link = link(passage.url, f"▶ {clock(passage.start_seconds)}", "kb-time")
    section = f'<div class="kb-section">{escape(passage.section)}</div>' if passage.section else ""
    body = (turns_html(passage.exchange, passage.highlight) if passage.exchange
            else passage_body(passage.text, passage.highlight))
    return (
        '<article class="kb-card">'
        f'<div class="kb-meta"><span class="kb-badge">{escape(badge)}</span>{time_link}</div>'
        f'<h3 class="kb-title">{link(passage.url, passage.title, "kb-link")}</h3>{section}'
        f"{body}</article>"
    )


def turns_html(turns: tuple[Turn, ...], highlight: str) -> str:
    """A recording's exchange: one line per speaker turn, the answering cue marked."""
    lines = []
    for turn in turns:
        speaker = f'<span class="kb-speaker">{escape(turn.speaker)}</span> ' if turn.speaker else ""
        text = excerpt(turn.text, highlight, TURN_CHARS) if turn.answering else inline_html(_clip(turn.text, TURN_CHARS))
        css = "kb-turn kb-answering" if turn.answering else "kb-turn"
        lines.append(f'<p class="{css}">{speaker}<span class="kb-at">{clock(turn.start)}</span> {text}</p>')
    return f'<div class="kb-turns">{"".join(lines)}</div>'


def answer_html(answer: Answer, hint: str | None = None) -> str:
    """The bot's reply: the cited passages as cards; the no-match message (what the help centre covers) with
    the nearest articles and the site's hint; or a reply to small talk with example questions."""
    searched = (f'<p class="kb-searched">Searched for: {escape(answer.searched_for)}</p>'
                if answer.searched_for else "")
    if answer.answered:
        count = len(answer.passages)
        lead = f'<p class="kb-lead">{count} passage{"s" if count != 1 else ""} from the knowledge base:</p>'
        cards = "".join(passage_card(p) for p in answer.passages)
        return f'<div class="kb-answer">{searched}{lead}<div class="kb-cards">{cards}</div>{more_html(answer)}</div>'
    message = f'<p class="kb-notice">{escape(answer.message or "")}</p>'
    if answer.small_talk:
        examples = "".join(f'<li class="kb-example">{escape(q)}</li>' for q in answer.examples)
        listed = f'<p class="kb-lead">For example:</p><ul class="kb-examples">{examples}</ul>' if examples else ""
        return f'<div class="kb-answer kb-smalltalk">{message}{listed}</div>'
    if not answer.passages:
        return f'<div class="kb-answer kb-nomatch">{message}</div>'
    nearest = "".join(f"<li>{link(p.url, p.title, 'kb-link')}</li>" for p in answer.passages)
    hint_html = f'<p class="kb-hint">{escape(hint)}</p>' if hint else ""
    return (f'<div class="kb-answer kb-nomatch">{searched}{message}'
            f'<p class="kb-lead">Nearest articles:</p><ul class="kb-nearest">{nearest}</ul>{hint_html}</div>')


def more_html(answer: Answer) -> str:
    """The weaker passages behind a closed "More results" disclosure, so nothing found is lost."""
    if not answer.more:
        return ""
    items = "".join(
        f"<li>{link(p.url, p.title, 'kb-link')}"
        + (f' <span class="kb-section">{escape(p.section)}</span>' if p.section else "")
        + (f' <span class="kb-at">▶ {clock(p.start_seconds)}</span>' if p.start_seconds is not None else "")
        + "</li>" for p in answer.more)
    return (f'<details class="kb-more"><summary>More results ({len(answer.more)})</summary>'
            f'<ul class="kb-nearest">{items}</ul></details>')


def question_html(question: str) -> str:
    """The user's question as shown in the chat: escaped, and clipped when very long."""
    shown = question if len(question) <= QUESTION_ECHO_CHARS else question[:QUESTION_ECHO_CHARS] + "…"
    shown = shown.encode("utf-8", "replace").decode("utf-8")  # a lone surrogate (from JSON) would break the reply
    return f'<span class="kb-question">{escape(shown)}</span>'


def header_html(info: dict, site_name: str = "Help Centre", heading: str = "How can we help?",
                subtitle: str | None = None, logo_url: str | None = None) -> str:
    """The site's name (and logo), its heading, and what the knowledge base holds and when it was built:
    '32 articles and 4 sessions · last rebuilt 2 Mar 2026, 09:15 UTC from 36 documents'."""
    by_type = info.get("by_type") or {}
    parts = []
    for kind, count in sorted(by_type.items()):
        one, many = KINDS.get(kind, (kind, kind + "s"))
        parts.append(f"{int(count)} {one if count == 1 else many}")
    holds = _listed(parts) or "no documents"
    built = _when(info.get("built_at"))
    documents = int(info.get("documents", sum(by_type.values())))
    rebuilt = (f" · last rebuilt {escape(built)} from {documents} document{'s' if documents != 1 else ''}"
               if built else "")
    logo = safe_href(logo_url) if logo_url else None
    logo_html = f'<img class="kb-logo" src="{escape(logo, quote=True)}" alt="" />' if logo else ""
    sub = f'<p class="kb-subtitle">{escape(subtitle)}</p>' if subtitle else ""
    return (
        f'<header class="kb-header"><p class="kb-kicker">{logo_html}{escape(site_name)}</p>'
        f"<h1>{escape(heading)}</h1>{sub}"
        f'<p class="kb-holds">Answers cite the knowledge base: {escape(holds)}{rebuilt}.</p></header>'
    )


def site_header(info: dict, settings: Settings) -> str:
    """The page's header as the site's settings dress it: the page and the admin rebuild both use this."""
    return header_html(info, settings.face.site_name, settings.face.heading, settings.face.subtitle, settings.face.logo_url)


def _when(stamp: str | None) -> str:
    if not stamp:
        return ""
    try:
        moment = datetime.fromisoformat(stamp)
    except ValueError:
        return stamp
    return f"{moment.day} {moment:%b %Y, %H:%M} {moment.tzname() or ''}".strip()


def _listed(parts: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    return ", ".join(parts[:-1]) + " and " + parts[-1] if len(parts) > 1 else "".join(parts)


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[:width].rsplit(" ", 1)[0] + "…"


def _word_start(text: str, at: int) -> int:
    """Move a cut forward to the start of a word, so no word (or **marker**) is shown half."""
    if at <= 0 or text[at - 1] == " ":
        return max(0, at)
    space = text.find(" ", at)
    return space + 1 if 0 <= space else at


def _word_end(text: str, at: int) -> int:
    if at >= len(text) or text[at] == " ":
        return at
    space = text.rfind(" ", 0, at)
    return space if space > 0 else at
