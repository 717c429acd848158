"""Raw content files → documents → chunks. Pure: no model is loaded here.

Public surface (imported on first use, so reading an index's chunks needs no loader or splitter):
    load_folder(root, base_url=None) -> LoadResult   (every supported file, recursively)
    load_file(path, root, base_url=None) -> Document  (one file; raises LoadError)
    chunk_document(document, count_tokens, max_tokens, ...) -> list[Chunk]
    Document, Segment, Chunk, LoadResult, Skipped       (frozen dataclasses)
    CorpusError, LoadError                              (exceptions)
"""

from corpus.errors import CorpusError, LoadError
from corpus.lazy import lazy_getattr
from corpus.model import Chunk, Document, Segment

_LAZY = {
    "ChunkSettings": "corpus.chunking", "chunk_document": "corpus.chunking",
    "SUPPORTED_SUFFIXES": "corpus.folder", "LoadResult": "corpus.folder", "Skipped": "corpus.folder",
    "load_file": "corpus.folder", "load_folder": "corpus.folder",
}

__getattr__ = lazy_getattr("corpus", _LAZY, globals())

__all__ = [
    "Chunk",
    "ChunkSettings",
    "CorpusError",
    "Document",
    "LoadError",
    "LoadResult",
    "SUPPORTED_SUFFIXES",
    "Segment",
    "Skipped",
    "chunk_document",
    "load_file",
    "load_folder",
]
