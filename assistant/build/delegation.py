"""Hand a build to the running `assistant serve` of the same index, which already holds the model.

A one-shot `assistant build` spends about 6 s importing PyTorch and loading the model before it
can embed anything; a running server has both. While it runs, the server keeps
`<index>/serve.json` (its loopback address and a random token, readable by its owner only), and
`assistant build` posts the build to it instead, then prints the same report. With no server, a
stale file, another model, or any failure to reach it, the build runs locally as usual.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.config import Settings

if TYPE_CHECKING:
    from index import BuildReport

SERVER_FILE = "serve.json"
TOKEN_HEADER = "X-Assistant-Token"
ROUTE = "/control/build"


def announce(index_dir: Path, url: str, token: str | None = None) -> str:
    """Write serve.json for a server listening at `url`; returns the token it must check (`token`, or
    a new one)."""
    token = token or secrets.token_urlsafe(32)
    path = Path(index_dir) / SERVER_FILE
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump({"url": url, "token": token, "pid": os.getpid()}, handle)
    os.replace(tmp, path)
    return token


def withdraw(index_dir: Path, token: str) -> None:
    """Remove serve.json if it is still this server's."""
    path = Path(index_dir) / SERVER_FILE
    try:
        if json.loads(path.read_text()).get("token") == token:
            path.unlink()
    except (OSError, ValueError):
        pass


def build_via_server(settings: Settings, full: bool = False) -> BuildReport | None:
    """The report of a build done by the running server; None when it cannot take it."""
    try:
        server = json.loads((Path(settings.index.dir) / SERVER_FILE).read_text())
        import httpx

        response = httpx.post(server["url"].rstrip("/") + ROUTE, timeout=httpx.Timeout(3600, connect=2),
                              headers={TOKEN_HEADER: server["token"]},
                              json={"content_dir": str(Path(settings.content.dir).resolve()),
                                    "base_url": settings.content.base_url, "model": settings.model.name,
                                    "variant": settings.model.variant, "full": full})
    except (OSError, ValueError, KeyError, TypeError, ImportError):
        return None
    except Exception as exc:  # httpx's transport errors: fall back to building here
        if type(exc).__module__.startswith("httpx"):
            return None
        raise
    if response.status_code != 200:
        return None
    from corpus import (
        Skipped,  # corpus.folder and index.build (chunking, the loaders): only when a report comes
    )
    from index import BuildReport

    data = response.json()
    return BuildReport(**{**data, "skipped": tuple(Skipped(**s) for s in data["skipped"]),
                          "warnings": tuple(data["warnings"])})
