"""Quality floors: the seeds-gold scores README reports, minus a small margin.

A change that makes extraction worse fails here. When quality rises, raise
the floors together with README's Quality section.
"""

from __future__ import annotations

import pytest

from pipeline.evaluate import load_gold, load_run, score
from tests.conftest import PROJECT

MARGIN = 0.02
# Measured with `python -m pipeline evaluate data/gold/seeds_gold.jsonl` (README, Quality).
README = {
    ("ner", "strict", "micro", "f1"): 0.9934,
    ("ner", "fuzzy", "micro", "f1"): 0.9934,
    ("linking", "mention_accuracy"): 0.9900,
    ("linking", "documents", "f1"): 0.9576,
    ("linking", "metonymy_accuracy"): 0.9107,
    ("boilerplate", "removed"): 1.0,
    ("demonyms", "recall"): 1.0,
    ("roles", "recall"): 0.9333,
    ("pairs", "precision"): 0.9683,
    ("pairs", "recall"): 0.9655,
}


@pytest.fixture(scope="module")
def report(shipped_run):
    # the shipped articles are the seeds gold's texts: their doc_ids are the gold ids
    return score(load_gold(PROJECT / "data" / "gold" / "seeds_gold.jsonl"), load_run(shipped_run.out_dir))


@pytest.mark.parametrize("path, floor", README.items(), ids=[".".join(p) for p in README])
def test_seeds_score_holds(report, path, floor):
    value = report
    for key in path:
        value = value[key]
    assert value >= floor - MARGIN, f"{'.'.join(path)} = {value}, README reports {floor}"


def test_boilerplate_removal_loses_no_content(report):
    assert report["boilerplate"]["content_lost"] <= 0.01
