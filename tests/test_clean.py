from pathlib import Path

import pytest

from pipeline.records import Article
from pipeline.stages.clean import (
    BoilerplateRules,
    block_kind,
    clean,
    decapitalize_title_case,
    front_matter,
    hide_markup,
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
        "Partager sur Facebook Twitter WhatsApp",
        "Facebook Twitter E-mail Copier le lien",
        "AFP/Archives",
        "Temps de lecture : 4 min",
        "Il vous reste 80 % de cet article à lire.",
    ]:
        assert is_furniture_line(line, boilerplate_rules), line
    for line in [
        "Poutine et Kim Jong-un se sont rencontrés à Pyongyang.",
        "Suivant les recommandations de l'Otan, Séoul a renforcé sa défense.",
        "Commentaires du Kremlin sur la visite",
        "Partager les richesses du sous-sol reste un défi pour Kinshasa.",
        "AFP et Reuters ont rapporté l'explosion.",
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


# ------------------------------------------------------------ layouts

LAYOUTS = Path(__file__).parent / "data" / "layouts"


def _kept(raw: str, rules: BoilerplateRules, source: str = "d.txt") -> list[str]:
    """The raw text of every block, after checking that each block's text is
    aligned with it: same length, and every character the normalised raw
    character (lower-cased in a heading) or a space hiding markup."""
    blocks = clean(Article("d", source, "", "", "", raw), rules).blocks
    previous_end = 0
    for block in blocks:
        original = normalize_chars(raw[block.raw_start : block.raw_end])
        assert previous_end <= block.raw_start < block.raw_end
        assert len(block.text) == len(original), block
        assert all(a == b or a == b.lower() or a == " " for a, b in zip(block.text, original)), block
        assert block.text == block.text.strip() and block.text
        previous_end = block.raw_end
    return [raw[b.raw_start : b.raw_end] for b in blocks]


@pytest.mark.parametrize(
    "text_in, kept",
    [
        # a widget label followed by the article itself: the label alone goes
        (
            "Le sommet s'est ouvert mardi. Lire aussi : Le Kremlin salue la rencontre. Les délégués ont signé.",
            ["Le sommet s'est ouvert mardi.", "Le Kremlin salue la rencontre. Les délégués ont signé."],
        ),
        (
            "Les discussions reprendront jeudi. Lire aussi Cette décision surprend les observateurs.",
            ["Les discussions reprendront jeudi.", "Cette décision surprend les observateurs."],
        ),
        (
            "Il a quitté la salle sous les huées. A surtout lire sur Radio Exemple : Mais le vote a eu lieu.",
            ["Il a quitté la salle sous les huées.", "Mais le vote a eu lieu."],
        ),
        ("Il a quitté la salle sous les huées. Regarder :", ["Il a quitté la salle sous les huées."]),
        # headlines of other articles after the label, up to the first sentence of the article
        (
            "Le vote a eu lieu dimanche. A lire aussi sur Radio Exemple : Sénégal, le scrutin le plus suivi "
            "depuis dix ans Dakar prépare la présidentielle Selon la commission, la participation a dépassé 60 %.",
            ["Le vote a eu lieu dimanche.", "Selon la commission, la participation a dépassé 60 %."],
        ),
        (  # a quotation after a name starts the article again
            'Les manifestants ont été dispersés. Lire aussi : La transition prolongée à Bamako "Nous voulons '
            'des élections", a lancé un opposant.',
            ["Les manifestants ont été dispersés.", '"Nous voulons des élections", a lancé un opposant.'],
        ),
        (  # a question mark ends a headline
            "Lire aussi : Qui dirigera la Guinée ? La junte promet une transition courte Le chef de la junte "
            "a reçu les partis lundi.",
            ["Le chef de la junte a reçu les partis lundi."],
        ),
        (  # headlines up to the next label, or to the end of the line
            "Il a démissionné. Lire aussi : Le Tchad ferme sa frontière avec le Soudan Lire aussi : Pourquoi "
            "le lac Tchad rétrécit",
            ["Il a démissionné."],
        ),
        (  # a listing of names is the article's, not headlines (which are sentences)
            "Le tirage a eu lieu. Lire aussi : Groupe A : Mali, Niger, Tchad Groupe B : Ghana, Togo, Bénin Les "
            "matchs commencent en juin.",
            [
                "Le tirage a eu lieu.",
                "Groupe A : Mali, Niger, Tchad Groupe B : Ghana, Togo, Bénin Les matchs commencent en juin.",
            ],
        ),
        # the article's own capitals do not cut it: names after particles, names opened by "Le"
        (
            "Lire aussi : Le président du Kenya Uhuru Kenyatta a reçu les rebelles au palais.",
            ["Le président du Kenya Uhuru Kenyatta a reçu les rebelles au palais."],
        ),
        (
            "Lire aussi : Selon Marine Le Pen, la réforme passera. M. Dupont n'y croit pas.",
            ["Selon Marine Le Pen, la réforme passera. M. Dupont n'y croit pas."],
        ),
        # words that look like labels but are not
        ("Il faut lire aussitôt le rapport de la Cour.", ["Il faut lire aussitôt le rapport de la Cour."]),
        ("Les juges veulent voir aussi les comptes.", ["Les juges veulent voir aussi les comptes."]),
        # photo credits with the names they credit, caption labels alone
        (
            "Le port a été bombardé. (Crédit photo : Agence Exemple) Les secours sont arrivés.",
            ["Le port a été bombardé.", "Les secours sont arrivés."],
        ),
        (
            "Crédit photo, Agence Exemple via Photothèque Le port a été bombardé dans la nuit.",
            ["Le port a été bombardé dans la nuit."],
        ),
        ("Légende image, Des habitants fuient la ville.", ["Des habitants fuient la ville."]),
        (
            "Le port a été bombardé. © Agence Exemple Les secours arrivent.",
            ["Le port a été bombardé.", "Les secours arrivent."],
        ),
        # other related-content labels
        (
            "Les prix ont doublé. Articles recommandés : Le gouvernement promet des aides.",
            ["Les prix ont doublé.", "Le gouvernement promet des aides."],
        ),
        (
            "Le cacao manque. Autres reportages de cette émission : Le café rwandais conquiert l'Asie",
            ["Le cacao manque."],
        ),
        (
            "Les urnes sont arrivées. Source de l'image, Photothèque Exemple Le dépouillement commence.",
            ["Les urnes sont arrivées.", "Le dépouillement commence."],
        ),
    ],
)
def test_inline_furniture(boilerplate_rules, text_in, kept):
    assert _kept(text_in, boilerplate_rules) == kept


@pytest.mark.parametrize(
    "text_in, kept",
    [
        # two headlines that run on into each other and into the next sentence, their label lost
        (
            "L'opposition a appelé à manifester. Le président candidat à un nouveau mandat Qui sont les "
            "rivaux du chef de l'État ? Des heurts ont éclaté dans la capitale.",
            ["L'opposition a appelé à manifester.", "Des heurts ont éclaté dans la capitale."],
        ),
        # one alone is more likely a subheading of the article: kept
        (
            "Le gouvernement a démissionné. Une crise politique Le Premier ministre a remis sa lettre.",
            ["Le gouvernement a démissionné. Une crise politique Le Premier ministre a remis sa lettre."],
        ),
        # questions that follow each other are the article's
        (
            "Que va-t-il se passer ? Qui prendra la relève ? Personne ne le sait encore.",
            ["Que va-t-il se passer ? Qui prendra la relève ? Personne ne le sait encore."],
        ),
        (
            'Il a crié : "Victoire ! Nous avons gagné !" Mais la commission a tardé à publier les résultats.',
            ['Il a crié : "Victoire ! Nous avons gagné !" Mais la commission a tardé à publier les résultats.'],
        ),
    ],
)
def test_unlabelled_headlines(boilerplate_rules, text_in, kept):
    assert _kept(text_in, boilerplate_rules) == kept


def _blanks(markup: str) -> str:
    return " " * len(markup)


@pytest.mark.parametrize(
    "text_in, text_out",
    [
        (
            "Selon [l'Otan](https://www.nato.int/fr), non.",
            "Selon " + _blanks("[") + "l'Otan" + _blanks("](https://www.nato.int/fr)") + ", non.",
        ),
        (
            'Voir [le rapport](rapport.pdf "PDF") ici.',
            "Voir " + _blanks("[") + "le rapport" + _blanks('](rapport.pdf "PDF")') + " ici.",
        ),
        ("![Kim Jong-un à Moscou](kim.jpg)", _blanks("![") + "Kim Jong-un à Moscou" + _blanks("](kim.jpg)")),
        (
            "Selon [Tass][1], oui.\n[1]: https://tass.ru",
            "Selon " + _blanks("[") + "Tass" + _blanks("][1]") + ", oui.\n" + _blanks("[1]: https://tass.ru"),
        ),
        (
            "Source : https://www.example.org/page.html.",
            "Source : " + _blanks("https://www.example.org/page.html") + ".",
        ),
        (
            "Voir www.example.org, puis <https://x.org/a>.",
            "Voir " + _blanks("www.example.org") + ", puis " + _blanks("<https://x.org/a>") + ".",
        ),
        (
            "Kim<!-- note -->Jong-un <b>a dit</b> non",
            "Kim" + _blanks("<!-- note -->") + "Jong-un " + _blanks("<b>") + "a dit" + _blanks("</b>") + " non",
        ),
        (
            "Un <!-- commentaire\nsur deux lignes --> fin",
            "Un " + _blanks("<!-- commentaire") + "\n" + _blanks("sur deux lignes -->") + " fin",
        ),
        ("Pas de balise : 3 < 5 et x <y> z", "Pas de balise : 3 < 5 et x <y> z"),
        # addresses, not names: an e-mail, a handle glued to its network, a handle alone
        ("Écrire à redaction@journal.example.org.", "Écrire à " + _blanks("redaction@journal.example.org") + "."),
        (
            "Suivez-le sur Twitter@awa_traore, ou @UN.",
            "Suivez-le sur Twitter" + _blanks("@awa_traore") + ", ou " + _blanks("@UN") + ".",
        ),
    ],
)
def test_hide_markup_in_any_text(text_in, text_out):
    assert hide_markup(text_in) == text_out
    assert len(hide_markup(text_in, markdown=True)) == len(text_in)


@pytest.mark.parametrize(
    "text_in, text_out",
    [
        ("## Une alliance militaire ##", "   Une alliance militaire   "),
        ("# Titre", "  Titre"),
        ("#Hashtag en tête", "#Hashtag en tête"),
        ("Le **Kremlin** et *Pékin* et __Séoul__", "Le   Kremlin   et  Pékin  et   Séoul  "),
        ("5 * 3 * 2 et snake_case_nom", "5 * 3 * 2 et snake_case_nom"),
        ("> Nous ne céderons pas.", "  Nous ne céderons pas."),
        ("Kim Jong\\-un et 1\\. Paris \\*", "Kim Jong -un et 1 . Paris  *"),
        ("Fin.\\n\\nDébut", "Fin.    Début"),
        ("---", "   "),
    ],
)
def test_hide_markup_in_markdown(text_in, text_out):
    assert hide_markup(text_in, markdown=True) == text_out


@pytest.mark.parametrize(
    "text_in, text_out",
    [
        ("l\\'Otan", "l 'Otan"),  # a quote escaped by an export: the backslash goes
        ('il a dit \\"non\\"', 'il a dit  "non "'),
        ("\\\\'", "\\ '"),
    ],
)
def test_normalize_chars_drops_backslashes_before_quotes(text_in, text_out):
    assert normalize_chars(text_in) == text_out
    assert normalize_chars(text_out) == text_out


def test_written_out_line_breaks_cut_blocks(boilerplate_rules):
    raw = "Par Jean Dupont\\nRadio Exemple, Bamako\\n\\nLe correspondant a vu les blindés."
    assert _kept(raw, boilerplate_rules) == [
        "Par Jean Dupont",
        "Radio Exemple, Bamako",
        "Le correspondant a vu les blindés.",
    ]
    assert _kept("Il dit \\nous partons.\\n", boilerplate_rules) == ["Il dit \\nous partons."]


@pytest.mark.parametrize(
    "lines, taken, values",
    [
        (["---", "title: Un titre", "date: 2024-01-01", "---", "Texte."], 4, {1: (7, 15, "title")}),
        (["---", 'title: "Entre guillemets"', "---"], 3, {1: (8, 24, "title")}),
        (
            ["---", "description: >", "  Première ligne", "  seconde ligne", "tags:", "  - a", "..."],
            7,
            {2: (2, 16, "description"), 3: (2, 15, "description")},
        ),
        (["+++", 'title = "Titre TOML"', "[params]", 'image = "x.jpg"', "+++"], 5, {1: (9, 19, "title")}),
        (["---", "Une phrase qui n'est pas une clé.", "---"], 0, {}),  # a horizontal rule, not a front matter
        (["---", "title: jamais fermé"], 0, {}),
        (["Texte", "---"], 0, {}),
    ],
)
def test_front_matter(lines, taken, values):
    assert front_matter(lines, frozenset({"title", "description", "summary"})) == (taken, values)


def test_markdown_post(boilerplate_rules):
    """YAML front matter (its title repeated by the body: dropped; its summary,
    not repeated: kept), heading marks, links, emphasis, escapes, a comment,
    a bare URL, a « LIRE AUSSI » link list and a quotation."""
    raw = (LAYOUTS / "post.md").read_text(encoding="utf-8")
    blocks = clean(Article("post", "post.md", "", "", "", raw), boilerplate_rules).blocks
    assert _kept(raw, boilerplate_rules, "post.md") == [
        "Le train blindé du dirigeant nord-coréen a franchi la frontière.",
        "Kim Jong-un attendu à Vladivostok",
        'Selon [l\'agence Yonhap](https://fr.yna.co.kr/view/AFR2024 "Yonhap"), le train blindé de **Kim Jong-un** '
        "a quitté Pyongyang dimanche. Le Kremlin n\\'a pas confirmé la date.",
        "Une rencontre préparée depuis l\\'été",
        "Le porte-parole Dmitri Peskov a parlé d'une visite « attendue ». "
        "Le programme complet : https://www.example.org/programme-visite.",
        "Les deux pays ont signé un traité de défense mutuelle en juin.",
        "Séoul et Washington suivent le voyage de près.",
    ]
    assert [b.kind for b in blocks[1:4]] == ["heading", "paragraph", "heading"]
    link = blocks[2].text
    assert "l'agence Yonhap" in link and "Kim Jong-un" in link and "http" not in link and "*" not in link
    assert "example.org" not in blocks[4].text and blocks[4].text.endswith(":" + " " * 41 + ".")


def test_static_site_post_keeps_a_title_the_body_does_not_repeat(boilerplate_rules):
    raw = (LAYOUTS / "post_toml.md").read_text(encoding="utf-8")
    blocks = clean(Article("p", "post_toml.md", "", "", "", raw), boilerplate_rules).blocks
    assert [(b.kind, raw[b.raw_start : b.raw_end]) for b in blocks] == [
        ("heading", "Le Mali et le Niger quittent la Cedeao"),
        ("paragraph", "Les juntes de Bamako et de Niamey dénoncent les sanctions."),
        ("paragraph", "Les régimes militaires du Mali et du Niger ont annoncé dimanche leur retrait de la Cedeao."),
    ]


def test_one_line_body(boilerplate_rules):
    """A headline and a body on one line, with a link widget and its
    headlines, a photo credit, two headlines without their label and two
    video widgets inside."""
    raw = (LAYOUTS / "one_line.txt").read_text(encoding="utf-8")
    assert _kept(raw, boilerplate_rules) == [
        "Sahel : la junte malienne repousse les élections",
        "Le colonel Assimi Goïta a annoncé lundi un report du scrutin.",
        "Selon le gouvernement, la sécurité du vote n'est pas assurée.",
        "Une manifestation a eu lieu à Bamako. Les partis ont dénoncé une décision unilatérale.",
        "Des sanctions régionales sont envisagées.",
        "La Cedeao se réunira à Abuja la semaine prochaine.",
    ]


def test_repost_with_a_related_links_heading(boilerplate_rules):
    """« À lire aussi » on its own line, and the headlines right under it."""
    raw = (LAYOUTS / "repost.txt").read_text(encoding="utf-8")
    assert _kept(raw, boilerplate_rules) == [
        "Le Kenya accueille des pourparlers sur l'est de la RDC",
        "Les délégations des groupes armés sont arrivées à Nairobi mardi.",
        "Le président kényan a ouvert les discussions mercredi.",
    ]


def test_link_lines_under_a_label_go_even_after_a_blank_line(boilerplate_rules):
    raw = (
        "Moscou et Pyongyang ont signé un traité.\n\nVoir aussi :\n\n"
        "* [Le traité en cinq points](https://example.org/traite)\n"
        "* https://example.org/carte\n\n"
        "Une carte des sites visités\n\n"
        "Le texte entre en vigueur en décembre."
    )
    assert _kept(raw, boilerplate_rules) == [
        "Moscou et Pyongyang ont signé un traité.",
        "Une carte des sites visités",
        "Le texte entre en vigueur en décembre.",
    ]


def test_headlines_under_a_label_with_its_headline_stay(boilerplate_rules):
    """Under « Lire aussi : <headline> » the widget is over: the next short line
    is the article's subheading; under a bare « LIRE AUSSI » it is a headline."""
    raw = "Lire aussi : Poutine à Pyongyang\nUn accord historique\nLes deux dirigeants ont signé un traité."
    assert _kept(raw, boilerplate_rules) == [
        "Un accord historique",
        "Les deux dirigeants ont signé un traité.",
    ]
    raw = "LIRE AUSSI\nPoutine à Pyongyang\nLes deux dirigeants ont signé un traité."
    assert _kept(raw, boilerplate_rules) == ["Les deux dirigeants ont signé un traité."]


def test_rule_file_tables_are_checked():
    with pytest.raises(ValueError, match="inline.markers"):
        BoilerplateRules.from_dict({"inline": {"markers": ["(lire"]}})
    rules = BoilerplateRules.from_dict({"inline": {"sentence_starters": ["Selon", "Après"]}})
    assert rules.inline.starters == frozenset({"selon", "apres"})


@pytest.mark.parametrize(
    "byline",
    ["Par Will Vernon", "Par Awa Traoré et Jean Dupont", "By Jane Doe"],
)
def test_a_byline_keeps_its_capitals(boilerplate_rules, byline):
    """A byline line looks like a heading in Title Case, but its words are names."""
    raw = f"La ville se prépare à l'hiver\n{byline}\nLes habitants font des réserves de bois depuis septembre."
    assert byline in [block.text for block in clean(Article("d", "d.txt", "", "", "", raw), boilerplate_rules).blocks]
