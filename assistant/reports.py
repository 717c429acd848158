"""Plain, aligned text for people: build reports, answers, index info, evaluation results."""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING

from assistant.answers import Answer
from assistant.config import Settings
from assistant.links import clock
from corpus.sentences import plain

if TYPE_CHECKING:
    from index import BuildReport, LoadedIndex
    from index.build import BuildPlan


def build_text(outcome: BuildReport | BuildPlan) -> str:
    from index.build import BuildPlan

    if isinstance(outcome, BuildPlan):
        lines = ["Dry run: nothing written."]
        if outcome.full:
            lines.append(f"A full rebuild is needed: {outcome.full_reason}.")
        for label, names in (("add", outcome.added), ("change", outcome.changed), ("remove", outcome.removed)):
            lines += [f"  would {label:<7} {name}" for name in names]
        lines.append(f"  unchanged      {len(outcome.unchanged)} document(s)")
        lines += fetch_lines(outcome.loaded.fetch) + [f"Warning: {w}" for w in outcome.loaded.warnings]
        return "\n".join(lines + skipped_lines(outcome.loaded.skipped))
    r = outcome
    head = (f"Indexed {r.documents} documents into {r.chunks} chunks in {r.seconds:.1f} s."
            if r.published else f"Nothing changed; the published index ({r.documents} documents) is current.")
    lines = [head]
    if r.full_reason:
        lines.append(f"Full rebuild: {r.full_reason}.")
    lines.append(f"  added {r.added} · changed {r.changed} · removed {r.removed} · unchanged {r.unchanged} · "
                 f"chunks embedded {r.chunks_embedded}")
    if r.published:
        lines.append(search_line(r.search, r.segments, r.deleted))
    lines += fetch_lines(getattr(r, "fetch", ()))
    lines += skipped_lines(r.skipped)
    lines += [f"Warning: {w}" for w in r.warnings]
    lines += list(getattr(r, "notes", ()))
    lines.append(f"Index: {r.index_dir} (version {r.version})")
    return "\n".join(lines)


def search_line(search: dict, segments: int, deleted: int) -> str:
    marks = f", {deleted} deleted row(s) awaiting a merge" if deleted else ""
    if search.get("kind") != "ivf":
        return f"  dense search: exact · {segments} segment(s){marks}"
    return (f"  dense search: IVF {search['nlist']} lists, nprobe {search['nprobe']}, recall@10 vs exact "
            f"{search['recall_at_10']:.3f} on {search['recall_queries']} sampled queries · "
            f"{segments} segment(s){marks}")
def fetch_lines(fetch) -> list[str]:
    """One line per web source (what the fetch cost), and its recordings with their transcripts."""
    lines = []
    for f in fetch or ():
        counts = " · ".join(f"{f.get(key, 0)} {label}" for key, label in (
            ("requests", "requests"), ("downloaded", "downloaded"), ("not_modified", "not modified"),
            ("unchanged", "unchanged by date"), ("failed", "failed"), ("gone", "gone")))
        lines.append(f"Site {f['source']} ({f['mode']}): {f['documents']} documents · {counts}")
        for deck in f.get("decks", ()):
            lines.append(f"  deck {deck['deck']} from {deck['article']}")
        for rec in f.get("recordings", ()):
            attached = (f"transcript {rec['transcript']}" if rec["transcript"] else
                        f"no transcript yet (add a .vtt or .srt whose sidecar has url: {rec['recording']})")
            lines.append(f"  recording {rec['recording']} on {rec['article']}: {attached}")
    return lines


def skipped_lines(skipped) -> list[str]:
    if not skipped:
        return []
    return [f"Skipped {len(skipped)} file(s):"] + [f"  {s.path}: {s.reason}" for s in skipped]


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


def index_info(index: LoadedIndex, settings: Settings) -> dict:
    m = index.manifest
    return {"index_dir": str(settings.index_dir), "version": index.version, "documents": len(m.documents),
            "by_type": m.counts_by_type(), "chunks": m.chunks, "model": m.model["name"],
            "dimension": m.model["dimension"], "built_at": m.built_at, "content_dir": m.content_dir,
            "segments": len(m.segments), "search": m.ann_summary(),
            "sources": list(getattr(m, "sources", None) or [])}


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
