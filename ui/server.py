"""uvicorn serving the whole app: the socket is bound first (so port 0 works and the address is known),
and only listens once uvicorn has run the app's start-up (Gradio's queue, the MCP session manager)
with every route already in place. So the first connection a client gets through is answered by
the complete app; `/api/health` turns 200 at that moment.

    server = Server(web, assistant, host, port)
    server.run()     until Ctrl+C or SIGTERM, then closes
    server.start()   returns once it listens (tests, benches); server.close() ends it

uvicorn runs in a daemon thread either way; `close` gives answers in flight a second, then drops
open connections (browsers' event streams).
"""

from __future__ import annotations

import asyncio
import logging
import signal
import socket
import threading
import time

import uvicorn

from assistant import Assistant
from assistant.config import origins
from ui.api import banner
from ui.control import announce, withdraw
from ui.reload import IndexReloader

log = logging.getLogger(__name__)
START_TIMEOUT = 120.0


class _Uvicorn(uvicorn.Server):
    """uvicorn.Server that calls `on_started` once it listens (after the app's lifespan start-up)."""

    def __init__(self, config: uvicorn.Config, on_started):
        super().__init__(config)
        self.on_started = on_started

    async def startup(self, sockets=None) -> None:
        await super().startup(sockets)
        if self.started:
            self.on_started()


class _Dropped(logging.Filter):
    """Leaves out the cancelled requests of servers being closed (their event streams, dropped on
    purpose), by the closing server's thread; every other record passes."""

    def __init__(self):
        super().__init__()
        self.closing: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        cancelled = record.exc_info and isinstance(record.exc_info[1], asyncio.CancelledError)
        return not (record.threadName in self.closing and (cancelled or "CancelledError" in record.getMessage()))


_DROPPED = _Dropped()
logging.getLogger("uvicorn.error").addFilter(_DROPPED)


class Server:
    """The whole app (ui.app.WebApp) on `host`:`port` (0: a free port; `url` says which)."""

    def __init__(self, web, assistant: Assistant, host: str, port: int, reload_interval: float):
        self.web, self.assistant = web, assistant
        self.sock = _bind(host, port)
        bound = self.sock.getsockname()[1]
        self.url = f"http://{'127.0.0.1' if host in ('0.0.0.0', '') else host}:{bound}/"
        self.port = bound
        # X-Forwarded-* are read by the app itself (ui/forwarded.py), which must still see the proxy's address
        config = uvicorn.Config(web.app, log_level="warning", lifespan="on", proxy_headers=False)
        self.uvicorn = _Uvicorn(config, self._started)
        self.reloader = IndexReloader(assistant, reload_interval, alive=lambda: not self.uvicorn.should_exit)
        self._thread: threading.Thread | None = None
        self._announced = threading.Event()  # serve.json written, the reloader running: `start` returns

    def _started(self) -> None:
        try:
            index_dir = self.assistant.settings.index.dir
            announce(index_dir, f"http://127.0.0.1:{self.port}/", self.web.token)
            self.reloader.start()
            if self.assistant.index is not None:
                self.web.ready.set()
        finally:
            self._announced.set()

    def run(self) -> None:
        """Serve until stopped (Ctrl+C, SIGTERM), saying where every door is once it listens."""
        signal.signal(signal.SIGTERM, _interrupt)  # `kill` ends the server as Ctrl+C does, tidily
        self.start()
        settings = self.assistant.settings
        print(f"* Running on local URL: {self.url}")
        print(banner(self.url, origins(settings.serving.allowed_origins)))
        if settings.serving.mcp_server:
            print(f"* MCP server (streamable HTTP): {self.url}gradio_api/mcp/")
        try:
            while self._thread.is_alive():
                self._thread.join(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            self.close()

    def start(self) -> Server:
        """Serve in a daemon thread; return once it listens and has said so in serve.json (so an
        `assistant build` started right after hands its build over)."""
        self._thread = threading.Thread(target=self.uvicorn.run, kwargs={"sockets": [self.sock]},
                                        name=f"uvicorn-{self.port}", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + START_TIMEOUT
        while not self._announced.wait(0.01):
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self._tidy()
                raise RuntimeError("the web app did not start; see the log above")
            time.sleep(0.01)
        return self

    def close(self) -> None:
        """Stop: a second for answers in flight, then open event streams (browsers' and programs' Gradio
        heartbeats, which never end by themselves) are dropped."""
        self.uvicorn.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=1)
            if self._thread.is_alive():
                _DROPPED.closing.add(self._thread.name)
                self.uvicorn.force_exit = True
                self._thread.join(timeout=5)
                if not self._thread.is_alive():
                    _DROPPED.closing.discard(self._thread.name)
        self._tidy()

    def _tidy(self) -> None:
        self.web.ready.clear()
        self.reloader.stop()
        withdraw(self.assistant.settings.index.dir, self.web.token)
        self.sock.close()
        self.web.page.close(verbose=False)


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise OSError(exc.errno, f"cannot listen on {host}:{port} ({exc.strerror}) — is another server "
                                 "running there? Pass another --port.") from exc
    sock.set_inheritable(True)
    return sock


__all__ = ["Server"]
