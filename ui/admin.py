"""The admin panel, behind a password: "Rebuild index" with a progress bar and the build report, and
the Insights tab (ui.insights: what visitors asked, content gaps, complaints, CSV download).

The panel exists only when `admin_password` is set (settings or ASSISTANT_ADMIN_PASSWORD); with
none, nothing of it is on the page or in the API. The rebuild refreshes the index being served:
it reads the content folder and base_url (or the folders and sites) recorded in that index's manifest
(so a server started with default settings never rebuilds someone else's folder into it), embeds what changed with the
app's own model, publishes, and the app swaps to the new index at once.
"""

from __future__ import annotations

import hmac
import logging
import time
from dataclasses import replace
from pathlib import Path

import gradio as gr

from assistant import KNOWN_ERRORS, Assistant, Settings
from assistant.build.report import build_text
from index import BuildLocked
from ui.insights import insights_tab
from ui.reload import build_and_swap
from ui.render import site_header

log = logging.getLogger(__name__)

REFUSED = "Wrong password — the index was not rebuilt."
WRONG_PASSWORD_DELAY = 1.0  # with one rebuild at a time, at most one guess a second


def password_ok(expected: str | None, given: str | None) -> bool:
    """Constant-time comparison; never true when no password is set."""
    if not expected:
        return False
    return hmac.compare_digest((given or "").encode("utf-8"), expected.encode("utf-8"))


def build_settings(assistant: Assistant, settings: Settings) -> Settings:
    """The settings that rebuild the served index: its own content folder and base_url, or the sources
    (folders and sites) recorded in its manifest. Nothing typed on the page is ever fetched."""
    manifest = assistant.index.manifest
    content_dir = Path(manifest.content_dir) if manifest.content_dir else settings.content.dir
    recorded = tuple(getattr(manifest, "sources", None) or ())
    from assistant.build.reading import credentials_for

    sources = credentials_for(list(recorded), settings.content.sources) if recorded else ()
    return replace(settings, content_dir=content_dir, base_url=manifest.base_url, sources=sources)


def rebuild(assistant: Assistant, settings: Settings, password: str, progress=None) -> str:
    """Check the password, build, swap to the new index; the text to show the admin."""
    if not password_ok(settings.serving.admin_password, password):
        log.warning("admin rebuild refused: wrong password")
        time.sleep(WRONG_PASSWORD_DELAY)
        return REFUSED
    # `is not None`: a gr.Progress has a length (its tracked iterables), so it is falsy when idle
    report_progress = None if progress is None else (lambda fraction, message: progress(fraction, desc=message))
    try:
        report = build_and_swap(assistant, build_settings(assistant, settings), progress=report_progress)
    except BuildLocked as exc:
        return str(exc)
    except KNOWN_ERRORS as exc:
        return f"The rebuild failed; the published index is unchanged.\n{exc}"
    return build_text(report)


def rebuild_action(assistant: Assistant, settings: Settings):
    """The panel's button: (password, progress) -> (the report, the page's header redrawn in the site's face)."""

    def on_rebuild(password: str, progress=gr.Progress()):
        return rebuild(assistant, settings, password, progress), site_header(assistant.info(), settings)

    return on_rebuild


def admin_panel(assistant: Assistant, settings: Settings, header: gr.HTML, question_log=None) -> None:
    """Add the panel to the Blocks being built, or nothing when no admin password is set."""
    if not settings.serving.admin_password:
        return

    on_rebuild = rebuild_action(assistant, settings)
    with gr.Accordion("Admin", open=False, elem_id="kb-admin"):
        password = gr.Textbox(label="Admin password", type="password", max_lines=1, elem_id="kb-admin-password")
        with gr.Tabs():
            with gr.Tab("Index", elem_id="kb-admin-index-tab"):
                button = gr.Button("Rebuild index", variant="primary", elem_id="kb-admin-rebuild")
                report = gr.Textbox(label="Last build report", lines=6, interactive=False, elem_id="kb-admin-report")
            insights_tab(assistant, settings, password, question_log, password_ok)
    button.click(on_rebuild, [password], [report, header], api_visibility="private",
                 concurrency_limit=1, concurrency_id="kb-admin")
