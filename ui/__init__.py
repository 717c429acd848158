"""The Gradio web UI: `serve(settings, host, port)` starts it; `create_app` builds it for tests."""

from ui.quick_import import install

install()  # before Gradio loads: see ui/quick_import.py

from ui.app import create_app, launch, serve  # noqa: E402

__all__ = ["create_app", "launch", "serve"]
