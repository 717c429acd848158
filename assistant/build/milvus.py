"""`assistant build` with index_backend = "milvus": the same plan, dry run and report as the local store,
into the settings' Milvus collection.

    run_milvus_build(settings, full, dry_run, show_progress, embedder, progress)   `assistant build` there
    build_loaded(settings, content_dir, embedder, loaded)   documents made elsewhere (`assistant eval`'s sets)
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from assistant.answer.stores import milvus_target
from assistant.config import Settings

if TYPE_CHECKING:
    from index import Embedder


def run_milvus_build(settings: Settings, full: bool, dry_run: bool, show_progress: bool, embedder: Embedder,
                     progress=None):
    """`assistant build` with index_backend = "milvus": the same plan, dry run and report as the local
    backend; content from the content folder, or from `sources` (folders and sites)."""
    from assistant.build.run import chunk_settings, progress_bar
    from index.milvus.build import MilvusJob, build_milvus, dry_run as plan_only

    where = {"content_dir": Path(settings.content.dir), **_sources(settings, dry_run)}
    job = MilvusJob(lock_dir=Path(settings.index.dir), embedder=embedder, chunker=chunk_settings(settings, embedder),
                    base_url=settings.content.base_url, full=full, keep_versions=settings.index.keep_versions,
                    sentence_vectors=settings.index.sentence_vectors, **where)
    if dry_run:
        return plan_only(milvus_target(settings), job)
    with progress_bar(show_progress and progress is None) as bar:
        return build_milvus(milvus_target(settings), job, progress or bar)


def build_loaded(settings: Settings, content_dir: Path, embedder: Embedder, loaded=None):
    """Build documents made elsewhere (`loaded`, e.g. an evaluation set's corpus), else content_dir,
    into the settings' Milvus collection."""
    from assistant.build.run import chunk_settings
    from index.milvus.build import MilvusJob, build_milvus

    job = MilvusJob(content_dir=Path(content_dir), lock_dir=Path(settings.index.dir), embedder=embedder,
                    chunker=chunk_settings(settings, embedder), base_url=settings.content.base_url,
                    keep_versions=settings.index.keep_versions, sentence_vectors=settings.index.sentence_vectors, loaded=loaded)
    return build_milvus(milvus_target(settings), job)


def _sources(settings: Settings, dry_run: bool) -> dict:
    """A `sources` build's loader (folders and sites, fetched into index_dir/web) and recorded sources."""
    if not settings.content.sources:
        return {}
    from assistant.build.reading import web_options
    from corpus.sources import content_root, load_sources
    from corpus.web import is_web, redact

    folders = [Path(s) for s in settings.content.sources if not is_web(s)]

    def loader(known):
        return load_sources(settings.content.sources, Path(settings.index.dir), settings.content.base_url, known,
                            web_options(settings), None, read_only=dry_run)

    return {"content_dir": content_root(folders) or Path(settings.index.dir) / "web", "loader": loader,
            "sources": tuple(redact(s) if is_web(s) else str(Path(s).resolve()) for s in settings.content.sources)}
