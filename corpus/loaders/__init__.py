"""One module per format. Each `load(raw, path)` returns a Parsed record or raises LoadError."""

from corpus.loaders.base import Parsed

__all__ = ["Parsed"]
