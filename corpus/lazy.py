"""A package's public names imported on first use (PEP 562), so importing the package stays light."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from importlib import import_module


def lazy_getattr(package: str, table: Mapping[str, str], namespace: dict) -> Callable[[str], object]:
    """The module `__getattr__` for `package`: table maps a name to the module that defines it; the
    value is imported once and kept in the package's namespace."""

    def __getattr__(name: str):
        if name in table:
            value = getattr(import_module(table[name]), name)
            namespace[name] = value
            return value
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return __getattr__
