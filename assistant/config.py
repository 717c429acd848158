"""Settings, built once and passed down: defaults ← config file ← environment ← command-line flags. Every
environment variable the product reads is read here (ASSISTANT_<FLAT>, ASSISTANT_CONFIG, MILVUS_TOKEN,
FORWARDED_ALLOW_IPS, XDG_CACHE_HOME); the layers below get values, never the environment.

The config file is TOML: `assistant.toml` in the working folder, or the file in ASSISTANT_CONFIG or
`--config`. Settings sit in tables, or as flat keys at the top (both forms are read):

    [face]
    site_name = "Coffee Help Centre"
    examples = ["How long should I rest beans?", "What is first crack?"]
    [index]
    dir = ".assistant/index"            # or, at the top: index_dir = ".assistant/index"
    [content]
    sources = ["site/content", "https://help.example.org/kb/"]

In the environment a list is a JSON array or '|'-separated: ASSISTANT_EXAMPLES="First?|Second?".
`load_settings(...).origins` says where each value came from (`assistant config --show` prints them).
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from dataclasses import replace
from pathlib import Path

from assistant.settings import FLAT, GROUPS, SAMPLE_CONTENT, SAMPLE_KB, SAMPLE_QUESTIONS, Settings, setting_field
from corpus.errors import AssistantError
from corpus.text import safe_url
from index.embedding.protocol import BACKENDS, VARIANTS

INDEX_BACKENDS = ("local", "milvus")
MILVUS_INDEXES = ("AUTOINDEX", "FLAT", "IVF_FLAT", "HNSW")
PREFIX = "ASSISTANT_"


class SettingsError(AssistantError, ValueError):
    """A setting has a value that cannot be used; the message names it."""


def env_name(flat: str) -> str:
    """The environment variable of a setting."""
    return setting_field(flat).metadata.get("env") or f"{PREFIX}{flat.upper()}"


def load_settings(config_file: Path | None = None, env: dict | None = None, **flags) -> Settings:
    """Defaults ← the config file ← the environment ← flags (None: not given). The result's `origins` maps
    every flat name to where its value came from: "default", "file <path>", "environment <NAME>" or "flag"."""
    env = os.environ if env is None else env
    origins = {flat: "default" for flat in FLAT}
    settings = Settings(model_cache_dir=_default_cache(env))
    path = Path(config_file or env.get("ASSISTANT_CONFIG") or "assistant.toml")
    if path.is_file():
        values = _file_values(path)
        settings = coerced(settings, values)
        origins.update({flat: f"file {path}" for flat in values})
    elif config_file:
        raise SettingsError(f"config file {path} does not exist")
    from_env = {flat: env[env_name(flat)] for flat in FLAT if env_name(flat) in env}
    settings = coerced(settings, from_env)
    origins.update({flat: f"environment {env_name(flat)}" for flat in from_env})
    given = {k: v for k, v in flags.items() if v is not None}
    settings = coerced(settings, given)
    origins.update({flat: "flag" for flat in given})
    object.__setattr__(settings, "origins", origins)  # not a setting: where each came from
    return settings


def _default_cache(env) -> Path | None:
    """Where model exports go when model_cache_dir is not set: $XDG_CACHE_HOME's, else the default's."""
    xdg = env.get("XDG_CACHE_HOME")
    return Path(xdg).expanduser() / "pmo-help-assistant" / "models" if xdg else None


def model_defaults(env=None) -> tuple[Path | None, int]:
    """(the model cache folder, bulk threads) for settings made without load_settings (a program or a test
    building Settings(...) itself): what the environment says, as load_settings would read it."""
    env = os.environ if env is None else env
    cache = env.get(env_name("model_cache_dir"))
    threads = env.get(env_name("onnx_threads"))
    return (Path(cache).expanduser() if cache else _default_cache(env)), int(threads) if threads else 0


def _file_values(path: Path) -> dict:
    """The file's settings by flat name: tables ([face] site_name = …) and flat keys (site_name = …)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SettingsError(f"config file {path} is not valid TOML: {exc}") from exc
    values, unknown = {}, []
    by_field = {(group, name): flat for flat, (group, name) in FLAT.items()}
    for key, value in data.items():
        if key in GROUPS and isinstance(value, dict):
            for name, inner in value.items():
                flat = by_field.get((key, name))
                (unknown.append(f"[{key}] {name}") if flat is None else values.__setitem__(flat, inner))
        elif key in FLAT:
            values[key] = value
        else:
            unknown.append(key)
    secret = [flat for flat in values if not setting_field(flat).metadata.get("file", True)]
    if unknown or secret:
        what = f"unknown keys: {', '.join(sorted(unknown))}" if unknown else \
            f"{', '.join(secret)}, which only the environment may hold ({', '.join(env_name(f) for f in secret)})"
        raise SettingsError(f"config file {path} has {what}")
    return values


def coerced(settings: Settings, values: dict) -> Settings:
    """A copy with these flat-named values, each converted to its setting's type, then checked."""
    out = {}
    for name, value in values.items():
        if name not in FLAT:
            raise SettingsError(f"there is no setting {name!r}")
        kind = str(setting_field(name).type)
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
    if hasattr(settings, "origins"):
        object.__setattr__(result, "origins", settings.origins)
    check(result)
    return result


def check(settings: Settings) -> None:
    """SettingsError naming the first setting that cannot be used."""
    face, index, model, web, serving, milvus = (settings.face, settings.index, settings.model, settings.web,
                                                settings.serving, settings.milvus)
    if not _HEX.fullmatch(face.accent_color):
        raise SettingsError(f"setting accent_color={face.accent_color!r} is not a hex colour; "
                            "write it like \"#0f766e\" or \"#c60\"")
    if face.logo_url and safe_url(face.logo_url)[0] is None:
        raise SettingsError(f"setting logo_url={face.logo_url!r} is not an http(s) or relative address")
    for name, value, allowed in (("backend", model.backend, BACKENDS), ("model_variant", model.variant, VARIANTS),
                                 ("index_backend", index.backend, INDEX_BACKENDS),
                                 ("milvus_index", milvus.index_type, MILVUS_INDEXES),
                                 ("elsewhere_mode", settings.answers.elsewhere_mode, ("extend", "replace"))):
        if value not in allowed:
            raise SettingsError(f"setting {name} must be one of {', '.join(allowed)}, got {value!r}")
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,150}", milvus.collection):
        raise SettingsError(f"setting milvus_collection must be letters, digits and underscores (starting with a "
                            f"letter), got {milvus.collection!r}")
    if web.rate <= 0:
        raise SettingsError(f"setting web_rate must be above 0 (requests per second), got {web.rate}")
    flat = settings.flat()
    for name in ("top_k", "max_per_doc", "chunk_tokens", "max_question_chars", "keep_versions", "batch_size",
                 "web_max_pages"):
        if flat[name] < 1:
            raise SettingsError(f"setting {name} must be at least 1, got {flat[name]}")
    for name, meaning in (("web_retries", "no retry"), ("retention_days", "keep all"),
                          ("rate_limit_per_minute", "no limit"), ("onnx_threads", "every core")):
        if flat[name] < 0:
            raise SettingsError(f"setting {name} must be 0 ({meaning}) or more, got {flat[name]}")
    database_url = settings.analytics.database_url
    if database_url and not database_url.startswith(("postgresql://", "postgres://")):
        raise SettingsError("setting database_url must start with postgresql:// "
                            "(leave it empty to use the SQLite store in data_dir)")
    origins(serving.allowed_origins)  # refuses a malformed origin now, not at the first request
    if serving.public_url and not re.fullmatch(r"https?://[^/\s?#]+(/[^\s?#]*)?", serving.public_url):
        raise SettingsError(f"setting public_url={serving.public_url!r} is not an http(s) address; write the "
                            "address visitors open, e.g. \"https://help.example.org\" or \"https://example.org/help\"")


def origins(value: str | None) -> tuple[str, ...]:
    """The allowed_origins setting as a tuple: origins separated by commas or spaces; "*" means any."""
    found = tuple(part for part in (value or "").replace(",", " ").split() if part)
    for origin in found:
        if origin != "*" and not _ORIGIN.fullmatch(origin):
            raise SettingsError(f"setting allowed_origins has {origin!r}, which is not an origin; write "
                                "scheme://host[:port] with no path, e.g. \"https://www.example.org\"")
    return tuple(origin.rstrip("/") for origin in found)


def shown(settings: Settings) -> list[tuple[str, str, str, object, str]]:
    """Every setting as `assistant config --show` prints it: (table, key, flat name, value, origin); a
    secret's value is masked."""
    where = getattr(settings, "origins", {})
    rows = []
    for flat, (group, name) in FLAT.items():
        value = getattr(getattr(settings, group), name)
        if setting_field(flat).metadata.get("secret") and value:
            value = "•••• (set)"
        rows.append((group, name, flat, value, where.get(flat, "default")))
    return rows


_ORIGIN = re.compile(r"https?://[^/\s?#]+/?")
_HEX = re.compile(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})")


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


__all__ = ["SAMPLE_CONTENT", "SAMPLE_KB", "SAMPLE_QUESTIONS", "Settings", "SettingsError", "check", "coerced",
           "env_name", "load_settings", "model_defaults", "origins", "shown"]
