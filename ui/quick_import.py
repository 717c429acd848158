"""The one place that reaches into Gradio's private parts, for start-up time (measured: about 1.5 of
4.5 CPU-s of `assistant serve` here); tests/test_gradio_private.py fails loudly on a Gradio that no
longer has what this relies on, and pyproject pins the tested minor.

1. At import, Gradio's ComponentMeta calls `create_or_modify_pyi` for every component class: it reads the
class's source, parses it with `ast` and rewrites the `.pyi` stub beside it in site-packages. Those
stubs only help type checkers reading Gradio's own source; the server never reads them. `install()`
adds an import hook that replaces that one function with a no-op as `gradio.component_meta` loads,
before any component class is made. Nothing else in Gradio changes; with a Gradio that no longer has
the function, or one already imported, the hook does nothing.

2. Gradio builds a whole FastAPI app (some 60 routes, each with pydantic models) at the end of
`with Blocks()` and in `queue()`, and once more in `gr.mount_gradio_app`; only that last one is
served. Inside `one_app()`, on this thread only, the interim ones are not built: `install()` wraps
`gradio.routes.App.create_app` once with a function that calls the real one unless this thread is
inside `one_app()`, so other threads, and everything outside the block, work as before.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
import threading
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


_defining = threading.local()


@contextmanager
def one_app():
    """Define a gr.Blocks (and its queue) inside: on this thread, Gradio's interim FastAPI apps are not
    built; gr.mount_gradio_app, outside the block, builds the one that is served."""
    _wrap_create_app()
    _defining.active = True
    try:
        yield
    finally:
        _defining.active = False


def _wrap_create_app() -> None:
    from gradio.routes import App

    real = App.__dict__.get("create_app")
    if not isinstance(real, staticmethod) or getattr(real.__func__, "_kb_wrapped", False):
        return  # another Gradio (the guard test says so), or already wrapped

    def create_app(*args, **kwargs):
        if getattr(_defining, "active", False):
            return None
        return real.__func__(*args, **kwargs)

    create_app._kb_wrapped = True
    App.create_app = staticmethod(create_app)
