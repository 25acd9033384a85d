"""Every mention's offsets index the text the article was read as: the file
itself for plain text (any encoding), the saved extracted text for HTML."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from pipeline import load_config, run
from pipeline.evaluate import load_gold
from pipeline.stages.ingest import decode
from tests.conftest import PROJECT

FORMATS = PROJECT / "tests" / "data" / "formats"


@pytest.fixture(scope="module")
def formats_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("formats")
    files = [FORMATS / "article.html", FORMATS / "cp1252.txt", FORMATS / "latin1.txt", FORMATS / "utf16.txt"]
    config = load_config(overrides={"output.out_dir": tmp / "out", "annotate.cache_dir": tmp / "cache"})
    run(files, config)
    return tmp / "out"


def test_html_and_legacy_encodings_map_back(formats_run):
    mentions = pd.read_csv(formats_run / "mentions.csv", keep_default_na=False)
    docs = pd.read_csv(formats_run / "documents.csv", keep_default_na=False).set_index("doc_id")
    assert set(mentions["doc_id"]) == {"article", "cp1252", "latin1", "utf16"}
    for doc_id, rows in mentions.groupby("doc_id"):
        if doc_id == "article":
            text = (formats_run / "texts" / "article.txt").read_text(encoding="utf-8")
        else:
            text = decode((PROJECT / docs.loc[doc_id, "source"]).read_bytes())
        for m in rows.itertuples():
            assert text[m.start : m.end] == m.text, (doc_id, m.text)
    assert docs.loc["article", "title"] and docs.loc["article", "date"] == "2024-06-18"
    assert docs.loc["article", "url"] == "https://example.org/poutine-pyongyang"


def test_no_org_or_misc_invented_from_headings(shipped_run):
    """Title-Case headings ("Une Coopération Militaire au Cœur des Discussions")
    give no ORG/MISC mention that the gold does not have."""
    out = shipped_run.out_dir
    mentions = pd.read_csv(out / "mentions.csv", keep_default_na=False)
    headings = pd.read_csv(out / "blocks.csv", keep_default_na=False).query("kind == 'heading'")
    gold = {
        (r["id"], e["start"], e["end"])
        for r in load_gold(PROJECT / "data/gold/seeds_gold.jsonl")
        for e in r["entities"]
    }
    in_headings = mentions.merge(headings, on="doc_id", suffixes=("", "_block"))
    in_headings = in_headings[
        (in_headings.start >= in_headings.start_block) & (in_headings.end <= in_headings.end_block)
    ]
    invented = [
        (m.doc_id, m.text)
        for m in in_headings.itertuples()
        if m.label in ("ORG", "MISC") and m.kind == "name" and (m.doc_id, m.start, m.end) not in gold
    ]
    assert len(in_headings) > 20 and invented == []


def test_run_json_counts(formats_run):
    info = json.loads((formats_run / "run.json").read_text(encoding="utf-8"))
    assert info["counts"]["articles"] == 4 and info["counts"]["failed"] == 0
