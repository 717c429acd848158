"""A build killed with SIGKILL at any moment leaves the previous index published and answering as before."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap

import pytest

from assistant import Assistant, Settings
from corpus import ChunkSettings
from index import build_index, current_version, load_index

pytestmark = pytest.mark.slow  # crash points: builds killed with SIGKILL in subprocesses

DRIVER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from corpus import ChunkSettings
    from assistant.answer.embedders import open_embedder
    from assistant.config import load_settings
    from index import build_index
    content, index_dir = Path(sys.argv[1]), Path(sys.argv[2])
    embedder = open_embedder(load_settings())  # the test model cache, from the environment the tests set
    def progress(fraction, message):
        print(message, flush=True)
    build_index(content, index_dir, embedder, ChunkSettings(embedder.max_tokens, 200, 32), progress=progress)
    print("DONE", flush=True)
""")
NEW = 8  # articles the next build adds to the three published: enough to kill it part way
QUESTIONS = ["how do I keep a risk register", "forecasting project spend", "what is a stage gate"]


def article(n: int) -> str:
    return (f"# Article {n} on portfolio governance\n\n## Detail\n"
            + " ".join(f"Paragraph {n}.{i} explains governance step {i} for programme boards." for i in range(16)))


@pytest.fixture()
def published(tmp_path, build):
    content = tmp_path / "content"
    content.mkdir()
    (content / "risks.md").write_text("# Risk registers\n\nEvery risk needs an owner, a score and a review date.\n")
    (content / "budgets.md").write_text("# Budgets\n\nForecast spend monthly and record accruals.\n")
    (content / "gates.md").write_text("# Stage gates\n\nA gate review decides whether a project continues.\n")
    settings = build(content)
    for n in range(NEW):  # new content for the next build to chunk, embed and write
        (content / f"governance-{n}.md").write_text(article(n))
    return content, settings


def answers(settings: Settings, embedder) -> list[list[tuple[str, str]]]:
    assistant = Assistant(settings, embedder)
    return [[(p.doc_id, p.url) for p in assistant.ask(q).passages] for q in QUESTIONS]


def run_until(content, index_dir, stage: str):
    """Start a build in a subprocess and SIGKILL it once it prints `stage`."""
    child = subprocess.Popen([sys.executable, "-P", "-c", DRIVER, str(content), str(index_dir)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    seen = []
    for line in child.stdout:
        seen.append(line.strip())
        if line.startswith(stage):
            child.send_signal(signal.SIGKILL)
            break
    child.wait(timeout=120)
    if not seen:
        raise AssertionError(child.stderr.read()[-2000:])
    return seen


def finish_build(content, index_dir, embedder) -> None:
    """The next build after the kill, as DRIVER runs it, to the end: in this process, since only the
    killed build needs a process of its own."""
    build_index(content, index_dir, embedder, ChunkSettings(embedder.max_tokens, 200, 32))


@pytest.mark.parametrize("stage", ["reading content", "embedded", "writing", "published"])
def test_kill_9_leaves_the_old_index_answering_as_before(published, embedder, stage):
    content, settings = published
    before_version = current_version(settings.index.dir)
    before = answers(settings, embedder)
    seen = run_until(content, settings.index.dir, stage)
    assert any(line.startswith(stage) for line in seen), seen
    version = current_version(settings.index.dir)
    if stage == "published":  # killed after the switch: the new index is complete and loads
        assert version != before_version
        assert len(load_index(settings.index.dir).manifest.documents) == 3 + NEW
    else:
        assert version == before_version
        assert answers(settings, embedder) == before
    finish_build(content, settings.index.dir, embedder)
    index = load_index(settings.index.dir)
    assert len(index.manifest.documents) == 3 + NEW
    leftovers = [p.name for p in (settings.index.dir / "versions").iterdir() if not (p / "manifest.json").exists()]
    assert leftovers == []


HALT_WRITING = textwrap.dedent("""
    import time
    import numpy as np
    from index import segment
    saving = np.save
    def save_then_halt(path, *args, **kwargs):  # the first file of the new segment is on disk: stop here
        saving(path, *args, **kwargs)
        print("WROTE", path, flush=True)
        time.sleep(3600)
    segment.np.save = save_then_halt
""")


def test_kill_9_while_files_are_being_written(published, embedder):
    """The build halts once the first file of its new segment is written (no race with a timer), and is
    killed there: the previous version stays published and answers as before."""
    content, settings = published
    before, before_version = answers(settings, embedder), current_version(settings.index.dir)
    child = subprocess.Popen([sys.executable, "-P", "-c", HALT_WRITING + DRIVER, str(content), str(settings.index.dir)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    seen = []
    for line in child.stdout:
        seen.append(line.strip())
        if line.startswith("WROTE"):
            child.send_signal(signal.SIGKILL)
            break
    child.wait(timeout=120)
    assert child.returncode == -signal.SIGKILL, (seen, child.stderr.read()[-2000:])
    assert any(line.startswith("writing") for line in seen), seen
    assert current_version(settings.index.dir) == before_version
    assert answers(settings, embedder) == before
