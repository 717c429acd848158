"""The chat page as the owner's help centre: its own footer (`footer_html`) instead of Gradio's, and a visitor
over the rate limit gets a message in the conversation, in Chromium."""

from __future__ import annotations

import pytest

from assistant import Assistant, Settings
from conftest import ask_in_page, needs_browser, open_page, start_app
from ui.page import owner_footer

FOOTER = ('© Bean Counter Ltd · <a href="https://coffee.example.org/privacy">Privacy</a> '
          '<a href="javascript:alert(1)" onclick="window.__pwned=1">Contact</a><script>window.__pwned=1</script>')


def test_the_owners_footer_is_sanitised():
    html = owner_footer(FOOTER)
    assert html.startswith('<footer class="kb-footer">') and "Privacy" in html and "Contact" in html
    assert "<script" not in html and "javascript:" not in html and "onclick" not in html
    assert 'href="https://coffee.example.org/privacy"' in html and 'target="_blank"' in html


@pytest.fixture(scope="module")
def owned(sample_index, embedder, tmp_path_factory):
    settings = Settings(index_dir=sample_index, footer_html=FOOTER, rate_limit_per_minute=1,
                        data_dir=tmp_path_factory.mktemp("face-log"))
    server, url = start_app(Assistant(settings, embedder=embedder), settings)
    yield url
    server.close()


@needs_browser
@pytest.mark.browser
def test_the_page_ends_with_the_owners_footer_and_a_rate_limit_is_a_message(browser, owned):
    page = open_page(browser, owned)
    footer = page.locator("#kb-footer .kb-footer")
    assert footer.inner_text().startswith("© Bean Counter Ltd")
    assert footer.get_by_role("link", name="Privacy").get_attribute("href") == "https://coffee.example.org/privacy"
    body = page.locator("body").inner_text()
    assert "Built with Gradio" not in body and "Use via API" not in body and "Settings" not in body

    ask_in_page(page, "how do I move from PMO analyst to PMO manager?")
    second = "How should I score projects to prioritise the portfolio?"
    box = page.locator("#kb-question textarea")
    box.fill(second)
    box.press("Enter")
    notice = page.locator("#kb-chat .kb-limited")
    notice.wait_for(timeout=30_000)
    assert "Please ask again in" in notice.inner_text() and "your question is still in the box" in notice.inner_text()
    page.wait_for_function("([el, q]) => el.value === q", arg=[box.element_handle(), second])
    assert page.locator(".toast-body").count() == 0  # no red "Error" toast
    assert page.locator("#kb-chat").get_by_text("Error", exact=True).count() == 0
    assert page.locator("#kb-question").get_by_text("Error", exact=True).count() == 0
    assert page.locator("#kb-chat .kb-answer").count() == 2 and box.is_editable()
    assert page.evaluate("window.__pwned") is None
    page.close()
