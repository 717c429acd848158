"""Which version is published, and what each holds: the `<collection>_meta` collection.

    "current"                 one row naming the published version: the pointer. Moving it is one
                              upsert, atomic for readers; a replica polls it as it polls CURRENT.
    "manifest/<version>/<n>"  the version's manifest.json in pieces (a VARCHAR holds 64 KB)

Every Milvus server has collections; aliases (the alternative on Milvus standalone and cluster) are
not in milvus-lite, so one pointer row serves everywhere. Milvus needs a vector field in every
collection: `meta` has a 2-dimensional one that nothing searches.
"""

from __future__ import annotations

from datetime import datetime, timezone

from index.errors import CorruptIndex, MissingIndex
from index.manifest import Manifest
from index.milvus.client import Connection, MissingCollection
from index.milvus.schema import MAX_TEXT

POINTER_KEY = "current"
PIECE = 60_000  # characters of manifest JSON (ASCII) a row holds


def meta_name(conn: Connection) -> str:
    return f"{conn.target.collection}_meta"


def collection_of(conn: Connection, version: str) -> str:
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


def version_collections(conn: Connection) -> list[str]:
    """Versions that have a collection on the server, oldest first (names sort by time)."""
    prefix = f"{conn.target.collection}_v"
    names = conn.call("list_collections", during="listing versions")
    return sorted(n[len(conn.target.collection) + 1:] for n in names if n.startswith(prefix))


def drop_version(conn: Connection, version: str) -> None:
    conn.call("drop_collection", collection_of(conn, version), during="dropping an old version")
    conn.call("delete", meta_name(conn), filter=f'key like "manifest/{version}/%"', during="dropping an old version")


def remove_old_versions(conn: Connection, keep: int) -> list[str]:
    """Drop version collections beyond the newest `keep` (never the published one) and any a crashed
    build left behind (they are newer than the published one but were never published: a build only
    starts a new one while holding the lock, so an unpublished collection at that moment is a leftover)."""
    live = current(conn)
    names = version_collections(conn)
    published_ones = [n for n in names if live is not None and n <= live]
    kept = set(published_ones[-max(1, keep):])
    removed = [n for n in names if n not in kept]
    for name in removed:
        drop_version(conn, name)
    return removed
