"""Write the ingest test fixtures in this folder: python tests/data/formats/make_fixtures.py

The files are committed; run this again only to change them. Every file is
written byte for byte (encodings, gzip with a fixed timestamp), so a rerun
gives identical files.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
from pathlib import Path

HERE = Path(__file__).resolve().parent

HTML = """<!DOCTYPE html>
<html lang="fr">
<head>
<meta charset="utf-8">
<title>Poutine à Pyongyang : la rencontre avec Kim Jong-un</title>
<meta property="article:published_time" content="2024-06-18T08:00:00+02:00">
<link rel="canonical" href="https://example.org/poutine-pyongyang">
<style>body { font-family: serif; } .STYLE_TEXT { color: red; }</style>
<script>var SCRIPT_TEXT = "analytics"; window.dataLayer = [];</script>
</head>
<body>
<nav class="menu"><ul>
<li><a href="/">Accueil</a></li><li><a href="/monde">Monde</a></li><li><a href="/politique">Politique</a></li>
</ul></nav>
<main>
<article>
<h1>Poutine à Pyongyang : la rencontre avec Kim Jong-un</h1>
<p>Vladimir Poutine est arrivé mardi soir à Pyongyang pour une visite d’État de deux jours, la première en Corée
du Nord depuis vingt-quatre ans. Le président russe a été accueilli à l’aéroport par Kim Jong-un.</p>
<p>Les deux dirigeants doivent signer un accord de « partenariat stratégique global », selon le Kremlin.
Washington et Séoul s’inquiètent d’une coopération militaire accrue entre Moscou et la Corée du Nord.</p>
<script>document.write("INLINE_SCRIPT_TEXT");</script>
<p>L’Otan a dénoncé mercredi le soutien de Pyongyang à l’effort de guerre russe en Ukraine, évoquant des
livraisons d’obus et de missiles balistiques.</p>
</article>
</main>
<footer><p>© 2024 Exemple Presse. Tous droits réservés. Mentions légales · Contact · Publicité</p></footer>
</body>
</html>
"""

CP1252 = (
    "« L’Otan s’inquiète », a déclaré mercredi le secrétaire général à Bruxelles. Selon lui, l’accord signé "
    "à Pyongyang « menace la sécurité de l’Europe » ; les Alliés étudient de nouvelles mesures — sanctions, "
    "surveillance maritime — d’ici à l’été. La question sera au cœur du sommet de Washington. "
    "Coût estimé : 5 millions d’€ par mois.\n"
)

LATIN1 = (
    "À Séoul, le ministère de la Défense a précisé que « l'exercice conjoint » se déroulerait près de la "
    "frontière. Le président sud-coréen a réuni son conseil de sécurité nationale ; il a dénoncé une "
    "coopération militaire « très préoccupante » entre Moscou et Pyongyang, à deux mois de Noël.\n"
)

UTF16 = (
    "Kim Jong-un a promis un « soutien total » à la Russie. Le dirigeant nord-coréen a reçu Vladimir Poutine "
    "au palais Kumsusan, où les deux hommes se sont entretenus pendant plus de deux heures, d’après l’agence "
    "officielle KCNA. Une réception a suivi.\n"
)

ENGLISH = (
    "Russian President Vladimir Putin and North Korean leader Kim Jong Un signed a mutual defence pact in "
    "Pyongyang on Wednesday, pledging to help each other if either country is attacked. The agreement, "
    "described by Putin as a breakthrough document, deepens military ties that Washington and Seoul say "
    "already include North Korean shipments of artillery shells and ballistic missiles to Russia for use "
    "in Ukraine. South Korea's national security council met in emergency session after the ceremony.\n"
)

STORY = "\n\n".join(
    [
        (
            "Vladimir Poutine et Kim Jong-un ont signé mercredi à Pyongyang un traité de « partenariat "
            "stratégique global » qui prévoit une assistance mutuelle en cas d’agression contre l’un des deux "
            "pays. La cérémonie s’est tenue au palais Kumsusan, au terme de plusieurs heures d’entretiens entre "
            "les deux dirigeants."
        ),
        (
            "Le président russe, arrivé dans la nuit pour sa première visite en Corée du Nord depuis vingt-quatre"
            " ans, a salué « un document véritablement révolutionnaire ». Kim Jong-un a pour sa part évoqué une «"
            " alliance » et promis un « soutien total » à la politique de Moscou, y compris en Ukraine."
        ),
        (
            "À Séoul, le gouvernement sud-coréen a convoqué une réunion de son conseil de sécurité nationale. Le "
            "conseiller présidentiel a jugé « regrettable » tout accord qui renforcerait les capacités militaires"
            " du Nord, en violation des résolutions du Conseil de sécurité des Nations unies."
        ),
        (
            "À Washington, le porte-parole du département d’État a estimé que ce rapprochement devait inquiéter «"
            " tous les pays attachés à la paix dans la péninsule coréenne ». Les États-Unis accusent depuis des "
            "mois Pyongyang de livrer à la Russie des obus d’artillerie et des missiles balistiques utilisés "
            "contre l’Ukraine, ce que les deux capitales démentent."
        ),
        (
            "Selon plusieurs analystes, le traité pourrait ouvrir la voie à des transferts de technologie russe "
            "dans les domaines spatial et nucléaire, en échange de munitions dont l’armée russe a besoin sur le "
            "front. Pékin, principal allié de la Corée du Nord, s’est gardé de tout commentaire, se contentant de"
            " rappeler son attachement à la stabilité régionale."
        ),
        (
            "Vladimir Poutine devait quitter Pyongyang dans la soirée pour le Vietnam, deuxième étape d’une "
            "tournée asiatique destinée à montrer que la Russie n’est pas isolée sur la scène internationale "
            "malgré les sanctions occidentales."
        ),
    ]
)

DUP_A = (
    "Le Quotidien du Matin — International\nPublié le 19 juin 2024 à 07h12\n\n"
    + STORY
    + "\n\nLire aussi : notre dossier sur la guerre en Ukraine\n© Le Quotidien du Matin, avec AFP\n"
)

DUP_B = (
    "ACTUALITÉS > MONDE > ASIE\nPar la rédaction, avec AFP — 19/06/2024 09:45\n\n"
    + STORY
    + "\n\nPartager sur Facebook · Partager sur X · Envoyer par courriel\nAbonnez-vous à notre lettre d’information\n"
)

# Same topic, one sentence in common with STORY: not a duplicate.
OTHER = "\n\n".join(
    [
        (
            "Hanoï — Vladimir Poutine est arrivé jeudi au Vietnam, où il doit s’entretenir avec les plus hauts "
            "dirigeants du pays, dont le secrétaire général du Parti communiste, To Lam."
        ),
        (
            "Les discussions porteront sur l’énergie, l’éducation et la coopération scientifique, selon la "
            "diplomatie vietnamienne, qui défend une politique étrangère « de bambou », souple face aux grandes "
            "puissances."
        ),
        (
            "Vladimir Poutine devait quitter Pyongyang dans la soirée pour le Vietnam, deuxième étape d’une "
            "tournée asiatique destinée à montrer que la Russie n’est pas isolée sur la scène internationale "
            "malgré les sanctions occidentales."
        ),
        (
            "Les États-Unis ont critiqué cette visite, estimant qu’aucun pays ne devrait offrir une tribune au "
            "président russe."
        ),
    ]
)

JSONL_LINES = [
    json.dumps(
        {
            "id": "afp-001",
            "title": "Poutine à Pyongyang",
            "date": "2024-06-18T08:00:00+02:00",
            "url": "https://example.org/afp-001",
            "text": "Vladimir Poutine est arrivé à Pyongyang.",
        },
        ensure_ascii=False,
    ),
    json.dumps({"title": "Sans identifiant", "date": "19/06/2024", "text": "Kim Jong-un a reçu le président russe."}),
    '{"id": "bad", "text": "guillemet non fermé}',
    json.dumps({"id": 42, "date": "mercredi 19 juin 2024", "text": "Séoul convoque son conseil de sécurité."}),
    json.dumps({"id": "no-text", "body": "Le texte est dans le mauvais champ."}, ensure_ascii=False),
]

CSV_ROWS = [
    ["identifiant", "titre", "publication", "lien", "corps"],
    [
        "csv-1",
        "Poutine à Pyongyang",
        "18/06/2024",
        "https://example.org/csv-1",
        "Vladimir Poutine est arrivé à Pyongyang.\n\nIl y restera deux jours.",
    ],
    ["csv-2", "« Alliance » Russie–Corée du Nord", "19 juin 2024 à 10h30", "", "Le traité prévoit une aide mutuelle."],
]


def csv_text(rows: list[list[str]], delimiter: str) -> str:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return out.getvalue()


def gz(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)


def main() -> None:
    files = {
        "article.html": HTML.encode("utf-8"),
        "cp1252.txt": CP1252.encode("cp1252"),
        "latin1.txt": LATIN1.encode("latin-1"),
        "utf16.txt": b"\xff\xfe" + UTF16.encode("utf-16-le"),
        "english.txt": ENGLISH.encode("utf-8"),
        "dup_a.txt": DUP_A.encode("utf-8"),
        "dup_b.txt": DUP_B.encode("utf-8"),
        "other.txt": OTHER.encode("utf-8"),
        "feed.jsonl": ("\n".join(JSONL_LINES) + "\n").encode("utf-8"),
        "custom.csv": csv_text(CSV_ROWS, ";").encode("utf-8"),
        "no_text.csv": csv_text([["id", "titre", "contenu"], ["1", "Titre", "Texte"]], ",").encode("utf-8"),
    }
    files["cp1252.txt.gz"] = gz(files["cp1252.txt"])
    files["feed.jsonl.gz"] = gz(files["feed.jsonl"])
    for name, data in files.items():
        assert len(data) < 10_000, name
        (HERE / name).write_bytes(data)


if __name__ == "__main__":
    main()
