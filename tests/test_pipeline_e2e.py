"""End to end on the five shipped articles: the real model, KB and files."""

from __future__ import annotations

import json

import networkx as nx
import pandas as pd
import pytest

from tests.conftest import ARTICLES


@pytest.fixture(scope="module")
def out(shipped_run):
    folder = shipped_run.out_dir
    return {
        name: pd.read_csv(folder / f"{name}.csv", keep_default_na=False)
        for name in ("documents", "mentions", "entities", "cooccurrences")
    } | {"folder": folder}


def test_every_output_file_is_written(out):
    names = {p.name for p in out["folder"].iterdir()}
    assert {
        "documents.csv",
        "mentions.csv",
        "entities.csv",
        "cooccurrences.csv",
        "relations.csv",
        "evidence.csv",
        "errors.csv",
        "sentences.csv",
        "report.html",
        "graph.graphml",
        "graph.gexf",
        "graph.json",
        "run.json",
    } <= names
    run_info = json.loads((out["folder"] / "run.json").read_text(encoding="utf-8"))
    assert run_info["counts"]["articles"] == 5
    assert set(run_info["timings"]) >= {"annotate", "link", "relate", "export"}


def test_documents_table(out):
    docs = out["documents"]
    assert list(docs.columns) == [
        "doc_id",
        "source",
        "title",
        "date",
        "url",
        "chars",
        "sentences",
        "mentions",
        "status",
        "duplicate_of",
        "text_file",
    ]
    assert len(docs) == 5 and set(docs["status"]) == {"ok"}
    assert (docs["mentions"] > 0).all()


def test_mention_offsets_index_the_original_file_text(out):
    mentions = out["mentions"]
    assert len(mentions) > 200
    texts = {p.stem: p.read_text(encoding="utf-8") for p in ARTICLES.glob("*.txt")}
    for m in mentions.itertuples():
        assert texts[m.doc_id][m.start : m.end] == m.text
        assert "\n" not in m.text


@pytest.mark.parametrize(
    "name, type_",
    [
        ("Vladimir Poutine", "PER"),
        ("Kim Jong-un", "PER"),
        ("Kim Jong-il", "PER"),
        ("Otan", "ORG"),
        ("Kremlin", "ORG"),
        ("Corée du Nord", "STATE"),
        ("Russie", "STATE"),
    ],
)
def test_one_entity_row_per_canonical_entity(out, name, type_):
    rows = out["entities"][out["entities"]["name"] == name]
    assert len(rows) == 1, rows
    assert rows["type"].iloc[0] == type_


def test_variants_link_to_one_entity(out):
    entities = out["entities"].set_index("name")
    assert {"Poutine", "Vladimir Poutine"} <= set(entities.loc["Vladimir Poutine", "aliases"].split("|"))
    assert {"Kim Jong Un", "Kim Jong-un"} <= set(entities.loc["Kim Jong-un", "aliases"].split("|"))
    assert entities.loc["Kim Jong-il", "entity_id"] != entities.loc["Kim Jong-un", "entity_id"]


def test_no_entity_from_page_furniture(out):
    furniture = ("Trinity", "Audio", "Comments", "PREV", "NEXT", "top of page", "bottom of page", "RÉSERVÉS")
    for alias in out["entities"]["aliases"]:
        assert not any(word in alias for word in furniture), alias


def test_poutine_kim_edge_weight_is_the_number_of_shared_sentences(out):
    entities = out["entities"].set_index("name")["entity_id"]
    poutine, kim = entities["Vladimir Poutine"], entities["Kim Jong-un"]
    m = out["mentions"]
    sentences = m.groupby(["doc_id", "sentence_id"])["entity_id"].agg(set)
    both = sum(1 for ids in sentences if poutine in ids and kim in ids)
    assert both > 0
    edges = out["cooccurrences"]
    edge = edges[(edges["source"] == min(poutine, kim)) & (edges["target"] == max(poutine, kim))]
    assert edge["weight"].tolist() == [both]


def test_graph_files_read_back_to_the_same_graph(out):
    table = out["cooccurrences"]
    expected = {(frozenset((r.source, r.target)), r.weight) for r in table.itertuples()}
    for reader, name in ((nx.read_graphml, "graph.graphml"), (nx.read_gexf, "graph.gexf")):
        g = reader(out["folder"] / name)
        assert set(g.nodes) == set(out["entities"]["entity_id"]), name
        assert {(frozenset((a, b)), int(d["weight"])) for a, b, d in g.edges(data=True)} == expected, name


@pytest.mark.parametrize(
    "subject, relation, object_, words",
    [
        ("Vladimir Poutine", "VISIT", "Corée du Nord", ("visite", "Corée du Nord")),
        ("États-Unis", "ACCUSE", "Corée du Nord", ("accusent Pyongyang",)),
        ("Jens Stoltenberg", "AFFILIATED_WITH", "Otan", ("secrétaire général de l'Otan",)),
    ],
)
def test_typed_relations_with_their_evidence(out, subject, relation, object_, words):
    ids = out["entities"].set_index("name")["entity_id"]
    relations = pd.read_csv(out["folder"] / "relations.csv", keep_default_na=False)
    found = relations[
        (relations["subject"] == ids[subject])
        & (relations["relation"] == relation)
        & (relations["object"] == ids[object_])
    ]
    assert len(found) > 0
    assert any(all(w in text for w in words) for text in found["evidence"])
    evidence = pd.read_csv(out["folder"] / "evidence.csv", keep_default_na=False)
    rows = evidence[
        (evidence["kind"] == "relation") & (evidence["relation"] == relation) & (evidence["source"] == ids[subject])
    ]
    sentences = pd.read_csv(out["folder"] / "sentences.csv", keep_default_na=False)
    rows = rows.merge(sentences[["doc_id", "sentence_id", "text"]], on=["doc_id", "sentence_id"])  # text once each
    texts = {p.stem: p.read_text(encoding="utf-8") for p in ARTICLES.glob("*.txt")}
    for r in rows.itertuples():
        assert texts[r.doc_id][r.start : r.end] == r.text  # the sentence, at its raw offsets


def test_run_json_says_how_betweenness_was_computed(shipped_run, tmp_path):
    """Exact on a small graph; above output.exact_betweenness_max_nodes, sampled,
    and both run.json and the graph files say so."""
    from pipeline import load_config, run

    assert json.loads((shipped_run.out_dir / "run.json").read_text(encoding="utf-8"))["betweenness"] == "exact"
    cfg = load_config(
        overrides={
            "output.out_dir": tmp_path / "sampled",
            "annotate.cache_dir": shipped_run.out_dir.parent / "cache",
            "output.exact_betweenness_max_nodes": 10,
            "output.betweenness_samples": 5,
        }
    )
    result = run([ARTICLES], cfg)
    info = json.loads((result.out_dir / "run.json").read_text(encoding="utf-8"))
    assert info["betweenness"].startswith("sampled: 5 of ") and info["betweenness"].endswith("seed 42")
    assert nx.read_graphml(result.out_dir / "graph.graphml").graph["betweenness"] == info["betweenness"]
    assert info["counts"]["annotated"] == 0  # the settings change only the graph: every article from the cache
