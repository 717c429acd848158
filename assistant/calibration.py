"""Choosing the "no confident match" threshold from labelled in-domain and off-topic questions."""

from __future__ import annotations

from collections.abc import Sequence


def calibrate(in_domain: Sequence[float], off_topic: Sequence[float], max_off_topic_rate: float = 0.1,
              margin: float = 0.02) -> float:
    """The threshold that wrongly refuses the fewest in-domain questions while answering at most
    `max_off_topic_rate` of the off-topic ones; `margin` above the off-topic scores it must clear,
    so that a slightly stronger off-topic question is still refused.

    Scores are each question's best passage similarity; a question is answered when score >= threshold.
    """
    if not off_topic:
        return round(min(in_domain, default=0.0), 2)
    ranked = sorted(off_topic, reverse=True)
    allowed = int(max_off_topic_rate * len(ranked))  # off-topic questions that may be answered
    ceiling = ranked[allowed] if allowed < len(ranked) else 0.0
    return round(ceiling + margin, 2)


def errors_at(threshold: float, in_domain: Sequence[float], off_topic: Sequence[float]) -> tuple[int, int]:
    """(in-domain questions refused, off-topic questions answered) at a threshold."""
    return sum(s < threshold for s in in_domain), sum(s >= threshold for s in off_topic)
