"""The one private use of Gradio (ui/quick_import.py) and the web layer's public-API-only rule.

If the first test fails after a Gradio upgrade, the start-up shortcut no longer applies: drop it
from ui/quick_import.py or adapt it, then move the pin in pyproject.toml to the new minor.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import gradio

UI = Path(__file__).resolve().parent.parent / "ui"


def test_the_stub_writer_this_gradio_has_is_the_one_quick_import_skips():
    code = ("import ui, gradio.component_meta as meta, inspect; "
            "print(meta.create_or_modify_pyi.__name__, list(inspect.signature(meta.ComponentMeta.__new__).parameters))")
    shown = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           cwd=UI.parent).stdout.split(" ", 1)
    assert shown[0] == "_no_stub", (
        f"gradio {gradio.__version__}: ui/quick_import.py no longer skips the .pyi stub writer "
        "(gradio.component_meta.create_or_modify_pyi moved or changed); adapt or drop it, then re-pin gradio")


def test_one_app_skips_the_interim_apps_on_its_own_thread_only():
    import threading

    import gradio as gr
    from gradio.routes import App

    from ui.quick_import import one_app

    assert isinstance(App.__dict__.get("create_app"), staticmethod), (
        f"gradio {gradio.__version__}: App.create_app is no longer a staticmethod; ui/quick_import.one_app "
        "no longer skips the interim apps (start-up is slower, nothing breaks): adapt it, then re-pin gradio")
    built = []
    with one_app():
        with gr.Blocks() as inside:
            gr.Markdown("x")
        thread = threading.Thread(target=lambda: built.append(App.create_app(inside)))
        thread.start()
        thread.join()
    assert App.create_app(inside) is not None and built and built[0] is not None
    with one_app():
        assert App.create_app(inside) is None


def test_gradio_is_the_minor_this_was_tested_on():
    pin = re.search(r'"gradio\[mcp\]>=([\d.]+),<([\d.]+)"', (UI.parent / "pyproject.toml").read_text())
    low, high = (tuple(int(n) for n in v.split(".")) for v in pin.groups())
    assert low <= tuple(int(n) for n in gradio.__version__.split(".")[:2]) < high, gradio.__version__


def test_no_other_private_use_of_gradio_in_ui():
    """No monkeypatching or private attributes outside ui/quick_import.py: the app is assembled with
    FastAPI's and Gradio's public APIs (gr.mount_gradio_app) before it listens."""
    banned = re.compile(r"_mcp_type|middleware_stack\s*=|routes\.insert|\.create_app\s*=|demo\.app\b|"
                        r"gradio\.\w+\.\w+\s*=(?!=)")
    for path in sorted(UI.glob("*.py")):
        if path.name == "quick_import.py":
            continue
        found = [line for line in path.read_text().splitlines() if banned.search(line)]
        assert found == [], f"{path.name}: {found}"


def test_no_test_reaches_into_gradio_private_state():
    """Tests call the page's handlers through ui.page.handlers and ui.admin.rebuild_action, never through
    a Blocks' private `fns` (or any other underscore attribute of a Gradio object)."""
    banned = re.compile(r"\.fns\b|\b(?:page|demo|blocks|web\.page)\._\w+")
    here = Path(__file__).resolve().parent
    for path in sorted(here.glob("test_*.py")):
        if path.name == Path(__file__).name:
            continue
        found = [line.strip() for line in path.read_text().splitlines() if banned.search(line)]
        assert found == [], f"{path.name}: {found}"
