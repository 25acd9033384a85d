import pytest

from pipeline.records import Article
from pipeline.stages.clean import (
    BoilerplateRules,
    block_kind,
    clean,
    decapitalize_title_case,
    is_breadcrumb,
    is_furniture_line,
    normalize_chars,
    repeats_heading,
)


@pytest.mark.parametrize(
    "text_in, text_out",
    [
        ("l’Otan", "l'Otan"),
        ("« Kim »\u00a0!", "« Kim » !"),
        ("“citation”", '"citation"'),
        ("a\u202fb\tc", "a b c"),
        ("sans changement", "sans changement"),
    ],
)
def test_normalize_chars(text_in, text_out):
    assert normalize_chars(text_in) == text_out
    assert len(normalize_chars(text_in)) == len(text_in)


@pytest.mark.parametrize(
    "text_in, proper, text_out",
    [
        (
            "Une Coopération Militaire au Cœur des Discussions",
            set(),
            "Une coopération militaire au cœur des discussions",
        ),
        (
            "Poutine Prépare Une Visite Choc En Corée Du Nord !",
            {"Corée", "Nord"},
            "Poutine prépare une visite choc en Corée du Nord !",
        ),
        ("Relations tendues avec l'Occident", {"Occident"}, "Relations tendues avec l'Occident"),  # not Title Case
        (
            "Vladimir Poutine à Pyongyang : Un Partenariat Stratégique",
            {"Pyongyang", "Poutine"},
            "Vladimir Poutine à Pyongyang : un partenariat stratégique",
        ),
    ],
)
def test_decapitalize_title_case(text_in, proper, text_out):
    assert decapitalize_title_case(text_in, proper) == text_out


def test_furniture_lines(boilerplate_rules):
    for line in [
        "Getting your Trinity Audio player ready...",
        "top of page",
        "Comments",
        "© TOUS DROITS RÉSERVÉS",
        "PREV HCR, le nombre de personnes en fuite a doublé",
        "NEXT des armes pour 40 milliards à Kiev",
        "Lire nos autres publications",
        "Articles les plus lus",
        "Vidéo associée : Vladimir Poutine accueilli par Kim Jong-un",
    ]:
        assert is_furniture_line(line, boilerplate_rules), line
    for line in [
        "Poutine et Kim Jong-un se sont rencontrés à Pyongyang.",
        "Suivant les recommandations de l'Otan, Séoul a renforcé sa défense.",
        "Commentaires du Kremlin sur la visite",
    ]:
        assert not is_furniture_line(line, boilerplate_rules), line


def test_furniture_verdicts_are_remembered_per_rule_set():
    contact = BoilerplateRules.from_lists([r".*\bcontactez-nous\b.*"], [])
    other = BoilerplateRules.from_lists(["menu"], [])
    line = "Pour toute question, contactez-nous."
    for _ in range(2):  # the second time from memory
        assert is_furniture_line(line, contact)
        assert not is_furniture_line(line, other)
    assert contact == BoilerplateRules.from_lists([r".*\bcontactez-nous\b.*"], [])  # memory is not compared


@pytest.mark.parametrize(
    "line, expected",
    [
        ("ActualitésInternational", True),
        ("PolitiquesNouvelle visite de Vladimir Poutine", True),
        ("InternationalPolitique", True),
        ("International : la visite de Poutine", False),
        ("Politique étrangère de la Russie", False),
    ],
)
def test_breadcrumbs(boilerplate_rules, line, expected):
    assert is_breadcrumb(line, boilerplate_rules) is expected


@pytest.mark.parametrize(
    "line, kind",
    [
        ("Liens entre Moscou et Pyongyang", "heading"),
        ("Un rapprochement stratégique ?", "heading"),
        ("• Rencontre Poutine-Kim en septembre 2023 en Russie", "list_item"),
        ("Poutine est arrivé mardi à Pyongyang pour une visite de deux jours, la première depuis 2000.", "paragraph"),
    ],
)
def test_block_kind(line, kind):
    assert block_kind(line) == kind


def test_caption_repeating_the_next_heading():
    assert repeats_heading("Echiquier politique complexe", "Un échiquier politique complexe pour ces 2 pays")
    assert not repeats_heading("Sanctions contre Pyongyang", "Un échiquier politique complexe pour ces 2 pays")


def test_clean_drops_furniture_and_keeps_offsets(boilerplate_rules):
    raw = (
        "top of page\n\nPoutine Arrive À Pyongyang\n\n"
        "Stratégies de Poutine\nStratégies de Poutine en Corée du Nord.\n\n"
        "Stratégies de Poutine en Corée du Nord\n\n"
        "    Vladimir Poutine est arrivé à Pyongyang, où l’attendait Kim Jong-un.\n\n"
        "Comments\n\nbottom of page\n"
    )
    result = clean(Article("d", "d.txt", "", "", "", raw), boilerplate_rules)
    kept = [raw[b.raw_start : b.raw_end] for b in result.blocks]
    assert kept == [
        "Poutine Arrive À Pyongyang",
        "Stratégies de Poutine en Corée du Nord",
        "Vladimir Poutine est arrivé à Pyongyang, où l’attendait Kim Jong-un.",
    ]
    for block in result.blocks:
        assert len(block.text) == block.raw_end - block.raw_start
    assert result.blocks[0].text == "Poutine arrive à Pyongyang"
    assert result.blocks[2].text.endswith("où l'attendait Kim Jong-un.")


def test_clean_empty_article(boilerplate_rules):
    assert clean(Article("e", "e.txt", "", "", "", " \n\n "), boilerplate_rules).blocks == ()
