"""Role phrases, demonyms and knowledge-base names in the linker, with the real
model and the real knowledge base, on sentences written for these tests.

Also: gold records reach the pipeline with their dates (`write_texts`).
"""

from __future__ import annotations

import json

import pytest

from pipeline.records import Article, Fields
from pipeline.stages.annotate import annotate
from pipeline.stages.clean import clean
from pipeline.stages.ingest import parse_document
from pipeline.stages.link import link_article, link_corpus
from pipeline.store.outputs import write_texts

TODAY = "2026-11-21"


@pytest.fixture(scope="module")
def link(nlp, kb, link_rules, boilerplate_rules):
    """text, date -> [(mention text, kind, entity name)] of the given kinds."""

    def run(text: str, date: str = "", kinds=("role",)):
        cleaned = [clean(Article("d0", "", "", date, "", text), boilerplate_rules)]
        per_doc = [link_article(c, a, kb, link_rules, today=TODAY) for c, a in annotate(cleaned, nlp, batch_size=8)]
        mentions, entities, _ = link_corpus(per_doc, kb)
        names = {e.entity_id: e.name for e in entities}
        return [(m.text, m.kind, names[m.entity_id]) for m in mentions if m.kind in kinds]

    return run


# ------------------------------------------------------------------ roles

ROLES = [
    # a bare role noun: the holder named earlier in the article
    (
        "Alassane Ouattara a ouvert la séance à Abidjan. Le président a ensuite quitté la salle.",
        "",
        [("président", "Alassane Ouattara")],
    ),
    (
        "Les délégués ont demandé à Alassane Ouattara de parler. Ils ont prié le président de reconsidérer sa décision.",
        "",
        [("président", "Alassane Ouattara")],
    ),
    (
        "Élisabeth Borne a présenté son gouvernement mardi. La Première ministre a promis des réformes.",
        "2022-06-01",
        [("Première ministre", "Élisabeth Borne")],
    ),
    (
        "Le roi Mohammed VI a reçu les ministres. Le souverain a salué leur travail.",
        "2024-03-01",
        [("souverain", "Mohammed VI")],
    ),
    (
        "Assimi Goïta a reçu les médiateurs à Bamako. Le chef de la junte a promis une transition courte.",
        "2020-09-01",
        [("chef de la junte", "Assimi Goïta")],
    ),
    # the latest holder named before the phrase
    (
        "Alassane Ouattara a reçu Emmanuel Macron à Abidjan. Le président a salué son hôte.",
        "2020-08-10",
        [("président", "Emmanuel Macron")],
    ),
    # qualified by a state: the holder on the article's date
    ("Le président kényan a reçu les délégués à Nairobi.", "2021-05-10", [("président kényan", "Uhuru Kenyatta")]),
    ("Le président kényan a reçu les délégués à Nairobi.", "2023-05-10", [("président kényan", "William Ruto")]),
    ("Le chef de l'État ivoirien a parlé hier soir.", "2005-06-01", [("chef de l'État ivoirien", "Laurent Gbagbo")]),
    # synonyms: chef de la diplomatie = ministre des affaires étrangères
    (
        "Le chef de la diplomatie russe est arrivé à Pékin.",
        "2024-06-18",
        [("chef de la diplomatie russe", "Sergueï Lavrov")],
    ),
    # a former holder: the one the article names
    (
        "Jacob Zuma est arrivé au tribunal de Pietermaritzburg. L'ancien président sud-africain a tout nié.",
        "2020-02-04",
        [("ancien président sud-africain", "Jacob Zuma")],
    ),
    (
        "Jacob Zuma ne s'est pas présenté. Les avocats de l'ex-président ont produit un certificat.",
        "2020-02-04",
        [("ex-président", "Jacob Zuma")],
    ),
    (
        "Yahya Jammeh vit en exil. Adama Barrow dirige le pays. L'ancien dirigeant pourrait rentrer, "
        "ce que le président actuel refuse.",
        "2021-09-15",
        [("ancien dirigeant", "Yahya Jammeh"), ("président actuel", "Adama Barrow")],
    ),
    # no date: resolved from the article's own names ...
    (
        "Uhuru Kenyatta a ouvert le sommet. Le président kényan a appelé au calme.",
        "",
        [("président kényan", "Uhuru Kenyatta")],
    ),
    # ... or when one person held the role from the last year the text names to today
    ("En 2023, le président russe a visité la région.", "", [("président russe", "Vladimir Poutine")]),
    # ... never today's holder for want of a date
    ("Le président kényan a reçu les délégués à Nairobi.", "", []),
    ("En 2021, le président kényan a reçu les délégués à Nairobi.", "", []),
    # not roles: indefinite, plural, apposition, a complement the KB does not know
    ("Un président africain a pris la parole.", "2024-01-10", []),
    ("Les deux présidents se sont serré la main.", "2024-01-10", []),
    ("Kurt Campbell, le secrétaire d'État adjoint américain, a averti son homologue.", "2024-03-01", []),
    ("Laurent Gbagbo a parlé. Le chef de l'opposition a répondu.", "2024-03-01", []),
    ("Le président russe Vladimir Poutine est arrivé.", "2024-06-18", []),
    # not the holder at the time: an attribute, an adjective, the office in general
    ("Donald Trump sera le président le plus critiqué.", "2020-07-01", []),
    ("Joe Biden est devenu président des États-Unis.", "2021-01-21", []),
    ("Il a parlé en tant que président du Kenya.", "2021-05-10", []),
    ("Le commandant en chef des États-Unis a parlé.", "2021-05-10", []),
    ("Le fonds souverain d'Arabie saoudite a racheté le club.", "2021-10-08", []),
    ("Léopold Sédar Senghor fut le premier président du Sénégal.", "2021-10-08", []),
    ("Le prochain président américain sera élu en novembre.", "2024-06-01", []),
    ("Le bilan du président élu Biden est mitigé.", "2020-11-20", []),
    ("C'était la première fois qu'un président français venait.", "2021-05-27", []),
    ("L'actuel souverain de Jordanie, le roi Abdallah II, a parlé.", "2022-01-10", []),
]


@pytest.mark.parametrize(("text", "date", "expected"), ROLES)
def test_role_phrases(link, text, date, expected):
    assert [(t, name) for t, _, name in link(text, date)] == expected


def test_a_role_after_the_colon_of_a_headline_is_a_role(link):
    text = "Jacob Zuma : la justice vise l'ancien président sud-africain\nLe procès reprend en mai."
    assert [(t, name) for t, _, name in link(text, "2020-02-04")] == [("ancien président sud-africain", "Jacob Zuma")]


# --------------------------------------------------------------- demonyms

DEMONYMS = [
    ("Des milices pro-russes ont défilé.", [("russes", "Russie")]),
    ("Un discours anti-américain et des slogans anti-Français.", [("américain", "États-Unis"), ("Français", "France")]),
    # a compound names its first state, whatever follows the prefix (as "Russo-Coréenne")
    (
        "La coopération franco-malienne et le sommet sino-africain.",
        [("franco-malienne", "France"), ("sino-africain", "Chine")],
    ),
    ("La frontière sénégalo-gambienne est rouverte.", [("sénégalo-gambienne", "Sénégal")]),
    (
        "Les Nord-Coréennes et les Ivoiriennes ont voté.",
        [("Nord-Coréennes", "Corée du Nord"), ("Ivoiriennes", "Côte d'Ivoire")],
    ),
    # a form of two states: the one the article names, or whose president the sentence names
    ("En RD Congo, l'armée congolaise a repris Goma.", [("congolaise", "République démocratique du Congo")]),
    ("À Brazzaville, au Congo-Brazzaville, les députés congolais ont voté.", [("congolais", "Congo")]),
    ("Les députés congolais ont voté.", []),
]


@pytest.mark.parametrize(("text", "expected"), DEMONYMS)
def test_demonyms(link, text, expected):
    assert [(t, name) for t, _, name in link(text, kinds=("demonym",))] == expected


# ------------------------------------------------------- knowledge base

NAMES = [
    ("Le président tchadien Idriss Déby Itno est mort au front.", ("Idriss Déby Itno", "Idriss Déby")),
    ("La RD Congo accuse le Rwanda.", ("RD Congo", "République démocratique du Congo")),
    ("Le parti d'IBK a perdu la majorité.", ("IBK", "Ibrahim Boubacar Keïta")),
]


@pytest.mark.parametrize(("text", "expected"), NAMES)
def test_short_forms_and_aliases(link, text, expected):
    assert expected in [(t, name) for t, _, name in link(text, kinds=("name",))]


# ------------------------------------------------------------ gold dates


def test_gold_records_keep_their_ids_text_and_dates(tmp_path):
    """`write_texts` feeds the evaluation: ids stay doc_ids, text is byte for byte
    the gold text (so its offsets still index it), and the date reaches the article."""
    records = [
        {"id": "a/1", "text": "Le président kényan\u00a0a parlé.\n\n  Fin.\r\n", "date": "2021-05-10", "entities": []},
        {"id": "b", "text": "Sans date\u2028ni titre.", "roles": []},
    ]
    path = write_texts(tmp_path / "gold.jsonl", records)
    articles = parse_document(
        path.read_bytes(), source=str(path), doc_id="gold", suffix=".jsonl", fields=Fields(title="", url="")
    )
    assert [(a.doc_id, a.raw_text, a.date) for a in articles] == [
        ("a/1", records[0]["text"], "2021-05-10"),
        ("b", records[1]["text"], ""),
    ]
    assert all(set(json.loads(line)) == {"id", "text", "date"} for line in path.read_text().splitlines())
