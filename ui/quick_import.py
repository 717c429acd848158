"""Gradio without two kinds of start-up work the server never uses (about 1.3 of 4.5 CPU-s of a start here).

1. At import, Gradio's ComponentMeta calls `create_or_modify_pyi` for every component class: it reads the
class's source, parses it with `ast` and rewrites the `.pyi` stub beside it in site-packages. Those
stubs only help type checkers reading Gradio's own source; the server never reads them. `install()`
adds an import hook that replaces that one function with a no-op as `gradio.component_meta` loads,
before any component class is made. Nothing else in Gradio changes; with a Gradio that no longer has
the function, or one already imported, the hook does nothing.

2. Gradio builds its whole FastAPI app (some 60 routes, each with pydantic models) in `Blocks()`, in
`queue()` and at the end of `with Blocks()`, then once more in `launch()`, and only that last one is
ever served. `one_app()` skips the first three while the app is being defined; `launch()` (and
`close()`) work as before.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
from contextlib import contextmanager

TARGET = "gradio.component_meta"


class _SkipStubWriter(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name != TARGET:
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is None or not hasattr(spec.loader, "exec_module"):
            return spec
        load = spec.loader.exec_module

        def exec_module(module):
            load(module)
            if callable(getattr(module, "create_or_modify_pyi", None)):
                module.create_or_modify_pyi = _no_stub

        spec.loader.exec_module = exec_module
        return spec


def _no_stub(*args, **kwargs) -> None:
    return None


def install() -> None:
    """Before `import gradio`: its components load without rewriting their stubs (idempotent)."""
    if TARGET not in sys.modules and not any(isinstance(f, _SkipStubWriter) for f in sys.meta_path):
        sys.meta_path.insert(0, _SkipStubWriter())


@contextmanager
def one_app():
    """Define a gr.Blocks inside: Gradio's interim FastAPI apps are not built (launch builds the real one)."""
    from gradio.routes import App

    real = App.__dict__.get("create_app")
    if not isinstance(real, staticmethod):  # another Gradio: leave it alone
        yield
        return
    App.create_app = staticmethod(_no_app)
    try:
        yield
    finally:
        App.create_app = real


def _no_app(*args, **kwargs) -> None:
    return None
