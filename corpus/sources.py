"""Several sources, one set of documents: content folders and web sites mixed in one index.

    load_sources(["content/", "https://help.example.org/kb/"], index_dir, known=…) -> LoadResult

Document ids: a folder's files keep their paths relative to it (with several folders, each is
prefixed by its path below the folders' common root); a web page's id is its canonical URL, a deck's its PDF URL. A
transcript whose `url` names a recording embedded in a fetched article is titled with that article.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path

from corpus.folder import LoadResult, Skipped, load_folder
from corpus.model import Document
from corpus.web import WebOptions, is_web, load_site, recording_key, recording_url, retitled
from corpus.web.harvest import Progress, Recording


def load_sources(sources: Sequence[str | Path], index_dir: Path | None, base_url: str | None = None,
                 known: Mapping[str, Document] | None = None, options: WebOptions | None = None,
                 progress: Progress | None = None, read_only: bool = False, transport=None) -> LoadResult:
    """Every document of every source, in the order given; a doc id met twice keeps its first source."""
    known = known or {}
    folders = [Path(s) for s in sources if not is_web(str(s))]
    prefixes = folder_prefixes(folders)
    documents: dict[str, Document] = {}
    skipped: list[Skipped] = []
    warnings: list[str] = []
    fetch: list[dict] = []
    recordings: list[tuple[int, Recording]] = []  # (which web source, recording)
    for source in sources:
        if is_web(str(source)):
            site = load_site(str(source), index_dir, known, options, progress, read_only, transport)
            found, skip, warn = site.documents, site.skipped, site.warnings
            recordings += [(len(fetch), r) for r in site.recordings]
            fetch.append(site.summary())
        else:
            prefix = prefixes[Path(source)]
            loaded = load_folder(Path(source), base_url, exclude=index_dir, known=_unprefixed(known, prefix))
            found = tuple(replace(d, doc_id=prefix + d.doc_id) for d in loaded.documents)
            skip = tuple(Skipped(prefix + s.path, s.reason) for s in loaded.skipped)
            warn = tuple(prefix + w for w in loaded.warnings)
        for doc in found:
            documents.setdefault(doc.doc_id, doc)
        skipped += skip
        warnings += warn
    attached = attach_transcripts(documents, [r for _, r in recordings])
    for summary in fetch:
        summary["recordings"] = []
    for (owner, _), note in zip(recordings, attached):
        fetch[owner]["recordings"].append(note)
    return LoadResult(tuple(documents.values()), tuple(skipped), tuple(warnings), tuple(fetch))


def content_root(folders: Sequence[Path]) -> Path | None:
    """The folder the app serves raw files from: the one folder, or the deepest folder holding them all."""
    if not folders:
        return None
    resolved = [Path(f).resolve() for f in folders]
    return resolved[0] if len(resolved) == 1 else Path(os.path.commonpath([str(f) for f in resolved]))


def folder_prefixes(folders: Sequence[Path]) -> dict[Path, str]:
    """'' for a single folder (ids as before); else each folder's path below their common root + '/',
    so `<content root>/<doc id>` is always the file."""
    root = content_root(folders)
    if len(folders) <= 1:
        return {f: "" for f in folders}
    return {f: Path(f).resolve().relative_to(root).as_posix() + "/" for f in folders}


def _unprefixed(known: Mapping[str, Document], prefix: str) -> dict[str, Document]:
    if not prefix:
        return dict(known)
    return {k[len(prefix):]: replace(d, doc_id=k[len(prefix):]) for k, d in known.items() if k.startswith(prefix)}


def attach_transcripts(documents: dict[str, Document], recordings: Sequence[Recording]) -> list[dict]:
    """Title each transcript with the article its recording is embedded in; what was matched, per recording."""
    transcripts: dict[str, str] = {}
    for doc_id, doc in documents.items():
        key = recording_key(doc.url) if doc.source_type == "transcript" else None
        if key:
            transcripts.setdefault(key, doc_id)
    report = []
    for rec in recordings:
        doc_id = transcripts.get(rec.key)
        if doc_id and "recording from" not in documents[doc_id].title:
            doc = documents[doc_id]
            documents[doc_id] = retitled(doc, f"{doc.title} — recording from “{rec.title}”")
        report.append({"article": rec.article, "recording": recording_url(rec.key), "transcript": doc_id})
    return report

