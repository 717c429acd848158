"""MkDocs hook: docs/configuration.md's reference is generated from assistant/settings.py at every build,
so it cannot drift from the code. The page holds the marker `<!-- settings-reference -->`; each table of
settings replaces it, a row a setting: its key in the table, its flat name (the environment variable's
and the file's top-level key), its default and its help text."""

from __future__ import annotations

import json
import sys
from dataclasses import MISSING, fields
from pathlib import Path

MARKER = "<!-- settings-reference -->"
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))


def reference() -> str:
    from assistant.config import env_name
    from assistant.settings import GROUPS

    out = []
    for table, kind in GROUPS.items():
        out += [f"### `[{table}]`", "", (kind.__doc__ or "").strip(), "",
                "| key | flat name / environment | default | meaning |", "|---|---|---|---|"]
        for spec in fields(kind):
            flat = spec.metadata.get("flat") or spec.name
            default = None if spec.default is MISSING else spec.default
            shown = "none" if default is None else f"`{_value(default)}`"
            where = f"`{flat}` / `{env_name(flat)}`" + ("" if spec.metadata.get("file", True) else " (environment only)")
            secret = " Secret: never printed." if spec.metadata.get("secret") else ""
            out.append(f"| `{spec.name}` | {where} | {shown} | {_cell(spec.metadata['help'])}{secret} |")
        out.append("")
    return "\n".join(out)


def _value(value) -> str:
    if isinstance(value, Path):
        try:
            return str(value.relative_to(Path(__file__).resolve().parents[2]))
        except ValueError:
            return str(value)
    if isinstance(value, tuple):
        return json.dumps(list(value))
    return json.dumps(value) if isinstance(value, (bool, str)) else str(value)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def on_page_markdown(markdown: str, page, **_) -> str:
    if MARKER in markdown:
        return markdown.replace(MARKER, reference())
    return markdown
