"""The reader's pages for recordings and decks. Pure HTML, every string from content escaped.

    transcript_page(document, face, recording, player, frame)  speaker turns with their times, the recording
                                                               embedded above them (ui/media.py)
    deck_page(document, face, pdf, download, frame)            "Download the deck", the PDF, and each page's
                                                               text under `id="page=N"`

On a transcript every cue carries its start, end and `id="t=SECONDS"`; the reader's script marks the cue
a card cites for the page's `#t=`: the first cue starting in that second, or, when that cue is an
interviewer's question that another speaker answers within 5 s (a link opens at the question: the
assistant's REPLY_GAP), the answering cue. With a player it seeks to `#t=`; a click on a time plays from
that moment. Without a player, times link into the
recording's own page (YouTube `&t=`, else `#t=`), or to the cue on this page.
"""

from __future__ import annotations

from html import escape

from assistant.answer.links import at_time, clock, safe_href
from corpus.model import Document, Segment
from ui.markup import inline_html
from ui.media import Player, player_html
from ui.reader_html import Face, page, text_html
from ui.reader_parts import Frame


def transcript_page(document: Document, face: Face, recording: str | None = None, player: Player | None = None,
                    frame: Frame = Frame()) -> str:
    outside = recording if recording and safe_href(recording) and player is None else None  # times link out
    turns, ids = [], set()
    for turn in _turns(document.segments):
        first = turn[0]
        speaker = f'<span class="kb-speaker">{escape(first.speaker)}</span>' if first.speaker else ""
        when = _time_link(outside, first.start, f"#t={int(first.start or 0)}")
        cues = " ".join(_cue(cue, outside, player is not None, ids) for cue in turn)
        turns.append(f'<section class="kb-turn"><p class="kb-who">{speaker}{when}</p><p>{cues}</p></section>')
    extra = player_html(player, document.title)
    href = safe_href(recording) if recording and "://" in recording else None
    if href:
        extra += (f'<p><a class="kb-recording" href="{escape(href, quote=True)}" target="_blank" '
                  'rel="noopener noreferrer">Open the recording</a></p>')
    return page(face, document.title, "Session transcript", "\n".join(turns), extra, frame)


def _turns(segments: tuple[Segment, ...]) -> list[list[Segment]]:
    """Consecutive cues of one named speaker form a turn; a cue with no speaker is a turn of its own."""
    turns: list[list[Segment]] = []
    for segment in segments:
        if turns and segment.speaker and turns[-1][-1].speaker == segment.speaker:
            turns[-1].append(segment)
        else:
            turns.append([segment])
    return turns


def _cue(cue: Segment, outside: str | None, embedded: bool, ids: set[str]) -> str:
    second = int(cue.start or 0)
    ident = f"t={second}"
    id_attr = "" if ident in ids else f' id="{ident}"'
    ids.add(ident)
    play = ""
    if outside or embedded:
        play = _time_link(outside, cue.start, f"#t={second}", "kb-play", f"▶ Play from {clock(cue.start)}")
    end = float(cue.end if cue.end is not None else cue.start or 0)
    return (f'<span class="kb-cue"{id_attr} data-start="{float(cue.start or 0):g}" data-end="{end:g}">'
            f"{inline_html(cue.text)}{play}</span>")


def _time_link(outside: str | None, seconds: float | None, local: str, css: str = "kb-at", label: str = "") -> str:
    """The moment as a link: into the recording's own page where it plays elsewhere, else to the cue here."""
    href = safe_href(at_time(outside, seconds or 0)) if outside else None
    label = escape(label or clock(seconds))
    if href:
        return (f'<a class="{css}" href="{escape(href, quote=True)}" target="_blank" '
                f'rel="noopener noreferrer">{label}</a>')
    return f'<a class="{css}" href="{escape(local, quote=True)}">{label}</a>' if local else ""


def deck_page(document: Document, face: Face, pdf: str, download: str, frame: Frame = Frame()) -> str:
    """"Download the deck", the PDF in the browser's viewer (the script opens it at the page's `#page=N`),
    and beside it each page's text under its own anchor."""
    pages = []
    for segment in document.segments:
        number = segment.page or 1
        pages.append(f'<section class="kb-page-text" id="page={number}" data-page="{number}">'
                     f'<h2>Page {number}</h2>{text_html(segment.text)}</section>')
    extra = (f'<p><a class="kb-download" href="{escape(download, quote=True)}" download>Download the deck</a></p>')
    body = (f'<div class="kb-deck"><iframe class="kb-pdf" src="{escape(pdf, quote=True)}" '
            f'data-pdf="{escape(pdf, quote=True)}" title="{escape("Slides: " + document.title, quote=True)}">'
            f'</iframe><div class="kb-pages">{"".join(pages)}</div></div>')
    return page(face, document.title, "Slide deck", body, extra, frame, wide=True)


__all__ = ["deck_page", "transcript_page"]
