"""The on-disk fetch cache: validators (ETag, Last-Modified), sitemap/WordPress modification stamps
and the last body of every URL a web source fetched, so an unchanged page costs a 304 or nothing.

Layout: `<folder>/state.json` (one entry per URL) and `<folder>/bodies/<sha256>` (content-addressed).
Only the entries used by the latest successful fetch are kept when it is saved. A read-only cache
(the --dry-run) keeps what it learns in memory and writes nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

STATE = "state.json"
BODIES = "bodies"
FORMAT = 1


@dataclass(frozen=True)
class Entry:
    url: str  # as requested (normalised, no credentials)
    final_url: str  # after redirects
    body_sha: str
    content_type: str = ""
    etag: str | None = None
    last_modified: str | None = None
    stamp: str | None = None  # the sitemap's lastmod or WordPress's `modified` when it was fetched
    fetched_at: float = 0.0
    noindex: bool = False  # the server sent `X-Robots-Tag: noindex` with the body


class FetchCache:
    def __init__(self, folder: Path | None, read_only: bool = False):
        self.folder = Path(folder) if folder else None
        self.read_only = read_only or folder is None
        self.entries: dict[str, Entry] = {}
        self.extra: dict[str, object] = {}  # per-source notes (e.g. WordPress watermarks)
        self.used: set[str] = set()
        self._memory: dict[str, bytes] = {}
        if self.folder and (self.folder / STATE).is_file():
            self._read()

    def _read(self) -> None:
        try:
            data = json.loads((self.folder / STATE).read_text(encoding="utf-8"))
            if data.get("format") == FORMAT:
                self.entries = {url: Entry(**e) for url, e in data.get("entries", {}).items()}
                self.extra = dict(data.get("extra") or {})
        except (OSError, ValueError, TypeError):
            self.entries, self.extra = {}, {}  # a damaged cache costs one full fetch, nothing more

    def get(self, url: str) -> Entry | None:
        return self.entries.get(url)

    def body(self, entry: Entry | None) -> bytes | None:
        if entry is None:
            return None
        if entry.body_sha in self._memory:
            return self._memory[entry.body_sha]
        if self.folder is None:
            return None
        try:
            data = (self.folder / BODIES / entry.body_sha).read_bytes()
        except OSError:
            return None
        return data if hashlib.sha256(data).hexdigest() == entry.body_sha else None

    def put(self, entry: Entry, body: bytes) -> Entry:
        sha = hashlib.sha256(body).hexdigest()
        entry = replace(entry, body_sha=sha, fetched_at=entry.fetched_at or time.time())
        if self.read_only:
            self._memory[sha] = body
        else:
            path = self.folder / BODIES / sha
            if not path.is_file():
                path.parent.mkdir(parents=True, exist_ok=True)
                tmp = path.with_suffix(f".{os.getpid()}.tmp")
                tmp.write_bytes(body)
                os.replace(tmp, path)
        self.entries[entry.url] = entry
        self.used.add(entry.url)
        return entry

    def stamp(self, url: str, stamp: str | None) -> None:
        """Record the sitemap/WordPress stamp that goes with the body now cached for `url`."""
        if url in self.entries:
            self.entries[url] = replace(self.entries[url], stamp=stamp)

    def keep(self, url: str) -> None:
        """Mark an entry as still in use (a page unchanged, or one kept after a failed fetch)."""
        if url in self.entries:
            self.used.add(url)

    def save(self) -> None:
        """Write the entries in use and delete bodies nothing refers to any more."""
        if self.read_only:
            return
        entries = {url: asdict(e) for url, e in sorted(self.entries.items()) if url in self.used}
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp = self.folder / f"{STATE}.{os.getpid()}.tmp"
        tmp.write_text(json.dumps({"format": FORMAT, "entries": entries, "extra": self.extra}, indent=1),
                       encoding="utf-8")
        os.replace(tmp, self.folder / STATE)
        wanted = {e["body_sha"] for e in entries.values()}
        bodies = self.folder / BODIES
        if bodies.is_dir():
            for path in bodies.iterdir():
                if path.name not in wanted:
                    path.unlink(missing_ok=True)
