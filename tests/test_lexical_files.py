"""Questions read bm25s' saved files without importing bm25s (index/lexical.py): this guard fails loudly
on a bm25s version whose tokenizer or file layout no longer matches what the loader assumes."""

from __future__ import annotations

import bm25s
import numpy as np
import Stemmer

from corpus.english import BM25_STOP_WORDS
from index.lexical import TOKEN, LexicalIndex, query_words

TEXTS = ["The PMO's weekly status report: RAG colours, risks and issues.",
         "Benefits realisation is tracked for 3, 6, 12 and 24 months after closure.",
         "Café naïve résumé — coöperation, ÆSIR and straße; it is not the end."]


def test_the_question_words_are_bm25s_own():
    stem = Stemmer.Stemmer("english").stemWords
    for text in TEXTS:
        assert query_words(text) == bm25s.tokenize([text], stopwords="en", stemmer=stem, show_progress=False,
                                                   return_ids=False)[0]
    assert sorted(BM25_STOP_WORDS) == sorted(bm25s.stopwords.STOPWORDS_EN)
    assert TOKEN == r"(?u)\b\w\w+\b"


def test_the_loaded_files_are_what_bm25s_loads(tmp_path):
    LexicalIndex.build(TEXTS).save(tmp_path)
    ours = LexicalIndex.load(tmp_path)
    theirs = bm25s.BM25.load(str(tmp_path), mmap=True, show_progress=False)
    assert ours.vocab == theirs.vocab_dict
    for name in ("data", "indices", "indptr"):
        assert np.array_equal(getattr(ours, f"_{name}"), theirs.scores[name]), name
