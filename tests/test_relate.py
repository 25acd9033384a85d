import math

import pandas as pd
import pytest

from pipeline.records import Mention
from pipeline.stages.relate import cooccurrences, evidence_pairs, mention_frame, pmi_npmi, windows_of

MENTIONS = pd.DataFrame(
    [
        ("d1", 0, "A"), ("d1", 0, "B"), ("d1", 0, "A"),  # A twice in one sentence: counted once
        ("d1", 1, "A"), ("d1", 1, "B"), ("d1", 1, "C"),
        ("d1", 3, "C"),
        ("d2", 0, "A"), ("d2", 0, "B"),
        ("d2", 1, "C"),
    ],
    columns=["doc_id", "sentence_id", "entity_id"],
)  # fmt: skip
SENTENCES = pd.DataFrame(
    [("d1", 0, 0), ("d1", 1, 0), ("d1", 2, 1), ("d1", 3, 1), ("d2", 0, 0), ("d2", 1, 1)],
    columns=["doc_id", "sentence_id", "block_id"],
)


def _edges(**kw):
    return {(e.source, e.target): e for e in cooccurrences(MENTIONS, SENTENCES, **kw)}


def test_sentence_window_counts_shared_sentences_once_per_sentence():
    edges = _edges()
    assert set(edges) == {("A", "B"), ("A", "C"), ("B", "C")}  # no self-pairs
    assert (edges["A", "B"].weight, edges["A", "B"].documents, edges["A", "B"].sentences) == (3, 2, 3)
    assert (edges["A", "C"].weight, edges["A", "C"].documents) == (1, 1)
    # A in 3 of 6 sentences, B in 3, both in 3: jaccard 1, pmi log(2)
    assert edges["A", "B"].jaccard == 1.0
    assert edges["A", "B"].pmi == pytest.approx(math.log(2), abs=1e-6)


@pytest.mark.parametrize(
    "window, k, expected",
    [
        ("block", 2, {("A", "B"): 2, ("A", "C"): 1, ("B", "C"): 1}),  # C of d2 is in another block
        ("document", 2, {("A", "B"): 2, ("A", "C"): 2, ("B", "C"): 2}),
        ("sentences", 2, {("A", "B"): 3, ("A", "C"): 3, ("B", "C"): 3}),
    ],
)
def test_other_windows(window, k, expected):
    assert {pair: e.weight for pair, e in _edges(window=window, k=k).items()} == expected


def test_window_totals():
    assert windows_of(MENTIONS, SENTENCES, window="sentence")[1] == 6
    assert windows_of(MENTIONS, SENTENCES, window="block")[1] == 4
    assert windows_of(MENTIONS, SENTENCES, window="document")[1] == 2
    assert windows_of(MENTIONS, SENTENCES, window="sentences", k=2)[1] == 3 + 1
    with pytest.raises(ValueError, match="window 'page' is invalid"):
        windows_of(MENTIONS, SENTENCES, window="page")


def test_min_weight_and_dates():
    edges = _edges(min_weight=2, dates={"d1": "2024-06-18", "d2": "2024-07-01"})
    assert list(edges) == [("A", "B")]
    assert (edges["A", "B"].first_date, edges["A", "B"].last_date) == ("2024-06-18", "2024-07-01")


def test_a_month_alone_places_no_edge_on_the_timeline():
    edges = _edges(min_weight=2, dates={"d1": "2024-06", "d2": "2024-07-01"})
    assert (edges["A", "B"].first_date, edges["A", "B"].last_date) == ("2024-07-01", "2024-07-01")
    edges = _edges(min_weight=2, dates={"d1": "2024-06", "d2": "2024"})
    assert (edges["A", "B"].first_date, edges["A", "B"].last_date) == ("", "")


def test_pmi_npmi_values():
    assert pmi_npmi(2, 2, 2, 2) == (0.0, 1.0)
    assert pmi_npmi(1, 2, 2, 4)[1] == pytest.approx(0.0)  # independent
    assert pmi_npmi(1, 2, 3, 10)[1] == pytest.approx(math.log(0.1 / (0.2 * 0.3)) / -math.log(0.1), abs=1e-6)


def test_evidence_lists_every_shared_sentence():
    rows = evidence_pairs(MENTIONS)
    ab = rows[(rows.source == "A") & (rows.target == "B")]
    assert sorted(zip(ab.doc_id, ab.sentence_id)) == [("d1", 0), ("d1", 1), ("d2", 0)]


def test_folding_capitals_and_metonyms():
    mentions = [
        Mention("d", 0, 0, 6, "Moscou", "LOC", "Q649", "name", "kb", "Q159"),
        Mention("d", 1, 10, 19, "Pyongyang", "LOC", "Q18808", "name", "kb", ""),
    ]
    assert list(mention_frame(mentions)["entity_id"]) == ["Q649", "Q18808"]
    assert list(mention_frame(mentions, fold_metonyms=True)["entity_id"]) == ["Q159", "Q18808"]
    assert list(mention_frame(mentions, capitals={"Q18808": "Q423"})["entity_id"]) == ["Q649", "Q423"]


def test_empty_input():
    empty = MENTIONS.iloc[0:0]
    assert cooccurrences(empty, SENTENCES) == []


def test_edge_weights_are_those_of_pmi_npmi_and_plain_python_numbers():
    edges = cooccurrences(MENTIONS, SENTENCES, window="sentences", k=2, dates={"d1": "2024-06-18"})
    totals = windows_of(MENTIONS, SENTENCES, window="sentences", k=2)
    per_entity = totals[0].groupby("entity_id").size()
    for e in edges:
        assert (e.pmi, e.npmi) == pmi_npmi(e.weight, per_entity[e.source], per_entity[e.target], totals[1])
        assert e.jaccard == round(e.weight / (per_entity[e.source] + per_entity[e.target] - e.weight), 6)
        assert {type(e.weight), type(e.documents), type(e.sentences)} == {int}
        assert {type(e.pmi), type(e.npmi), type(e.jaccard)} == {float}
        assert (e.first_date, e.last_date) == ("2024-06-18", "2024-06-18") or e.first_date == ""


def test_sentence_frame_has_the_columns_of_sentences_csv():
    from pipeline.records import SentenceRow, column_names
    from pipeline.stages.relate import sentence_frame

    rows = [SentenceRow("d1", 0, 0, 0, 10), SentenceRow("d1", 1, 0, 11, 20, "texte")]
    frame = sentence_frame(rows)
    assert list(frame.columns) == column_names(SentenceRow)
    assert frame.equals(pd.DataFrame(rows, columns=column_names(SentenceRow)))
    assert list(sentence_frame([]).columns) == column_names(SentenceRow)


def test_evidence_is_the_sentences_naming_both_ends_of_kept_edges():
    from pipeline.stages.relate import edge_evidence

    sentences = SENTENCES.assign(start=lambda d: d["sentence_id"] * 10, end=lambda d: d["sentence_id"] * 10 + 9)
    edges = [e for e in cooccurrences(MENTIONS, sentences) if (e.source, e.target) != ("A", "C")]
    texts = {("d1", 0): "A et B", ("d1", 1): "A, B et C"}
    found = edge_evidence(MENTIONS, edges, sentences, texts, max_per_edge=2)
    assert [(e.source, e.target, e.doc_id, e.sentence_id, e.start, e.text) for e in found] == [
        ("A", "B", "d1", 0, 0, "A et B"),  # the first sentence of each document, then the second
        ("A", "B", "d2", 0, 0, ""),
        ("B", "C", "d1", 1, 10, "A, B et C"),
    ]
