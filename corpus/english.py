"""English words every layer shares: one stemmer and the two stop-word lists built on it.

    STEMMER               Snowball's English stemmer (PyStemmer): BM25's index and questions, and the
                          answer rules' shared words, all stem alike
    BM25_STOP_WORDS       bm25s' own English list: builds hand it to bm25s, questions drop the same words
    QUESTION_STOP_WORDS   the answer rules' list: function words and the words every question is made of
                          ("how", "what", "should", "my"), which say nothing about what it asks for
                          ("not" and "no" stay: "why is it not charging" turns on them)
"""

from __future__ import annotations

import Stemmer

STEMMER = Stemmer.Stemmer("english")
BM25_STOP_WORDS = ("a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "if", "in", "into", "is", "it",
                   "no", "not", "of", "on", "or", "such", "that", "the", "their", "then", "there", "these", "they",
                   "this", "to", "was", "will", "with")  # bm25s' "en" list
QUESTION_STOP_WORDS = frozenset("""a an and are as at be by can do does for from had has have how i if in into is it
its me my of on or so that the their them then there these they this to was we what when where which who why will
with would you your should could did done get got about any some""".split())


def stem(words: list[str]) -> list[str]:
    return STEMMER.stemWords(words)


__all__ = ["BM25_STOP_WORDS", "QUESTION_STOP_WORDS", "STEMMER", "stem"]
