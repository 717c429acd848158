"""Any help centre, not only the sample: refusals relative to the knowledge base, the conversation around
the answers, highlights only when sure, and rules that know no knowledge base's words."""

from __future__ import annotations

from dataclasses import replace

import pytest
from click.testing import CliRunner

from assistant import NO_MATCH, Settings
from assistant.answer.examples import suggest_examples
from assistant.answer.off_topic import elsewhere_questions
from assistant.answer.passages import Gate
from assistant.answer.search import Assistant
from assistant.cli import main
from corpus import Chunk

IT_DESK = {
    "printing.md": "# Printing\n\n## Connecting to the office printers\n\nEvery office printer is reached through "
                   "one queue called FollowPrint, installed on your laptop automatically. Send the job to "
                   "FollowPrint, then tap your badge on any printer to release it.\n",
    "passwords.md": "# Passwords and sign-in\n\n## Locked out\n\nAfter eight wrong passwords your account locks "
                    "for thirty minutes. To unlock it at once, reset your password at selfservice.example.org "
                    "with your authenticator app, or call the service desk on extension 4357.\n",
    "email-phone.md": "# Work email on your phone\n\n## iPhone and Android\n\nInstall the Outlook app from the App "
                      "Store or Google Play, sign in with your work address, and approve the prompt in your "
                      "authenticator app. Mail, calendar and contacts appear within a few minutes.\n",
    "wifi.md": "# Office Wi-Fi\n\n## Staff network\n\nLaptops join the staff network automatically. If the Wi-Fi "
               "drops, turn Wi-Fi off and on again, then forget and rejoin the network called STAFF.\n",
    "vpn.md": "# Working remotely\n\n## The VPN\n\nConnect the VPN client before opening internal sites; it "
              "disconnects after twelve hours and needs a fresh sign-in.\n",
    "software.md": "# Software requests\n\n## Installing software\n\nOpen the Software Centre from the Start menu and "
                   "install approved programs yourself; anything else needs a request, approved within ten "
                   "business days.\n",
}
EVERYDAY_HERE = ["how do I connect to the office printer", "I forgot my password and I'm locked out of my account",
                 "how do I set up my email on my phone", "the wifi in the office isn't working"]


@pytest.fixture(scope="module")
def it_desk(tmp_path_factory, embedder):
    from index import build_index
    from tests.conftest import chunk_settings

    root = tmp_path_factory.mktemp("it-desk")
    content = root / "content"
    content.mkdir()
    for name, text in IT_DESK.items():
        (content / name).write_text(text, encoding="utf-8")
    settings = Settings(content_dir=content, index_dir=root / "index")
    build_index(content, settings.index.dir, embedder, chunk_settings(embedder))
    return Assistant(settings, embedder)


def test_an_it_desk_answers_its_own_questions_worded_like_the_everyday_list(it_desk):
    lines = {line.casefold() for line in elsewhere_questions()}
    assert {q.casefold() for q in EVERYDAY_HERE} <= lines  # they are everyday questions elsewhere
    for question, document in zip(EVERYDAY_HERE, ["printing.md", "passwords.md", "email-phone.md", "wifi.md"]):
        answer = it_desk.ask(question)
        assert answer.answered, (question, answer.message)
        assert answer.passages[0].doc_id == document


def test_an_it_desk_still_refuses_what_belongs_elsewhere(it_desk):
    for question in ("when is payday this month", "what's a good recipe for banana bread?",
                     "who won the world cup"):
        answer = it_desk.ask(question)
        assert answer.kind == "no_match" and answer.message.startswith(NO_MATCH), question
        assert answer.passages  # the nearest articles are still offered


def test_a_refusal_says_what_the_help_centre_covers(it_desk):
    settings = replace(it_desk.settings, site_name="Acme IT Help", scope="accounts, devices, printing and remote work")
    answer = Assistant(settings, it_desk.embedder, index=it_desk.index).ask("how long do I boil an egg?")
    assert answer.message == (f"{NO_MATCH} Acme IT Help covers accounts, devices, printing and remote work. "
                              "The nearest articles are below, in case one of them helps.")
    assert "rephras" not in answer.message


def test_small_talk_gets_a_friendly_reply_and_is_never_joined_to_the_last_question(it_desk):
    hello = it_desk.ask("hi!", previous=["how do I connect to the office printer"])
    assert hello.kind == "small_talk" and hello.passages == () and hello.message == it_desk.settings.face.reply_greeting
    assert hello.examples and hello.searched_for is None
    assert it_desk.ask("thanks!").message == it_desk.settings.face.reply_thanks
    assert it_desk.ask("ok bye").message == it_desk.settings.face.reply_goodbye
    after = it_desk.ask("what about the vpn?", previous=["hi", "thanks"])  # small talk is no context
    assert after.searched_for is None and after.passages[0].doc_id == "vpn.md"


def test_small_talk_is_not_logged_as_a_content_gap(tmp_path, it_desk):
    from assistant.analytics import open_log

    log = open_log(Settings(data_dir=tmp_path / "data"))
    try:
        assert log.record(it_desk.ask("hello"), "web", 0.01, "v1") is None
        assert log.record(it_desk.ask("how do I connect to the office printer"), "web", 0.01, "v1") is not None
    finally:
        log.close()


def test_a_misspelt_question_is_searched_in_the_knowledge_bases_words(it_desk):
    answer = it_desk.ask("pasword locked out")
    assert answer.searched_for == "password locked out" and answer.passages[0].doc_id == "passwords.md"
    assert it_desk.ask("Calloway printer").searched_for is None  # a name is never "corrected"


def test_an_unsure_highlight_is_not_shown_and_the_link_names_no_sentence(it_desk):
    sure = Assistant(it_desk.settings, it_desk.embedder, index=it_desk.index, gate=Gate.off())
    unsure = Assistant(it_desk.settings, it_desk.embedder, index=it_desk.index, gate=Gate(highlight=99, moment=99))
    question = "how many wrong passwords before my account locks?"
    shown, hidden = sure.ask(question).passages[0], unsure.ask(question).passages[0]
    assert shown.highlight and ":~:text=" in shown.url
    assert hidden.highlight == "" and ":~:text=" not in hidden.url and hidden.text == shown.text
    assert hidden.confidence == shown.confidence


def test_an_unsure_moment_opens_the_passage_at_its_start(coffee_index, embedder):
    settings = Settings(index_dir=coffee_index)
    unsure = Assistant(settings, embedder, gate=Gate(highlight=99, moment=99))
    answer = unsure.ask("how long should beans rest before brewing espresso?")
    recording = next(p for p in (*answer.passages, *answer.more) if p.source_type == "transcript")
    assert recording.highlight == "" and recording.start_seconds == recording.passage_start_seconds
    assert not any(turn.answering for turn in recording.exchange)


def test_another_language_turns_the_english_rules_off(it_desk):
    french = Assistant(replace(it_desk.settings, language="French"), it_desk.embedder, index=it_desk.index)
    assert not french.rules
    assert french.ask("hi").kind != "small_talk"  # an English greeting is not recognised: it is searched


def test_the_build_report_names_the_everyday_questions_covered_and_the_rules_language(tmp_path, embedder):
    content = tmp_path / "content"
    content.mkdir()
    for name, text in IT_DESK.items():
        (content / name).write_text(text, encoding="utf-8")
    index = tmp_path / "index"
    result = CliRunner().invoke(main, ["build", str(content), "--index", str(index)],
                                env={"ASSISTANT_LANGUAGE": "German"})
    assert result.exit_code == 0, result.output
    assert "Everyday questions it answers as its own" in result.output
    assert "with language = 'German'" in result.output


@pytest.mark.parametrize("content, why", [
    (None, "does not exist"), (b"# only a comment\n\n", "holds no question"), (b"caf\xe9 menu?\n", "is not UTF-8"),
    (b"x" * 1_000_001, "bytes; keep it under"),
])
def test_a_bad_everyday_list_is_named_and_the_served_index_is_untouched(tmp_path, sample_index, content, why):
    listed = tmp_path / "everyday.txt"
    if content is not None:
        listed.write_bytes(content)
    before = (sample_index / "CURRENT").read_text()
    result = CliRunner().invoke(main, ["build", "--index", str(sample_index)],
                                env={"ASSISTANT_ELSEWHERE_FILE": str(listed)})
    assert result.exit_code == 1 and str(listed) in result.output and why in result.output
    assert (sample_index / "CURRENT").read_text() == before


def test_the_owner_extends_or_replaces_the_everyday_list(tmp_path, it_desk):
    own = tmp_path / "ours.txt"
    own.write_text("where do I pick up my lanyard\n", encoding="utf-8")
    extended = Assistant(replace(it_desk.settings, elsewhere_file=own), it_desk.embedder, index=it_desk.index)
    assert "where do I pick up my lanyard" in extended.elsewhere.questions
    assert len(extended.elsewhere.questions) == len(elsewhere_questions()) + 1
    replaced = Assistant(replace(it_desk.settings, elsewhere_file=own, elsewhere_mode="replace"), it_desk.embedder,
                         index=it_desk.index)
    assert replaced.elsewhere.questions == ["where do I pick up my lanyard"]


def test_example_questions_from_headings_read_as_questions():
    def chunk(doc, title, *section):
        return Chunk(chunk_id=f"{doc}#1", doc_id=doc, title=title, url=f"/{doc}", source_type="article",
                     section=section, text="t", embed_text="t")

    chosen = suggest_examples([chunk("a", "Self-service", "When self-service does not work"),
                               chunk("b", "Passwords", "How to reset your password"),
                               chunk("c", "Leave", "What is carry-over")], count=3)
    assert "When self-service does not work?" not in chosen
    assert "How do I reset my password?" in chosen and "What is carry-over?" in chosen
