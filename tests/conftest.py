"""Shared fixtures: the real bundled model, and the sample knowledge base indexed once per run.

Every test runs with HF_HUB_OFFLINE=1 and its working folder in tmp_path, so nothing reads or
writes outside the test's own folders.
"""

from __future__ import annotations

import os

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from assistant.config import SAMPLE_CONTENT, Settings  # noqa: E402
from corpus import ChunkSettings  # noqa: E402
from index import Embedder, build_index  # noqa: E402


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    for name in list(os.environ):
        if name.startswith("ASSISTANT_"):
            monkeypatch.delenv(name)


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    return Embedder()


def chunk_settings(embedder: Embedder, settings: Settings | None = None) -> ChunkSettings:
    settings = settings or Settings()
    return ChunkSettings(embedder.max_seq_length, settings.chunk_tokens, settings.overlap_tokens)


@pytest.fixture(scope="session")
def sample_index(tmp_path_factory, embedder) -> Path:
    """The bundled sample knowledge base, built once; tests must not modify it."""
    index_dir = tmp_path_factory.mktemp("sample") / "index"
    build_index(SAMPLE_CONTENT, index_dir, embedder, chunk_settings(embedder))
    return index_dir


@pytest.fixture()
def sample_settings(sample_index) -> Settings:
    return Settings(index_dir=sample_index)


@pytest.fixture()
def build(embedder, tmp_path):
    """Build an index of a content folder: build(content_dir) -> Settings pointing at it."""

    def _build(content_dir: Path, index_dir: Path | None = None, **kwargs) -> Settings:
        settings = Settings(content_dir=content_dir, index_dir=index_dir or tmp_path / "index")
        build_index(content_dir, settings.index_dir, embedder, chunk_settings(embedder), **kwargs)
        return settings

    return _build
