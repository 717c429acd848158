"""Building from settings, one path for every caller (`assistant build`, its --watch loop, the admin
panel, the control route of a running server): `run_build(settings, ...)` reads the settings'
source (a folder or sites, assistant.build.reading), then plans (dry run) or builds and publishes.

    run_build(settings, full, dry_run, show_progress, embedder, progress) -> BuildReport | BuildPlan
    build_options(settings, full, recorded)                               -> index.BuildOptions
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from assistant.answer.embedders import model_cache_dir, open_embedder
from assistant.answer.off_topic import everyday_list
from assistant.answer.shape import rules_apply
from assistant.answer.stores import open_index, store_of
from assistant.build.reading import fetch_bar, source_of
from assistant.config import Settings
from corpus import ChunkSettings
from index import AnnSettings, BuildOptions, BuildReport, Embedder
from index.build import BuildPlan, Progress, plan
from index.build import run_build as build_into


def chunk_settings(settings: Settings, embedder: Embedder) -> ChunkSettings:
    return ChunkSettings(embedder.max_tokens, settings.index.chunk_tokens, settings.index.overlap_tokens)


def run_build(settings: Settings, full: bool = False, dry_run: bool = False, show_progress: bool = True,
              embedder: Embedder | None = None, progress: Progress | None = None) -> BuildReport | BuildPlan:
    """Plan (`dry_run`) or build the index the settings name, into whichever store they name (the local
    segment store or Milvus: index.build.run_build is one path for both). `progress` ((fraction, message)
    callback, e.g. the web app's progress bar) replaces the terminal bars."""
    questions = everyday_list(settings.answers.elsewhere_file, settings.answers.elsewhere_mode)  # a bad list stops before anything
    source = source_of(settings)
    embedder = embedder or open_embedder(settings)
    chunker = chunk_settings(settings, embedder)
    options = build_options(settings, full, source.recorded)
    store = store_of(settings)
    terminal = show_progress and progress is None
    with fetch_bar(terminal, progress) as on_fetch, progress_bar(terminal) as bar:
        loader = source.loader(settings, on_fetch, read_only=dry_run)
        if dry_run:
            with store.opened():
                return plan(store, loader, embedder.name, embedder.variant, chunker, options)
        report = build_into(store, loader, source.root, embedder, chunker, options, progress or bar)
    return replace(report, notes=answer_notes(settings, embedder, questions))


def answer_notes(settings: Settings, embedder: Embedder, questions: list[str]) -> tuple[str, ...]:
    """The answer rules' calibration of the published version, made now so the first question need not, in
    words for the owner: which everyday questions this knowledge base answers, and the rules' language."""
    from assistant.answer.off_topic import CalibrationCache, Elsewhere, calibration_for

    index = open_index(settings)
    found = calibration_for(index, Elsewhere(embedder, model_cache_dir(settings), questions), embedder,
                            CalibrationCache(settings.index.dir))
    notes = [covered_line(found.covered)]
    if not rules_apply(settings.face.language):
        notes.append(f"Answer rules: written for English; with language = {settings.face.language!r} the answering "
                     "sentence is chosen by the model's similarity alone, and greetings are not recognised.")
    return tuple(notes)


def covered_line(covered: tuple[str, ...], shown: int = 8) -> str:
    """"Everyday questions this knowledge base answers as its own (never refused): …"."""
    if not covered:
        return ("Everyday questions it answers as its own: none (a question that resembles one of them more than "
                "the content counts against it).")
    more = f" and {len(covered) - shown} more" if len(covered) > shown else ""
    listed = "; ".join(f"“{q}”" for q in covered[:shown])
    return f"Everyday questions it answers as its own (never refused for resembling them): {listed}{more}."


def build_options(settings: Settings, full: bool = False, recorded: tuple[str, ...] = ()) -> BuildOptions:
    """How a build of these settings runs and writes the index."""
    return BuildOptions(base_url=settings.content.base_url, full=full, keep_versions=settings.index.keep_versions,
                        ann=AnnSettings(threshold=settings.index.ann_threshold, recall_target=settings.index.ann_recall_target),
                        max_segments=settings.index.max_segments, sentence_vectors=settings.index.sentence_vectors,
                        sources=recorded)


def watch_and_build(settings: Settings, echo: Callable[[str], None], stop_event=None,
                    embedder: Embedder | None = None, debounce_ms: int = 1500) -> None:
    """Build now, then again each time the content folder has settled after a change: quiet for 200 ms,
    changes batched for at most `debounce_ms`. Changes inside the index folder (when it lies within
    the content folder) and the usual editor, VCS and cache files are ignored. Returns when
    `stop_event` (a threading.Event) is set."""
    from watchfiles import watch

    from assistant import KNOWN_ERRORS
    from assistant.build.report import build_text

    embedder = embedder or open_embedder(settings)
    echo(build_text(run_build(settings, embedder=embedder, show_progress=False)))
    echo(f"Watching {settings.content.dir} for changes (Ctrl+C to stop)…")
    for changes in watch(settings.content.dir, watch_filter=ContentFilter(settings.index.dir),
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
