"""Which version of an index is published: the CURRENT file. Light: reading it loads nothing else."""

from __future__ import annotations

from pathlib import Path

from index.errors import MissingIndex

POINTER = "CURRENT"
VERSIONS = "versions"


def current_version(index_dir: Path) -> str | None:
    try:
        name = (Path(index_dir) / POINTER).read_text().strip()
    except OSError:
        return None
    return name or None


def published_version(index_dir: Path) -> str:
    """The published version's name; MissingIndex (naming the next step) when there is none."""
    version = current_version(index_dir)
    if not version:
        raise MissingIndex(f"No index at {index_dir} — run `assistant build` first.")
    return version
