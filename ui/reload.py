"""Live reload: swap a running app to a newly published index, off the question path.

    refresh(assistant) -> bool       one check now; a bad new index is refused and logged
    build_and_swap(assistant, settings, full, progress) -> BuildReport
                                     a build with the app's own model, then the swap to it at once
                                     (the admin panel's rebuild and the control route of `assistant build`)
    IndexReloader(assistant).start() a daemon thread doing that check every `interval` seconds

Questions never load an index themselves: each one reads the index that is current when it
starts (`Assistant.ask` takes one reference), so a swap lets questions in flight finish on the old
index and the next question starts on the new one. A version that fails to load (corrupt, other
model) is refused and the current index keeps serving; the refused version is retried only after
`retry_refused` seconds, so a broken publish costs one log line, not a reload a second.
"""

from __future__ import annotations

import gc
import logging
import threading
import time
from collections.abc import Callable

from assistant import KNOWN_ERRORS, Assistant, Settings

log = logging.getLogger(__name__)

POLL_SECONDS = 1.0
RETRY_REFUSED_SECONDS = 60.0


def refresh(assistant: Assistant) -> bool:
    """Pick up a newly published index now; True when swapped. On a bad one keep the current index."""
    try:
        swapped = assistant.refresh()
    except KNOWN_ERRORS as exc:
        log.warning("kept index %s; the newly published one was refused: %s", assistant.index.version, exc)
        return False
    if swapped:
        log.info("now serving the newly published index %s", assistant.index.version)
        gc.unfreeze()  # `assistant serve` froze its start-up objects: back to the collector, so whatever of
        # the old index sits in a reference cycle can be freed too (reference counting frees the rest)
    return swapped


def build_and_swap(assistant: Assistant, settings: Settings, full: bool = False, progress=None):
    """Build what `settings` name (assistant.build.run.run_build) with the served model, and serve the
    published index at once. Raises what the build raises (KNOWN_ERRORS); the served index is kept."""
    from assistant.build.run import (
        run_build,  # on use: chunking and the loaders stay out of the start
    )

    report = run_build(settings, full=full, show_progress=False, embedder=assistant.embedder, progress=progress)
    refresh(assistant)
    return report


class IndexReloader(threading.Thread):
    """Polls the index folder's CURRENT pointer (one small file read) and swaps when it moves."""

    def __init__(self, assistant: Assistant, interval: float = POLL_SECONDS,
                 alive: Callable[[], bool] = lambda: True, retry_refused: float = RETRY_REFUSED_SECONDS):
        super().__init__(name="index-reloader", daemon=True)
        self.assistant = assistant
        self.interval = interval
        self.alive = alive
        self.retry_refused = retry_refused
        self.stopped = threading.Event()
        self._refused: tuple[str, float] | None = None  # (version, when)

    def run(self) -> None:
        while not self.stopped.wait(self.interval) and self.alive():
            try:
                self.check()
            except Exception:  # noqa: BLE001 — the poller must outlive any surprise; serving goes on
                log.exception("index reload check failed; still serving %s", self.assistant.index.version)

    def check(self) -> bool:
        """One poll: True when the assistant now serves a newly published version."""
        version = self.assistant.published_version()  # CURRENT, or Milvus's pointer row
        if version in (None, self.assistant.index.version):
            return False
        if self._refused and self._refused[0] == version and time.monotonic() - self._refused[1] < self.retry_refused:
            return False
        swapped = refresh(self.assistant)
        self._refused = None if swapped or self.assistant.index.version == version else (version, time.monotonic())
        return swapped

    def stop(self) -> None:
        self.stopped.set()
