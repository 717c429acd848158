"""The admin panel in a real Chromium: absent without a password; with one, a wrong password is
refused and the right one rebuilds the index (with progress), shows the report and serves it."""

from __future__ import annotations

from dataclasses import replace

import pytest
from filelock import FileLock

from assistant import Assistant
from conftest import ask_in_page, needs_browser, open_page, start_app
from ui.admin import REFUSED, password_ok


PASSWORD = "correct horse battery staple"
EXTRA_NOTES = 6
# Record every progress message the page shows, however briefly (a small build takes well under a second).
WATCH_PROGRESS = """() => { window.__progress = [];
  new MutationObserver(() => {
    for (const el of document.querySelectorAll('#kb-admin .progress-text, #kb-admin .progress-level-inner, #kb-admin .meta-text'))
      if (el.textContent.trim()) window.__progress.push(el.textContent.trim());
  }).observe(document.body, {subtree: true, childList: true, characterData: true});
}"""


def content_with(folder, *names: str):
    bodies = {
        "risks.md": "# Risk registers\n\nEvery risk needs an owner, a score and a review date.\n",
        "gates.md": "# Stage gates\n\nA gate review decides whether a project continues.\n",
        "lantern.md": "# The lantern protocol\n\nThe lantern protocol triages portfolio proposals within five days.\n",
    }
    folder.mkdir(exist_ok=True)
    for name in names:
        (folder / name).write_text(bodies[name], encoding="utf-8")
    return folder


def rebuild(page, password: str, expected: str):
    """Open the panel if needed, type the password, press Rebuild, wait for `expected` in the report."""
    panel = page.locator("#kb-admin")
    if not page.locator("#kb-admin-password input").is_visible():
        panel.get_by_text("Admin").first.click()
    page.locator("#kb-admin-password input").fill(password)
    page.locator("#kb-admin-rebuild").click()
    report = page.locator("#kb-admin-report textarea")
    page.wait_for_function("([sel, text]) => document.querySelector(sel)?.value.includes(text)",
                           arg=["#kb-admin-report textarea", expected], timeout=60_000)
    return report.input_value()


@needs_browser
@pytest.mark.browser
def test_without_a_password_there_is_no_admin_panel(browser, build, embedder, tmp_path):
    settings = build(content_with(tmp_path / "content", "risks.md"))
    assert settings.serving.admin_password is None
    demo, url = start_app(Assistant(settings, embedder=embedder), settings)
    try:
        page = open_page(browser, url)
        assert page.locator("#kb-admin, #kb-admin-password, #kb-admin-rebuild").count() == 0
        assert "Rebuild index" not in page.content() and "Admin" not in page.inner_text("body")
        page.close()
    finally:
        demo.close()


@needs_browser
@pytest.mark.browser
def test_admin_rebuild_refuses_a_wrong_password_then_rebuilds_and_serves(browser, build, embedder, tmp_path):
    content = content_with(tmp_path / "content", "risks.md", "gates.md")
    settings = replace(build(content), admin_password=PASSWORD)
    assistant = Assistant(settings, embedder=embedder)
    demo, url = start_app(assistant, settings)
    try:
        page = open_page(browser, url)
        assert "2 articles" in page.locator("#kb-header").inner_text()
        version = assistant.index.version
        content_with(content, "lantern.md")
        for n in range(EXTRA_NOTES):  # enough to embed that the build runs long enough to show its progress
            (content / f"note-{n}.md").write_text(f"# Board note {n}\n\n" + " ".join(
                f"Item {n}.{i}: the board reviewed governance step {i} and agreed its owner." for i in range(12)))

        assert rebuild(page, "guess", REFUSED) == REFUSED
        assert assistant.index.version == version

        with FileLock(str(settings.index.dir / "build.lock")):  # a build is already running elsewhere
            assert "Another build is running" in rebuild(page, PASSWORD, "Another build is running")
        assert assistant.index.version == version

        page.evaluate(WATCH_PROGRESS)
        report = rebuild(page, PASSWORD, f"Indexed {3 + EXTRA_NOTES} documents")
        assert f"added {1 + EXTRA_NOTES} · changed 0 · removed 0 · unchanged 2" in report
        assert assistant.index.version != version
        header = page.locator("#kb-header").inner_text()
        assert f"{3 + EXTRA_NOTES} articles" in header and f"from {3 + EXTRA_NOTES} documents" in header
        progress = page.evaluate("window.__progress")
        assert any("embedding" in text and "%" in text for text in progress), progress
        answer, _ = ask_in_page(page, "What is the lantern protocol?")
        assert "The lantern protocol" in answer.locator(".kb-card .kb-title").first.inner_text()
        page.close()
        fresh = open_page(browser, url)  # a page opened later shows the new index from the start
        fresh.wait_for_function("t => document.querySelector('#kb-header').innerText.includes(t)",
                                arg=f"from {3 + EXTRA_NOTES} documents", timeout=10_000)
        fresh.close()
    finally:
        demo.close()


def test_password_check_is_exact_and_never_open_without_a_password():
    assert password_ok(PASSWORD, PASSWORD)
    assert not password_ok(PASSWORD, PASSWORD + " ") and not password_ok(PASSWORD, "")
    assert not password_ok(None, "") and not password_ok("", "")
    assert password_ok("pässwörd", "pässwörd")  # non-ASCII works (compare_digest on bytes)


def test_the_rebuild_redraws_the_header_with_the_site_name_and_logo(sample_index, embedder):
    """One header function for the page and the rebuild: the site's name and logo stay after it."""
    from assistant import Settings
    from ui.admin import rebuild_action

    settings = Settings(index_dir=sample_index, admin_password="pw", site_name="Bean Counter Help",
                        logo_url="https://coffee.example.org/logo.png")
    on_rebuild = rebuild_action(Assistant(settings, embedder=embedder), settings)  # the panel's button
    report, header = on_rebuild("not the password")
    assert report == REFUSED
    assert "Bean Counter Help" in header and "https://coffee.example.org/logo.png" in header
