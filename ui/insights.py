"""The Insights tab of the admin panel: what visitors asked and whether it helped, behind the admin
password — the figures of `assistant report`, questions and no-match rate per day, the content
gaps, documents with complaints, top questions and documents, and the CSV files to download.

Everything visitors wrote (questions, comments) and everything from content (titles, urls) is
HTML-escaped here, and only http(s) and relative urls become links.
"""

from __future__ import annotations

import logging
import tempfile
import time
from html import escape
from pathlib import Path
from urllib.parse import quote

import gradio as gr
import pandas as pd

from assistant import KNOWN_ERRORS, Assistant, Settings
from assistant.analytics import QuestionLog, Report, load_report, parse_since, write_csv
from assistant.answer.links import safe_href

log = logging.getLogger(__name__)

PERIODS = [("Last 7 days", "7d"), ("Last 30 days", "30d"), ("Last 90 days", "90d"), ("Last year", "365d"),
           ("All time", "all")]
REFUSED = "Wrong password — insights are not shown."
LOGGING_OFF = ("Question logging is off (log_questions = false): nothing is recorded, so there is nothing "
               "to show. Set log_questions = true and restart `assistant serve` to start collecting.")
WRONG_PASSWORD_DELAY = 1.0


def insights_tab(assistant: Assistant, settings: Settings, password: gr.Textbox,
                 question_log: QuestionLog | None, check_password) -> None:
    """Add the tab to the admin panel being built."""
    with gr.Tab("Insights", elem_id="kb-insights-tab"):
        with gr.Row(equal_height=True):
            period = gr.Dropdown(PERIODS, value="30d", label="Period", scale=2, elem_id="kb-insights-period")
            show = gr.Button("Show insights", variant="primary", scale=1, elem_id="kb-insights-show")
        figures = gr.HTML(elem_id="kb-insights-figures")
        with gr.Row():
            asked = gr.LinePlot(x="date", y="questions", title="Questions per day", height=220,
                                elem_id="kb-insights-asked")
            missed = gr.LinePlot(x="date", y="no-match rate (%)", title="No-match rate per day", height=220,
                                 elem_id="kb-insights-nomatch")
        gaps = gr.HTML(elem_id="kb-insights-gaps")
        complaints = gr.HTML(elem_id="kb-insights-complaints")
        ratings = gr.HTML(elem_id="kb-insights-ratings")
        tops = gr.HTML(elem_id="kb-insights-top")
        files = gr.File(label="CSV download", file_count="multiple", interactive=False, elem_id="kb-insights-csv")
    folder = Path(tempfile.mkdtemp(prefix="assistant-insights-"))  # rewritten by each showing (one at a time)

    def on_show(given: str, chosen: str, progress=gr.Progress()):
        empty = (None, None, "", "", "", "", None)
        if not check_password(settings.serving.admin_password, given):
            log.warning("insights refused: wrong password")
            time.sleep(WRONG_PASSWORD_DELAY)
            return (_notice(REFUSED), *empty)
        if question_log is None:
            return (_notice(LOGGING_OFF), *empty)
        question_log.flush(timeout=2)  # include what was asked a moment ago
        progress(0.2, desc="reading the question log")
        try:
            report, snapshot = load_report(settings, parse_since(chosen), assistant.embedder.embed)
            paths = write_csv(report, snapshot, folder)
        except KNOWN_ERRORS as exc:
            return (_notice(f"The report could not be made: {exc}"), *empty)
        return (figures_html(report), *per_day_frames(report), gaps_html(report), complaints_html(report),
                ratings_html(report), tops_html(report), [str(p) for p in paths])

    show.click(on_show, [password, period], [figures, asked, missed, gaps, complaints, ratings, tops, files],
               api_visibility="private", concurrency_limit=1, concurrency_id="kb-insights")


def per_day_frames(report: Report) -> tuple[pd.DataFrame, pd.DataFrame]:
    days = pd.to_datetime(list(report.per_day))
    asked = [v["questions"] for v in report.per_day.values()]
    rate = [round(100 * v["no_match"] / v["questions"], 1) if v["questions"] else 0.0 for v in report.per_day.values()]
    return (pd.DataFrame({"date": days, "questions": asked}),
            pd.DataFrame({"date": days, "no-match rate (%)": rate}))


def figures_html(report: Report) -> str:
    def share(part: int) -> str:
        return f"{100 * part / report.questions:.0f}%" if report.questions else "–"

    cells = [
        ("Questions", f"{report.questions:,}", f"since {report.since}" if report.since else "all time"),
        ("Answered", f"{report.answered:,}", share(report.answered)),
        ("No match", f"{report.no_match:,}", share(report.no_match)),
        ("Helpful", f"{report.helpful:,}", ""),
        ("Not helpful", f"{report.not_helpful:,}", ""),
        ("No match, did not help", f"{report.refusal_did_not_help:,}", "“This did not help” on a no-match reply"),
        ("Click-through", "–" if report.click_through_rate is None else f"{100 * report.click_through_rate:.0f}%",
         "of chat answers"),
        ("Mean click position", "–" if report.mean_click_position is None else f"{report.mean_click_position:.1f}",
         "1 = first passage"),
    ]
    body = "".join(f'<div class="kb-figure"><span class="kb-figure-label">{escape(label)}</span>'
                   f'<strong>{escape(value)}</strong><span class="kb-figure-note">{escape(note)}</span></div>'
                   for label, value, note in cells)
    return f'<div class="kb-figures">{body}</div>'


def gaps_html(report: Report) -> str:
    rows = [[str(g.size), _lines([g.question, *g.examples[1:]]), _link(g.nearest_url, g.nearest_title or ""),
             "" if g.nearest_score is None else f"{g.nearest_score:.2f}"] for g in report.gaps]
    return _table("Content gaps: unanswered or unhelpful questions, grouped by meaning",
                  ["Asked", "Questions (most typical first)", "Nearest article", "Score"], rows,
                  "No gaps in this period: every question found a confident answer and none was marked unhelpful.")


def complaints_html(report: Report) -> str:
    rows = [[str(d["not_helpful"]), _link(d["url"], d["title"]),
             _lines([f"“{c['comment']}” — on “{c['question']}” ({c['date']})" for c in d["comments"]])]
            for d in report.documents_with_complaints]
    return _table("Documents with complaints", ["Not helpful", "Document", "Comments"], rows,
                  "No answer was marked unhelpful in this period.")


def ratings_html(report: Report) -> str:
    """"Was this article helpful?" per article, the lowest mean first, with the improvement notes."""
    rows = [[_link("/read/" + quote(d["doc_id"]), d["title"]), str(d["ratings"]), f"{d['mean']:.1f}",
             " · ".join(f"{n}★ {c}" for n, c in sorted(d["stars"].items(), reverse=True)),
             _lines([f"{n['stars']}★ “{n['comment']}” ({n['date']})" for n in d["notes"]])]
            for d in report.article_ratings]
    return _table("Article ratings: “Was this article helpful?” (lowest first)",
                  ["Article", "Ratings", "Mean stars", "Stars", "How can we improve this article?"], rows,
                  "No article was rated in this period.")


def tops_html(report: Report) -> str:
    questions = [[str(q["count"]), escape(q["question"]), str(q["no_match"])] for q in report.top_questions]
    documents = [[_link(d["url"], d["title"]), str(d["answers"]), str(d["clicks"]), str(d["helpful"]),
                  str(d["not_helpful"])] for d in report.top_documents]
    return (_table("Top questions", ["Asked", "Question", "No match"], questions, "No questions in this period.")
            + _table("Top documents", ["Document", "In answers", "Clicks", "Helpful", "Not helpful"], documents,
                     "No document was cited in this period."))


def _table(title: str, head: list[str], rows: list[list[str]], empty: str) -> str:
    """A table of cells that are already escaped HTML."""
    if not rows:
        return f'<section class="kb-insights"><h3>{escape(title)}</h3><p>{escape(empty)}</p></section>'
    header = "".join(f"<th>{escape(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return (f'<section class="kb-insights"><h3>{escape(title)}</h3>'
            f'<table><thead><tr>{header}</tr></thead><tbody>{body}</tbody></table></section>')


def _lines(texts: list[str]) -> str:
    return "<br>".join(escape(t) for t in texts)


def _link(url: str | None, label: str) -> str:
    href = safe_href(url) if url else None
    if href is None:
        return escape(label or url or "")
    return f'<a href="{escape(href, quote=True)}" target="_blank" rel="noopener noreferrer">{escape(label or href)}</a>'


def _notice(text: str) -> str:
    return f'<p class="kb-notice" role="status">{escape(text)}</p>'
