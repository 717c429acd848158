"""The no-answer threshold, chosen from labelled scores."""

from assistant.evaluate.calibration import calibrate, errors_at


def test_threshold_clears_all_but_one_in_ten_off_topic_scores_with_a_margin():
    off = [0.10, 0.12, 0.15, 0.18, 0.20, 0.22, 0.24, 0.26, 0.28, 0.40]  # one stray high score
    in_domain = [0.30, 0.45, 0.60, 0.70]
    threshold = calibrate(in_domain, off, max_off_topic_rate=0.1, margin=0.02)
    assert threshold == 0.30  # the 2nd-highest off-topic score (0.28) plus the margin
    assert errors_at(threshold, in_domain, off) == (0, 1)


def test_zero_tolerance_refuses_every_off_topic_question():
    threshold = calibrate([0.5, 0.6], [0.2, 0.45], max_off_topic_rate=0.0, margin=0.01)
    assert threshold == 0.46 and errors_at(threshold, [0.5, 0.6], [0.2, 0.45]) == (0, 0)


def test_without_off_topic_questions_the_weakest_in_domain_score_is_kept():
    assert calibrate([0.42, 0.7], []) == 0.42


def test_the_margin_is_given_up_where_it_would_refuse_an_in_domain_question():
    off = [0.10, 0.20, 0.28]
    in_domain = [0.295, 0.5, 0.6]  # a real question just above the off-topic scores
    threshold = calibrate(in_domain, off, max_off_topic_rate=0.0, margin=0.05)
    assert errors_at(threshold, in_domain, off) == (0, 0) and threshold == 0.29
    assert calibrate([0.5, 0.6], off, max_off_topic_rate=0.0, margin=0.05) == 0.33  # nothing lost: the full margin
