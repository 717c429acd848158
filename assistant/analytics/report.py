"""The site owner's report: pure arithmetic over a Snapshot, plus the gaps grouped by meaning.

    report = build_report(snapshot, embed)      embed: list[str] -> normalised float32 rows

Definitions (docs/insights.md repeats them):
  answered / no_match     questions with a passage over min_score / with none ("no confident match")
  helpful / not_helpful   answers given 👍 / 👎 (a visitor's latest vote on an answer counts)
  refusal_did_not_help    "no confident match" replies marked "This did not help" (no 👍/👎 under those)
  click_through_rate      share of questions asked in the chat page whose answer got a passage click
  mean_click_position     mean position (1 = first passage) of the passages clicked
  top_questions           most asked, by text ignoring case, spacing and end punctuation
  top_documents           most cited in answers, with their clicks and votes (on answers they led)
  documents_with_complaints  the first-cited document of each answer given 👎, with its comments
  gaps                    no-match and 👎 questions grouped by meaning, largest first
  by_channel              questions and no-matches per channel: web, api, widget, mcp
  article_ratings         "Was this article helpful?" on reader pages, per article: how many, the mean stars,
                          how many of each, and the improvement notes (newest first); the lowest mean first
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta

import numpy as np

from assistant.analytics.gaps import GAP_SIMILARITY, central, group_by_meaning
from assistant.analytics.records import Question, Snapshot

TOP = 10
EXAMPLES = 5
MAX_GAP_QUESTIONS = 5000  # the most recent distinct ones are grouped


@dataclass(frozen=True)
class Gap:
    size: int  # questions in it (repeats counted)
    question: str  # the most central one
    examples: tuple[str, ...]  # up to five distinct ones, the central one first
    nearest_title: str | None  # the best passage shown for the central question
    nearest_url: str | None
    nearest_score: float | None
    no_match: int
    not_helpful: int


@dataclass(frozen=True)
class Report:
    since: str | None
    generated_at: str
    questions: int
    answered: int
    no_match: int
    helpful: int
    not_helpful: int
    click_through_rate: float | None
    mean_click_position: float | None
    per_day: dict
    top_questions: tuple[dict, ...]
    top_documents: tuple[dict, ...]
    documents_with_complaints: tuple[dict, ...]
    gaps: tuple[Gap, ...]
    by_channel: dict = field(default_factory=dict)  # {"web": {"questions", "no_match"}, "api": …, "widget": …, "mcp": …}
    refusal_did_not_help: int = 0  # no-match replies a visitor marked "This did not help"
    article_ratings: tuple[dict, ...] = ()  # {"doc_id", "title", "ratings", "mean", "stars": {1..5: n}, "notes"}

    def as_dict(self) -> dict:
        data = asdict(self)
        data["gaps"] = [dict(asdict(g), examples=list(g.examples)) for g in self.gaps]
        return data


def build_report(snapshot: Snapshot, embed: Callable[[list[str]], np.ndarray] | None,
                 now: float | None = None, similarity: float = GAP_SIMILARITY) -> Report:
    questions = snapshot.questions
    votes = {f.answer_id: f for f in snapshot.feedback}
    web = {q.id for q in questions if q.source == "web"}
    clicked = {c.answer_id for c in snapshot.clicks}
    positions = [c.position for c in snapshot.clicks if c.position]
    answered = sum(q.answered for q in questions)
    refused = {q.id for q in questions if not q.answered}
    answer_votes = [f for f in votes.values() if f.answer_id not in refused]
    moment = datetime.fromtimestamp(now, UTC) if now else datetime.now(UTC)
    return Report(
        since=_day(snapshot.since) if snapshot.since is not None else None,
        generated_at=moment.isoformat(timespec="seconds"),
        questions=len(questions), answered=answered, no_match=len(questions) - answered,
        helpful=sum(f.helpful for f in answer_votes), not_helpful=sum(not f.helpful for f in answer_votes),
        click_through_rate=round(len(web & clicked) / len(web), 3) if web else None,
        mean_click_position=round(sum(positions) / len(positions), 2) if positions else None,
        per_day=per_day(questions, snapshot.since, moment.date()),
        top_questions=top_questions(questions),
        top_documents=top_documents(questions, votes, snapshot.clicks),
        documents_with_complaints=complaints(questions, votes),
        gaps=gaps(questions, votes, embed, similarity) if embed else (),
        by_channel=by_channel(questions),
        refusal_did_not_help=sum(not f.helpful for f in votes.values() if f.answer_id in refused),
        article_ratings=article_ratings(snapshot.ratings),
    )


def article_ratings(ratings) -> tuple[dict, ...]:
    """Per rated article: the count, the mean stars, how many of each, and its notes (newest first);
    the lowest mean first (the articles to improve), then the most rated."""
    docs: dict[str, dict] = {}
    for r in ratings:
        doc = docs.setdefault(r.doc_id, {"doc_id": r.doc_id, "title": r.title, "ratings": 0, "mean": 0.0,
                                         "stars": {n: 0 for n in range(1, 6)}, "notes": []})
        doc["title"] = r.title  # the latest title
        doc["ratings"] += 1
        doc["stars"][r.stars] += 1
        if r.comment:
            doc["notes"].append({"comment": r.comment, "stars": r.stars, "date": r.day})
    for doc in docs.values():
        doc["mean"] = round(sum(n * c for n, c in doc["stars"].items()) / doc["ratings"], 2)
        doc["notes"].sort(key=lambda note: note["date"], reverse=True)
    return tuple(sorted(docs.values(), key=lambda d: (d["mean"], -d["ratings"], d["title"])))


def by_channel(questions: tuple[Question, ...]) -> dict:
    """Where questions came from: the chat page (web), Gradio's /search and the JSON API (api), the
    search box on other pages (widget), AI assistants (mcp); each with its no-match count."""
    counts: dict[str, dict] = {}
    for q in questions:
        entry = counts.setdefault(q.source, {"questions": 0, "no_match": 0})
        entry["questions"] += 1
        entry["no_match"] += not q.answered
    return dict(sorted(counts.items(), key=lambda item: -item[1]["questions"]))


def normalised(text: str) -> str:
    """The key questions are counted by: case, spacing and end punctuation ignored."""
    return re.sub(r"\s+", " ", text.casefold()).strip().rstrip("?!.。？！ ")


def per_day(questions: tuple[Question, ...], since: float | None, today: date) -> dict:
    """date → {questions, no_match}, every day from the start of the period (or the first question) to today."""
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for q in questions:
        entry = counts[_day(q.asked_at)]
        entry[0] += 1
        entry[1] += not q.answered
    starts = [date.fromisoformat(d) for d in counts] + ([date.fromisoformat(_day(since))] if since else [])
    day, days = (min(starts) if starts else today), {}
    while day <= today:
        asked, missed = counts.get(day.isoformat(), (0, 0))
        days[day.isoformat()] = {"questions": asked, "no_match": missed}
        day += timedelta(days=1)
    return days


def top_questions(questions: tuple[Question, ...], limit: int = TOP) -> tuple[dict, ...]:
    groups: dict[str, list[Question]] = defaultdict(list)
    for q in questions:
        groups[normalised(q.question)].append(q)
    ranked = sorted(groups.values(), key=lambda qs: (-len(qs), -qs[-1].asked_at))[:limit]
    return tuple({"question": qs[-1].question, "count": len(qs), "no_match": sum(not q.answered for q in qs)}
                 for qs in ranked)


def top_documents(questions, votes, clicks, limit: int = TOP) -> tuple[dict, ...]:
    docs: dict[str, dict] = {}
    url_doc: dict[tuple[str, str], str] = {}
    for q in questions:
        if not q.answered:
            continue
        for c in q.citations:
            doc = docs.setdefault(c.doc_id or c.url, {"doc_id": c.doc_id, "title": c.title, "url": c.url,
                                                      "answers": 0, "first": 0, "clicks": 0, "helpful": 0,
                                                      "not_helpful": 0})
            url_doc[(q.id, c.url)] = c.doc_id or c.url
            if c.position == 1:
                doc["first"] += 1
                if q.id in votes:
                    doc["helpful" if votes[q.id].helpful else "not_helpful"] += 1
        for key in {c.doc_id or c.url for c in q.citations}:
            docs[key]["answers"] += 1
    for click in clicks:
        key = url_doc.get((click.answer_id, click.url))
        if key:
            docs[key]["clicks"] += 1
    return tuple(sorted(docs.values(), key=lambda d: (-d["answers"], -d["clicks"], d["title"]))[:limit])


def complaints(questions, votes) -> tuple[dict, ...]:
    docs: dict[str, dict] = {}
    for q in questions:
        vote = votes.get(q.id)
        if not vote or vote.helpful or not q.answered or not q.citations:
            continue
        first = q.citations[0]
        doc = docs.setdefault(first.doc_id or first.url, {"doc_id": first.doc_id, "title": first.title,
                                                          "url": first.url, "not_helpful": 0, "comments": []})
        doc["not_helpful"] += 1
        if vote.comment:
            doc["comments"].append({"comment": vote.comment, "question": q.question, "date": _day(vote.given_at)})
    for doc in docs.values():
        doc["comments"].sort(key=lambda c: c["date"], reverse=True)
    return tuple(sorted(docs.values(), key=lambda d: (-d["not_helpful"], d["title"])))


def gaps(questions, votes, embed, similarity: float = GAP_SIMILARITY) -> tuple[Gap, ...]:
    """The no-match and 👎 questions grouped by meaning (repeats of one text embedded once)."""
    missed = [q for q in questions if not q.answered or (q.id in votes and not votes[q.id].helpful)]
    by_text: dict[str, list[Question]] = defaultdict(list)
    for q in missed:
        by_text[normalised(q.question)].append(q)
    keys = sorted(by_text, key=lambda k: by_text[k][-1].asked_at, reverse=True)[:MAX_GAP_QUESTIONS]
    if not keys:
        return ()
    texts = [by_text[k][-1].question for k in keys]
    weights = np.array([len(by_text[k]) for k in keys], dtype=float)
    vectors = np.asarray(embed(texts), dtype=np.float32)
    found = []
    for rows in group_by_meaning(vectors, similarity, weights):
        order = central(vectors, rows, weights)
        members = [q for r in rows for q in by_text[keys[r]]]
        lead = by_text[keys[order[0]]][-1]
        best = lead.citations[0] if lead.citations else None
        found.append(Gap(
            size=int(weights[rows].sum()), question=texts[order[0]],
            examples=tuple(texts[r] for r in order[:EXAMPLES]),
            nearest_title=best.title if best else None, nearest_url=best.url if best else None,
            nearest_score=round(best.score, 4) if best else None,
            no_match=sum(not q.answered for q in members), not_helpful=sum(q.id in votes and not votes[q.id].helpful for q in members)))
    return tuple(found)


def _day(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).date().isoformat()

