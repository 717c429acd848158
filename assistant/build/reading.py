"""What a build reads: folders and web sites alike, as one `Source`, with a fetch progress bar.

    source_of(settings) -> Source(root, sources, recorded)   `sources`, else the content folder alone
    source.loader(settings, on_fetch, read_only)             -> index.build's loader

`sources = ["content/", "https://help.example.org/kb/"]` in assistant.toml (or `assistant build URL`).
Web pages are fetched politely and incrementally (see corpus.web); the fetch cache lives in
`<index>/web/`. A dry run fetches what it must to tell what changed, and writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from assistant.config import Settings, SettingsError
from corpus import LoadError
from corpus.sources import content_root, load_sources
from corpus.web import USER_AGENT, Politeness, WebOptions, is_web, redact
from index.build import Loader, Progress


def web_options(settings: Settings) -> WebOptions:
    politeness = Politeness(user_agent=settings.web.user_agent or USER_AGENT, rate=settings.web.rate,
                            retries=settings.web.retries)
    return WebOptions(politeness, settings.web.max_pages, settings.web.max_depth)


def with_source(settings: Settings, source: str | Path | None) -> Settings:
    """Settings for `assistant build SOURCE`: a URL becomes the only source, a folder the content_dir."""
    if source is None:
        return settings
    if "://" in str(source) and not is_web(str(source)):
        raise SettingsError(f"{redact(str(source))}: only http(s) sites and folders can be indexed")
    if is_web(str(source)):
        return replace(settings, sources=(str(source),))
    return replace(settings, content_dir=Path(source), sources=())


@dataclass(frozen=True)
class Source:
    root: Path  # the folder the app serves raw files from (recorded as the index's content_dir)
    sources: tuple[str, ...]  # folders and sites, read in this order
    recorded: tuple[str, ...]  # what the manifest records for a later rebuild (none for a lone content folder)

    def loader(self, settings: Settings, on_fetch=None, read_only: bool = False) -> Loader:
        def load(known):
            return load_sources(self.sources, Path(settings.index.dir), settings.content.base_url, known,
                                web_options(settings), on_fetch, read_only=read_only)

        return load


def source_of(settings: Settings) -> Source:
    """The settings' `sources`, or the content folder alone: a folder is a source like a site."""
    if not settings.content.sources:
        folder = Path(settings.content.dir)
        if not folder.is_dir():
            raise LoadError(f"content folder {folder} does not exist or is not a folder")
        return Source(folder.resolve(), (str(folder),), ())
    folders = [Path(s) for s in settings.content.sources if not is_web(s)]
    for folder in folders:
        if not folder.is_dir():
            raise LoadError(f"source folder {folder} does not exist or is not a folder; fix `sources` in your settings")
    root = content_root(folders) or Path(settings.index.dir) / "web"
    recorded = tuple(redact(s) if is_web(s) else str(Path(s).resolve()) for s in settings.content.sources)
    return Source(root, tuple(settings.content.sources), recorded)


def credentials_for(recorded: list[str], configured: tuple[str, ...]) -> tuple[str, ...]:
    """The recorded sources of an index (credentials removed) with a configured source's credentials put
    back where it is the same site: what the admin panel rebuilds. Nothing else is ever fetched."""
    by_redacted = {redact(s): s for s in configured if is_web(s)}
    return tuple(by_redacted.get(s, s) for s in recorded)


class fetch_bar:
    """A tqdm bar of pages fetched (terminal), or the app's (fraction, message) callback fed 0–5%."""

    def __init__(self, enabled: bool, progress: Progress | None):
        self.enabled, self.progress, self.bar = enabled, progress, None

    def __enter__(self):
        return self.update

    def update(self, done: int, total: int | None, url: str) -> None:
        if self.progress is not None:
            counted = f"{done}/{total}" if total else str(done)
            self.progress(min(done / total, 1.0) * 0.05 if total else 0.0, f"fetched {counted} pages")
            return
        if not self.enabled:
            return
        if self.bar is None:
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit="page", desc="fetching", leave=False, disable=None)
        if total and self.bar.total != total:
            self.bar.total = total
        self.bar.set_postfix_str(url[-40:], refresh=False)
        self.bar.update(done - self.bar.n)

    def __exit__(self, *exc):
        if self.bar is not None:
            self.bar.close()
