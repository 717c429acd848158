"""The bundled sample's slide decks: questions that only a deck page answers cite that page."""

from __future__ import annotations

import json

import pytest

from assistant import Assistant
from assistant.config import SAMPLE_CONTENT, SAMPLE_QUESTIONS
from corpus import load_file

RHYTHM = "/read/decks/pmo-operating-rhythm.pdf"  # the sample names no site: its links open the reader
CAREER = "/read/decks/pmo-career-lattice.pdf"


@pytest.mark.parametrize("question_id, link", [
    ("d02", f"{RHYTHM}#page=4"), ("d03", f"{RHYTHM}#page=8"),
    ("d06", f"{CAREER}#page=2"), ("d07", f"{CAREER}#page=6"), ("d08", f"{CAREER}#page=7"),
])
def test_deck_questions_cite_the_deck_page(sample_settings, embedder, question_id, link):
    queries = {q["_id"]: q["text"] for q in map(json.loads, (SAMPLE_QUESTIONS / "queries.jsonl").open())}
    answer = Assistant(sample_settings, embedder).ask(queries[question_id])
    assert answer.answered and answer.passages[0].url == link
    assert answer.passages[0].source_type == "deck" and answer.passages[0].page == int(link.rsplit("=", 1)[1])


def test_sample_decks_have_six_to_fifteen_slides_titled_with_their_article():
    for name in ("pmo-operating-rhythm", "pmo-career-lattice"):
        deck = load_file(SAMPLE_CONTENT / "decks" / f"{name}.pdf", SAMPLE_CONTENT)
        assert 6 <= len(deck.segments) <= 15 and deck.source_type == "deck"
        assert "slides from “" in deck.title
        article = deck.title.split("slides from “", 1)[1].rstrip("”")
        articles = [load_file(p, SAMPLE_CONTENT) for p in (SAMPLE_CONTENT / "articles").glob("*.md")]
        parent = next(a for a in articles if a.title == article)
        assert any(deck.url in s.text or "Download the deck" in s.text for s in parent.segments)
