"""manifest.json: what an index version holds and how it was made; the source of truth on load."""

from __future__ import annotations

import hashlib
import json
import os
import platform
from dataclasses import dataclass, field
from pathlib import Path

FORMAT_VERSION = 6  # 6: chunk records a zstd frame each with a trained dictionary; 5: int8 sentence vectors, chunk vectors once (float16, in the IVF index when large), chunk records in zstd blocks; 4: segments hold their sentences' vectors; 3: segments plus deletion marks; 2: transcript chunks carry their cues; 1: one file per version
LIBRARIES = ("onnxruntime", "tokenizers", "sentence-transformers", "faiss-cpu", "bm25s", "langchain-text-splitters",
             "torch")


@dataclass(frozen=True)
class DocumentEntry:
    content_hash: str
    title: str
    url: str
    source_type: str
    chunks: int
    topic: str | None = None  # what the document names as its topic (front matter, sidecar, the site's category)


@dataclass(frozen=True)
class Manifest:
    model: dict  # {"name", "dimension", "max_seq_length", "variant" (fp32|int8), "backend" (what embedded)}
    chunker: dict  # ChunkSettings.as_dict()
    documents: dict[str, DocumentEntry]
    chunks: int
    built_at: str
    content_dir: str
    base_url: str | None = None
    files: dict[str, str] = field(default_factory=dict)  # file name -> sha256
    format_version: int = FORMAT_VERSION
    libraries: dict[str, str] = field(default_factory=dict)
    sources: list[str] = field(default_factory=list)  # folders and site URLs (without credentials) it was built from
    # [{"name", "rows", "deleted", "sha256" of its segment.json, "ann": {kind, nlist, nprobe, recall_at_10…}}]
    segments: list[dict] = field(default_factory=list)
    server: dict = field(default_factory=dict)  # what an index server needs besides (Milvus: index.milvus.rows)

    def ann_summary(self) -> dict:
        """How dense search runs: exact everywhere, or the IVF parameters and measured recall of the
        largest approximate segment."""
        approximate = [s for s in self.segments if s.get("ann", {}).get("kind") == "ivf"]
        if not approximate:
            return {"kind": "exact"}
        largest = max(approximate, key=lambda s: s["rows"])
        return {**largest["ann"], "segments": len(approximate)}

    def counts_by_type(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for entry in self.documents.values():
            counts[entry.source_type] = counts.get(entry.source_type, 0) + 1
        return dict(sorted(counts.items()))

    def to_json(self) -> str:
        """Top-level keys one a line; each document entry on one line (json's C encoder: a million-chunk
        knowledge base has 100k documents, and an indented dump of them takes seconds)."""
        data = {**self.__dict__, "documents": {k: v.__dict__ for k, v in self.documents.items()}}
        data["counts"] = {"documents": len(self.documents), "chunks": self.chunks, "by_type": self.counts_by_type(),
                          "segments": len(self.segments), "deleted": sum(s["deleted"] for s in self.segments)}
        lines = [f"  {json.dumps(key)}: {json.dumps(data[key], sort_keys=True)}"
                 for key in sorted(data) if key != "documents"]
        documents = ",\n".join(f"    {json.dumps(k)}: {json.dumps(v, sort_keys=True)}"
                               for k, v in sorted(data["documents"].items()))
        lines.append(f'  "documents": {{\n{documents}\n  }}' if documents else '  "documents": {}')
        return "{\n" + ",\n".join(sorted(lines)) + "\n}\n"

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        data = json.loads(text)
        data.pop("counts", None)
        data["documents"] = {k: DocumentEntry(**v) for k, v in data["documents"].items()}
        return cls(**data)


def peek_model(version_dir: Path) -> dict:
    """The manifest's model entry ({} when unreadable: loading the index reports that properly)."""
    try:
        return dict(json.loads((Path(version_dir) / "manifest.json").read_text(encoding="utf-8"))["model"])
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def library_versions() -> dict[str, str]:
    from importlib import metadata  # at build time only

    versions = {"python": platform.python_version()}
    for name in LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return versions


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def checksums(folder: Path) -> dict[str, str]:
    """sha256 of every file below folder except the manifest, keyed by relative path."""
    out = {}
    for root, _, names in os.walk(folder):
        for name in sorted(names):
            path = Path(root) / name
            rel = path.relative_to(folder).as_posix()
            if rel != "manifest.json":
                out[rel] = sha256_file(path)
    return dict(sorted(out.items()))
