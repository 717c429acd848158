"""The one way the assistant makes an embedder from settings (index.embedding.make_embedder underneath)."""

from __future__ import annotations

from assistant.config import Settings
from index import Embedder, EmbedderSpec, make_embedder


def embedder_spec(settings: Settings, variant: str | None = None) -> EmbedderSpec:
    """What the settings ask for; `variant` overrides theirs (questions use the index's variant)."""
    return EmbedderSpec(model=settings.model, variant=variant or settings.model_variant, backend=settings.backend,
                        device=settings.device, batch_size=settings.batch_size, cache_dir=settings.model_cache_dir)


def open_embedder(settings: Settings, variant: str | None = None) -> Embedder:
    return make_embedder(embedder_spec(settings, variant))
