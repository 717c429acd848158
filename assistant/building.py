"""Building from settings: one build with a progress bar, a dry run, or a watch loop."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from assistant.config import Settings
from corpus import ChunkSettings, LoadError
from assistant.embedders import open_embedder
from index import AnnSettings, BuildReport, Embedder, build_index, plan_build
from index.build import BuildPlan, Progress


def chunk_settings(settings: Settings, embedder: Embedder) -> ChunkSettings:
    return ChunkSettings(embedder.max_tokens, settings.chunk_tokens, settings.overlap_tokens)


def run_build(settings: Settings, full: bool = False, dry_run: bool = False, show_progress: bool = True,
              embedder: Embedder | None = None, progress: Progress | None = None) -> BuildReport | BuildPlan:
    """Build the index the settings name. `progress` ((fraction, message) callback, e.g. the web app's
    progress bar) replaces the terminal bar."""
    if settings.index_backend == "milvus":  # issue 22: the Milvus backend's build (assistant.backends)
        from assistant.backends import run_milvus_build
        return run_milvus_build(settings, full, dry_run, show_progress, embedder or open_embedder(settings), progress)
    if settings.sources:
        from assistant.sources import run_sources_build

        return run_sources_build(settings, full, dry_run, show_progress, embedder or open_embedder(settings), progress)
    if not Path(settings.content_dir).is_dir():
        raise LoadError(f"content folder {settings.content_dir} does not exist or is not a folder")
    embedder = embedder or open_embedder(settings)
    chunker = chunk_settings(settings, embedder)
    if dry_run:
        return plan_build(settings.content_dir, settings.index_dir, embedder.name, chunker, settings.base_url, full,
                          variant=embedder.variant)
    with progress_bar(show_progress and progress is None) as bar:
        return build_index(settings.content_dir, settings.index_dir, embedder, chunker, settings.base_url,
                           full=full, keep_versions=settings.keep_versions, progress=progress or bar,
                           **index_options(settings))


def index_options(settings: Settings) -> dict:
    """How a build writes the index: when segments get an IVF index, when they merge, sentence vectors."""
    return dict(ann=AnnSettings(threshold=settings.ann_threshold, recall_target=settings.ann_recall_target),
                max_segments=settings.max_segments, sentence_vectors=settings.sentence_vectors)


def watch_and_build(settings: Settings, echo: Callable[[str], None], stop_event=None,
                    embedder: Embedder | None = None, debounce_ms: int = 1500) -> None:
    """Build now, then again each time the content folder has settled after a change: quiet for 200 ms,
    changes batched for at most `debounce_ms`. Changes inside the index folder (when it lies within
    the content folder) and the usual editor, VCS and cache files are ignored. Returns when
    `stop_event` (a threading.Event) is set."""
    from watchfiles import watch

    from assistant import KNOWN_ERRORS
    from assistant.reports import build_text

    embedder = embedder or open_embedder(settings)
    echo(build_text(run_build(settings, embedder=embedder, show_progress=False)))
    echo(f"Watching {settings.content_dir} for changes (Ctrl+C to stop)…")
    for changes in watch(settings.content_dir, watch_filter=ContentFilter(settings.index_dir),
                         debounce=debounce_ms, step=200, stop_event=stop_event):
        echo(f"{len(changes)} file change(s); rebuilding…")
        try:
            echo(build_text(run_build(settings, embedder=embedder, show_progress=False)))
        except KNOWN_ERRORS as exc:
            echo(f"Error: {exc} (the published index is unchanged; still watching)")


class ContentFilter:
    """watchfiles filter: watchfiles' defaults (.git, __pycache__, editor swap files…) minus the index
    folder, so a build writing its own index never triggers the next one."""

    def __init__(self, index_dir: Path):
        from watchfiles import DefaultFilter

        self.default = DefaultFilter()
        self.index_dir = Path(index_dir).resolve()

    def __call__(self, change, path: str) -> bool:
        return self.default(change, path) and not Path(path).resolve().is_relative_to(self.index_dir)


class progress_bar:
    """A tqdm bar on stderr fed by build_index's (fraction, message) callback."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.bar = None

    def __enter__(self):
        if not self.enabled:
            return None
        from tqdm import tqdm

        self.bar = tqdm(total=100, unit="%", bar_format="{desc:<28} {bar} {n:.0f}% [{elapsed}]", leave=False,
                        disable=None)  # None: only on a terminal
        return self.update

    def update(self, fraction: float, message: str) -> None:
        if self.bar.disable:
            return
        self.bar.set_description_str(message[:28])
        self.bar.n = round(fraction * 100)
        self.bar.refresh()

    def __exit__(self, *exc):
        if self.bar is not None:
            self.bar.close()
