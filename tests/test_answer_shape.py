"""What a visitor sees: the sentence that answers (its shape), cards that earn their place, and an
honest "no match" for questions that belong elsewhere."""

from __future__ import annotations

from dataclasses import replace

import pytest

from assistant.answer.highlight import best_index, eligible, terms
from assistant.answer.moments import choose_moment, interviews
from assistant.answer.ranking import split_cards
from assistant.answer.records import Passage
from assistant.answer.search import Assistant
from assistant.answer.shape import ceremony, holds, restates, small_talk, wanted
from corpus.model import Cue
from corpus.sentences import split_sentences


@pytest.mark.parametrize("question, kinds", [
    ("how much development time after first crack?", {"quantity"}),
    ("how many years does it take to become a PMO manager", {"quantity", "duration"}),
    ("how often should we report the value case?", {"duration"}),
    ("when should the PMO trigger a health check", {"time"}),
    ("what temperature should the beans reach", {"measure"}),
    ("who should own the benefits?", {"person"}),
    ("how do I write gate criteria", {"instruction"}),
    ("why do status reports fail", {"reason"}),
    ("stakeholder mapping", set()),
])
def test_the_questions_form_says_what_its_answer_holds(question, kinds):
    assert wanted(question) == kinds


def test_shapes_greetings_and_restatements():
    assert holds("aim for a development time ratio of 20 to 25 per cent", wanted("how much development time?"))
    assert not holds("The time from first crack to the end is called development time.", wanted("how much time?"))
    assert holds("Your line manager signs it off.", wanted("who signs off a gate?"))
    assert holds("Ask Dana Whitfield in the finance office.", wanted("who do I ask?"))  # a name, mid-sentence
    assert ceremony("Good afternoon everyone, and welcome to this month's live session.")
    assert ceremony("Thank you both, that's been fantastic.")
    assert ceremony("Hi, I'm Priya Nair and I'll be hosting today.")
    assert not ceremony("We welcomed the change because it cut the pack to six pages.")
    assert not ceremony("I'm going to explain the steps.")  # "I'm" + two capitalised words is an introduction; this is not


@pytest.mark.parametrize("message, kind", [
    ("hi", "greeting"), ("Hello!", "greeting"), ("hi there :)", "greeting"), ("thanks!", "thanks"),
    ("thank you for your help", "thanks"), ("ok thanks, bye", "goodbye"), ("bye", "goodbye"),
    ("hi, how do I reset my password?", None), ("thanks, where is the form?", None), ("printer", None), ("", None),
])
def test_small_talk_is_told_from_questions(message, kind):
    assert small_talk(message) == kind


def test_the_cue_words_are_the_languages_and_each_list_says_where_it_comes_from():
    import tomllib

    from assistant.answer.shape import CUES

    data = tomllib.loads(CUES.read_text(encoding="utf-8"))
    tables = [table for name, table in data.items() if name != "asks"] + list(data["asks"].values())
    assert tables and all(isinstance(table.get("source"), str) and len(table["source"]) > 20 for table in tables)
    asked = terms("what is development time after first crack")
    assert restates(asked, terms("Development time is the time after first crack."))
    assert not restates(asked, terms("Aim for a ratio of 20 to 25 per cent of the roast."))


def test_the_sentence_with_the_figure_answers_not_the_definition_that_restates_the_question():
    text = ("## Development\nThe time from the start of first crack to the end of the roast is called development "
            "time. For a balanced cup, aim for a development time ratio of 20 to 25 per cent of the whole roast. "
            "What does a longer ratio taste like?")
    sentences = split_sentences(text)
    similarity = [0.6, 0.62, 0.48, 0.5]  # the model prefers the definition, as it does
    chosen = sentences[best_index("how much development time after first crack?", sentences, similarity)]
    assert "20 to 25 per cent" in chosen.text
    assert not eligible("how much development time after first crack?", sentences[3])  # a question never answers


def cue(start, speaker, text):
    return Cue(start=start, end=start + 8, speaker=speaker, text=text)


def test_the_reply_answers_the_interviewers_question_and_opens_the_moment_at_it():
    cues = [cue(0, "Host", "Good afternoon and welcome, I'm Pat Host and this is our live session."),
            cue(8, "Host", "Amira, how did the clinicians react to that? I'd imagine a few were pet projects."),
            cue(16, "Amira", "A couple were upset, yes."),
            cue(24, "Amira", "We wrote a two-line thank-you note for each project we closed.")]
    assert interviews(cues, 1) and not interviews(cues, 2)
    moment = choose_moment(cues, [0.9, 0.8, 0.4, 0.5])  # the greeting and the question score best
    assert "two-line thank-you note" in moment.highlight and "A couple were upset" in moment.highlight
    assert moment.start == 8  # the reply follows the question at once: the visitor hears both


def passage(doc, score, rank):
    return Passage(title=doc, url=f"/{doc}", section="", text="t", highlight="t", score=score,
                   source_type="article", doc_id=doc, rank_score=rank)


def test_cards_earn_their_place_and_the_rest_is_kept_in_more():
    passages = [passage("a", 0.62, 0.9), passage("b", 0.58, 0.7), passage("a", 0.66, 0.65),
                passage("c", 0.35, 0.5), passage("d", 0.2, 0.3)]
    cards, more = split_cards(passages, floor=0.31, gap=0.12)
    assert [p.doc_id for p in cards] == ["a", "b"]  # one card a document; c is 0.27 below the top
    assert [p.doc_id for p in more] == ["a", "c", "d"] and [p.rank_score for p in more] == [0.65, 0.5, 0.3]
    assert [p.rank_score for p in cards] == sorted((p.rank_score for p in cards), reverse=True)


def test_a_workplace_question_is_refused_here_but_answered_by_a_knowledge_base_about_it(build, tmp_path, embedder):
    pmo = tmp_path / "pmo"
    pmo.mkdir()
    (pmo / "status.md").write_text("# Weekly status reports\n\nSend the weekly status report to the sponsor every "
                                   "Friday, with the RAG status and the decisions needed this week.\n")
    (pmo / "raid.md").write_text("# RAID logs\n\nEvery risk in the RAID log has one named owner and a review date.\n")
    canteen = tmp_path / "canteen"
    canteen.mkdir()
    (canteen / "menu.md").write_text("# This week's canteen menu\n\nThe canteen menu for this week is on the board "
                                     "by the tills: soup, a hot dish and salads every day, fish on Friday.\n")
    question = "where can I see this week's canteen menu?"
    here = Assistant(build(pmo), embedder).ask(question)
    assert not here.answered and here.passages  # the nearest articles are still offered
    there = Assistant(build(canteen), embedder).ask(question)
    assert there.answered and there.passages[0].doc_id == "menu.md"
    off = Assistant(replace(build(pmo), refuse_elsewhere=False, min_score=0.0), embedder).ask(question)
    assert off.answered  # the owner can turn the check off


def test_a_tables_header_row_is_a_heading_and_an_extension_number_does_not_end_a_sentence():
    units = split_sentences("Light | Meaning\nSolid red | Battery below 10%\nBlue | Charging\n\n"
                            "Report low toner on ext. 4100 and it is replaced the same day. Then carry on.")
    assert [u.heading for u in units[:3]] == [True, False, False]
    assert units[3].text == "Report low toner on ext. 4100 and it is replaced the same day."


def test_a_documents_passage_better_on_both_counts_leads_it():
    from assistant.answer.passages import lead_with_best_answer

    title_page = replace(passage("deck", 0.60, 0.9), page=1)
    content_page = replace(passage("deck", 0.66, 0.7), page=4)
    other = passage("article", 0.5, 0.8)
    assert [p.page for p in lead_with_best_answer([title_page, other, content_page], [0.9, 0.7, 1.0])][::2] == [4, 1]
    weaker = replace(content_page, score=0.58)  # a better answer but a lower similarity, and not clearly better
    assert lead_with_best_answer([title_page, weaker], [0.9, 1.0])[0].page == 1
