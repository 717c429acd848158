"""The settings, grouped as the config file's tables are: one frozen dataclass a table, every field with its
help text (docs/configuration.md is generated from them), and `Settings`, which holds one of each.

    settings.face.site_name      [face] site_name = "…"       ASSISTANT_SITE_NAME
    settings.index.dir           [index] dir = "…"            ASSISTANT_INDEX_DIR   (flat key: index_dir)
    settings.model.name          [model] name = "…"           ASSISTANT_MODEL       (flat key: model)

Every setting also has one flat name, unique across the tables: the environment variable's
(`ASSISTANT_<FLAT>`), a top-level key of the config file, and the keyword that `Settings(...)`,
`dataclasses.replace(settings, ...)` and `settings.with_overrides(...)` take. Loading (defaults ← file ←
environment ← flags) is `assistant.config`'s.
"""

from __future__ import annotations

from dataclasses import MISSING, dataclass, field, fields, replace
from pathlib import Path

SAMPLE_KB = Path(__file__).parent / "sample_kb"
SAMPLE_CONTENT = SAMPLE_KB / "content"
SAMPLE_QUESTIONS = SAMPLE_KB / "questions"


def opt(default, help: str, flat: str | None = None, env: str | None = None, secret: bool = False, file: bool = True):
    """A setting: its default, its help text, its flat name where it differs from the field's, the environment
    variable read for it where that is not ASSISTANT_<FLAT>, whether it is secret (never printed), and whether
    a config file may hold it."""
    meta = {"help": help, "flat": flat, "env": env, "secret": secret, "file": file}
    if isinstance(default, (list, dict, set)):
        raise TypeError("settings' defaults are immutable")
    return field(default=default, metadata=meta)


@dataclass(frozen=True)
class Face:
    """The site's face: every word a visitor reads that is not content."""
    site_name: str = opt("Help Centre", "the site's name: header, browser tab, the reader's pages")
    heading: str = opt("How can we help?", "the page's heading")
    subtitle: str | None = opt(None, "a line under the heading")
    placeholder: str = opt("Ask a question in your own words…", "the question box's placeholder")
    examples: tuple[str, ...] = opt((), "example questions shown as buttons; none: up to three made from the "
                                        "index's own headings and titles")
    scope: str | None = opt(None, "what the help centre covers, in the words after \"<site_name> covers\": a refusal "
                                  "says it, e.g. \"accounts, devices, printing and remote work\"")
    no_match_hint: str | None = opt(None, "a line under a refusal, e.g. where else to ask")
    reply_greeting: str = opt("Hello! Ask a question in your own words and I'll find the passage that answers it.",
                              "the reply to \"hi\" (example questions follow)")
    reply_thanks: str = opt("You're welcome. Ask another question any time.", "the reply to \"thanks!\"")
    reply_goodbye: str = opt("Goodbye, and thanks for visiting.", "the reply to \"bye\"")
    accent_color: str = opt("#0f766e", "hex colour (#rgb or #rrggbb) of links, card edges and primary buttons")
    logo_url: str | None = opt(None, "an http(s) or relative image shown before the site name")
    footer_html: str | None = opt(None, "the page's footer (a few tags, http(s) and mailto links; sanitised); none: "
                                        "no footer")
    language: str = opt("English", "the knowledge base's language: named when a question is in a script the model "
                                   "does not read; the answer rules are English's, and off for any other")
    question_scripts: tuple[str, ...] = opt(("Latin",), "Unicode scripts the model reads; a question mostly in "
                                                        "others gets the language message; [] turns the check off")


@dataclass(frozen=True)
class Content:
    """What `assistant build` reads."""
    dir: Path = opt(SAMPLE_CONTENT, "the folder `assistant build` reads", flat="content_dir")
    sources: tuple[str, ...] = opt((), "folders and site URLs indexed together, e.g. [\"content/\", "
                                       "\"https://help.example.org/kb/\"]; when set, content_dir is not read")
    base_url: str | None = opt(None, "joined with relative paths for files that name no url of their own")


@dataclass(frozen=True)
class Index:
    """The index on disk (or in Milvus) and how builds write it."""
    dir: Path = opt(Path(".assistant/index"), "where versions are published", flat="index_dir")
    backend: str = opt("local", "local: the segment store in index_dir; milvus: a Milvus server holds the index",
                       flat="index_backend")
    chunk_tokens: int = opt(200, "a chunk's body size in the model's tokens (title and section come on top)")
    overlap_tokens: int = opt(32, "tokens two neighbouring chunks share")
    sentence_vectors: bool = opt(True, "builds embed every passage's sentences (a recording's cues) too, so a "
                                       "question finds its answering sentence by comparing stored vectors")
    keep_versions: int = opt(2, "index versions kept (segments no kept version lists are removed)")
    max_segments: int = opt(8, "segments a version may list before an incremental build merges the small ones")
    ann_threshold: int = opt(20_000, "chunks in one segment from which dense search is approximate (IVF)")
    ann_recall_target: float = opt(0.95, "recall@10 against exact search that builds tune the IVF index to")


@dataclass(frozen=True)
class Model:
    """The embedding model and where it runs."""
    name: str = opt("all-MiniLM-L6-v2", "any sentence-transformers model: the bundled one, a hub id already in the "
                                        "local cache, or a folder; changing it forces a full rebuild", flat="model")
    backend: str = opt("auto", "auto (OpenVINO, else ONNX Runtime; PyTorch on CUDA for bulk where present), "
                               "openvino, onnx or torch")
    variant: str = opt("fp32", "fp32 or int8: what new builds embed with (questions follow the index)",
                       flat="model_variant")
    cache_dir: Path | None = opt(None, "where the ONNX and OpenVINO exports are kept; none: "
                                       "$XDG_CACHE_HOME/pmo-help-assistant/models", flat="model_cache_dir")
    device: str | None = opt(None, "cpu or cuda; none: CUDA for bulk embedding when present")
    batch_size: int = opt(32, "encoding batch on the CPU (1,024 on a GPU)")
    threads: int = opt(0, "threads for bulk embedding; 0: every core", flat="onnx_threads")


@dataclass(frozen=True)
class Answers:
    """How questions are answered, and refused."""
    top_k: int = opt(5, "passages per answer")
    max_per_doc: int = opt(2, "passages from one document, at most")
    card_gap: float = opt(0.12, "a passage is a card while its cosine is within this of the best card's")
    min_score: float | None = opt(None, "none: refusals calibrated to this knowledge base (docs/answers.md); a "
                                        "cosine: the owner's fixed floor instead")
    refuse_elsewhere: bool = opt(True, "a question closer to an everyday question that belongs elsewhere (and that "
                                       "this knowledge base does not cover) than to the content counts against it")
    elsewhere_file: Path | None = opt(None, "the owner's everyday questions that belong elsewhere, one a line")
    elsewhere_mode: str = opt("extend", "extend: the owner's questions join the bundled list; replace: they are it")
    text_fragments: bool = opt(True, "an article's link names its highlighted sentence (#…:~:text=…)")
    max_question_chars: int = opt(2000, "longer questions are refused with a message")


@dataclass(frozen=True)
class Web:
    """Reading a live help centre."""
    rate: float = opt(2.0, "requests per second per host, at most (a robots.txt Crawl-delay can only slow it)",
                      flat="web_rate")
    retries: int = opt(3, "more tries after a 429, a 5xx or a network error (1 s, 2 s, 4 s…; Retry-After wins)",
                       flat="web_retries")
    max_pages: int = opt(1000, "pages read from one site, whichever way it is read", flat="web_max_pages")
    max_depth: int = opt(3, "links followed from the start page when a site is crawled", flat="web_max_depth")
    user_agent: str | None = opt(None, "the User-Agent sent and matched against robots.txt; none: "
                                       "pmo-help-assistant/<version> (help-centre search indexer; honours robots.txt)",
                                 flat="web_user_agent")


@dataclass(frozen=True)
class Serving:
    """The web app and its doors."""
    concurrency_limit: int = opt(4, "questions answered at once (and, apart, through /api/search)")
    max_queue: int = opt(64, "questions waiting; past it, \"busy, try again\"")
    rate_limit_per_minute: int = opt(60, "questions a minute from one client through any door (0: no limit)")
    allowed_origins: str | None = opt(None, "origins whose pages may call /api/search (the widget), separated by "
                                            "commas or spaces; \"*\" allows any")
    public_url: str | None = opt(None, "the address visitors use (behind a proxy): links out of the server start "
                                       "with it")
    forwarded_allow_ips: str | None = opt(None, "proxies whose X-Forwarded-* headers are believed; none: "
                                                "$FORWARDED_ALLOW_IPS, else 127.0.0.1", env="FORWARDED_ALLOW_IPS")
    mcp_server: bool = opt(True, "serve the MCP tools at /gradio_api/mcp/")
    admin_password: str | None = opt(None, "enables the admin panel (rebuild, Insights)", secret=True)
    secret_key: str | None = opt(None, "signs the reader pages' rating tokens (give every server of the site the "
                                       "same); none: a random key kept in data_dir", secret=True)


@dataclass(frozen=True)
class Analytics:
    """The question and feedback log."""
    log_questions: bool = opt(True, "keep the masked question log, feedback, ratings and clicks")
    retention_days: int = opt(180, "logged questions older than this are deleted (0: kept)")
    data_dir: Path = opt(Path(".assistant/data"), "folder of the SQLite question log; never touched by builds")
    database_url: str | None = opt(None, "postgresql://…: the log in PostgreSQL, shared by several servers",
                                   secret=True)


@dataclass(frozen=True)
class Milvus:
    """The Milvus backend (index_backend = "milvus")."""
    uri: str = opt("http://127.0.0.1:19530", "the Milvus server", flat="milvus_uri")
    collection: str = opt("help_centre", "the collection family's name", flat="milvus_collection")
    index_type: str = opt("AUTOINDEX", "the dense index: AUTOINDEX, FLAT, IVF_FLAT, HNSW (not in milvus-lite)",
                          flat="milvus_index")
    token: str = opt("", "the server's token: from the environment only, never written anywhere",
                     flat="milvus_token", env="MILVUS_TOKEN", secret=True, file=False)


GROUPS: dict[str, type] = {"face": Face, "content": Content, "index": Index, "model": Model, "answers": Answers,
                           "web": Web, "serving": Serving, "analytics": Analytics, "milvus": Milvus}
FLAT: dict[str, tuple[str, str]] = {(f.metadata.get("flat") or f.name): (group, f.name)
                                    for group, kind in GROUPS.items() for f in fields(kind)}
assert len(FLAT) == sum(len(fields(kind)) for kind in GROUPS.values()), "a flat name is used twice"


@dataclass(frozen=True, init=False)
class Settings:
    """One of each group. Settings(index_dir=…, site_name=…) and replace(settings, index_dir=…) take flat names."""
    face: Face
    content: Content
    index: Index
    model: Model
    answers: Answers
    web: Web
    serving: Serving
    analytics: Analytics
    milvus: Milvus

    def __init__(self, **values):
        # A group given whole (as dataclasses.replace gives them); "model" is also a flat name (the model's).
        groups = {name: values.pop(name) if isinstance(values.get(name), kind) else kind()
                  for name, kind in GROUPS.items()}
        changes: dict[str, dict] = {}
        for flat, value in values.items():
            if flat not in FLAT:
                raise TypeError(f"Settings has no setting {flat!r}")
            group, name = FLAT[flat]
            changes.setdefault(group, {})[name] = value
        for group, kind in GROUPS.items():
            object.__setattr__(self, group, replace(groups[group], **changes.get(group, {})))

    def flat(self) -> dict[str, object]:
        """Every setting by its flat name."""
        return {flat: getattr(getattr(self, group), name) for flat, (group, name) in FLAT.items()}

    def with_overrides(self, **values) -> Settings:
        """A copy with every value that is not None applied (the CLI flags), coerced and checked."""
        from assistant.config import coerced

        return coerced(self, {k: v for k, v in values.items() if v is not None})


def setting_field(flat: str):
    """The dataclass field behind a flat name (its type, default and help)."""
    group, name = FLAT[flat]
    return next(f for f in fields(GROUPS[group]) if f.name == name)


def default_of(flat: str):
    spec = setting_field(flat)
    return None if spec.default is MISSING else spec.default


__all__ = ["FLAT", "GROUPS", "SAMPLE_CONTENT", "SAMPLE_KB", "SAMPLE_QUESTIONS", "Analytics", "Answers", "Content",
           "Face", "Index", "Milvus", "Model", "Serving", "Settings", "Web", "default_of", "setting_field"]
