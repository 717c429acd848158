"""Which sentence of a passage answers the question: pure scoring over sentences and similarities.

A sentence scores by meaning (its cosine similarity to the question, from the model's vectors,
made at build time) plus the share of the question's words it holds; a question, a heading or
title line, and a fragment of a few words lose points. A sentence also carries part of the score
of its neighbours: the sentence after a heading or a set-up that restates the question is often
the answer, and in a recording a cue is read with the cues around it (the reply after "it was the
hardest part" is where the fix is; a point is followed by its example). Weights chosen on the
sample's labelled questions (`assistant eval`), checked on each half of them separately.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from assistant.answer.shape import ceremony, holds, restates, wanted
from corpus.english import QUESTION_STOP_WORDS, stem
from corpus.sentences import Sentence, plain, split_sentences

LEXICAL_WEIGHT = 0.35
QUESTION_PENALTY = 0.1
HEADING_PENALTY = 0.3
FRAGMENT_PENALTY = 0.15  # under four words
SHAPE_BONUS = 0.3  # the sentence holds what the question's form asks for (a quantity for "how many"…)
CEREMONY_PENALTY = 0.4  # a greeting, an introduction, a closing thank-you
RESTATE_PENALTY = 0.15  # mostly the question's own words, without what its form asks for
CARRY_ARTICLE = (0.2, 0.0)  # shares of the previous and the next sentence's score a sentence carries
CARRY_RECORDING = (0.6, 0.6)  # a cue is read with the cues around it (a question, its reply, the point)


@lru_cache(maxsize=65536)
def terms(text: str) -> frozenset[str]:
    words = [w for w in re.findall(r"\w+", plain(text).lower()) if w not in QUESTION_STOP_WORDS and len(w) > 1]
    return frozenset(stem(words))


def cheap_score(question_terms: set[str], sentence: Sentence, kinds: frozenset[str] = frozenset()) -> float:
    """The score without the model: shared words, the shape of the sentence, and whether it holds what
    the question's form asks for (`kinds`, from `answer_shape.wanted`)."""
    own = terms(sentence.text)
    shared = len(question_terms & own) / len(question_terms) if question_terms else 0.0
    text = plain(sentence.text)
    score = LEXICAL_WEIGHT * shared
    score -= QUESTION_PENALTY if sentence.question else 0.0
    score -= HEADING_PENALTY if sentence.heading else 0.0
    score -= FRAGMENT_PENALTY if len(text.split()) < 4 else 0.0
    score -= CEREMONY_PENALTY if ceremony(text) else 0.0
    answers = bool(kinds) and not sentence.question and not sentence.heading and holds(text, kinds)
    score += SHAPE_BONUS if answers else 0.0
    score -= RESTATE_PENALTY if not answers and restates(question_terms, own) else 0.0
    return score


def shortlist(question: str, sentences: Sequence[Sentence], limit: int) -> list[int]:
    """Indices of the sentences worth asking the model about: the best by words and shape, and the
    sentence after each (it may carry the answer), in order."""
    asked, kinds = terms(question), wanted(question)
    ranked = sorted(range(len(sentences)), key=lambda i: (-cheap_score(asked, sentences[i], kinds), i))
    chosen = set(ranked[:limit])
    chosen |= {i + 1 for i in chosen if i + 1 < len(sentences)}
    return sorted(chosen)


def scores(question: str, sentences: Sequence[Sentence], similarity: Sequence[float | None],
           carry: tuple[float, float] = CARRY_ARTICLE, questions_lead: bool = False,
           rules: bool = True) -> list[float | None]:
    """Each sentence's score (None where it was not embedded): meaning + words + shape + carry.
    questions_lead: a question is not penalised (in a recording it leads to its reply). rules=False (a
    knowledge base in a language the rules do not speak): the model's similarity alone."""
    if not rules:
        return [None if value is None else float(value) for value in similarity]
    asked, kinds = terms(question), wanted(question)
    base = [(similarity[i] or 0.0) + cheap_score(asked, s, kinds) + (QUESTION_PENALTY if questions_lead and s.question else 0.0)
            for i, s in enumerate(sentences)]
    before, after = carry
    last = len(sentences) - 1
    return [None if similarity[i] is None else
            base[i] + (before * base[i - 1] if i else 0.0) + (after * base[i + 1] if i < last else 0.0)
            for i in range(len(sentences))]


def eligible(question: str, sentence: Sentence) -> bool:
    """A sentence that may answer: not a question, a heading or title, a greeting or thank-you, nor
    one that mostly restates the question without what its form asks for."""
    text = plain(sentence.text)
    if sentence.question or sentence.heading or ceremony(text):
        return False
    return holds(text, wanted(question)) or not restates(terms(question), terms(text))


def best_index(question: str, sentences: Sequence[Sentence], similarity: Sequence[float | None]) -> int:
    """The sentence that best answers, among those that may answer when any of them was scored.
    similarity[i] None: not embedded (not a candidate)."""
    return choose(question, sentences, similarity)[0]


def choose(question: str, sentences: Sequence[Sentence], similarity: Sequence[float | None],
           rules: bool = True, scored: Sequence[float | None] | None = None) -> tuple[int, float]:
    """(the answering sentence, its margin): how far its score stands above the next sentence that may
    answer (1.0 when it is the only one). The margin is what says whether the choice is sure enough to show.
    `scored`: the sentences' `scores`, where the caller has them already."""
    if scored is None:
        scored = scores(question, sentences, similarity, rules=rules)
    ranked = [i for i, score in enumerate(scored) if score is not None]
    allowed = ([i for i in ranked if eligible(question, sentences[i])] if rules else []) or ranked
    if not allowed:
        return 0, 0.0
    best = max(allowed, key=lambda i: (scored[i], -i))
    runner = max((scored[i] for i in allowed if i != best), default=None)
    return best, 1.0 if runner is None else scored[best] - runner


def best_sentence(question: str, passage: str) -> str:
    """The best sentence by words and shape alone (no model), for callers without embeddings."""
    sentences = split_sentences(passage)
    if not sentences:
        return ""
    return sentences[best_index(question, sentences, [0.0] * len(sentences))].text
