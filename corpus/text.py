"""Bytes → text, sidecar metadata, and safe URLs: the small rules every loader shares."""

from __future__ import annotations

import codecs
import re
import unicodedata
from pathlib import Path
from urllib.parse import quote, urlsplit

import yaml

from corpus.errors import LoadError

SAFE_SCHEMES = ("http", "https")
SIDECAR_SUFFIXES = (".yaml", ".yml")


def decode(data: bytes) -> tuple[str, list[str]]:
    """Decode file bytes: UTF-8 (BOM or not), UTF-16 with a BOM, else Windows-1252 with a warning."""
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), []
        except UnicodeDecodeError as exc:
            raise LoadError(f"broken UTF-16 text ({exc.reason}); save it as UTF-8") from exc
    if b"\x00" in data:
        raise LoadError("binary data (NUL bytes), not text; remove it or save it as UTF-8 text")
    try:
        return data.decode("utf-8"), []
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace"), ["not UTF-8: read as Windows-1252/Latin-1"]


def clean(text: str) -> str:
    """Normalise Unicode and whitespace; drop control characters other than newlines and tabs."""
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    text = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch) != "Cc")
    text = re.sub(r"[ \t\u00a0]+", " ", text)
    return re.sub(r"\n\s*\n\s*", "\n\n", text).strip()


def read_sidecar(path: Path) -> dict:
    """Metadata from `<stem>.yaml` (or .yml) beside `path`; {} when there is none."""
    for suffix in SIDECAR_SUFFIXES:
        sidecar = path.with_suffix(suffix)
        if sidecar.is_file():
            try:
                data = yaml.safe_load(sidecar.read_text(encoding="utf-8-sig"))
            except (yaml.YAMLError, UnicodeDecodeError) as exc:
                raise LoadError(f"sidecar {sidecar.name} is not valid YAML: {_first_line(exc)}") from exc
            if data is None:
                return {}
            if not isinstance(data, dict):
                raise LoadError(f"sidecar {sidecar.name} must be a mapping of keys like title, url, date")
            return data
    return {}


def sidecar_bytes(path: Path) -> bytes:
    for suffix in SIDECAR_SUFFIXES:
        sidecar = path.with_suffix(suffix)
        if sidecar.is_file():
            return sidecar.read_bytes()
    return b""


def safe_url(value: object) -> tuple[str | None, str | None]:
    """(url, None) for an http(s) or relative link; (None, warning) for anything else."""
    if value is None or value == "":
        return None, None
    url = str(value).strip()
    if any(ch in url for ch in "\n\r\t\x00 \"'<>`"):
        return None, f"refused url {url[:60]!r}: it contains spaces, quotes or control characters"
    scheme = urlsplit(url).scheme.lower()
    if scheme in SAFE_SCHEMES and urlsplit(url).netloc:
        return url, None
    if not scheme and not url.startswith("//") and not re.match(r"^[\w+.-]+:", url):
        return url, None
    return None, f"refused url {url[:60]!r}: only http(s) and relative links are allowed"


def document_url(meta_url: object, base_url: str | None, doc_id: str) -> tuple[str, list[str]]:
    """The page a document lives at: its own metadata, else base_url + path, else the app's /source/ route."""
    url, warning = safe_url(meta_url)
    warnings = [warning] if warning else []
    if url:
        return url, warnings
    if base_url:
        stem = doc_id.rsplit(".", 1)[0] if "." in doc_id.rsplit("/", 1)[-1] else doc_id
        return base_url.rstrip("/") + "/" + quote(stem), warnings
    return "/source/" + quote(doc_id), warnings


def slugify(heading: str) -> str:
    """The id most site generators give a heading (GitHub style): lowercase, words joined by '-'."""
    text = unicodedata.normalize("NFC", heading).strip().lower()
    text = re.sub(r"[^\w\s-]", "", text)
    return re.sub(r"\s", "-", text)  # one '-' per space, as GitHub does: "Q & A" -> "q--a"


def title_from_filename(path: Path) -> str:
    return re.sub(r"[-_]+", " ", path.stem).strip().capitalize() or path.name


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
