"""Bytes → text, sidecar metadata, and safe URLs: the small rules every loader shares."""

from __future__ import annotations

import codecs
import datetime
import re
import unicodedata
from pathlib import Path
from urllib.parse import quote, urlsplit

from corpus.errors import LoadError

SAFE_SCHEMES = ("http", "https")
SIDECAR_SUFFIXES = (".yaml", ".yml")
MAX_SIDECAR_BYTES = 1_000_000
BINARY_SAMPLE = 65_536  # bytes (or characters) looked at to tell text from binary data
READER_PATH = "/read/"  # the app's built-in reader: a document that names no page of its own opens there
BINARY_CONTROL_SHARE = 0.08  # random bytes read as Windows-1252 are ~13% control characters; text ~0%


def decode(data: bytes) -> tuple[str, list[str]]:
    """Decode file bytes: UTF-8 (BOM or not), UTF-16 (BOM, or plainly UTF-16 without one), else
    Windows-1252 with a warning. Binary data (NUL bytes, or mostly control characters) is refused."""
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return _text_or_binary(data.decode("utf-16")), []
        except UnicodeDecodeError as exc:
            raise LoadError(f"broken UTF-16 text ({exc.reason}); save it as UTF-8") from exc
    if b"\x00" in data:
        return _utf16_without_bom(data)
    try:
        return _text_or_binary(data.decode("utf-8")), []
    except UnicodeDecodeError:
        text = _text_or_binary(data.decode("cp1252", errors="replace"))
        return text, ["not UTF-8: read as Windows-1252/Latin-1"]


def _utf16_without_bom(data: bytes) -> tuple[str, list[str]]:
    """Text saved as UTF-16 with no byte-order mark has a NUL in every other byte (for Latin scripts);
    any other NUL byte means binary data."""
    sample = data[:BINARY_SAMPLE]
    pairs = len(sample) // 2
    for codec, zeros, others in (("utf-16-le", sample[1::2], sample[0::2]), ("utf-16-be", sample[0::2], sample[1::2])):
        if len(data) % 2 == 0 and pairs and zeros.count(0) >= 0.5 * pairs and others.count(0) == 0:
            try:
                return _text_or_binary(data.decode(codec)), [f"no byte-order mark: read as {codec.upper()}"]
            except (UnicodeDecodeError, LoadError):
                break
    raise LoadError("binary data (NUL bytes), not text; remove it or save it as UTF-8 text")


_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f\ufffd]")  # Cc but \t \n \v \f \r, plus U+FFFD
_CONTROL_BUT_NEWLINE_TAB = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # every Cc but \t and \n


def _text_or_binary(text: str) -> str:
    """The text, unless its start is mostly control characters: then it is binary data under a text name."""
    sample = text[:BINARY_SAMPLE]
    if sample and len(_CONTROL.findall(sample)) > BINARY_CONTROL_SHARE * len(sample):
        raise LoadError("binary data (control characters), not text; remove it or save it as UTF-8 text")
    return text


# Characters that mean a line or paragraph break (str.splitlines() splits on all of them), and the
# whitespace each stands for. Every other control character is dropped.
_BREAKS = str.maketrans({
    "\r": "\n", "\x0b": "\n", "\x1c": "\n", "\x1d": "\n", "\x1e": "\n", "\x85": "\n", "\u2028": "\n",
    "\x0c": "\n\n", "\u2029": "\n\n", "\x1f": " ",
})
_SURROGATE = re.compile(r"[\ud800-\udfff]")  # only a lone one survives decoding (JSON can carry it)


def clean(text: str) -> str:
    """The one text normalisation every loader and the BEIR reader apply: NFC; line and paragraph
    separators, NEL, form feeds, vertical tabs and the information separators become the newline or
    blank line they mean; other control characters are dropped, a lone surrogate becomes U+FFFD;
    runs of spaces fold to one, runs of blank lines to one. Nothing else changes."""
    text = _SURROGATE.sub("\ufffd", text.replace("\r\n", "\n"))
    text = unicodedata.normalize("NFC", text).translate(_BREAKS)
    text = _CONTROL_BUT_NEWLINE_TAB.sub("", text)
    text = re.sub(r"[ \t\u00a0]+", " ", text)
    return re.sub(r"\n\s*\n\s*", "\n\n", text).strip()


def clean_line(text: str) -> str:
    """`clean` for one-line fields (titles, headings, speakers): every break becomes a space."""
    return " ".join(clean(text).split())


def read_sidecar(path: Path) -> dict:
    """Metadata from `<stem>.yaml` (or .yml) beside `path`; {} when there is none."""
    for suffix in SIDECAR_SUFFIXES:
        sidecar = path.with_suffix(suffix)
        if sidecar.is_file():
            if sidecar.stat().st_size > MAX_SIDECAR_BYTES:
                raise LoadError(f"sidecar {sidecar.name} is over the {MAX_SIDECAR_BYTES // 1_000_000} MB "
                                "limit for metadata")
            import yaml  # here, not at the top: questions never read sidecars (config imports this module)

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


def meta_text(meta: dict, key: str, warnings: list[str] | None = None) -> str | None:
    """A metadata value as text. Only scalars count: a list or mapping (perhaps a YAML alias bomb that
    would print as gigabytes) is ignored, with a warning."""
    value = meta.get(key)
    if value is None:
        return None
    if isinstance(value, (str, int, float, bool, datetime.date)):
        return str(value).strip() or None
    if warnings is not None:
        warnings.append(f"ignored {key!r}: expected text, found a {type(value).__name__}")
    return None


def meta_topic(meta: dict, warnings: list[str] | None = None) -> str | None:
    """The topic a document's metadata names: `topic`, else `category`, else the first of `categories`."""
    for key in ("topic", "category"):
        found = meta_text(meta, key, warnings)
        if found:
            return clean_line(found)[:80] or None
    listed = meta.get("categories")
    if isinstance(listed, (list, tuple)):
        first = next((str(v) for v in listed if isinstance(v, (str, int, float)) and str(v).strip()), None)
        return clean_line(first)[:80] or None if first else None
    return meta_text(meta, "categories", warnings)


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
    if any(ch in "\"'<>`" or ch.isspace() or unicodedata.category(ch)[0] == "C" for ch in url):
        return None, f"refused url {url[:60]!r}: it contains spaces, quotes or control characters"
    scheme = urlsplit(url).scheme.lower()
    if scheme in SAFE_SCHEMES and urlsplit(url).netloc:
        return url, None
    if not scheme and not url.startswith("//") and not re.match(r"^[\w+.-]+:", url):
        return url, None
    return None, f"refused url {url[:60]!r}: only http(s) and relative links are allowed"


def document_url(meta_url: object, base_url: str | None, doc_id: str) -> tuple[str, list[str]]:
    """The page a document lives at: its own metadata, else base_url + path, else the app's reader
    (`/read/<path>`: the article or transcript as a page, a PDF in the browser's viewer)."""
    url, warning = safe_url(meta_url)
    warnings = [warning] if warning else []
    if url:
        return url, warnings
    if base_url:
        stem = doc_id.rsplit(".", 1)[0] if "." in doc_id.rsplit("/", 1)[-1] else doc_id
        return base_url.rstrip("/") + "/" + quote(stem), warnings
    return READER_PATH + quote(doc_id), warnings


def slugify(heading: str) -> str:
    """The id most site generators give a heading (GitHub style): lowercase, words joined by '-'."""
    text = unicodedata.normalize("NFC", heading).strip().lower()
    text = re.sub(r"[^\w\s-]", "", text)
    return re.sub(r"\s", "-", text)  # one '-' per space, as GitHub does: "Q & A" -> "q--a"


def title_from_filename(path: Path) -> str:
    return re.sub(r"[-_]+", " ", path.stem).strip().capitalize() or path.name


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
