"""One Milvus collection per published version: a row per chunk, and how a Chunk goes in and comes out.

    row          INT64 primary key: the global row the assistant ranks (a document's chunks consecutive)
    doc_id       VARCHAR, inverted index: per-document capping and delete by document
    chunk_id, title, url, source_type   VARCHAR: what a citation shows
    meta         JSON: the text a visitor reads, section path, anchor, start/end seconds, page, cues
    embed_text   VARCHAR with the English analyzer (stemming, stop words), read by a BM25 function
    sparse       SPARSE_FLOAT_VECTOR: that function's output, BM25 index with our k1 0.9, b 0.4
    vector       FLOAT_VECTOR (dimension of the model), inner product (vectors are unit length)
    units        JSON: {"i8": the chunk's sentence vectors as int8 codes, "s": their scales (float32), both
                 bytes in base64, index.quantize}; {} when not stored
                 (JSON, not VARCHAR: pymilvus checks a VARCHAR's length one character at a time on insert)

Sentence vectors are stored in the collection, beside the chunk they belong to, so a replica needs
nothing but the server's address (no shared folder), and the few rows a question shows come back
with them in the same request as their text.
"""

from __future__ import annotations

import base64

import numpy as np

from corpus import Chunk
from index.quantize import dequantize_int8, quantize_int8

K1, B = 0.9, 0.4  # as index.lexical (bm25s)
MAX_TEXT = 65535  # Milvus's VARCHAR limit, in bytes
MAX_JSON = 65_000  # a JSON field holds 65,536 bytes
CITATION = ("row", "doc_id", "chunk_id", "title", "url", "source_type", "meta", "embed_text", "units")
COPIED = CITATION + ("vector",)  # everything but the BM25 function's output
INDEX_PARAMS = {"HNSW": {"M": 16, "efConstruction": 128}, "IVF_FLAT": {"nlist": 1024}}
SEARCH_PARAMS = {"HNSW": {"ef": 128}, "IVF_FLAT": {"nprobe": 16}}


def collection_schema(client, dimension: int):
    from pymilvus import DataType, Function, FunctionType

    schema = client.create_schema(auto_id=False, enable_dynamic_field=False)
    schema.add_field("row", DataType.INT64, is_primary=True)
    for name in ("doc_id", "chunk_id", "title", "url", "source_type"):
        schema.add_field(name, DataType.VARCHAR, max_length=MAX_TEXT)
    schema.add_field("meta", DataType.JSON)
    schema.add_field("units", DataType.JSON)
    schema.add_field("embed_text", DataType.VARCHAR, max_length=MAX_TEXT, enable_analyzer=True,
                     analyzer_params={"type": "english"})
    schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
    schema.add_field("vector", DataType.FLOAT_VECTOR, dim=dimension)
    schema.add_function(Function(name="bm25", function_type=FunctionType.BM25,
                                 input_field_names=["embed_text"], output_field_names=["sparse"]))
    return schema


def index_params(client, index_type: str):
    params = client.prepare_index_params()
    params.add_index("vector", index_type=index_type, metric_type="IP", params=INDEX_PARAMS.get(index_type, {}))
    params.add_index("sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25",
                     params={"bm25_k1": K1, "bm25_b": B})
    params.add_index("doc_id", index_type="INVERTED")
    return params


def dense_search_params(index_type: str) -> dict:
    return {"metric_type": "IP", "params": SEARCH_PARAMS.get(index_type, {})}


def to_record(row: int, chunk: Chunk, vector: np.ndarray, units: np.ndarray | None) -> dict:
    meta = {"text": chunk.text, "section": list(chunk.section), "anchor": chunk.anchor, "start": chunk.start,
            "end": chunk.end, "page": chunk.page, "cues": [dict(cue.__dict__) for cue in chunk.cues]}
    return {"row": int(row), "doc_id": chunk.doc_id, "chunk_id": chunk.chunk_id, "title": chunk.title,
            "url": chunk.url, "source_type": chunk.source_type, "meta": meta,
            "embed_text": chunk.embed_text, "vector": np.asarray(vector, np.float32).tolist(),
            "units": encode_units(units)}


def to_chunk(record: dict) -> Chunk:
    meta = record["meta"]
    return Chunk.from_dict({"chunk_id": record["chunk_id"], "doc_id": record["doc_id"], "title": record["title"],
                            "url": record["url"], "source_type": record["source_type"],
                            "section": meta.get("section") or (), "text": meta["text"],
                            "embed_text": record["embed_text"], "anchor": meta.get("anchor"),
                            "start": meta.get("start"), "end": meta.get("end"), "page": meta.get("page"),
                            "cues": meta.get("cues") or ()})


def encode_units(units: np.ndarray | None) -> dict:
    """int8 codes and float32 scales in base64; {} when the build stored none, or they would not fit a JSON
    field (then that chunk's sentences are embedded per question, as with `sentence_vectors = false`)."""
    if units is None:
        return {}
    codes, scales = quantize_int8(np.asarray(units, np.float32))
    stored = {"i8": base64.b64encode(codes.tobytes()).decode("ascii"),
              "s": base64.b64encode(scales.tobytes()).decode("ascii")}
    return stored if len(stored["i8"]) + len(stored["s"]) <= MAX_JSON else {}


def decode_units(stored: dict, dimension: int) -> np.ndarray | None:
    if "i8" not in (stored or {}):
        return None
    codes = np.frombuffer(base64.b64decode(stored["i8"]), np.int8).reshape(-1, dimension)
    return dequantize_int8(codes, np.frombuffer(base64.b64decode(stored["s"]), np.float32))
