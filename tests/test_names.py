"""Names the knowledge base does not know: where they start, what they are,
which mentions are one entity (the real model, on sentences written for
these tests)."""

from __future__ import annotations

import pytest

from pipeline.records import Article
from pipeline.stages.annotate import annotate
from pipeline.stages.clean import clean
from pipeline.stages.link import link_article, link_corpus
from pipeline.text import name_key


@pytest.fixture(scope="module")
def names_of(nlp, kb, link_rules, boilerplate_rules):
    """Texts (one article each; "\\n" separates blocks) -> their name mentions
    as (text, label, entity name), in order."""

    def run(*texts: str) -> list[tuple[str, str, str]]:
        cleaned = [clean(Article(f"d{i}", "", "", "2024-06-18", "", t), boilerplate_rules) for i, t in enumerate(texts)]
        per_doc = [
            link_article(c, a, kb, link_rules, today="2026-11-21") for c, a in annotate(cleaned, nlp, batch_size=8)
        ]
        mentions, entities, _ = link_corpus(per_doc, kb)
        names = {e.entity_id: e.name for e in entities}
        return [(m.text, m.label, names[m.entity_id]) for m in mentions if m.kind == "name"]

    return run


def _texts(mentions):
    return [text for text, *_ in mentions]


# ----------------------------------------------- 2. the start of a sentence


@pytest.mark.parametrize(
    ("text", "wanted", "unwanted"),
    [
        # a capitalised common word opening a heading is no part of a name
        (
            "Guerre Soudan - Tchad : les réfugiés affluent à la frontière\nLa guerre a fait des milliers de morts.",
            ["Soudan", "Tchad"],
            ["Guerre Soudan"],
        ),
        (
            "Conflit Éthiopie - Érythrée : le retour des tensions\nLe conflit inquiète les voisins.",
            ["Éthiopie", "Érythrée"],
            ["Conflit Éthiopie"],
        ),
        ("Crise au Sahel\nLa crise au Sahel s'aggrave, selon les experts.", ["Sahel"], ["Crise au Sahel"]),
        # after a determiner, in a sentence with a verb, the capital is the name's
        (
            "La Bundeswehr manque de munitions.\nSelon le journal, la Bundeswehr ne tiendrait que quelques jours.",
            ["Bundeswehr", "Bundeswehr"],
            [],
        ),
        ("Le Hezbollah a tiré des roquettes.\nIsraël a riposté.", ["Hezbollah"], []),
        ("Les Nations unies ont condamné l'attaque.\nLe secrétaire général a parlé.", ["Nations unies"], []),
        ("La Cedeao a suspendu le Mali.\nLe Mali conteste.", ["Cedeao"], []),
    ],
)
def test_a_capital_that_only_opens_a_sentence_is_not_a_name(names_of, text, wanted, unwanted):
    found = _texts(names_of(text))
    assert all(found.count(w) >= wanted.count(w) for w in wanted), found
    assert not set(unwanted) & set(found)


# --------------------------------------------------------------- 3. titles


@pytest.mark.parametrize(
    ("text", "mention", "entity"),
    [
        ("M. Sall a quitté Dakar. Macky Sall reviendra lundi.", "Sall", "Macky Sall"),
        ("Mme Ouédraogo a répondu aux questions des élus.", "Ouédraogo", "Ouédraogo"),
        ("Le Dr Mensah soigne les malades à Accra.", "Mensah", "Mensah"),
        ("Mgr Kpodzro a béni la foule à Lomé.", "Kpodzro", "Kpodzro"),
        ("Me Diallo, l'avocat de la famille, a fait appel.", "Diallo", "Diallo"),
        # a title before a city's name makes it a person's
        ("Mme Paris a témoigné devant le tribunal.", "Paris", "Paris"),
        # a role word opening the model's span is left out too
        ("Le président Tinubu a salué le vote des députés.", "Tinubu", "Bola Tinubu"),
    ],
)
def test_titles_stay_outside_the_person(names_of, text, mention, entity):
    mentions = names_of(text)
    assert (mention, "PER", entity) in mentions
    assert not any(t.split()[0] in ("M.", "Mme", "Dr", "Mgr", "Me", "président") for t in _texts(mentions))


def test_a_titled_surname_joins_the_full_name_across_articles_only_when_unambiguous(names_of):
    mentions = names_of(
        "Amadou Koné dirige la société depuis 2019.",
        "M. Koné a annoncé des bénéfices.",
        "Ibrahim Touré et Moussa Touré sont frères.",
        "M. Touré a démissionné.",
    )
    entity = {(text, name) for text, _, name in mentions}
    assert ("Koné", "Amadou Koné") in entity
    assert ("Touré", "Touré") in entity  # two Tourés in the corpus: left alone


# ------------------------------------------- 4. labels of unknown names


@pytest.mark.parametrize(
    ("text", "mention", "label"),
    [
        # the head noun of an institution
        ("La Cour Constitutionnelle a validé la candidature.", "Cour Constitutionnelle", "ORG"),
        ("La Chambre de commerce de Dakar organise un forum.", "Chambre de commerce de Dakar", "ORG"),
        # a descriptor before the name
        ("Le mouvement rebelle Codeco a revendiqué l'attaque.", "Codeco", "ORG"),
        ("Le parti Pastef a remporté les législatives.", "Pastef", "ORG"),
        ("Il a publié la vidéo sur la messagerie Telegram.", "Telegram", "ORG"),
        ("La plateforme Jumia a recruté mille livreurs.", "Jumia", "ORG"),
        ("La Russie a testé le missile Sarmat cette semaine.", "Sarmat", "MISC"),
        # a part of a known place
        ("Plusieurs partenaires d'Europe de l'Ouest ont adhéré à l'accord.", "Europe de l'Ouest", "LOC"),
        # a first name after the person's full name
        ("Awa Traoré vend des légumes au marché. Awa raconte que les prix montent.", "Awa", "PER"),
    ],
)
def test_what_the_article_says_of_a_name_gives_its_label(names_of, text, mention, label):
    assert mention in _texts(names_of(text))
    assert {lab for t, lab, _ in names_of(text) if t == mention} == {label}


def test_a_name_after_an_article_is_not_a_person(names_of):
    labels = {label for text, label, _ in names_of("La propagation du Covid inquiète les médecins de Lagos.")}
    assert labels and "PER" not in labels


def test_an_acronym_takes_the_label_of_its_expansion(names_of):
    mentions = names_of(
        "Le Mouvement pour la renaissance du Sahel (MRS) a tenu son congrès. Le MRS réclame des élections."
    )
    assert {(label, name) for text, label, name in mentions if text == "MRS"} == {
        ("ORG", "Mouvement pour la renaissance du Sahel")
    }


# ------------------------------------------------ 5. acronym and full form


@pytest.mark.parametrize(
    ("texts", "acronym", "entity"),
    [
        (["L'Union africaine (UA) a salué l'accord. Selon l'UA, la trêve tient."], "UA", "Union africaine"),
        (
            ["Le CNSP (Conseil national pour la sauvegarde de la patrie) a pris le pouvoir à Niamey."],
            "CNSP",
            "Conseil national pour la sauvegarde de la patrie",
        ),
        # defined in one article, the acronym is that name in the others
        (
            [
                "Le Mouvement pour la renaissance du Sahel (MRS) a tenu son congrès.",
                "Le MRS réclame des élections anticipées à Bamako.",
            ],
            "MRS",
            "Mouvement pour la renaissance du Sahel",
        ),
    ],
)
def test_an_acronym_and_its_full_form_are_one_entity(names_of, texts, acronym, entity):
    mentions = names_of(*texts)
    assert {name for text, _, name in mentions if text == acronym} == {entity}
    assert entity in _texts(mentions)


def test_a_bracketed_credit_is_not_a_definition(names_of):
    mentions = names_of("Abidjan (AFP) - Le président a parlé aux journalistes.")
    assert ("Abidjan", "LOC", "Abidjan") in mentions
    assert {name for text, _, name in mentions if text == "AFP"} != {"Abidjan"}


# --------------------------------------------------------- 6. institutions


@pytest.mark.parametrize(
    ("text", "spans"),
    [
        ("Le ministère ivoirien de l'Intérieur a interdit la marche.", [("ministère ivoirien de l'Intérieur", "ORG")]),
        ("Le ministère de la santé du Kenya a publié un bilan.", [("ministère de la santé du Kenya", "ORG")]),
        ("La Chambre de commerce de Dakar organise un forum.", [("Chambre de commerce de Dakar", "ORG")]),
        # an administrative descriptor stays outside the place
        ("La région de Koursk est frappée.", [("Koursk", "LOC")]),
        # a person's span that runs into an institution is both
        ("Le juge Amadou Ba de la Cour suprême a tranché.", [("Amadou Ba", "PER"), ("Cour suprême", "ORG")]),
        # a portfolio in a job title is not a name
        ("Le ministre de l'Intérieur a démissionné hier soir.", []),
        ("Selon le chef de la Transition guinéenne, le calendrier tient.", []),
    ],
)
def test_institution_spans(names_of, text, spans):
    assert [(t, label) for t, label, _ in names_of(text)] == spans


def test_no_state_inside_an_embassy(names_of):
    mentions = names_of("L'ambassade des États-Unis à Nairobi a été fermée.")
    assert mentions[0][:2] == ("ambassade des États-Unis", "ORG") or mentions[0][:2] == (
        "ambassade des États-Unis à Nairobi",
        "ORG",
    )
    assert "États-Unis" not in _texts(mentions)


# ------------------------------------------------ 3b. persons' full names


@pytest.mark.parametrize(
    ("texts", "surface", "name"),
    [
        # surname first, as many African papers write it: the KB person
        (["Selon Soro Guillaume, le scrutin est truqué."], "Soro Guillaume", "Guillaume Soro"),
        # ... or the person the article names the other way round
        (["Moussa Kebe a parlé. Plus tard, Kebe Moussa a démenti."], "Kebe Moussa", "Moussa Kebe"),
        # one letter wrong in a long surname, beside the right spelling
        (
            ["Le président Adama Barrow a promis des réformes. Adama Barro a ensuite voyagé."],
            "Adama Barro",
            "Adama Barrow",
        ),
        # a first name that is also a KB city
        (["La ministre Florence Parly a répondu aux députés."], "Florence Parly", "Florence Parly"),
        # two full names glued together by a missing line break: both are persons
        (["Par Aminata Sow Macky Sall, le président, a parlé."], "Aminata Sow", "Aminata Sow"),
        # a name the model cut short
        (["Nous remercions Ilaria Pettinaroli de son aide."], "Ilaria Pettinaroli", "Ilaria Pettinaroli"),
    ],
)
def test_persons_full_names(names_of, texts, surface, name):
    assert (surface, "PER", name) in names_of(*texts)


@pytest.mark.parametrize(
    "text",
    [
        "Moussa Kebe a parlé à Paris Lundi.",  # no name after the person: "Paris" is a KB name
        "Le parti de Guillaume Kouassi a gagné.",  # not a known person reversed
    ],
)
def test_no_false_persons(names_of, text):
    persons = [t for t, label, _ in names_of(text) if label == "PER"]
    assert all(" " in p and "Paris" not in p and p != "Kouassi Guillaume" for p in persons)


# ------------------------------------------- 6b. bodies every state has


@pytest.mark.parametrize(
    ("text", "body", "name"),
    [
        # the state from the body's own words: an adjective, a state or a capital after "de"
        (
            "Le ministère malien de la justice a ouvert une enquête.",
            "ministère malien de la justice",
            "ministère de la Justice du Mali",
        ),
        (
            "Le ministère de l'intérieur de Dakar a démenti.",
            "ministère de l'intérieur de Dakar",
            "ministère de l'Intérieur du Sénégal",
        ),
        ("Le Sénat américain a voté le budget.", "Sénat américain", "Sénat des États-Unis"),
        (
            "L'Assemblée nationale de la Guinée a voté la loi.",
            "Assemblée nationale de la Guinée",
            "Assemblée nationale de Guinée",
        ),
        # else the state the article names most
        (
            "Au Niger, les députés ont voté. Le Niger attend. L'Assemblée nationale a adopté le texte, selon le Bénin.",
            "Assemblée nationale",
            "Assemblée nationale du Niger",
        ),
        ("Le Cameroun et la Tanzanie ont signé. La Cour suprême a été saisie.", "Cour suprême", "Cour suprême"),
    ],
)
def test_national_bodies_carry_their_state(names_of, text, body, name):
    """A body named without its state is the state's its words or the article give,
    named as the KB names such bodies; no state, no change."""
    assert (body, "ORG", name) in names_of(text)


def test_two_states_two_assemblies(names_of):
    mentions = names_of(
        "Le Tchad est en deuil. Le Tchad a fermé ses frontières. L'Assemblée nationale a été dissoute.",
        "La France vote. La France débat. L'Assemblée nationale a adopté la loi.",
    )
    bodies = {name for text, _, name in mentions if text == "Assemblée nationale"}
    assert bodies == {"Assemblée nationale du Tchad", "Assemblée nationale de la France"}


@pytest.mark.parametrize(
    ("state", "of"),
    [
        ("Tchad", "du Tchad"),
        ("Russie", "de la Russie"),
        ("Ukraine", "de l'Ukraine"),
        ("États-Unis", "des États-Unis"),
        ("Philippines", "des Philippines"),
        ("Mexique", "du Mexique"),
        ("Royaume-Uni", "du Royaume-Uni"),
        ("Hongrie", "de la Hongrie"),
        ("Israël", "d'Israël"),
        ("Cuba", "de Cuba"),
        ("Afrique du Sud", "d'Afrique du Sud"),  # official name: République d'Afrique du Sud
        ("Côte d'Ivoire", "de Côte d'Ivoire"),
        ("République démocratique du Congo", "de la République démocratique du Congo"),
    ],
)
def test_of_state(kb, state, of):
    state_id = kb.aliases[name_key(state)].entity_id
    assert kb.of_state(state_id) == of


# ------------------------------------------------------- 11. non-entities


@pytest.mark.parametrize(
    ("text", "wanted"),
    [
        ("Plusieurs États africains ont voté contre.", []),
        ("Chaque État partie doit ratifier le traité.", []),
        ("Le PIB du Sénégal recule et une ONG proteste.", ["Sénégal"]),
        ("Il vit dans l'État nigérian de Kano.", ["Kano"]),
        ("Les Africains de la diaspora envoient de l'argent au pays.", []),
        ("Le procureur de la République a demandé une enquête.", []),
    ],
)
def test_words_that_are_not_names(names_of, text, wanted):
    assert _texts(names_of(text)) == wanted


# ------------------------------------------------------ 10. KB coverage


@pytest.mark.parametrize(
    ("text", "surface", "label", "name"),
    [
        # an organisation known by its acronym is named in full (modern-dev convention)
        ("Selon l'AFP, trois personnes ont été arrêtées.", "AFP", "ORG", "Agence France-Presse"),
        ("Le FPI a appelé au boycott du scrutin.", "FPI", "ORG", "Front populaire ivoirien"),
        (
            "La Cemac tient son sommet à Yaoundé.",
            "Cemac",
            "ORG",
            "Communauté économique et monétaire de l'Afrique centrale",
        ),
        # short names of states
        ("La Centrafrique a signé un accord avec le Tchad.", "Centrafrique", "STATE", "République centrafricaine"),
        ("Le Burkina a fermé sa frontière avec le Mali.", "Burkina", "STATE", "Burkina Faso"),
        ("L'URSS s'est effondrée en 1991.", "URSS", "STATE", "Union soviétique"),
        # platforms, diseases, regions
        ("Il l'a annoncé sur Facebook et sur Twitter.", "Facebook", "ORG", "Facebook"),
        ("Le Covid a fermé les écoles pendant des mois.", "Covid", "MISC", "Covid-19"),
        ("Les pays d'Afrique centrale se réunissent à Libreville.", "Afrique centrale", "LOC", "Afrique centrale"),
        ("Manchester United a battu Arsenal samedi.", "Manchester United", "ORG", "Manchester United"),
        # football federations written as one word, in capitals or not; sub-variants of a virus
        ("La FECAFOOT a suspendu le championnat.", "FECAFOOT", "ORG", "Fécafoot"),
        ("Le président de la Féguifoot a démissionné.", "Féguifoot", "ORG", "Féguifoot"),
        ("Le sous-variant BA.2 se propage plus vite que BA.1.", "BA.2", "MISC", "BA.2"),
    ],
)
def test_kb_coverage(names_of, text, surface, label, name):
    assert (surface, label, name) in names_of(text)
