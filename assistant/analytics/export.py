"""The report as CSV files for a spreadsheet: questions, gaps, documents, complaints, article ratings, per day.

Cells that came from visitors and start with = + - @ (or a tab / carriage return) get a leading
apostrophe, so a spreadsheet shows them as text instead of running them as formulas.
"""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path

from assistant.analytics.records import Snapshot
from assistant.analytics.report import Report

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return "" if value is None else value


def write_csv(report: Report, snapshot: Snapshot, folder: Path) -> list[Path]:
    """Write the CSV files into `folder` (created); returns their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    tables = {
        "questions.csv": question_rows(snapshot),
        "gaps.csv": [["size", "question", "examples", "nearest_title", "nearest_url", "nearest_score", "no_match",
                      "not_helpful"]] + [[g.size, g.question, " | ".join(g.examples), g.nearest_title, g.nearest_url,
                                          g.nearest_score, g.no_match, g.not_helpful] for g in report.gaps],
        "documents.csv": [["title", "url", "answers", "first", "clicks", "helpful", "not_helpful"]] + [
            [d["title"], d["url"], d["answers"], d["first"], d["clicks"], d["helpful"], d["not_helpful"]]
            for d in report.top_documents],
        "complaints.csv": [["title", "url", "not_helpful", "date", "question", "comment"]] + [
            [d["title"], d["url"], d["not_helpful"], c["date"], c["question"], c["comment"]]
            for d in report.documents_with_complaints for c in (d["comments"] or [{"date": "", "question": "",
                                                                                    "comment": ""}])],
        "ratings.csv": [["doc_id", "title", "ratings", "mean", "1", "2", "3", "4", "5", "date", "stars", "note"]] + [
            [d["doc_id"], d["title"], d["ratings"], d["mean"], *d["stars"].values(), n["date"], n["stars"], n["comment"]]
            for d in report.article_ratings for n in (d["notes"] or [{"date": "", "stars": "", "comment": ""}])],
        "per_day.csv": [["date", "questions", "no_match"]] + [
            [day, v["questions"], v["no_match"]] for day, v in report.per_day.items()],
    }
    paths = []
    for name, rows in tables.items():
        path = folder / name
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(rows[0])
            writer.writerows([safe_cell(cell) for cell in row] for row in rows[1:])
        paths.append(path)
    return paths


def question_rows(snapshot: Snapshot) -> list[list]:
    votes = {f.answer_id: f for f in snapshot.feedback}
    clicks: dict[str, int] = {}
    for click in snapshot.clicks:
        clicks[click.answer_id] = clicks.get(click.answer_id, 0) + 1
    rows = [["asked_at", "source", "question", "answered", "top_score", "latency_ms", "index_version",
             "first_title", "first_url", "helpful", "comment", "clicks"]]
    for q in snapshot.questions:
        first = q.citations[0] if q.citations else None
        vote = votes.get(q.id)
        rows.append([datetime.fromtimestamp(q.asked_at, UTC).isoformat(timespec="seconds"), q.source, q.question,
                     "yes" if q.answered else "no", q.top_score, q.latency_ms, q.index_version,
                     first.title if first else "", first.url if first else "",
                     "" if vote is None else ("yes" if vote.helpful else "no"), vote.comment if vote else "",
                     clicks.get(q.id, 0)])
    return rows
