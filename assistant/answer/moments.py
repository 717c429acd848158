"""The moment of a recording that answers a question, from a transcript passage's cues. Pure.

The best-scoring cue is the answer. When it is a question and the next cue is another speaker's
reply, the reply is the answer. The highlight is the answering turn (the answer's cue with the
same speaker's cues around it, at most TURN_CUES), and the moment opens where that turn starts, or
at the question it replies to when the reply follows it within REPLY_GAP seconds. The exchange
around it is returned as speaker turns (consecutive cues of one speaker joined), the answering
turn marked.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from assistant.answer.records import Turn
from assistant.answer.shape import ceremony
from corpus.model import Cue
from corpus.sentences import cue_sentence

LEAD_IN_SECONDS = 0.0  # links open at the cue's whole second (never later than it, at most 1 s early)
TURNS_AROUND = 1  # turns shown before and after the answering one
TURN_CUES = 3  # cues of the answering turn highlighted together, the best one among them
REPLY_GAP = 5.0  # a reply starting this soon after another speaker's question opens at the question


@dataclass(frozen=True)
class Moment:
    start: float  # where the link opens: the answering cue, or the question it replies to
    end: float  # the end of the answering cue
    highlight: str  # the answering cue's text
    turns: tuple[Turn, ...]
    margin: float = 1.0  # how far the answer's score stands above the best cue outside the answering exchange


def choose_moment(cues: Sequence[Cue], scores: Sequence[float | None], rules: bool = True) -> Moment:
    """scores[i]: how well cue i answers (None: not scored). At least one cue must be scored. A greeting
    or a thank-you is never the answer while another cue may be; an interviewer's question hands over
    to the reply that follows it. rules=False: no greeting is recognised (another language)."""
    ranked = [i for i in range(len(cues)) if scores[i] is not None]
    allowed = ([i for i in ranked if not ceremony(cues[i].text)] if rules else []) or ranked
    best = max(allowed, key=lambda i: (scores[i], -i)) if allowed else 0
    top = scores[best] if scores[best] is not None else 0.0
    if interviews(cues, best):
        best += 1  # the reply answers
    first, last = answering_turn(cues, best)
    opens = first
    if first and interviews(cues, first - 1) and cues[first].start - cues[first - 1].end <= REPLY_GAP:
        opens = first - 1  # a reply opens at the question it answers, so the visitor hears both
    start = max(0.0, cues[opens].start - LEAD_IN_SECONDS)
    highlight = " ".join(" ".join(cues[i].text.split()) for i in range(first, last + 1))
    outside = [scores[i] for i in allowed if not opens - 1 <= i <= last + 1]
    margin = 1.0 if not outside else top - max(outside)
    return Moment(start=start, end=cues[last].end, highlight=highlight, turns=exchange(cues, opens, best),
                  margin=margin)


def answering_turn(cues: Sequence[Cue], best: int) -> tuple[int, int]:
    """The first and last cue of the answer: `best` with the same speaker's cues next to it (at most
    TURN_CUES in all, the cue before it first: a point is often made just before its figure)."""
    if cues[best].speaker is None:
        return best, best
    first = last = best
    while last - first + 1 < TURN_CUES:
        if first and _speaker(cues[first - 1]) == _speaker(cues[best]) and not _asks(cues, first - 1):
            first -= 1
        elif last + 1 < len(cues) and _speaker(cues[last + 1]) == _speaker(cues[best]) and not _asks(cues, last + 1):
            last += 1
        else:
            break
    return first, last


def exchange(cues: Sequence[Cue], first: int, answer: int, answering: bool = True) -> tuple[Turn, ...]:
    """Speaker turns from one before the question (or answer) to one after the answer; answering=False:
    no turn is marked (the moment was not sure enough to show)."""
    groups: list[list[int]] = []
    for i, cue in enumerate(cues):
        if groups and _speaker(cues[groups[-1][-1]]) == _speaker(cue) and cue.speaker is not None:
            groups[-1].append(i)
        else:
            groups.append([i])
    at = next(n for n, group in enumerate(groups) if answer in group)
    opens = next(n for n, group in enumerate(groups) if first in group)
    begin = opens if opens < at else max(0, at - TURNS_AROUND)  # a question opens the exchange itself
    shown = groups[begin: at + TURNS_AROUND + 1]
    return tuple(
        Turn(speaker=cues[group[0]].speaker, start=cues[group[0]].start, end=cues[group[-1]].end,
             text=" ".join(" ".join(cues[i].text.split()) for i in group), answering=answering and answer in group)
        for group in shown
    )


def interviews(cues: Sequence[Cue], index: int) -> bool:
    """A cue that asks and hands over: it holds a question and the next cue is another speaker's."""
    return "?" in cues[index].text and index + 1 < len(cues) and cues[index + 1].speaker is not None \
        and _speaker(cues[index + 1]) != _speaker(cues[index])


def _asks(cues: Sequence[Cue], index: int) -> bool:
    return cue_sentence(cues[index]).question


def _speaker(cue: Cue) -> str:
    return (cue.speaker or "").casefold()
