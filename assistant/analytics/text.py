"""The report as plain, aligned text for people (`assistant report` without --json)."""

from __future__ import annotations

import textwrap

from assistant.analytics.report import Report


def percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "–"


def report_text(report: Report) -> str:
    since = f"since {report.since}" if report.since else "all time"
    ctr = "–" if report.click_through_rate is None else f"{100 * report.click_through_rate:.0f}%"
    position = "–" if report.mean_click_position is None else f"{report.mean_click_position:.1f}"
    lines = [
        f"Questions ({since}): {report.questions} · answered {report.answered} · "
        f"no match {report.no_match} ({percent(report.no_match, report.questions)})",
        f"Feedback: helpful {report.helpful} · not helpful {report.not_helpful} · "
        f"no-match replies that did not help {report.refusal_did_not_help} · click-through {ctr} · "
        f"mean click position {position}",
    ]
    if report.by_channel:
        lines.append("Channels: " + " · ".join(f"{name} {c['questions']} (no match {c['no_match']})"
                                                for name, c in report.by_channel.items()))
    lines += _section("Content gaps (no match or not helpful, grouped by meaning)", [
        [f"{g.size:>4}  {g.question}"]
        + [f"        also: {example}" for example in g.examples[1:]]
        + ([f"        nearest: {g.nearest_title} ({g.nearest_score:.2f}) {g.nearest_url}"] if g.nearest_title else [])
        for g in report.gaps])
    lines += _section("Documents with complaints", [
        [f"{d['not_helpful']:>4}  {d['title']}  {d['url']}"]
        + [f"        “{_clip(c['comment'])}” ({c['date']})" for c in d["comments"][:3]]
        for d in report.documents_with_complaints])
    lines += _section("Article ratings (lowest first: ratings · mean stars)", [
        [f"{d['ratings']:>4} · {d['mean']:.1f}  {d['title']}"]
        + [f"        “{_clip(n['comment'])}” ({n['stars']}★, {n['date']})" for n in d["notes"][:3]]
        for d in report.article_ratings])
    lines += _section("Top questions", [[f"{q['count']:>4}  {q['question']}"
                                         + (f"  (no match {q['no_match']})" if q["no_match"] else "")]
                                        for q in report.top_questions])
    lines += _section("Top documents (answers · clicks · helpful · not helpful)", [
        [f"{d['answers']:>4} · {d['clicks']} · {d['helpful']} · {d['not_helpful']}  {d['title']}"]
        for d in report.top_documents])
    return "\n".join(lines)


def _section(title: str, blocks: list[list[str]]) -> list[str]:
    if not blocks:
        return ["", f"{title}: none"]
    return ["", f"{title}:"] + [line for block in blocks for line in block]


def _clip(text: str, width: int = 100) -> str:
    return textwrap.shorten(" ".join(text.split()), width, placeholder="…")
