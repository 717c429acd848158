"""Answers that land on the answer: whole sentences, the answering moment, follow-ups, the site's face.

Pure logic on lists first; then the real model over a small coffee knowledge base made in conftest
(hard-wrapped Markdown with emphasis, a Q&A recording, a slide deck)."""

from __future__ import annotations

import numpy as np
import pytest

from assistant import Assistant, Settings, SettingsError, load_settings
from assistant.answer.followup import leans_on_previous, resolve
from assistant.answer.language import script_problem
from assistant.answer.moments import choose_moment
from assistant.evaluate.landing import holds_fact, whole_sentence
from corpus.model import Cue
from corpus.sentences import split_sentences
from ui.markup import inline_html
from ui.render import passage_card

COOLING = "What do you do with the beans when the roast is finished?"


def texts(text: str) -> list[str]:
    return [s.text for s in split_sentences(text)]


def test_hard_wrapped_lines_join_into_whole_sentences():
    got = texts("For espresso, rest the beans for seven to ten days; the\nbeans need time. Filter is ready\n"
                "after 2.5 days, e.g. for a V60. Dr. Smith agrees.")
    assert got == ["For espresso, rest the beans for seven to ten days; the beans need time.",
                   "Filter is ready after 2.5 days, e.g. for a V60.", "Dr. Smith agrees."]


def test_list_items_headings_and_slide_titles_stay_units():
    sentences = split_sentences("## Storage\n- **Green:** cool and dark.\n- Roasted: a valve bag\n\n"
                                "First crack\nFirst crack begins at about 196 degrees C.")
    assert [s.text for s in sentences] == ["Storage", "**Green:** cool and dark.", "Roasted: a valve bag",
                                           "First crack", "First crack begins at about 196 degrees C."]
    assert [s.heading for s in sentences] == [True, False, False, True, False]


def test_markdown_renders_as_safe_formatting_never_raw_markers():
    html = inline_html("**Green:** <b>raw</b> *beans* `x<y` and a **cut")
    assert "**" not in html and "<b>" not in html
    assert "<strong>Green:</strong>" in html and "<em>beans</em>" in html and "<code>x&lt;y</code>" in html


def test_a_question_cue_hands_the_highlight_to_the_reply_and_the_link_opens_at_the_question():
    cues = [Cue(10, 19, "Host", "Welcome."), Cue(20, 25, "Host", "What do you do after roasting?"),
            Cue(26, 40, "Guest", "Tip them into a colander."), Cue(41, 50, "Host", "Thanks.")]
    moment = choose_moment(cues, [0.1, 0.9, 0.5, 0.0])
    assert (moment.start, moment.end, moment.highlight) == (20, 40, "Tip them into a colander.")
    assert [t.speaker for t in moment.turns] == ["Host", "Guest", "Host"]
    assert [t.answering for t in moment.turns] == [False, True, False]


def test_follow_ups_lean_on_the_last_question_and_stand_alone_questions_do_not():
    first = "how should we score projects to prioritise the portfolio?"
    query = resolve("How often should we redo that?", [first])
    assert query.text.startswith(first) and query.shown == (
        "score projects to prioritise the portfolio — how often should we redo that")
    for alone in ("what is a message house", "warning signs of scope creep", "rough pay range for a head of PMO?"):
        assert not leans_on_previous(alone) and resolve(alone, [first]).text == alone


def test_a_question_in_another_script_is_told_the_knowledge_base_language():
    assert "answers in English" in script_problem("怎么烘焙咖啡豆？", ("Latin",), "English")
    assert script_problem("how do I roast 咖啡?", ("Latin",), "English") is None
    assert script_problem("怎么烘焙咖啡豆？", (), "English") is None


def test_list_settings_from_toml_and_environment(tmp_path):
    config = tmp_path / "assistant.toml"
    config.write_text('examples = ["One?", "Two?"]\nsite_name = "Beans"\n', encoding="utf-8")
    assert load_settings(config, env={}).face.examples == ("One?", "Two?")
    assert load_settings(config, env={"ASSISTANT_EXAMPLES": "A?|B?"}).face.examples == ("A?", "B?")
    assert load_settings(config, env={"ASSISTANT_EXAMPLES": '["C?"]'}).face.examples == ("C?",)
    with pytest.raises(SettingsError, match="accent_color"):
        load_settings(config, env={"ASSISTANT_ACCENT_COLOR": "red;}body{display:none"})


def test_whole_sentence_check():
    assert whole_sentence("Tip them into a colander.", "x")
    assert not whole_sentence("rest the beans for seven to ten days; the", "For espresso, rest the beans")
    assert holds_fact("**Green:** keep  unroasted beans", ["keep unroasted"])


# --- the real model over the coffee knowledge base ------------------------------------------------


@pytest.fixture(scope="module")
def coffee(coffee_index, embedder) -> Assistant:
    return Assistant(Settings(index_dir=coffee_index), embedder)


def test_recording_links_to_the_answering_cue_not_the_passage_start(coffee):
    passage = next(p for p in coffee.ask("how soon can people drink the coffee they have roasted?").passages
                   if p.source_type == "transcript")
    assert passage.start_seconds == 380 and passage.passage_start_seconds < 380
    assert passage.url == "https://coffee.example.org/live/roasting-qa/#t=380"
    assert passage.highlight.startswith("Give espresso roasts a week")
    assert any(t.answering and t.speaker == "Ada Roaster" for t in passage.exchange)


def test_the_guests_reply_is_highlighted_not_the_hosts_question(coffee):
    passage = coffee.ask(COOLING).passages[0]
    assert passage.source_type == "transcript" and int(passage.start_seconds) == 300
    assert passage.highlight.startswith("Tip them straight into a metal colander")
    card = passage_card(passage)
    assert "<mark>Tip them straight" in card and "▶ 5:00" in card and card.count("kb-turn") >= 2


def test_hard_wrapped_article_highlights_the_whole_answering_sentence(coffee):
    passage = coffee.ask("how long should I rest beans for espresso?").passages[0]
    assert passage.highlight == ("For espresso, rest the beans for seven to ten days; the pressure of an "
                                 "espresso machine exaggerates the gas.")


def test_deck_page_highlights_the_sentence_with_the_temperature_not_the_title(coffee):
    passage = coffee.ask("at what temperature does first crack begin?").passages[0]
    assert passage.page == 2 and "196 degrees" in passage.highlight


def test_markdown_emphasis_is_not_shown_raw_in_a_card(coffee):
    passage = coffee.ask("how should I store green beans?").passages[0]
    card = passage_card(passage)
    assert "**" not in card and "<strong>Green:</strong>" in card


def test_follow_up_searches_with_the_conversation_and_says_so(coffee):
    alone = coffee.ask("how long should it be?")
    after = coffee.ask("how long should it be?", previous=["what grind suits a French press?"])
    assert alone.searched_for is None
    assert after.searched_for and after.passages[0].doc_id == "guides/grinding.md"
    standalone = coffee.ask("how long should I rest beans for espresso?", previous=[COOLING])
    assert standalone.searched_for is None
    assert standalone.passages == coffee.ask("how long should I rest beans for espresso?").passages


def test_examples_come_from_the_content_when_none_are_configured(coffee):
    examples = coffee.examples()
    assert len(examples) == 3 and all("PMO" not in e for e in examples)


# --- sentence vectors made at build time ------------------------------------------------------------


def test_every_chunk_keeps_its_answer_units_vectors_from_the_build(coffee_index, embedder):
    from corpus.sentences import answer_units, unit_text
    from index import load_index

    index = load_index(coffee_index)
    rows = index.live_rows()
    assert len(rows) > 3
    for row in rows.tolist():
        units = [unit_text(u) for u in answer_units(index.chunks[row])]
        stored = index.unit_vectors(row)
        assert stored is not None and stored.shape == (len(units), embedder.dimension)
        fresh = embedder.embed(units)
        assert np.allclose(stored, fresh, atol=2e-3)  # float16 on disk


def test_a_question_embeds_only_itself_when_the_index_holds_sentence_vectors(coffee_index, embedder):
    class CountingEmbedder:  # the real model, counting what it is asked to embed
        def __init__(self, inner):
            self.inner, self.texts = inner, []

        def __getattr__(self, name):
            return getattr(self.inner, name)

        def embed(self, texts, progress=False):
            self.texts += list(texts)
            return self.inner.embed(texts, progress)

        def embed_query(self, text):
            self.texts.append(text)
            return self.inner.embed_query(text)

    counting = CountingEmbedder(embedder)
    answer = Assistant(Settings(index_dir=coffee_index), counting).ask(COOLING)
    assert answer.answered and answer.passages[0].highlight
    assert counting.texts == [COOLING]


def test_another_chunk_of_the_document_is_shown_when_its_answer_is_clearly_better():
    from assistant.answer.passages import Candidate, SentenceVectors, build_passages
    from corpus import Chunk

    def chunk(n: int, text: str) -> Chunk:
        return Chunk(f"a.md#{n}", "a.md", "A", f"/a#{n}", "article", ("S",), text, text)

    query = np.array([1.0, 0.0], dtype=np.float32)
    weak = Candidate(chunk(0, "Roasting is fun. People like it."), 0.6, split_sentences("Roasting is fun. People like it."),
                     vectors=np.array([[0.3, 0.95], [0.2, 0.98]], dtype=np.float32))
    strong = Candidate(chunk(1, "Cool the beans in a colander. Then store them."), 0.55,
                       split_sentences("Cool the beans in a colander. Then store them."),
                       vectors=np.array([[0.95, 0.3], [0.1, 0.99]], dtype=np.float32))
    other = Candidate(chunk(2, "Roast outside. Smoke is loud."), 0.5, split_sentences("Roast outside. Smoke is loud."),
                      vectors=np.array([[0.2, 0.98], [0.1, 0.99]], dtype=np.float32))
    overlapping = Candidate(chunk(3, "Cool the beans in a colander. Then store them."), 0.55,
                            split_sentences("Cool the beans in a colander. Then store them."), vectors=strong.vectors)
    passages = build_passages([[weak, strong], [other, overlapping]], "how do I cool beans", query, SentenceVectors(None))
    assert passages[0].highlight == "Cool the beans in a colander."  # the better chunk's answer
    assert passages[1].text == other.chunk.text  # not the same answer again from an overlapping chunk


def test_without_sentence_vectors_the_answer_sentence_is_embedded_per_question(tmp_path, build):
    from conftest import write_coffee_kb

    settings = build(write_coffee_kb(tmp_path / "kb"), sentence_vectors=False)
    assistant = Assistant.open(settings)
    assert assistant.index.unit_vectors(0) is None
    passage = next(p for p in assistant.ask(COOLING).passages if p.source_type == "transcript")
    assert "colander" in passage.highlight.lower()
