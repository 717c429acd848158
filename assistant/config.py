"""Settings, built once and passed down: defaults ← config file ← ASSISTANT_* env ← CLI flags.

The config file is TOML: `assistant.toml` in the working folder, or the path in ASSISTANT_CONFIG.
Keys are the field names below, e.g.

    content_dir = "site/content"
    sources = ["site/content", "https://help.example.org/kb/"]   # folders and sites in one index
    index_dir = ".assistant/index"
    base_url = "https://help.example.org/kb"
    model = "all-MiniLM-L6-v2"
    min_score = 0.31
    site_name = "Coffee Help Centre"
    examples = ["How long should I rest beans?", "What is first crack?"]

In the environment a list is a JSON array or '|'-separated: ASSISTANT_EXAMPLES="First?|Second?".
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from dataclasses import dataclass, fields, replace
from pathlib import Path

from corpus.errors import AssistantError
from corpus.text import safe_url
from index.embedding.protocol import BACKENDS, VARIANTS

SAMPLE_KB = Path(__file__).parent / "sample_kb"
SAMPLE_CONTENT = SAMPLE_KB / "content"
SAMPLE_QUESTIONS = SAMPLE_KB / "questions"
INDEX_BACKENDS = ("local", "milvus")
MILVUS_INDEXES = ("AUTOINDEX", "FLAT", "IVF_FLAT", "HNSW")


class SettingsError(AssistantError, ValueError):
    """A setting has a value that cannot be used; the message names it."""


@dataclass(frozen=True)
class Settings:
    content_dir: Path = SAMPLE_CONTENT
    index_dir: Path = Path(".assistant/index")
    base_url: str | None = None
    model: str = "all-MiniLM-L6-v2"
    device: str | None = None  # "cpu", "cuda"; None: CUDA for bulk embedding when present
    batch_size: int = 32
    backend: str = "auto"  # "auto" (OpenVINO, else ONNX Runtime; PyTorch CUDA for bulk), "openvino", "onnx", "torch"
    model_variant: str = "fp32"  # "fp32" or "int8": what new builds embed with; questions follow the index
    model_cache_dir: Path | None = None  # ONNX exports; None: ~/.cache/pmo-help-assistant/models
    chunk_tokens: int = 200
    overlap_tokens: int = 32
    top_k: int = 5
    max_per_doc: int = 2
    min_score: float | None = None  # None: refusals calibrated to this knowledge base; a cosine: the owner's fixed floor
    card_gap: float = 0.12  # a passage is a card while its cosine is within this of the top card's (and >= min_score)
    text_fragments: bool = True  # links to an article on its own site also name the highlighted sentence (#…:~:text=…)
    refuse_elsewhere: bool = True  # "no confident match" for questions closer to everyday ones (canteen, IT…) than to the content
    elsewhere_file: Path | None = None  # the owner's everyday questions that belong elsewhere, one a line
    elsewhere_mode: str = "extend"  # "extend": the owner's lines join the bundled list; "replace": they are the list
    max_question_chars: int = 2000
    keep_versions: int = 2
    ann_threshold: int = 20_000  # chunks in a segment from which dense search is approximate (IVF); exact below
    ann_recall_target: float = 0.95  # recall@10 vs exact the build tunes the IVF index to reach
    max_segments: int = 8  # more segments than this after an incremental build: the small ones are merged
    sentence_vectors: bool = True  # builds embed every sentence too, so a question only compares vectors
    index_backend: str = "local"  # "local": the segment store in index_dir; "milvus": a Milvus server (docs/scaling.md)
    milvus_uri: str = "http://127.0.0.1:19530"  # the token, if the server needs one, comes from MILVUS_TOKEN only
    milvus_collection: str = "help_centre"  # versions are <name>_v…, the published one named in <name>_meta
    milvus_index: str = "AUTOINDEX"  # the dense index Milvus builds: AUTOINDEX, FLAT, IVF_FLAT, HNSW (not in milvus-lite)
    admin_password: str | None = None
    concurrency_limit: int = 4
    max_queue: int = 64
    sources: tuple[str, ...] = ()  # folders and site URLs to index together; empty: content_dir alone
    web_rate: float = 2.0  # requests per second per host, at most (robots.txt Crawl-delay can slow it further)
    web_retries: int = 3  # more tries after a 429, a 5xx or a network error (backoff 1 s, 2 s, 4 s, …)
    web_max_pages: int = 1000  # pages read from one site
    web_max_depth: int = 3  # links followed from the start page when a site is crawled
    web_user_agent: str | None = None  # None: "pmo-help-assistant/<version> (help-centre search indexer; …)"
    allowed_origins: str | None = None  # origins whose pages may call /api/search (the widget), e.g. "https://www.example.org"
    rate_limit_per_minute: int = 60  # questions per minute from one client through the API, widget and MCP (0: no limit)
    public_url: str | None = None  # the address visitors use (behind a proxy): links out of the server start with it
    forwarded_allow_ips: str | None = None  # proxies whose X-Forwarded-* headers are trusted; None: $FORWARDED_ALLOW_IPS or 127.0.0.1
    footer_html: str | None = None  # the page's own footer instead of Gradio's ("" : none); sanitised, links http(s) only
    mcp_server: bool = True  # serve the MCP tools at /gradio_api/mcp/ for AI assistants
    log_questions: bool = True  # keep masked questions, feedback and clicks for `assistant report`
    retention_days: int = 180  # delete logged questions older than this (0: keep them all)
    secret_key: str | None = None  # signs the reader pages' rating tokens; none: a random key kept in data_dir
    data_dir: Path = Path(".assistant/data")  # the SQLite analytics store; never touched by builds
    database_url: str | None = None  # postgresql://… to share one store between several servers
    # The site's face (the web app): every word a visitor reads that is not content comes from here.
    site_name: str = "Help Centre"
    heading: str = "How can we help?"
    subtitle: str | None = None  # a line under the heading
    placeholder: str = "Ask a question in your own words…"
    examples: tuple[str, ...] = ()  # example questions; none: taken from the index's own titles and headings
    no_match_hint: str | None = None  # a line under "no article here answers that", e.g. where else to ask
    scope: str | None = None  # what the help centre covers, after "<site_name> covers": "accounts, devices and printing"
    reply_greeting: str = "Hello! Ask a question in your own words and I'll find the passage that answers it."
    reply_thanks: str = "You're welcome. Ask another question any time."
    reply_goodbye: str = "Goodbye, and thanks for visiting."
    accent_color: str = "#0f766e"  # CSS hex colour (#rgb or #rrggbb) of links, card edges and buttons
    logo_url: str | None = None  # http(s) or relative image shown beside the site name
    language: str = "English"  # the knowledge base's language, named when a question is in another script
    question_scripts: tuple[str, ...] = ("Latin",)  # scripts the model reads; empty: no check

    def with_overrides(self, **values) -> Settings:
        """A copy with every value that is not None applied (the CLI flags)."""
        return _coerced(self, {k: v for k, v in values.items() if v is not None})


def load_settings(config_file: Path | None = None, env: dict | None = None, **flags) -> Settings:
    env = os.environ if env is None else env
    settings = Settings()
    path = Path(config_file or env.get("ASSISTANT_CONFIG") or "assistant.toml")
    if path.is_file():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise SettingsError(f"config file {path} is not valid TOML: {exc}") from exc
        unknown = set(data) - {f.name for f in fields(Settings)}
        if unknown:
            raise SettingsError(f"config file {path} has unknown keys: {', '.join(sorted(unknown))}")
        settings = _coerced(settings, data)
    elif config_file:
        raise SettingsError(f"config file {path} does not exist")
    from_env = {f.name: env[f"ASSISTANT_{f.name.upper()}"] for f in fields(Settings)
                if f"ASSISTANT_{f.name.upper()}" in env}
    return _coerced(settings, from_env).with_overrides(**flags)


def _coerced(settings: Settings, values: dict) -> Settings:
    out = {}
    types = {f.name: f.type for f in fields(Settings)}
    for name, value in values.items():
        kind = types[name]
        optional = "None" in kind
        kind = kind.replace(" | None", "")
        try:
            if value in ("", None) and optional:
                out[name] = None
            elif "Path" in kind:
                out[name] = Path(value).expanduser()
            elif kind == "bool":
                out[name] = _boolean(value)
            elif kind == "int":
                out[name] = int(value)
            elif kind == "float":
                out[name] = float(value)
            elif kind.startswith("tuple"):
                out[name] = _text_list(name, value)
            else:
                out[name] = str(value)
        except SettingsError:
            raise
        except (TypeError, ValueError) as exc:
            raise SettingsError(f"setting {name}={value!r} is not a valid {kind}") from exc
    result = replace(settings, **out)
    _check_face(result)
    for name, allowed in (("backend", BACKENDS), ("model_variant", VARIANTS), ("index_backend", INDEX_BACKENDS),
                          ("milvus_index", MILVUS_INDEXES), ("elsewhere_mode", ("extend", "replace"))):
        if getattr(result, name) not in allowed:
            raise SettingsError(f"setting {name} must be one of {', '.join(allowed)}, got {getattr(result, name)!r}")
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,150}", result.milvus_collection):
        raise SettingsError(f"setting milvus_collection must be letters, digits and underscores (starting with a "
                            f"letter), got {result.milvus_collection!r}")
    if result.web_rate <= 0:
        raise SettingsError(f"setting web_rate must be above 0 (requests per second), got {result.web_rate}")
    for name in ("top_k", "max_per_doc", "chunk_tokens", "max_question_chars", "keep_versions", "batch_size",
                 "web_max_pages"):
        if getattr(result, name) < 1:
            raise SettingsError(f"setting {name} must be at least 1, got {getattr(result, name)}")
    if result.web_retries < 0:
        raise SettingsError(f"setting web_retries must be 0 (no retry) or more, got {result.web_retries}")
    if result.retention_days < 0:
        raise SettingsError(f"setting retention_days must be 0 (keep all) or more, got {result.retention_days}")
    if result.database_url and not result.database_url.startswith(("postgresql://", "postgres://")):
        raise SettingsError("setting database_url must start with postgresql:// "
                            "(leave it empty to use the SQLite store in data_dir)")
    if result.rate_limit_per_minute < 0:
        raise SettingsError(f"setting rate_limit_per_minute must be 0 (no limit) or more, got {result.rate_limit_per_minute}")
    origins(result.allowed_origins)  # refuses a malformed origin now, not at the first request
    if result.public_url and not re.fullmatch(r"https?://[^/\s?#]+(/[^\s?#]*)?", result.public_url):
        raise SettingsError(f"setting public_url={result.public_url!r} is not an http(s) address; write the "
                            "address visitors open, e.g. \"https://help.example.org\" or \"https://example.org/help\"")
    return result


def origins(value: str | None) -> tuple[str, ...]:
    """The allowed_origins setting as a tuple: origins separated by commas or spaces; "*" means any."""
    found = tuple(part for part in (value or "").replace(",", " ").split() if part)
    for origin in found:
        if origin != "*" and not _ORIGIN.fullmatch(origin):
            raise SettingsError(f"setting allowed_origins has {origin!r}, which is not an origin; write "
                                "scheme://host[:port] with no path, e.g. \"https://www.example.org\"")
    return tuple(origin.rstrip("/") for origin in found)


_ORIGIN = re.compile(r"https?://[^/\s?#]+/?")


def _boolean(value) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ValueError(value)


def _text_list(name: str, value: object) -> tuple[str, ...]:
    """A list setting from TOML (an array), or from the environment: a JSON array or '|'-separated text."""
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                value = json.loads(text)
            except ValueError as exc:
                raise SettingsError(f"setting {name} is not a valid JSON array: {exc}; or separate items with '|'") from exc
        else:
            value = [part for part in text.split("|")]
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, (str, Path)) for v in value):
        raise SettingsError(f"setting {name} must be a list of texts (for sources: of folders and URLs), "
                            f"e.g. {name} = [\"first\", \"second\"]")
    return tuple(str(v).strip() for v in value if str(v).strip())


_HEX = re.compile(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})")


def _check_face(settings: Settings) -> None:
    if not _HEX.fullmatch(settings.accent_color):
        raise SettingsError(f"setting accent_color={settings.accent_color!r} is not a hex colour; "
                            "write it like \"#0f766e\" or \"#c60\"")
    if settings.logo_url and safe_url(settings.logo_url)[0] is None:
        raise SettingsError(f"setting logo_url={settings.logo_url!r} is not an http(s) or relative address")
