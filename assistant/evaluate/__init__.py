"""Evaluation: how well answers land on labelled questions.

    run.evaluate            `assistant eval`: retrieval metrics, answer landing, refusals, follow-ups
    metrics                 recall@k, MRR, nDCG over plain lists (BEIR's definitions)
    landing                 does a highlight hold the labelled fact, does a link open in the labelled moment
    calibration             a fixed `min_score` suggested from labelled scores

Imports the question path and the build; nothing below imports this.
"""
