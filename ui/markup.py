"""Markdown inside passages shown as safe formatting. Pure.

The text is HTML-escaped first; only then are **bold**, *italics* / _italics_ and `code` turned into
<strong>, <em> and <code>, so nothing from content can become markup of its own. Markers left
without a partner (a passage cut mid-emphasis) are dropped rather than shown raw.
"""

from __future__ import annotations

import re
from html import escape

_CODE = re.compile(r"`([^`\n]+)`")
_BOLD = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_ITALIC = re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])|(?<![\w_])_(?=\S)([^_\n]+?)(?<=\S)_(?![\w_])")
_LINK = re.compile(r"!?\[([^\]\n]*)\]\((?:[^()\n]|\([^()\n]*\))*\)")
_STRAY = re.compile(r"\*\*|__|(?<![\w*])\*(?=\S)|(?<=\S)\*(?![\w*])|`")


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
    return re.sub(r"\x00(\d+)\x00", lambda m: codes[int(m.group(1))], html)
