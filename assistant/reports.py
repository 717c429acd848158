"""Plain, aligned text for people: answers, index info, evaluation results (a build's report is
assistant.build.report's)."""

from __future__ import annotations

import textwrap

from assistant.answer.links import clock
from assistant.answer.records import Answer
from assistant.build.report import search_line
from corpus.sentences import plain


def answer_text(answer: Answer) -> str:
    lines = [f"Searched for: {answer.searched_for}", ""] if answer.searched_for else []
    lines += [] if answer.answered else [answer.message or "", ""]
    lines += [f"  - {example}" for example in answer.examples] + ([""] if answer.examples else [])
    for number, p in enumerate(answer.passages, start=1):
        where = f" ▶ {clock(p.start_seconds)}" if p.start_seconds is not None else ""
        lines.append(f"{number}. {p.title}{where}  (relevance {p.rank_score:.2f}, similarity {p.score:.2f})")
        if p.section:
            lines.append(f"   {p.section}")
        if p.highlight:
            lines += textwrap.wrap(f"» {plain(p.highlight)}", width=88, initial_indent="   ",
                                   subsequent_indent="     ", max_lines=4, placeholder=" …")
        lines += textwrap.wrap(plain(p.text), width=88, initial_indent="   ", subsequent_indent="   ",
                               max_lines=6, placeholder=" …")
        lines += [f"   {p.url}", ""]
    if answer.more:
        lines.append("More results:")
        for p in answer.more:
            where = f" ▶ {clock(p.start_seconds)}" if p.start_seconds is not None else ""
            lines.append(f"   - {p.title}{where} ({p.section or p.source_type}, relevance {p.rank_score:.2f})  {p.url}")
    return "\n".join(lines).rstrip()


def info_text(data: dict) -> str:
    types = ", ".join(f"{n} {t}" for t, n in data["by_type"].items())
    rows = [("Index", data["index_dir"]), ("Documents", f"{data['documents']} ({types})"), ("Chunks", data["chunks"]),
            ("Model", f"{data['model']} ({data['dimension']} dimensions, {data.get('model_variant', 'fp32')})"), ("Built at", data["built_at"]),
            ("Content", ", ".join(data.get("sources") or []) or data["content_dir"]), ("Version", data["version"]),
            ("Search", search_line(data["search"], data["segments"], 0).split(": ", 1)[1])]
    return "\n".join(f"{label:<10} {value}" for label, value in rows)


def eval_text(result) -> str:
    """The report as aligned rows; with halves, a column for all questions, the tuning and the reporting half."""
    halves = getattr(result, "halves", {}) or {}
    head = [("Dataset", result.dataset), ("Mode", result.mode)]
    whole = {"Queries": result.queries, **result.metrics, **result.answers}
    whole.update({"Off-topic answered": f"{result.wrongly_answered} of {result.off_topic}" if result.off_topic else None,
                  "Wrongly refused": f"{result.wrongly_refused} of {result.answers.get('in_domain', result.queries)}"})
    rows = [(label, [value] + [_half_value(h, label) for h in halves.values()])
            for label, value in whole.items() if value is not None]
    if result.suggested_min_score is not None:
        tuned = " on the tuning half" if halves else ""
        rows.append(("Suggested min_score", [f"{result.suggested_min_score:.2f} (answers at most 1 in 10 off-topic{tuned})"]))
    rows.append(("Seconds", [result.seconds]))
    if halves:
        rows.insert(0, ("", ["all", *halves]))
    width = max(len(str(label)) for label, _ in head + rows)
    lines = [f"{label:<{width}} {value}" for label, value in head]
    lines += [f"{label:<{width}} " + " ".join(f"{_shown(v):>8}" for v in values).rstrip() for label, values in rows]
    covered = getattr(result, "covered", ())
    lines.append("Everyday questions it answers as its own: " + ("; ".join(covered) if covered else "none"))
    return "\n".join(lines)


def _half_value(half: dict, label: str):
    if label == "Off-topic answered":
        return f"{half.get('wrongly_answered', 0)}/{half.get('off_topic', 0)}"
    if label == "Wrongly refused":
        return f"{half.get('wrongly_refused', 0)}/{half.get('in_domain', 0)}"
    return half.get(label.lower() if label == "Queries" else label, "")


def _shown(value) -> str:
    return f"{value:.4f}" if isinstance(value, float) else str(value)
