"""Settings precedence: defaults ← assistant.toml ← ASSISTANT_* ← flags."""

from pathlib import Path

import pytest

from assistant.config import SAMPLE_CONTENT, SettingsError, load_settings


def test_defaults_point_at_the_sample_knowledge_base():
    settings = load_settings(env={})
    assert settings.content.dir == SAMPLE_CONTENT and settings.index.dir == Path(".assistant/index")


def test_file_then_env_then_flags(tmp_path):
    (tmp_path / "assistant.toml").write_text('top_k = 7\nmin_score = 0.5\nbase_url = "https://kb.example.org"\n')
    settings = load_settings(env={"ASSISTANT_MIN_SCORE": "0.6"}, top_k=3)
    assert (settings.answers.top_k, settings.answers.min_score, settings.content.base_url) == (3, 0.6, "https://kb.example.org")


def test_bad_values_name_the_setting(tmp_path):
    with pytest.raises(SettingsError, match="top_k"):
        load_settings(env={"ASSISTANT_TOP_K": "lots"})
    (tmp_path / "assistant.toml").write_text("colour = 'blue'\n")
    with pytest.raises(SettingsError, match="unknown keys: colour"):
        load_settings(env={})


def test_backend_and_model_variant_are_checked():
    settings = load_settings(env={"ASSISTANT_MODEL_VARIANT": "int8", "ASSISTANT_BACKEND": "onnx"})
    assert (settings.model.variant, settings.model.backend) == ("int8", "onnx")
    with pytest.raises(SettingsError, match="model_variant must be one of fp32, int8"):
        load_settings(env={"ASSISTANT_MODEL_VARIANT": "int4"})


def test_every_error_the_product_raises_has_one_base():
    from assistant import AssistantError, SettingsError
    from assistant.analytics.errors import AnalyticsError
    from assistant.answer.off_topic import ElsewhereError
    from corpus.errors import CorpusError
    from corpus.web.errors import WebError
    from index.errors import IndexStoreError

    for error in (SettingsError, ElsewhereError, AnalyticsError, CorpusError, WebError, IndexStoreError):
        assert issubclass(error, AssistantError), error
