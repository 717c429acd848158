"""Markdown inside passages shown as safe formatting. Pure.

The text is HTML-escaped first; only then are **bold**, *italics* / _italics_ and `code` turned into
<strong>, <em> and <code>, so nothing from content can become markup of its own. Markers left
without a partner (a passage cut mid-emphasis) are dropped rather than shown raw. An owner's own
inline HTML is rendered for a small allowlist, without attributes and only in closed pairs:
<kbd>, <em>, <strong>, <code>, <sub>, <sup>, and <br>; any other tag (<b>, <img>…) stays visible text.

`text_units` joins a passage's hard-wrapped lines; `blocks_html` renders them as paragraphs and lists
(a slide's bullets stay a list).
"""

from __future__ import annotations

import re
from html import escape

_CODE = re.compile(r"`([^`\n]+)`")
_BOLD = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_ITALIC = re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])|(?<![\w_])_(?=\S)([^_\n]+?)(?<=\S)_(?![\w_])")
_LINK = re.compile(r"!?\[([^\]\n]*)\]\((?:[^()\n]|\([^()\n]*\))*\)")
_STRAY = re.compile(r"\*\*|__|(?<![\w*])\*(?=\S)|(?<=\S)\*(?![\w*])|`")
_ALLOWED_PAIR = re.compile(r"&lt;(kbd|em|strong|code|sub|sup)&gt;(.+?)&lt;/\1&gt;", re.I)
_BREAK = re.compile(r"&lt;br\s*/?&gt;", re.I)
ITEM = re.compile(r"^\s*(?:([-*+•▪◦‣])|(\d{1,3})[.)])\s+")


def inline_html(text: str) -> str:
    """Escaped HTML of a piece of Markdown text with its inline emphasis rendered."""
    codes: list[str] = []

    def keep_code(match: re.Match) -> str:
        codes.append(f"<code>{escape(match.group(1))}</code>")
        return f"\x00{len(codes) - 1}\x00"

    text = _CODE.sub(keep_code, text.replace("\x00", ""))
    text = _LINK.sub(lambda m: m.group(1), text)  # the words of a link; its target is not followed
    html = escape(text)
    html = _BOLD.sub(lambda m: f"<strong>{m.group(2)}</strong>", html)
    html = _ITALIC.sub(lambda m: f"<em>{m.group(1) or m.group(2)}</em>", html)
    html = _STRAY.sub("", html)
    html = _owner_tags(html)
    return re.sub(r"\x00(\d+)\x00", lambda m: codes[int(m.group(1))], html)


def _owner_tags(html: str) -> str:
    """The allowlisted tags an owner wrote, back from their escaped form (closed pairs, no attributes)."""
    for _ in range(3):  # nested pairs, <kbd><b>Ctrl</b></kbd>
        html, changed = _ALLOWED_PAIR.subn(lambda m: f"<{m.group(1).lower()}>{m.group(2)}</{m.group(1).lower()}>", html)
        if not changed:
            break
    return _BREAK.sub("<br>", html)


def blocks_html(lines: list[str], render=inline_html) -> str:
    """Lines of a passage as HTML blocks: list items ("- a", "1. b") grouped into <ul>/<ol>, other lines
    as paragraphs; `render` turns one line's text into inline HTML (escaping it)."""
    out, items, ordered = [], [], False

    def close() -> None:
        if items:
            tag = "ol" if ordered else "ul"
            out.append(f'<{tag} class="kb-list">' + "".join(f"<li>{i}</li>" for i in items) + f"</{tag}>")
            items.clear()

    for line in lines:
        match = ITEM.match(line)
        if match:
            if items and ordered != bool(match.group(2)):
                close()
            ordered = bool(match.group(2))
            items.append(render(line[match.end():]))
        else:
            close()
            out.append(f'<p class="kb-text">{render(line)}</p>')
    close()
    return "".join(out)


def text_units(text: str) -> list[str]:
    """A passage's lines with hard-wrapped paragraph lines joined; list items, table rows and headings
    apart (the units `blocks_html` and the reader render)."""
    units: list[str] = []
    for paragraph in (text or "").split("\n\n"):
        joinable = False  # the last unit is prose of this paragraph that a wrapped line may continue
        for line in (raw.strip() for raw in paragraph.splitlines()):
            if not line:
                continue
            if joinable and not _starts_unit(line):
                units[-1] = f"{units[-1]} {line}"
            else:
                units.append(line)
                joinable = not (" | " in line or line.startswith("#"))
    return units


def _starts_unit(line: str) -> bool:
    return bool(ITEM.match(line)) or " | " in line or line.startswith("#")
