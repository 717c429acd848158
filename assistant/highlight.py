"""Which sentence of a passage answers the question: pure scoring over sentences and similarities.

A sentence scores by meaning (its cosine similarity to the question, from the model) plus the
share of the question's words it holds; a question, a heading or title line, and a fragment of a
few words lose points, and a sentence with a number gains when the question asks for one
("how long", "what temperature"). A sentence also carries part of the score of the one before it:
the sentence after a heading or a set-up that restates the question is often the answer (in a
recording, the reply after "it was the hardest part" is where the fix is). The model's part is
computed by the caller in one batch. Weights chosen on the sample's labelled questions.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import Stemmer

from assistant.sentences import Sentence, plain, split_sentences

_STEM = Stemmer.Stemmer("english")
_STOP = set("""a an and are as at be by can do does for from had has have how i if in into is it its me my
of on or our so that the their them then there these they this to was we what when where which who why
will with would you your should could did done get got about any some""".split())
LEXICAL_WEIGHT = 0.35
QUESTION_PENALTY = 0.2
HEADING_PENALTY = 0.3
FRAGMENT_PENALTY = 0.15  # under four words
NUMBER_BONUS = 0.1
CARRY_ARTICLE = 0.2  # share of the previous sentence's score a sentence carries
CARRY_RECORDING = 1.0  # a cue is read with the cue before it
_WANTS_NUMBER = re.compile(r"\b(how (many|much|long|often|far|old|big|hot|warm|cold|large|small|soon|quickly)|"
                           r"what (temperature|percentage|percent|proportion|share|size|age|time|year|ratio|"
                           r"weight|amount|number)|at what|when)\b", re.I)
_HAS_NUMBER = re.compile(r"\d|°|%|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|"
                         r"twenty|thirty|forty|fifty|sixty|hundred|thousand|half|quarter|dozen|once|twice|daily|"
                         r"weekly|fortnightly|monthly|quarterly|annually|yearly)\b", re.I)


def terms(text: str) -> set[str]:
    words = [w for w in re.findall(r"\w+", plain(text).lower()) if w not in _STOP and len(w) > 1]
    return set(_STEM.stemWords(words))


def wants_number(question: str) -> bool:
    return bool(_WANTS_NUMBER.search(question))


def cheap_score(question_terms: set[str], sentence: Sentence, number_wanted: bool) -> float:
    """The score without the model: shared words and the shape of the sentence."""
    shared = len(question_terms & terms(sentence.text)) / len(question_terms) if question_terms else 0.0
    words = len(plain(sentence.text).split())
    score = LEXICAL_WEIGHT * shared
    score -= QUESTION_PENALTY if sentence.question else 0.0
    score -= HEADING_PENALTY if sentence.heading else 0.0
    score -= FRAGMENT_PENALTY if words < 4 else 0.0
    score += NUMBER_BONUS if number_wanted and _HAS_NUMBER.search(plain(sentence.text)) else 0.0
    return score


def shortlist(question: str, sentences: Sequence[Sentence], limit: int) -> list[int]:
    """Indices of the sentences worth asking the model about: the best by words and shape, and the
    sentence after each (it may carry the answer), in order."""
    wanted, number = terms(question), wants_number(question)
    ranked = sorted(range(len(sentences)), key=lambda i: (-cheap_score(wanted, sentences[i], number), i))
    chosen = set(ranked[:limit])
    chosen |= {i + 1 for i in chosen if i + 1 < len(sentences)}
    return sorted(chosen)


def scores(question: str, sentences: Sequence[Sentence], similarity: Sequence[float | None],
           carry: float = CARRY_ARTICLE, questions_lead: bool = False) -> list[float | None]:
    """Each sentence's score (None where it was not embedded): meaning + words + shape + carry.
    questions_lead: a question is not penalised (in a recording it leads to its reply)."""
    wanted, number = terms(question), wants_number(question)
    base = [(similarity[i] or 0.0) + cheap_score(wanted, s, number) + (QUESTION_PENALTY if questions_lead and s.question else 0.0)
            for i, s in enumerate(sentences)]
    return [None if similarity[i] is None else base[i] + (carry * base[i - 1] if i else 0.0)
            for i in range(len(sentences))]


def best_index(question: str, sentences: Sequence[Sentence], similarity: Sequence[float | None]) -> int:
    """The sentence that best answers. similarity[i] None: not embedded (not a candidate)."""
    scored = [(score, -i) for i, score in enumerate(scores(question, sentences, similarity)) if score is not None]
    return -max(scored)[1] if scored else 0


def best_sentence(question: str, passage: str) -> str:
    """The best sentence by words and shape alone (no model), for callers without embeddings."""
    sentences = split_sentences(passage)
    if not sentences:
        return ""
    return sentences[best_index(question, sentences, [0.0] * len(sentences))].text
