"""A local Milvus server: milvus-lite 2.5's C++ engine in its own process, listening on loopback.

    with LiteServer(Path("milvus.db"), port=19530) as server:   # server.uri == "http://127.0.0.1:19530"
        ...

    python -m index.milvus.lite .assistant/milvus.db --port 19530   # run one until Ctrl+C

pymilvus talks to it exactly as to Milvus standalone or a cluster. milvus-lite has no HNSW, aliases or
partitions (see docs/scaling.md for what to use there); 3.x is a pure-Python rewrite, not this engine.
"""

from __future__ import annotations

import argparse
import signal
import socket
import threading
import time
from pathlib import Path

from index.errors import BackendMissing, BackendUnavailable
from index.milvus.client import INSTALL_HINT

HOST = "127.0.0.1"


class LiteServer:
    def __init__(self, db_file: Path, port: int | None = None):
        self.db_file = Path(db_file)
        self.port = port or free_port()
        self._server = None

    @property
    def uri(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self, wait: float = 30.0) -> LiteServer:
        try:
            from milvus_lite.server import Server
        except ImportError as exc:  # milvus-lite imports pkg_resources: setuptools<81
            raise BackendMissing(f"a local Milvus server needs milvus-lite 2.5 — {INSTALL_HINT} ({exc})") from exc
        self.db_file.parent.mkdir(parents=True, exist_ok=True)
        self._server = Server(str(self.db_file), address=f"{HOST}:{self.port}")
        if not self._server.start():
            raise BackendUnavailable(self.uri, f"milvus-lite did not start on {self.db_file}", "the start")
        deadline = time.monotonic() + wait
        while not _listening(self.port):
            if time.monotonic() > deadline:
                self.stop()
                raise BackendUnavailable(self.uri, f"milvus-lite did not listen within {wait:.0f} s", "the start")
            time.sleep(0.1)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    def __enter__(self) -> LiteServer:
        return self.start() if self._server is None else self

    def __exit__(self, *exc) -> None:
        self.stop()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.2)
        return probe.connect_ex((HOST, port)) == 0


def main() -> None:
    parser = argparse.ArgumentParser(description="Run a local milvus-lite server until Ctrl+C.")
    parser.add_argument("db_file", type=Path, help="where it keeps its data, e.g. .assistant/milvus.db")
    parser.add_argument("--port", type=int, default=19530)
    args = parser.parse_args()
    stopping = threading.Event()
    for name in ("SIGTERM", "SIGINT", "SIGHUP"):  # each stops the server it started, not only this process
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), lambda *_: stopping.set())
    with LiteServer(args.db_file, args.port) as server:
        print(f"milvus-lite listening at {server.uri} (data in {args.db_file}); set milvus_uri = \"{server.uri}\"",
              flush=True)
        stopping.wait()
    print("milvus-lite stopped", flush=True)


if __name__ == "__main__":
    main()
