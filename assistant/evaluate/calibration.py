"""Choosing a fixed "no confident match" threshold (`min_score`) from labelled in-domain and off-topic
questions: what `assistant eval` suggests to an owner who wants one floor instead of the calibrated rule."""

from __future__ import annotations

from collections.abc import Sequence

STEP = 0.01  # thresholds are suggested to two decimals


def calibrate(in_domain: Sequence[float], off_topic: Sequence[float], max_off_topic_rate: float = 0.1,
              margin: float = 0.02) -> float:
    """The threshold that wrongly refuses the fewest in-domain questions while answering at most
    `max_off_topic_rate` of the off-topic ones; of the thresholds that do, the highest up to `margin` above
    the off-topic scores (a slightly stronger off-topic question is then refused too) that refuses no more
    in-domain questions than the lowest.

    Scores are each question's best passage similarity; a question is answered when score >= threshold.
    """
    if not off_topic:
        return round(min(in_domain, default=0.0), 2)
    ranked = sorted(off_topic, reverse=True)
    allowed = int(max_off_topic_rate * len(ranked))  # off-topic questions that may be answered
    ceiling = ranked[allowed] if allowed < len(ranked) else 0.0
    tried = [round(ceiling + n * STEP, 2) for n in range(1, max(1, int(round(margin / STEP))) + 1)]
    fewest = errors_at(tried[0], in_domain, off_topic)[0]
    return max(t for t in tried if errors_at(t, in_domain, off_topic)[0] == fewest)


def errors_at(threshold: float, in_domain: Sequence[float], off_topic: Sequence[float]) -> tuple[int, int]:
    """(in-domain questions refused, off-topic questions answered) at a threshold."""
    return sum(s < threshold for s in in_domain), sum(s >= threshold for s in off_topic)
