import math

import pandas as pd
import pytest

from pipeline.records import Mention
from pipeline.stages.relate import cooccurrences, mention_frame, npmi


def _frame(rows):
    return pd.DataFrame(rows, columns=["doc_id", "sentence_id", "entity_id"])


def test_weight_counts_shared_sentences_once_per_sentence():
    frame = _frame(
        [
            ("d1", 0, "A"), ("d1", 0, "B"), ("d1", 0, "A"),  # A twice in one sentence: counted once
            ("d1", 1, "A"), ("d1", 1, "B"), ("d1", 1, "C"),
            ("d2", 0, "A"), ("d2", 0, "B"),
            ("d2", 1, "C"),
        ]
    )
    edges = {(e.source, e.target): e for e in cooccurrences(frame, n_windows=4)}
    assert set(edges) == {("A", "B"), ("A", "C"), ("B", "C")}  # no self-pairs
    assert (edges["A", "B"].weight, edges["A", "B"].documents) == (3, 2)
    assert (edges["A", "C"].weight, edges["A", "C"].documents) == (1, 1)


def test_min_weight_drops_rare_edges():
    frame = _frame([("d", 0, "A"), ("d", 0, "B"), ("d", 1, "A"), ("d", 1, "B"), ("d", 2, "A"), ("d", 2, "C")])
    assert [(e.source, e.target) for e in cooccurrences(frame, n_windows=3, min_weight=2)] == [("A", "B")]


def test_npmi_bounds_and_value():
    assert npmi(2, 2, 2, 2) == 1.0
    # p(a,b) = 1/4, p(a) = p(b) = 1/2: independent -> 0
    assert npmi(1, 2, 2, 4) == pytest.approx(0.0)
    assert npmi(1, 2, 3, 10) == pytest.approx(math.log(0.1 / (0.2 * 0.3)) / -math.log(0.1), abs=1e-6)


def test_fold_metonyms_counts_a_capital_as_its_state():
    mentions = [
        Mention("d", 0, 0, 6, "Moscou", "LOC", "Q649", "name", "kb", "Q159"),
        Mention("d", 0, 10, 19, "Pyongyang", "LOC", "Q18808", "name", "kb", ""),
    ]
    assert set(mention_frame(mentions, fold_metonyms=True)["entity_id"]) == {"Q159", "Q18808"}
    assert set(mention_frame(mentions)["entity_id"]) == {"Q649", "Q18808"}


def test_empty_input():
    assert cooccurrences(_frame([]), n_windows=0) == []
