"""Passages → whole sentences, for highlighting. Pure and cheap.

A chunk's answer units are its sentences, or for a recording its cues (one unit each); the index
embeds them at build time (`unit_texts`) so a question only compares vectors.

Lines hard-wrapped inside a paragraph are joined again; list items, Markdown headings, table
rows and short title lines (a deck page's title) stay units of their own; a sentence ends at
. ! ? … followed by a space and a capital, but not after an abbreviation ("e.g.", "Dr.") or an
initial, and never inside a decimal ("3.5").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from corpus.model import Chunk, Cue

ABBREVIATIONS = frozenset("""e.g i.e etc vs cf approx ca dr mr mrs ms prof st jr sr no nos fig figs vol p pp
inc ltd co corp dept est min max mt ft jan feb mar apr jun jul aug sep sept oct nov dec mon tue wed thu fri
sat sun a.m p.m u.s u.k e.u ext tel approx incl excl""".split())
_ITEM = re.compile(r"^\s*(?:[-*+•▪◦‣–]|\d{1,3}[.)]|[a-z][.)])\s+")
_HEADING = re.compile(r"^\s*#{1,6}\s+")
_END = re.compile(r"[.!?…:;,]([\"'”’)\]*_`]*)$")
_BOUNDARY = re.compile(r"([.!?…]+)([\"'”’)\]*_`]*)\s+(?=[\"'“‘(\[*_`]*[A-Z0-9])")
_FORMULA_CHARS = 80  # a short line after a sentence ending in ':' completes that sentence
_TITLE_CHARS = 50  # a line this short, unpunctuated, before a capitalised line is a title, not a wrap
_MD_INLINE = [(re.compile(r"!?\[([^\]]*)\]\([^)]*\)"), r"\1"), (re.compile(r"(\*\*|__)(.+?)\1"), r"\2"),
              (re.compile(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])"), r"\1"),
              (re.compile(r"(?<![\w_])_(?!\s)(.+?)(?<!\s)_(?![\w_])"), r"\1"), (re.compile(r"`([^`]*)`"), r"\1")]


EMBED_CHARS = 300  # a unit is cut to this many characters for the model (about 64 tokens)


@dataclass(frozen=True)
class Sentence:
    text: str  # as written (Markdown kept), whitespace collapsed
    heading: bool = False  # a heading or title line rather than body text
    item: bool = False  # a list item or table row

    @property
    def question(self) -> bool:
        return plain(self.text).rstrip().endswith("?")


def split_sentences(text: str) -> list[Sentence]:
    """Every sentence of a passage, in order."""
    return list(_split(text or ""))


@lru_cache(maxsize=8192)  # the passages a question reads are read again by the next one
def _split(text: str) -> tuple[Sentence, ...]:
    out: list[Sentence] = []
    for paragraph in re.split(r"\n\s*\n", text or ""):
        for unit, kind in _units([line.strip() for line in paragraph.splitlines() if line.strip()]):
            if out and out[-1].text.endswith(":") and kind in ("line", "title") and len(unit) <= _FORMULA_CHARS \
                    and not out[-1].heading:
                out[-1] = Sentence(f"{out[-1].text} {unit}")  # "The formula is: **E = (O + 4M + P) ÷ 6**"
            elif kind in ("heading", "title"):
                out.append(Sentence(unit, heading=True))
            else:
                out.extend(Sentence(s, item=kind == "item") for s in _sentences(unit))
    return tuple(out)


def cue_sentence(cue: Cue) -> Sentence:
    return Sentence(" ".join(cue.text.split()))


def answer_units(chunk: Chunk) -> list[Sentence]:
    """The units an answer is chosen among: a recording's cues, else the passage's sentences."""
    return [cue_sentence(c) for c in chunk.cues] if chunk.cues else split_sentences(chunk.text)


def unit_text(unit: Sentence) -> str:
    """What the model reads of a unit."""
    return plain(unit.text)[:EMBED_CHARS]


@lru_cache(maxsize=65536)  # a question reads the same sentences again and again
def plain(text: str) -> str:
    """Markdown inline markup removed: **bold**, _italics_, `code`, [links](…) → their words."""
    for pattern, replacement in _MD_INLINE:
        text = pattern.sub(replacement, text)
    return text


def _units(lines: list[str]) -> list[tuple[str, str]]:
    """The paragraph's lines joined where they were hard-wrapped: (text, kind) pairs, kind one of
    "heading" (Markdown #), "title" (a short title line), "item" (list item or table row), "line" (a
    paragraph of one line) or "text"."""
    units: list[tuple[str, str]] = []
    joinable = False  # the last unit is prose that a wrapped line may continue
    for number, line in enumerate(lines):
        following = lines[number + 1] if number + 1 < len(lines) else ""
        if _HEADING.match(line):
            units.append((_HEADING.sub("", line), "heading"))
            joinable = False
        elif _ITEM.match(line):
            units.append((_ITEM.sub("", line), "item"))
            joinable = True
        elif " | " in line:
            header = (number == 0 or " | " not in lines[number - 1]) and " | " in following and not re.search(r"\d", line)
            units.append((line, "heading" if header else "item"))  # a table's first row names its columns
            joinable = False
        elif _is_title(line, following, first=not units, alone=len(lines) == 1):
            units.append((line, "title"))
            joinable = False
        elif joinable and not _breaks_before(units[-1][0], line):
            units[-1] = (f"{units[-1][0]} {line}", units[-1][1])
        else:
            units.append((line, "line" if len(lines) == 1 else "text"))
            joinable = True
    return units


def _is_title(line: str, following: str, first: bool, alone: bool) -> bool:
    """A short unpunctuated line on its own, or opening a paragraph with a capitalised line below it."""
    if not first or len(line) > _TITLE_CHARS or _END.search(line):
        return False
    return alone or following[:1].isupper() or bool(_ITEM.match(following))


def _breaks_before(previous: str, line: str) -> bool:
    """A short unpunctuated line followed by a capitalised one is a line of its own (a slide bullet)."""
    last_line_short = len(previous) <= _TITLE_CHARS and not _END.search(previous)
    return last_line_short and line[:1].isupper()


def _sentences(unit: str) -> list[str]:
    unit = " ".join(unit.split())
    pieces, start = [], 0
    for match in _BOUNDARY.finditer(unit):
        if match.group(1) == "." and _abbreviation(unit[:match.start(1)]):
            continue
        end = match.end(2)
        pieces.append(unit[start:end].strip())
        start = match.end()
    pieces.append(unit[start:].strip())
    return [p for p in pieces if p]


def _abbreviation(before: str) -> bool:
    word = re.split(r"[\s(\"“]", before)[-1].lower().lstrip("*_`")
    return word in ABBREVIATIONS or bool(re.fullmatch(r"[a-z]", word)) or bool(re.fullmatch(r"(?:[a-z]\.)+[a-z]", word))
