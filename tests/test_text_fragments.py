"""Links to the exact sentence: text fragments (URL Fragment Text Directives) built from the highlight."""

from __future__ import annotations

from urllib.parse import unquote

import pytest

from assistant import Settings
from assistant.answer.links import text_fragment, with_text_fragment
from assistant.answer.passages import Gate
from assistant.answer.search import Assistant

PAGE = ("Intro line here. Aim for a development time ratio of 20 to 25 per cent of the whole roast. Then rest. "
        "Aim for a development time ratio of 20 to 25 per cent. Rest it. Then cool. Rest it.")


def terms(directive: str) -> list[str]:
    assert directive.startswith("text=")
    return [unquote(term) for term in directive[len("text="):].split(",")]


def test_a_long_sentence_is_named_by_its_first_and_last_words():
    directive = text_fragment("Aim for a development time ratio of 20 to 25 per cent of the whole roast.", PAGE)
    assert terms(directive) == ["Aim for a development", "of the whole roast."]


def test_a_sentence_whose_start_comes_earlier_on_the_page_is_named_in_full():
    directive = text_fragment("Aim for a development time ratio of 20 to 25 per cent.", PAGE)
    assert terms(directive) == ["Aim for a development time ratio of 20 to 25 per cent."]  # the first match is the right one


def test_a_repeated_sentence_is_found_first_where_the_browser_looks_first():
    assert terms(text_fragment("Rest it.", PAGE)) == ["Rest it."]


def test_punctuation_quotes_and_non_ascii_are_kept_literally_and_encoded():
    page = "Some text. Café owners’ “best” beans—roasted, not burnt & fresh! More."
    directive = text_fragment("Café owners’ “best” beans—roasted, not burnt & fresh!", page)
    assert terms(directive) == ["Café owners’ “best” beans—roasted, not burnt & fresh!"]  # short: named whole
    raw = directive[len("text="):]
    assert "&" not in raw and "-" not in raw and " " not in raw and "%2C" in raw  # escaped as the spec asks
    assert "%C3%A9" in raw  # UTF-8, percent-encoded


def test_a_dash_in_a_term_is_escaped_so_it_is_not_read_as_a_prefix():
    directive = text_fragment("Run a two-week data hygiene sprint first.", "Intro. Run a two-week data hygiene sprint first.")
    assert "-" not in directive and "two%2Dweek" in directive


def test_markdown_is_matched_as_the_page_shows_it():
    page = "## Owners\n\nThe **project manager** should *never* be the benefit owner."
    assert terms(text_fragment("The **project manager** should *never* be the benefit owner.", page)) == [
        "The project manager should", "be the benefit owner."]


def test_a_table_row_is_named_by_its_first_and_last_cell():
    page = "| Role | Years | Work |\n|---|---|---|\n| PMO analyst | 1 to 4 years | Data, reporting and analysis |"
    assert terms(text_fragment("PMO analyst | 1 to 4 years | Data, reporting and analysis", page)) == [
        "PMO analyst", "Data, reporting and analysis"]


def test_the_fragment_joins_the_section_anchor_on_web_pages_and_in_the_reader():
    assert with_text_fragment("https://help.example.org/kb/a/#owners", "Then rest.", PAGE) == \
        "https://help.example.org/kb/a/#owners:~:text=Then%20rest."
    assert with_text_fragment("https://help.example.org/kb/a/", "Then rest.", PAGE).endswith("/#:~:text=Then%20rest.")
    assert with_text_fragment("/source/a.md", "Then rest.", PAGE) == "/source/a.md"
    assert with_text_fragment("/read/a.md#owners", "Then rest.", PAGE) == "/read/a.md#owners:~:text=Then%20rest."
    assert with_text_fragment("/read/a.md", "Then rest.", PAGE) == "/read/a.md#:~:text=Then%20rest."
    assert with_text_fragment("https://help.example.org/kb/a/", "Not on the page.", PAGE) == "https://help.example.org/kb/a/"


@pytest.mark.parametrize("enabled", [True, False])
def test_article_links_name_their_sentence_unless_turned_off(sample_settings, embedder, enabled):
    answer = Assistant(Settings(index_dir=sample_settings.index.dir, text_fragments=enabled), embedder,
                       gate=Gate.off()).ask(
        "how many years does it normally take to go from reporting analyst to leading a PMO team")
    article = next(p for p in answer.passages if p.source_type == "article")
    assert (":~:text=" in article.url) is enabled
    recording = next((p for p in (*answer.passages, *answer.more) if p.source_type == "transcript"), None)
    assert recording is None or ":~:" not in recording.url
