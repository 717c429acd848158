"""The manual builds strict (a broken link or a missing page fails), its configuration reference names every
setting, and the README points only at pages that exist and stays short."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from assistant.config import env_name
from assistant.settings import FLAT

ROOT = Path(__file__).resolve().parent.parent


def test_the_manual_builds_strict_and_lists_every_setting(tmp_path):
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-f", str(ROOT / "mkdocs.yml"),
                           "-d", str(tmp_path / "site")], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
    page = (tmp_path / "site" / "configuration" / "index.html").read_text(encoding="utf-8")
    missing = [flat for flat in FLAT if f"<code>{env_name(flat)}</code>" not in page]
    assert missing == []


def test_the_readme_is_short_and_links_to_pages_that_exist():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) <= 250
    for target in re.findall(r"\]\(([^)#]+)\)", readme):
        if not target.startswith(("http://", "https://")):
            assert (ROOT / target).is_file(), target
    assert "make serve" in readme and "make test" in readme
