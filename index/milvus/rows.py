"""Which rows of the one Milvus collection a version sees: pure functions over row ranges.

Every version's rows live in one collection, `<collection>_rows`, numbered on from one build to the
next: a build appends its new chunks as a *segment* (a range of rows) and gives the rows it replaces
deletion marks, as the local store does. A version is its segments and their marks:

    segments  [{"name", "first", "rows", "deleted", "dead": [[start, end], …]}]   rows first…first+rows-1
    end       one past the highest row it lists (rows at or past it belong to newer builds)
    hidden    [[start, end], …]: rows below `end` that it does not have but that may still be stored,
              because a version kept at the time it was written has them

A question's filter is `where(end, hidden)`: short, since rows no kept version has are deleted from
the collection when the last version holding them is released (`purgeable`). Ranges are half-open.
"""

from __future__ import annotations

import numpy as np

Ranges = list[list[int]]


def to_ranges(rows) -> Ranges:
    """Sorted distinct rows as [start, end) ranges."""
    rows = np.unique(np.asarray(rows, dtype=np.int64))
    if not len(rows):
        return []
    breaks = np.flatnonzero(np.diff(rows) != 1) + 1
    starts, ends = rows[np.r_[0, breaks]], rows[np.r_[breaks - 1, len(rows) - 1]] + 1
    return [[int(a), int(b)] for a, b in zip(starts, ends)]


def from_ranges(ranges: Ranges) -> np.ndarray:
    if not ranges:
        return np.zeros(0, np.int64)
    return np.concatenate([np.arange(a, b, dtype=np.int64) for a, b in ranges])


def alive(segments: list[dict], end: int) -> np.ndarray:
    """A bool per row below `end`: whether the version has it."""
    mask = np.zeros(max(0, end), dtype=bool)
    for segment in segments:
        mask[segment["first"]:segment["first"] + segment["rows"]] = True
        for start, stop in segment.get("dead", []):
            mask[start:stop] = False
    return mask


def hidden(version: np.ndarray, others: list[np.ndarray]) -> Ranges:
    """Rows another kept version has that this one (of the same or greater length) does not."""
    seen = np.zeros(len(version), dtype=bool)
    for other in others:
        seen[:min(len(other), len(version))] |= other[:len(version)]
    return to_ranges(np.flatnonzero(seen & ~version))


def purgeable(released: np.ndarray, kept: list[np.ndarray]) -> Ranges:
    """Rows of a released version that no kept version has: they can be deleted from the collection."""
    gone = released.copy()
    for other in kept:
        gone[:min(len(other), len(gone))] &= ~other[:len(gone)]
    return to_ranges(np.flatnonzero(gone))


def mark_deleted(segments: list[dict], rows) -> list[dict]:
    """The segments with these rows added to their deletion marks; a segment left with no live row is dropped."""
    rows = np.asarray(sorted(rows), dtype=np.int64)
    out = []
    for segment in segments:
        start, stop = segment["first"], segment["first"] + segment["rows"]
        dead = np.union1d(from_ranges(segment.get("dead", [])), rows[(rows >= start) & (rows < stop)])
        if len(dead) < segment["rows"]:
            out.append({**segment, "dead": to_ranges(dead), "deleted": int(len(dead))})
    return out


def layout(segments: list[dict], end: int, others: list[np.ndarray]) -> dict:
    """What a version adds to its manifest (`Manifest.server`): its end, and the rows that other versions
    still on the server have and it must not see."""
    return {"layout": "rows", "end": int(end), "hidden": hidden(alive(segments, end), others)}


def where(end: int, hidden_ranges: Ranges, singles_up_to: int = 4) -> str:
    """The Milvus filter of a version's rows: below `end`, none of `hidden_ranges` (short ranges as a list)."""
    clauses, singles = [f"row < {int(end)}"], []
    for start, stop in hidden_ranges:
        if stop - start <= singles_up_to:
            singles += range(start, stop)
        else:
            clauses.append(f"(row < {start} or row >= {stop})")  # not (…): milvus-lite has no `not` of a group
    if singles:
        clauses.append(f"row not in {singles}")
    return " and ".join(clauses)


def range_filter(ranges: Ranges) -> str:
    """Rows in any of the ranges (for deleting them)."""
    return " or ".join(f"(row >= {a} and row < {b})" for a, b in ranges) or "row < 0"
