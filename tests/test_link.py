"""Linking with the real model and the real knowledge base on small texts."""

from __future__ import annotations

import pytest

from pipeline.records import Article
from pipeline.stages.annotate import annotate
from pipeline.stages.clean import clean
from pipeline.stages.link import link_article, link_corpus


@pytest.fixture(scope="module")
def link_text(nlp, kb, link_rules, boilerplate_rules):
    def run(*texts: str, date: str = "2024-06-18"):
        cleaned = [clean(Article(f"d{i}", "", "", date, "", t), boilerplate_rules) for i, t in enumerate(texts)]
        per_doc = [
            link_article(c, a, kb, link_rules, today="2026-11-21") for c, a in annotate(cleaned, nlp, batch_size=8)
        ]
        mentions, entities, _ = link_corpus(per_doc, kb)
        names = {e.entity_id: e.name for e in entities} | {k: e.name for k, e in kb.entities.items()}
        return [(m.text, m.kind, names[m.entity_id], m.label, names.get(m.refers_to, "")) for m in mentions], entities

    return run


def _names(mentions, kind="name"):
    return [(text, name) for text, k, name, *_ in mentions if k == kind]


def test_spelling_variants_are_one_entity_but_other_people_are_not(link_text):
    mentions, _ = link_text(
        "Kim Jong Un a reçu Vladimir Poutine. Poutine a salué Kim Jong-un. Son père Kim Jong-il est mort en 2011."
    )
    assert _names(mentions) == [
        ("Kim Jong Un", "Kim Jong-un"),
        ("Vladimir Poutine", "Vladimir Poutine"),
        ("Poutine", "Vladimir Poutine"),
        ("Kim Jong-un", "Kim Jong-un"),
        ("Kim Jong-il", "Kim Jong-il"),
    ]


def test_acronyms_and_accents(link_text):
    mentions, _ = link_text("L'OTAN et l'Otan, l'UE et les Etats-Unis ont réagi.")
    assert _names(mentions) == [
        ("OTAN", "Otan"),
        ("Otan", "Otan"),
        ("UE", "Union européenne"),
        ("Etats-Unis", "États-Unis"),
    ]


def test_kb_fixes_labels(link_text):
    mentions, _ = link_text(
        "Le Kremlin a confirmé que la Russie enverra une délégation en Corée du Nord, selon Rodong Sinmun."
    )
    labels = {text: label for text, kind, name, label, _ in mentions if kind == "name"}
    assert labels == {"Kremlin": "ORG", "Russie": "STATE", "Corée du Nord": "STATE", "Rodong Sinmun": "ORG"}


def test_compound_names_are_split(link_text):
    mentions, _ = link_text("Le sommet Poutine-Kim a eu lieu. L'axe Moscou-Pékin-Pyongyang se renforce.")
    names = _names(mentions)
    assert [text for text, _ in names] == ["Poutine", "Kim", "Moscou", "Pékin", "Pyongyang"]
    assert names[0] == ("Poutine", "Vladimir Poutine")


def test_demonyms_point_at_states(link_text):
    mentions, _ = link_text("Des soldats nord-coréens et des drones russes ; la coopération russo-nord-coréenne.")
    assert _names(mentions, "demonym") == [
        ("nord-coréens", "Corée du Nord"),
        ("russes", "Russie"),
        ("russo-nord-coréenne", "Russie"),
    ]


def test_roles_link_to_the_holder_at_the_article_date(link_text):
    mentions, _ = link_text("Le président russe est arrivé. Le dirigeant nord-coréen l'a accueilli.", date="2024-06-19")
    assert _names(mentions, "role") == [
        ("président russe", "Vladimir Poutine"),
        ("dirigeant nord-coréen", "Kim Jong-un"),
    ]


def test_role_in_apposition_is_left_to_the_name(link_text):
    mentions, _ = link_text("Le président russe Vladimir Poutine est arrivé à Pyongyang.")
    assert _names(mentions, "role") == []


def test_metonymy_capital_as_actor_but_not_as_destination(link_text):
    mentions, _ = link_text("Moscou a déclaré son soutien. Poutine est arrivé à Pyongyang mardi.")
    refers = {text: refers_to for text, kind, name, label, refers_to in mentions if kind == "name"}
    assert refers["Moscou"] == "Russie"
    assert refers["Pyongyang"] == ""


@pytest.mark.parametrize(
    ("text", "capital", "state"),
    [
        ("Dakar a rejeté la proposition.", "Dakar", "Sénégal"),
        ("Les négociations de paix à Nairobi ont repris lundi.", "Nairobi", ""),
        ("Il travaille dans une usine près de Moscou depuis mars.", "Moscou", ""),
        ("Un accord a été signé en 2019 à Addis-Abeba par les deux camps.", "Addis-Abeba", ""),
        ("Selon Washington, la menace est réelle.", "Washington", "États-Unis"),
    ],
)
def test_a_capital_where_something_happens_is_a_place(link_text, text, capital, state):
    mentions, _ = link_text(text)
    refers = {t: refers_to for t, kind, name, label, refers_to in mentions if kind == "name"}
    assert refers[capital] == state


def test_names_outside_the_kb_merge_across_articles(link_text):
    mentions, entities = link_text(
        "Le politologue Konstantin Asmolov, de l'Académie des sciences de Russie, estime que la visite est historique.",
        "Selon Asmolov, la visite est historique.",
    )
    ids = {text: name for text, kind, name, *_ in mentions if kind == "name"}
    assert ids["Asmolov"] == ids["Konstantin Asmolov"] == "Konstantin Asmolov"
    # the longest name wins over the state inside it
    assert ids["Académie des sciences de Russie"] == "Académie des sciences de Russie" and "Russie" not in ids
    asmolov = [e for e in entities if e.name == "Konstantin Asmolov"]
    assert len(asmolov) == 1 and asmolov[0].entity_id == "per:konstantin-asmolov" and asmolov[0].documents == 2


def test_longest_kb_name_wins_and_a_partial_longer_name_does_not_stop_a_shorter_one(link_text):
    mentions, _ = link_text(
        "Les États-Unis du Mexique et les États-Unis d'Amérique ont signé ; les États-Unis du moins ont salué l'accord."
    )
    assert _names(mentions) == [
        ("États-Unis du Mexique", "Mexique"),
        ("États-Unis d'Amérique", "États-Unis"),
        ("États-Unis", "États-Unis"),
    ]
