"""A published version in Milvus, read through the same calls as index.store.LoadedIndex.

    open_version(conn, version=None, expected_model=None, expected_variant=None) -> MilvusIndex

A version is a set of rows of `<collection>_rows` (index.milvus.rows): every search and query carries
its filter. What a question costs: in one round trip, the dense search and BM25's top 100 (each with
the rows' vectors and documents; `search_both`); only when BM25's list is full and misses a dense
candidate, a BM25 search restricted to the missing ones (their exact score, as bm25s gives ours); then
one query for the rows shown (text, citation fields, sentence vectors). Rows read are cached: a
version's rows never change once published.
"""

from __future__ import annotations

import json

import threading
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from corpus import Chunk
from index.errors import CorruptIndex, IndexMismatch
from index.manifest import Manifest
from index.milvus.client import Connection, MissingCollection
from index.milvus.schema import CITATION, decode_units, dense_search_params, to_chunk
from index.milvus.rows import where
from index.milvus.versions import LAYOUT, published, read_manifest, read_words, rows_name

BM25 = {"metric_type": "BM25"}
SHOWN = 32  # vectors_of() over at most this many rows: rows about to be shown; their whole records come too
CACHE_ROWS = 20_000


@dataclass
class Row:
    doc_id: str
    vector: np.ndarray
    chunk: Chunk | None = None
    units: np.ndarray | None = None


class MilvusChunks:
    """`index.chunks` as index.store.ChunkView gives it: by row, len() of the live chunks, iteration."""

    def __init__(self, index: MilvusIndex):
        self._index = index

    def __getitem__(self, row: int) -> Chunk:
        return self._index.chunk(int(row))

    def __len__(self) -> int:
        return self._index.manifest.chunks

    @property
    def total(self) -> int:
        return self._index.rows

    def __iter__(self):
        return self._index.iterate()


@dataclass(eq=False)
class MilvusIndex:
    version: str
    manifest: Manifest
    conn: Connection = field(repr=False)
    _cache: OrderedDict = field(default_factory=OrderedDict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _pool: ThreadPoolExecutor = field(default_factory=lambda: ThreadPoolExecutor(8, "milvus-bm25"), repr=False)

    @property
    def collection(self) -> str:
        return rows_name(self.conn)

    @property
    def rows(self) -> int:
        """One past the highest row (rows are never reused)."""
        return int(self.manifest.server["end"])

    @property
    def where(self) -> str:
        """The filter of this version's rows."""
        return where(self.manifest.server["end"], self.manifest.server.get("hidden", []))

    @property
    def live(self) -> int:
        return self.manifest.chunks

    @property
    def variant(self) -> str:
        return self.manifest.model.get("variant", "fp32")

    @property
    def dimension(self) -> int:
        return int(self.manifest.model["dimension"])

    @property
    def chunks(self) -> MilvusChunks:
        return MilvusChunks(self)

    def search_dense(self, query_vector: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        query = np.asarray(query_vector, np.float32).reshape(-1).tolist()
        hits = self._search([query], "vector", k, dense_search_params(self.conn.target.index_type))
        return _rows_scores(hits)

    def search_lexical(self, question: str, candidates=()) -> MilvusLexical:
        """BM25 for a question; `candidates` (rows found otherwise) get their BM25 score in the same round trip
        as BM25's own top list. Questions use search_both."""
        return MilvusLexical(self, question, list(candidates))

    def search_both(self, query_vector: np.ndarray, question: str, k: int) -> tuple[tuple[np.ndarray, np.ndarray],
                                                                                    MilvusLexical]:
        """The dense top k and the question's BM25 in one round trip: the dense search and BM25's top k (their
        vectors come back with them) go out together. When BM25 finds fewer than k rows, every other row
        scores 0, so no dense candidate needs asking about (MilvusLexical.scores_of)."""
        query = np.asarray(query_vector, np.float32).reshape(-1).tolist()
        lexical = MilvusLexical(self, question)
        pending = self._pool.submit(lexical.top, k) if question.strip() else None
        dense = _rows_scores(self._search([query], "vector", k, dense_search_params(self.conn.target.index_type)))
        if pending is not None:
            pending.result()
        return dense, lexical

    def words(self) -> dict[str, int]:
        """The version's surface vocabulary (read once): what misspelt question words are corrected to."""
        if not hasattr(self, "_words"):
            self._words = read_words(self.conn, self.version)
        return self._words

    def vectors_of(self, rows) -> np.ndarray:
        rows = [int(r) for r in np.asarray(rows, np.int64).tolist()]
        found = self._rows(rows, whole=len(rows) <= SHOWN)
        out = np.zeros((len(rows), self.dimension), np.float32)
        for n, row in enumerate(rows):
            out[n] = found[row].vector
        return out

    def doc_of(self, rows) -> dict[int, str]:
        rows = [int(r) for r in rows]
        found = self._rows(rows, whole=False)
        return {row: found[row].doc_id for row in rows}

    def chunk(self, row: int) -> Chunk:
        """The chunk at a row; a row no live chunk has (a deleted document's, or past the end) reads as
        an empty chunk of no document, so a neighbour check finds nothing there."""
        found = self._rows([row], whole=True).get(row)
        return found.chunk if found is not None else Chunk("", "", "", "", "article", (), "", "")

    def unit_vectors(self, row: int) -> np.ndarray | None:
        found = self._rows([row], whole=True).get(row)
        return None if found is None else found.units

    def document_rows(self, row: int, limit: int = 64) -> list[int]:
        """The rows of the document holding `row`, in order: fetched whole in one query and kept, so the
        passages that compete for the document cost one round trip (as index.store.LoadedIndex)."""
        doc = self.doc_of([row]).get(row)
        if doc is None:
            return [row]
        records = self.conn.call("query", self.collection, filter=f"doc_id in {json.dumps([doc])} and {self.where}",
                                 output_fields=list(CITATION) + ["vector"], limit=limit, during="a question")
        fetched = {int(r["row"]): Row(r["doc_id"], np.asarray(r["vector"], np.float32), to_chunk(r),
                                      decode_units(r["units"], self.dimension)) for r in records}
        self._keep(fetched)
        return sorted(fetched) or [row]

    def iterate(self):
        """Every live chunk in row order (query_iterator walks the primary key up), without sentence
        vectors: for tools, examples and evaluation, never for a question."""
        iterator = self.conn.call("query_iterator", self.collection, batch_size=1000, filter=self.where,
                                  output_fields=[f for f in CITATION if f != "units"], during="reading every chunk")
        try:
            while batch := iterator.next():
                yield from (to_chunk(record) for record in batch)
        finally:
            iterator.close()

    def _search(self, data, field_name: str, limit: int, params: dict, expr: str = "",
                fields: tuple[str, ...] = ("doc_id", "vector")) -> list[dict]:
        hits = self.conn.call("search", self.collection, data=data, anns_field=field_name, limit=max(1, limit),
                              search_params=params, filter=f"{expr} and {self.where}" if expr else self.where,
                              output_fields=list(fields), during="a question")[0]
        if "vector" not in fields:
            return hits
        self._keep({int(h["id"]): Row(h["entity"]["doc_id"], np.asarray(h["entity"]["vector"], np.float32))
                    for h in hits})
        return hits

    def _rows(self, rows: list[int], whole: bool) -> dict[int, Row]:
        """The rows asked for (those the version has), from the cache or one query for the rest; `whole`:
        with their chunk and sentence vectors."""
        with self._lock:
            have = {r: self._cache[r] for r in rows
                    if r in self._cache and (not whole or self._cache[r].chunk is not None)}
        missing = [r for r in dict.fromkeys(rows) if r not in have]
        if not missing:
            return have
        fields = list(CITATION) + ["vector"] if whole else ["row", "doc_id", "vector"]
        records = self.conn.call("query", self.collection, filter=f"row in {missing} and {self.where}", output_fields=fields,
                                 limit=len(missing), during="a question")
        fetched = {int(r["row"]): Row(r["doc_id"], np.asarray(r["vector"], np.float32),
                                      to_chunk(r) if whole else None,
                                      decode_units(r["units"], self.dimension) if whole else None)
                   for r in records}
        self._keep(fetched)
        return {**have, **fetched}

    def _keep(self, found: dict[int, Row]) -> None:
        with self._lock:
            for row, record in found.items():
                old = self._cache.pop(row, None)
                if old is not None and record.chunk is None:
                    record = old
                self._cache[row] = record
            while len(self._cache) > CACHE_ROWS:
                self._cache.popitem(last=False)


class MilvusLexical:
    """A question's BM25 over one version, as index.lexical.LexicalMatches: `.top(k)`, `.scores_of(rows)`."""

    def __init__(self, index: MilvusIndex, question: str, prefetch: list[int] = ()):
        self.index = index
        self.question = question
        self.prefetch = list(prefetch)
        self.known: dict[int, float] = {}
        self.complete = False  # `known` holds every row with a score above 0
        self._top: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    def top(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        """BM25's top k, and (at the same time, on another connection thread) the prefetched rows' scores."""
        if not self.question.strip():
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        if k in self._top:
            return self._top[k]
        pending = self.index._pool.submit(self._restricted, self.prefetch) if self.prefetch else None
        rows, scores = _rows_scores(self.index._search([self.question], "sparse", k, BM25))
        if pending is not None:
            self.known.update(pending.result())
        self.known.update(zip(rows.tolist(), scores.tolist()))
        self.complete = self.complete or len(rows) < k
        self._top[k] = rows, scores
        return rows, scores

    def scores_of(self, rows) -> np.ndarray:
        """Each row's BM25 score (0 where no word of the question occurs): rows BM25's top list held are known,
        and unless that list held every row with a score, the others come from one search restricted to them."""
        rows = [int(r) for r in rows]
        unknown = [r for r in rows if r not in self.known]
        if unknown and self.question.strip() and not self.complete:
            self.known.update(self._restricted(unknown))
        return np.array([self.known.get(r, 0.0) for r in rows], np.float32)

    def _restricted(self, rows: list[int]) -> dict[int, float]:
        """{row: BM25 score} for exactly these rows (0.0 for those holding no word of the question)."""
        hits = self.index._search([self.question], "sparse", len(rows), BM25, expr=f"row in {rows}")
        return {**dict.fromkeys(rows, 0.0), **{int(h["id"]): float(h["distance"]) for h in hits}}


def open_version(conn: Connection, version: str | None = None, expected_model: str | None = None,
                 expected_variant: str | None = None) -> MilvusIndex:
    """The published (or named) version; IndexMismatch when it was made with another model or variant."""
    version = version or published(conn)
    manifest = read_manifest(conn, version)
    where = f"Milvus at {conn.target.shown_uri} (version {version})"
    if expected_model and manifest.model["name"] != expected_model:
        raise IndexMismatch(f"The index in {where} was built with model {manifest.model['name']!r} but the settings "
                            f"name {expected_model!r} — run `assistant build --full`, or set the model back.")
    variant = manifest.model.get("variant", "fp32")
    if expected_variant and variant != expected_variant:
        raise IndexMismatch(f"The index in {where} was built with the {variant} variant but questions would be "
                            f"embedded with {expected_variant} — restart, or run `assistant build --full`.")
    if manifest.server.get("layout") != LAYOUT:
        raise IndexMismatch(f"The index in {where} was written by an older version of this program (a collection "
                            "per version) — run `assistant build --full`.")
    try:
        conn.call("load_collection", rows_name(conn), timeout=max(120.0, conn.target.timeout),
                  during="loading the version")  # after a server restart, loading takes a while
    except MissingCollection as exc:
        raise CorruptIndex(f"The collection {rows_name(conn)} holding version {version} is not on the Milvus "
                           f"server at {conn.target.shown_uri}") from exc
    return MilvusIndex(version, manifest, conn)


def _rows_scores(hits: list[dict]) -> tuple[np.ndarray, np.ndarray]:
    rows = np.array([int(h["id"]) for h in hits], np.int64)
    scores = np.array([float(h["distance"]) for h in hits], np.float32)
    return rows, scores
