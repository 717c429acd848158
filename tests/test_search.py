"""Search on the bundled sample knowledge base, with the real model and real FAISS."""

from __future__ import annotations

from dataclasses import replace

import pytest

from assistant import NO_MATCH, Assistant
from assistant.answer.links import deep_link
from assistant.evaluate.run import evaluate
from corpus import Chunk

ANALYST = "how do I move from PMO analyst to PMO manager?"


@pytest.fixture(scope="module")
def assistant(sample_index, embedder):
    from assistant import Settings

    return Assistant(Settings(index_dir=sample_index), embedder)


def test_career_question_finds_the_career_article_first(assistant):
    answer = assistant.ask(ANALYST)
    assert answer.answered
    top = answer.passages[0]
    assert top.doc_id == "articles/pmo-analyst-to-pmo-manager.md"
    assert top.url.startswith("/read/articles/pmo-analyst-to-pmo-manager.md")
    assert top.highlight in top.text  # the answering sentence, or none where the choice is not sure (the gate)


def test_section_passages_link_to_their_heading_anchor(assistant):
    for passage in assistant.ask(ANALYST, top_k=5).passages:
        if passage.section and passage.source_type == "article":
            assert "#" in passage.url
            break
    else:
        pytest.fail("no passage with a section among the top 5")


def test_transcript_answer_links_to_the_moment_it_starts(assistant):
    answer = assistant.ask("how did the hospital PMO get consultants to turn up to project board meetings?")
    passage = next(p for p in answer.passages if p.source_type == "transcript")
    assert passage.doc_id == "sessions/hospital-pmo-turnaround.vtt"
    assert passage.start_seconds is not None and passage.end_seconds > passage.start_seconds
    assert passage.url == f"/read/sessions/hospital-pmo-turnaround.vtt#t={int(passage.start_seconds)}"


def test_youtube_recordings_get_their_own_time_parameter():
    cue = Chunk("s.srt#1", "s.srt", "Panel", "https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=9s", "transcript",
                ("00:01:05",), "Dashboards were two weeks stale.", "", start=65.4, end=70.0)
    assert deep_link(cue) == "https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=65s"
    assert deep_link(replace(cue, url="https://media.example.net/panel.mp4")) == "https://media.example.net/panel.mp4#t=65"


def test_at_most_two_passages_per_document(assistant):
    answer = assistant.ask("PMO manager career analyst promotion", top_k=10)
    docs = [p.doc_id for p in (*answer.passages, *answer.more)]
    assert max(docs.count(d) for d in docs) <= 2
    assert len(docs) == 10


def test_off_topic_question_gets_no_confident_match_and_nearest_articles(assistant):
    answer = assistant.ask("what's a good recipe for banana bread?")
    assert not answer.answered
    assert answer.kind == "no_match" and answer.message.startswith(NO_MATCH)
    assert answer.passages and len({p.doc_id for p in answer.passages}) == len(answer.passages)


@pytest.mark.parametrize("question", ["", "   \n\t ", "\u200b\u200b"])
def test_empty_questions_get_a_message(assistant, question):
    answer = assistant.ask(question)
    assert not answer.answered and answer.passages == ()
    assert answer.message.startswith("Please type a question")


def test_over_long_question_is_refused_with_the_limit(assistant):
    answer = assistant.ask("why " * 600)
    assert not answer.answered and answer.passages == ()
    assert "2,400 characters" in answer.message and "2,000" in answer.message


def test_recall_at_3_on_the_labelled_questions(sample_settings, embedder, eval_cache, capsys):
    result = evaluate(sample_settings, embedder=embedder, cache_dir=eval_cache)  # reuses the sample index
    with capsys.disabled():
        print(f"\nsample KB ({result.queries} questions, hybrid): recall@3={result.metrics['recall@3']:.3f} "
              f"ndcg@10={result.metrics['ndcg@10']:.3f} off-topic answered={result.wrongly_answered}/{result.off_topic} "
              f"wrongly refused={result.wrongly_refused}")
    assert result.queries >= 60 and result.off_topic >= 60
    assert result.metrics["recall@3"] >= 0.9
    assert result.wrongly_answered <= result.off_topic // 10
    report = result.halves["report"]  # the half no rule was chosen on
    assert {"highlight_accuracy", "moment_accuracy", "cards_per_answer", "card_recall", "wrongly_refused_rate",
            "off_topic_answered_rate"} <= set(report) and set(result.halves) == {"tune", "report"}
    assert report["off_topic_answered_rate"] <= 0.05 and report["wrongly_refused_rate"] <= 0.03
    assert report["cards_per_answer"] <= 3 and report["card_recall"] >= 0.95


def test_a_shown_passage_competes_with_at_most_three_other_chunks_of_its_document(assistant):
    """A long recording's question reads the shown chunk and the three of its document's other chunks that
    rank best (then the closest), not every chunk: the cost of an answer does not grow with the recording."""
    from assistant.answer.search import SECTIONS

    index = assistant.index
    found = assistant.search(index, assistant.embedder, "how did the hospital PMO get consultants to turn up "
                                                        "to project board meetings?")
    shown = [row for row, _ in found.top]
    long_one = next(row for row in shown if len(index.document_rows(row)) > SECTIONS + 2)  # a long recording is shown
    groups = assistant._candidates(index, shown, found.ranked, found.vector)
    assert all(1 <= len(group) <= SECTIONS for group in groups)
    group = groups[shown.index(long_one)]
    assert group[0].chunk == index.chunks[long_one] and len(group) == SECTIONS
    position = {row: n for n, (row, _) in enumerate(found.ranked)}
    others = [r for r in index.document_rows(long_one) if r not in shown]
    ranked_others = sorted((r for r in others if r in position), key=position.get)
    read = [c.chunk for c in group[1:]]
    assert [index.chunks[r] for r in ranked_others[:SECTIONS - 1]] == read[:len(ranked_others[:SECTIONS - 1])]
