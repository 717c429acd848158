"""Past one process: two stateless `assistant serve` replicas over one index folder (as on shared
storage behind a load balancer) both move to a newly published version, with no coordination but
the folder's CURRENT pointer."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import httpx
import pytest
from gradio_client import Client

from conftest import stop_all

pytestmark = pytest.mark.slow  # two `assistant serve` subprocesses

QUESTION = "What is the lantern protocol for portfolio triage?"
DEADLINE_S = 300  # two model loads at once on a busy 2-core machine can take minutes


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_replica(index_dir, port: int) -> subprocess.Popen:
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    return subprocess.Popen([sys.executable, "-P", "-m", "assistant", "serve", "--index", str(index_dir), "--port", str(port)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def wait_until_up(url: str, replica: subprocess.Popen, deadline: float) -> Client:
    while time.monotonic() < deadline:
        if replica.poll() is not None:
            raise AssertionError(f"replica exited: {replica.stderr.read()[-2000:]}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return Client(url, verbose=False)
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"replica at {url} did not answer within {DEADLINE_S} s")


def top_doc(client: Client) -> str:
    return client.predict(QUESTION, 3, api_name="/search")["passages"][0]["doc_id"]


def test_two_replicas_over_one_index_folder_both_answer_from_a_newly_published_version(build, tmp_path):
    content = tmp_path / "content"
    content.mkdir()
    (content / "risks.md").write_text("# Risk registers\n\nEvery risk needs an owner, a score and a review date.\n")
    (content / "gates.md").write_text("# Stage gates\n\nA stage gate review decides whether a project continues.\n")
    settings = build(content)
    ports = [free_port(), free_port()]
    replicas = [start_replica(settings.index.dir, port) for port in ports]
    try:
        deadline = time.monotonic() + DEADLINE_S
        clients = [wait_until_up(f"http://127.0.0.1:{port}/", replica, deadline) for port, replica in zip(ports, replicas)]
        assert "lantern.md" not in [top_doc(c) for c in clients]
        (content / "lantern.md").write_text("# The lantern protocol\n\nThe lantern protocol for portfolio triage: every "
                                            "proposal is scored by the portfolio board within five days.\n")
        build(content)  # a third process publishes; the replicas only share the folder
        answers = ["", ""]
        while time.monotonic() < deadline and answers != ["lantern.md"] * 2:
            answers = [top_doc(c) for c in clients]
            time.sleep(0.2)
        assert answers == ["lantern.md", "lantern.md"]
    finally:
        stop_all(replicas)
