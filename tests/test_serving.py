"""The web app is whole before it listens: every door is a route of the app before the server starts,
and from the first connection a client gets through, no door answers 404 and none fails, except
`/api/health` saying 503 until everything is served."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time

import httpx
import pytest
from starlette.routing import Mount
from starlette.testclient import TestClient

from assistant import Assistant, Settings

DOORS = {"/api/search", "/api/health", "/api/live", "/widget.js", "/widget", "/read/{doc_id:path}", "/source/{doc_id:path}", "/feedback/click",
         "/control/build", "/gradio_api/mcp", "/gradio_api/mcp/"}
GRADIO = {"/", "/config", "/gradio_api/info", "/gradio_api/queue/join", "/gradio_api/call/{api_name}"}
MCP_INIT = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
    "protocolVersion": "2025-03-26", "capabilities": {}, "clientInfo": {"name": "probe", "version": "1"}}}


def test_every_door_is_a_route_before_the_server_starts(sample_index, embedder):
    from ui import create_app

    settings = Settings(index_dir=sample_index)
    web = create_app(Assistant(settings, embedder=embedder), settings)
    ours = [route for route in web.app.routes if not isinstance(route, Mount)]
    assert DOORS <= {route.path for route in ours}
    mounts = [route for route in web.app.routes if isinstance(route, Mount)]
    assert len(mounts) == 1 and web.app.routes[-1] is mounts[0], "the page is mounted last, under our routes"
    assert GRADIO <= set(_paths(mounts[0].app.routes))
    assert not web.ready.is_set()
    with TestClient(web.app) as http:  # runs the start-up, but nothing listens: not ready
        assert http.get("/api/health").status_code == 503
        assert http.get("/api/health").headers["retry-after"] == "1"
        assert http.get("/gradio_api/info").status_code == 200
    web.page.close(verbose=False)


def _paths(routes, prefix: str = ""):
    """Every path under `routes`, mounts and included routers walked through."""
    for route in routes:
        included = getattr(route, "original_router", None)  # FastAPI's included router: paths already prefixed
        if included is not None:
            yield from _paths(included.routes, prefix)
            continue
        path = prefix + getattr(route, "path", "")
        inner = getattr(route, "routes", None) or getattr(getattr(route, "app", None), "routes", None)
        if inner:
            yield from _paths(inner, path)
        else:
            yield path or "/"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def probes(url: str, doc_id: str) -> list[tuple[str, str, dict]]:
    """(method, url, httpx keyword arguments) for every door."""
    mcp_headers = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
    return [("GET", url, {}), ("GET", url + "config", {}), ("GET", url + "gradio_api/info", {}),
            ("GET", url + "api/health", {}), ("GET", url + "api/search", {"params": {"q": "raci chart"}}),
            ("GET", url + "widget.js", {}), ("GET", url + "widget", {}), ("GET", url + f"read/{doc_id}", {}),
            ("GET", url + f"source/{doc_id}", {}),
            ("POST", url + "feedback/click", {"content": b"{}"}), ("POST", url + "control/build", {"json": {}}),
            ("POST", url + "gradio_api/mcp/", {"headers": mcp_headers, "content": json.dumps(MCP_INIT)})]


@pytest.mark.slow
def test_from_the_first_connection_no_door_is_missing(sample_index):
    """`assistant serve` polled in a tight loop from the first accepted TCP connection until ready, then
    for two seconds more: never a 404, and no 5xx but /api/health's 503 before it is ready."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    doc_id = _a_document(sample_index)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "ASSISTANT_RATE_LIMIT_PER_MINUTE": "0"}
    server = subprocess.Popen([sys.executable, "-m", "assistant", "serve", "--index", str(sample_index),
                               "--port", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              text=True)
    seen: list[tuple[str, int, bool]] = []  # (url, status, ready yet)
    try:
        deadline = time.monotonic() + 180
        while not _accepts(port):
            assert server.poll() is None, server.stderr.read()[-2000:]
            assert time.monotonic() < deadline, "assistant serve never listened"
        ready_at = None
        with httpx.Client(timeout=30) as http:
            while ready_at is None or time.monotonic() - ready_at < 2:
                assert time.monotonic() < deadline, "assistant serve never became ready"
                for method, target, kwargs in probes(url, doc_id):
                    status = http.request(method, target, **kwargs).status_code
                    if target.endswith("api/health") and status == 200 and ready_at is None:
                        ready_at = time.monotonic()
                    seen.append((target, status, ready_at is not None))
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert [s for s in seen if s[1] == 404] == []
    failures = [s for s in seen if s[1] >= 500 and not (s[1] == 503 and s[0].endswith("api/health") and not s[2])]
    assert failures == []
    assert any(ready for _, _, ready in seen) and all(status < 400 for target, status, ready in seen
                                                      if ready and not target.endswith("control/build"))


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        time.sleep(0.005)
        return False


def _a_document(index_dir) -> str:
    from index import load_index

    return next(iter(load_index(index_dir).manifest.documents))
