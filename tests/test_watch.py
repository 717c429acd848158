"""`assistant build --watch`: a new file in the content folder is indexed once the folder settles."""

from __future__ import annotations

import threading
import time

from watchfiles import Change

from assistant import Assistant, Settings
from assistant.build.run import ContentFilter, watch_and_build
from index import current_version


def wait_for(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def start_watching(settings: Settings, embedder, debounce_ms: int):
    """`assistant build --watch` in a thread: (what it says, its stop event, the thread)."""
    said: list[str] = []
    stop = threading.Event()
    watcher = threading.Thread(target=watch_and_build, daemon=True,
                               kwargs={"settings": settings, "echo": said.append, "stop_event": stop,
                                       "embedder": embedder, "debounce_ms": debounce_ms})
    watcher.start()
    return said, stop, watcher


def test_watch_rebuilds_after_a_change_and_ignores_its_own_index(embedder, tmp_path):
    content = tmp_path / "content"
    content.mkdir()
    (content / "risks.md").write_text("# Risk registers\n\nEvery risk needs an owner and a review date.\n")
    # The index inside the content folder (as with `assistant build .`): its own writes must not set
    # off another build.
    settings = Settings(content_dir=content, index_dir=content / ".assistant" / "index")
    said, stop, watcher = start_watching(settings, embedder, debounce_ms=500)
    try:
        assert wait_for(lambda: any(line.startswith("Watching") for line in said), 30), said
        first = current_version(settings.index.dir)
        assert first and said[0].startswith("Indexed 1 documents")
        (content / "lantern.md").write_text("# The lantern protocol\n\nThe lantern protocol triages portfolio "
                                            "proposals: the sponsor scores each one within five days.\n")
        assert wait_for(lambda: current_version(settings.index.dir) != first, 30), said
        assert wait_for(lambda: said[-1].startswith("Indexed 2 documents"), 10), said
        top = Assistant(settings, embedder=embedder).ask("What is the lantern protocol?").passages[0]
        assert top.doc_id == "lantern.md"
        # Every file the builds wrote is filtered out of the watch (no wait for a rebuild that must not come):
        written = [path for path in settings.index.dir.rglob("*") if path.is_file()]
        keep = ContentFilter(settings.index.dir)
        assert written and not any(keep(Change.added, str(path)) for path in written)
        assert keep(Change.added, str(content / "lantern.md"))
        assert sum("rebuilding" in line for line in said) == 1, said
    finally:
        stop.set()
        watcher.join(timeout=10)
    assert not watcher.is_alive()


def test_a_failed_rebuild_keeps_the_index_and_the_watch(embedder, tmp_path):
    content = tmp_path / "content"
    content.mkdir()
    (content / "risks.md").write_text("# Risk registers\n\nEvery risk needs an owner and a review date.\n")
    settings = Settings(content_dir=content, index_dir=tmp_path / "index")
    said, stop, watcher = start_watching(settings, embedder, debounce_ms=300)
    try:
        assert wait_for(lambda: any(line.startswith("Watching") for line in said), 30), said
        first = current_version(settings.index.dir)
        (content / "risks.md").unlink()  # nothing left to index: the build fails, the index stays
        assert wait_for(lambda: said[-1].startswith("Error:"), 30), said
        assert "still watching" in said[-1] and current_version(settings.index.dir) == first
        (content / "gates.md").write_text("# Stage gates\n\nA gate review decides whether a project continues.\n")
        assert wait_for(lambda: said[-1].startswith("Indexed 1 documents"), 30), said
        assert current_version(settings.index.dir) != first
    finally:
        stop.set()
        watcher.join(timeout=10)
    assert not watcher.is_alive()
