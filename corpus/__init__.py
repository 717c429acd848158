"""Raw content files → documents → chunks. Pure: no model is loaded here.

Public surface:
    load_folder(root, base_url=None) -> LoadResult   (every supported file, recursively)
    load_file(path, root, base_url=None) -> Document  (one file; raises LoadError)
    chunk_document(document, count_tokens, max_tokens, ...) -> list[Chunk]
    Document, Segment, Chunk, LoadResult, Skipped       (frozen dataclasses)
    CorpusError, LoadError                              (exceptions)
"""

from corpus.chunking import ChunkSettings, chunk_document
from corpus.errors import CorpusError, LoadError
from corpus.folder import SUPPORTED_SUFFIXES, LoadResult, Skipped, load_file, load_folder
from corpus.model import Chunk, Document, Segment

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
