"""The Gradio web UI: `serve(settings, host, port)` starts it; `create_app` builds it for tests."""

from ui.app import create_app, launch, serve

__all__ = ["create_app", "launch", "serve"]
