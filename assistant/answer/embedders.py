"""The one way the assistant makes an embedder from settings (index.embedding.make_embedder underneath)."""

from __future__ import annotations

from pathlib import Path

from assistant.config import Settings, model_defaults
from index import Embedder, EmbedderSpec, make_embedder


def embedder_spec(settings: Settings, variant: str | None = None) -> EmbedderSpec:
    """What the settings ask for; `variant` overrides theirs (questions use the index's variant)."""
    model = settings.model
    _, threads = model_defaults()  # settings made without load_settings: the environment's, read there
    return EmbedderSpec(model=model.name, variant=variant or model.variant, backend=model.backend, device=model.device,
                        batch_size=model.batch_size, cache_dir=model_cache_dir(settings),
                        threads=model.threads or threads)


def model_cache_dir(settings: Settings) -> Path | None:
    """Where the model's export and what is kept beside it live: the settings' folder, else the environment's."""
    return settings.model.cache_dir or model_defaults()[0]


def open_embedder(settings: Settings, variant: str | None = None) -> Embedder:
    return make_embedder(embedder_spec(settings, variant))
