"""A build's report as plain text for people: what was indexed, skipped and fetched, how search runs."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from index import BuildReport
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


__all__ = ["build_text", "fetch_lines", "search_line", "skipped_lines"]
