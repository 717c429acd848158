"""The one place that reaches into Gradio's private parts, for start-up time; tests/test_gradio_private.py
fails loudly on a Gradio that no longer has what this relies on (pyproject pins the tested minor).

At import, Gradio's ComponentMeta calls `create_or_modify_pyi` for every component class: it reads the
class's source, parses it with `ast` and rewrites the `.pyi` stub beside it in site-packages. Those
stubs only help type checkers reading Gradio's own source; the server never reads them. `install()`
adds an import hook that replaces that one function with a no-op as `gradio.component_meta` loads,
before any component class is made. Nothing else in Gradio changes; with a Gradio that no longer has
the function, or one already imported, the hook does nothing.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys

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
