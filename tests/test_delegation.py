"""`assistant build` hands the build to a running `assistant serve` of the same index."""

from __future__ import annotations

import json
import stat

import httpx
import pytest
from click.testing import CliRunner
from conftest import start_app

import assistant.build.run
from assistant import Assistant
from assistant.build.delegation import ROUTE, SERVER_FILE, TOKEN_HEADER
from assistant.cli import main


def no_local_model(*args, **kwargs):
    raise AssertionError("the model was loaded by the command instead of the running server")


@pytest.fixture()
def served(build, tmp_path, embedder):
    content = tmp_path / "content"
    content.mkdir()
    (content / "risks.md").write_text("# Risk registers\n\nEvery risk needs an owner and a review date.\n")
    app = Assistant(build(content), embedder=embedder)
    demo, url = start_app(app)
    yield content, app, url
    demo.close()


def test_the_running_server_builds_and_serves_at_once(served, monkeypatch):
    content, app, _ = served
    server_file = app.settings.index.dir / SERVER_FILE
    assert stat.S_IMODE(server_file.stat().st_mode) == 0o600
    (content / "lantern.md").write_text("# The lantern protocol\n\nThe lantern protocol triages proposals.\n")
    monkeypatch.setattr(assistant.build.run, "open_embedder", no_local_model)
    result = CliRunner().invoke(main, ["build", str(content), "--index", str(app.settings.index.dir), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert (report["added"], report["unchanged"], report["chunks_embedded"]) == (1, 1, 1)
    assert app.index.version == report["version"]  # swapped before the command returned
    assert app.ask("lantern protocol").passages[0].doc_id == "lantern.md"


def test_the_route_wants_the_token_from_loopback(served):
    _, app, url = served
    body = {"content_dir": "/", "model": app.settings.model.name}
    assert httpx.post(url + ROUTE.lstrip("/"), json=body).status_code == 403
    assert httpx.post(url + ROUTE.lstrip("/"), json=body, headers={TOKEN_HEADER: "guess"}).status_code == 403


def test_a_stale_server_file_falls_back_to_building_here(build, tmp_path):
    content = tmp_path / "content"
    content.mkdir()
    (content / "gates.md").write_text("# Stage gates\n\nA gate review decides whether a project continues.\n")
    settings = build(content)
    (settings.index.dir / SERVER_FILE).write_text(json.dumps({"url": "http://127.0.0.1:9/", "token": "x"}))
    (content / "raci.md").write_text("# RACI\n\nA RACI chart names who is accountable.\n")
    result = CliRunner().invoke(main, ["build", str(content), "--index", str(settings.index.dir), "--json"])
    assert result.exit_code == 0 and json.loads(result.output)["added"] == 1
