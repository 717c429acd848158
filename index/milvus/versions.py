"""Which version is published, what each holds, and what a released version leaves to delete.

    <collection>_meta   "current": one row naming the published version (the pointer; moving it is one
                        upsert, atomic for readers; a replica polls it as it polls CURRENT)
                        "manifest/<version>/<n>": the version's manifest.json in pieces (a VARCHAR holds 64 KB)
    <collection>_rows   every kept version's rows (index.milvus.rows): a build appends, a release deletes
                        the rows no kept version has

Every Milvus server has collections; aliases and partitions are not in milvus-lite, so one pointer row
and row ranges serve everywhere. Milvus needs a vector field in every collection: `meta` has a
2-dimensional one that nothing searches. Versions written before row ranges (format 4: a collection
each, `<collection>_v…`) are read by nothing; their collections are dropped when they are released.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone

import numpy as np

from index.errors import CorruptIndex, MissingIndex
from index.manifest import Manifest
from index.milvus.client import Connection, MissingCollection
from index.milvus.rows import alive, purgeable, range_filter
from index.milvus.schema import MAX_TEXT, collection_schema, index_params

POINTER_KEY = "current"
PIECE = 60_000  # characters of manifest JSON (ASCII) a row holds
LAYOUT = "rows"  # manifest.server["layout"] of a version kept as row ranges of <collection>_rows (rows.layout)
DELETE_CLAUSES = 200  # row ranges deleted per request


def meta_name(conn: Connection) -> str:
    return f"{conn.target.collection}_meta"


def rows_name(conn: Connection) -> str:
    return f"{conn.target.collection}_rows"


def collection_of(conn: Connection, version: str) -> str:
    """The collection a format-4 version lived in (one per version)."""
    return f"{conn.target.collection}_{version}"


def new_version() -> str:
    return datetime.now(timezone.utc).strftime("v%Y%m%dT%H%M%S%fZ")


def ensure_meta(conn: Connection) -> None:
    from pymilvus import DataType

    if conn.call("has_collection", meta_name(conn), during="the pointer check"):
        return
    schema = conn.client.create_schema(auto_id=False, enable_dynamic_field=False)
    schema.add_field("key", DataType.VARCHAR, is_primary=True, max_length=512)
    schema.add_field("value", DataType.VARCHAR, max_length=MAX_TEXT)
    schema.add_field("vec", DataType.FLOAT_VECTOR, dim=2)
    params = conn.client.prepare_index_params()
    params.add_index("vec", index_type="FLAT", metric_type="L2")
    conn.call("create_collection", meta_name(conn), schema=schema, index_params=params,
              consistency_level="Strong", during="creating the pointer collection")


def ensure_rows(conn: Connection, dimension: int) -> None:
    """The collection every version's rows live in (made by the first build)."""
    if not conn.call("has_collection", rows_name(conn), during="the rows check"):
        conn.call("create_collection", rows_name(conn), schema=collection_schema(conn.client, dimension),
                  index_params=index_params(conn.client, conn.target.index_type), consistency_level="Strong",
                  during="creating the rows collection")


def next_row(conn: Connection) -> tuple[int, list[np.ndarray]]:
    """(the first row a new segment takes: past every version's, since rows are never reused; the rows each
    version on the server has)."""
    masks = [row_mask(_readable(conn, name)) for name in version_names(conn)]
    return max((len(mask) for mask in masks), default=0), masks


def current(conn: Connection) -> str | None:
    """The published version's name; None when nothing was ever published."""
    try:
        rows = conn.call("query", meta_name(conn), filter=f'key == "{POINTER_KEY}"', output_fields=["value"],
                         consistency_level="Strong", during="reading the published version")
    except MissingCollection:
        return None
    return rows[0]["value"] if rows else None


def published(conn: Connection) -> str:
    version = current(conn)
    if not version:
        raise MissingIndex(f"No index in Milvus at {conn.target.shown_uri} (collection {conn.target.collection}) "
                           "— run `assistant build` first.")
    return version


def publish(conn: Connection, version: str) -> None:
    conn.call("upsert", meta_name(conn), [{"key": POINTER_KEY, "value": version, "vec": [0.0, 0.0]}],
              during="publishing")


def save_manifest(conn: Connection, version: str, manifest: Manifest) -> None:
    text = manifest.to_json()
    rows = [{"key": f"manifest/{version}/{n:06d}", "value": text[start:start + PIECE], "vec": [0.0, 0.0]}
            for n, start in enumerate(range(0, len(text), PIECE))]
    for start in range(0, len(rows), 50):
        conn.call("insert", meta_name(conn), rows[start:start + 50], during="writing the manifest")


def save_words(conn: Connection, version: str, words: dict[str, int]) -> None:
    """The version's surface vocabulary (what misspelt question words are corrected to), zstd-compressed JSON
    in base64 pieces beside its manifest."""
    import base64

    import zstandard

    text = base64.b64encode(zstandard.ZstdCompressor(level=9).compress(json.dumps(words).encode())).decode("ascii")
    rows = [{"key": f"words/{version}/{n:06d}", "value": text[start:start + PIECE], "vec": [0.0, 0.0]}
            for n, start in enumerate(range(0, len(text), PIECE))]
    for start in range(0, len(rows), 50):
        conn.call("insert", meta_name(conn), rows[start:start + 50], during="writing the vocabulary")


def read_words(conn: Connection, version: str) -> dict[str, int]:
    """The version's surface vocabulary; {} for a version written without one."""
    import base64

    import zstandard

    rows = conn.call("query", meta_name(conn), filter=f'key like "words/{version}/%"', output_fields=["key", "value"],
                     limit=16_384, consistency_level="Strong", during="reading the vocabulary")
    if not rows:
        return {}
    packed = base64.b64decode("".join(r["value"] for r in sorted(rows, key=lambda r: r["key"])))
    return json.loads(zstandard.ZstdDecompressor().decompress(packed))


def read_manifest(conn: Connection, version: str) -> Manifest:
    rows = conn.call("query", meta_name(conn), filter=f'key like "manifest/{version}/%"',
                     output_fields=["key", "value"], limit=16_384, consistency_level="Strong",
                     during="reading the manifest")
    if not rows:
        raise CorruptIndex(f"Milvus at {conn.target.shown_uri} has no manifest for version {version}")
    try:
        return Manifest.from_json("".join(r["value"] for r in sorted(rows, key=lambda r: r["key"])))
    except (ValueError, TypeError, KeyError) as exc:
        raise CorruptIndex(f"The manifest of version {version} in Milvus at {conn.target.shown_uri} "
                           f"is not readable ({exc})") from exc


def version_names(conn: Connection) -> list[str]:
    """Versions with a manifest on the server, oldest first (names sort by time)."""
    try:
        rows = conn.call("query", meta_name(conn), filter='key like "manifest/%/000000"', output_fields=["key"],
                         limit=16_384, consistency_level="Strong", during="listing versions")
    except MissingCollection:
        return []
    return sorted(r["key"].split("/")[1] for r in rows)


def row_mask(manifest: Manifest) -> np.ndarray:
    """A bool per row of <collection>_rows: whether the version has it (none for a format-4 version)."""
    if manifest.server.get("layout") != LAYOUT:
        return np.zeros(0, dtype=bool)
    return alive(manifest.segments, int(manifest.server["end"]))


def remove_old_versions(conn: Connection, keep: int) -> list[str]:
    """Release versions beyond the newest `keep` published ones (never the published one) and any a crashed
    build left unpublished: first delete the rows no kept version has, then their manifests (a crash in
    between only repeats the deletes). Rows past every kept version's end (a crashed build's) go too."""
    live = current(conn)
    names = version_names(conn)
    published_ones = [n for n in names if live is not None and n <= live]
    kept = published_ones[-max(1, keep):]
    removed = [n for n in names if n not in kept]
    manifests = {n: _readable(conn, n) for n in kept + removed}
    masks = [row_mask(manifests[n]) for n in kept]
    if conn.call("has_collection", rows_name(conn), during="releasing old versions"):
        for name in removed:
            delete_rows(conn, purgeable(row_mask(manifests[name]), masks))
        end = max((len(m) for m in masks), default=0)
        conn.call("delete", rows_name(conn), filter=f"row >= {end}", during="removing a crashed build's rows")
    for name in removed:
        if manifests[name].server.get("layout") != LAYOUT:
            try:
                conn.call("drop_collection", collection_of(conn, name), during="dropping an old version")
            except MissingCollection:
                pass
        conn.call("delete", meta_name(conn), filter=f'key like "words/{name}/%"', during="dropping an old version")
        conn.call("delete", meta_name(conn), filter=f'key like "manifest/{name}/%"', during="dropping an old version")
    return removed


def _readable(conn: Connection, version: str) -> Manifest:
    """The version's manifest; an empty one when it cannot be read (its rows are then never purged)."""
    try:
        return read_manifest(conn, version)
    except CorruptIndex:
        return Manifest({}, {}, {}, 0, "", "")


def delete_rows(conn: Connection, ranges: list[list[int]]) -> None:
    for start in range(0, len(ranges), DELETE_CLAUSES):
        conn.call("delete", rows_name(conn), filter=range_filter(ranges[start:start + DELETE_CLAUSES]),
                  during="deleting a released version's rows")
