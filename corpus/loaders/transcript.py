"""Session transcripts: WebVTT and SubRip. Every cue keeps its start and end time and its speaker."""

from __future__ import annotations

import re

import srt
import webvtt
from webvtt.errors import MalformedCaptionError, MalformedFileError

from corpus.errors import LoadError
from corpus.loaders.base import Parsed
from corpus.model import Segment
from corpus.text import clean

SRT_TIMING = re.compile(rf"^\s*{srt.RGX_TIMESTAMP}\s*-->\s*{srt.RGX_TIMESTAMP}(\s.*)?$")
SPEAKER = re.compile(r"^([A-Z][\w.'’ -]{0,40}?):\s+(.*)$", re.S)


def load_vtt(text: str) -> Parsed:
    try:
        captions = webvtt.from_string(text).captions
    except (MalformedFileError, MalformedCaptionError, ValueError) as exc:
        raise LoadError(f"not valid WebVTT: {exc or 'bad header or timestamp'}; check the WEBVTT header and cue times") from exc
    timings = [(n, line) for n, line in enumerate(text.splitlines(), start=1) if "-->" in line]
    if len(captions) < len(timings):  # webvtt-py drops a cue with a bad time without a word
        _raise_bad_timing(timings)
    cues = [
        (c.start_time.in_milliseconds() / 1000, c.end_time.in_milliseconds() / 1000, c.voice, c.text)
        for c in captions
    ]
    return _parsed(cues, "WebVTT")


def _raise_bad_timing(timings: list[tuple[int, str]]) -> None:
    for number, line in timings:
        try:
            ok = webvtt.from_string(f"WEBVTT\n\n{line}\ncue\n").captions
        except (MalformedFileError, MalformedCaptionError, ValueError):
            ok = []
        if not ok:
            raise LoadError(f"not valid WebVTT: bad cue time on line {number} ({line.strip()[:60]!r}); "
                            "times look like 00:01:02.500")


def load_srt(text: str) -> Parsed:
    try:
        subtitles = list(srt.parse(text))
    except (srt.SRTParseError, ValueError) as exc:
        for number, line in enumerate(text.splitlines(), start=1):
            if "-->" in line and not SRT_TIMING.match(line):
                raise LoadError(f"not valid SubRip: bad cue time on line {number} ({line.strip()[:60]!r}); "
                                "times look like 00:01:02,500") from exc
        raise LoadError(f"not valid SubRip: {str(exc)[:120]}; check the cue numbers and times") from exc
    cues = []
    for sub in subtitles:
        speaker, body = None, sub.content
        match = SPEAKER.match(body.strip())
        if match:
            speaker, body = match.group(1).strip().title(), match.group(2)
        cues.append((sub.start.total_seconds(), sub.end.total_seconds(), speaker, body))
    return _parsed(cues, "SubRip")


def _parsed(cues: list[tuple[float, float, str | None, str]], kind: str) -> Parsed:
    warnings: list[str] = []
    good = []
    for start, end, speaker, body in cues:
        body = clean(re.sub(r"<[^>]+>", "", body))
        if start < 0 or end < start:
            warnings.append(f"dropped a cue with impossible times ({start:g}s → {end:g}s)")
            continue
        if body:
            good.append((start, end, speaker, body))
    if any(b[0] < a[0] for a, b in zip(good, good[1:])):
        warnings.append("cues were out of order: sorted by start time")
        good.sort(key=lambda cue: cue[0])
    if not good:
        raise LoadError(f"no usable {kind} cues (empty, or every cue has broken times)")
    segments = tuple(
        Segment(text=body, start=start, end=end, speaker=speaker) for start, end, speaker, body in good
    )
    return Parsed(segments=segments, source_type="transcript", warnings=tuple(warnings))
