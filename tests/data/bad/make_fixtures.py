"""Write the bad-input fixtures in this folder: python tests/data/bad/make_fixtures.py

The files are committed; run this again only to change them. Every file is
written byte for byte, so a rerun gives identical files. The large files
(20 MB article, 1 MB line), the unreadable file and the symlink loop are not
committed: tests/test_bad_input.py makes them in a temporary folder.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

HERE = Path(__file__).resolve().parent

# A valid 1x1 PNG image.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)

# Characters cp1252 has and latin-1 has not: ’ « » œ € —.
CP1252 = (
    "Bruxelles s’inquiète du rapprochement entre Moscou et Pyongyang. « L’Otan suit la situation de près », "
    "a déclaré mercredi le secrétaire général de l’Alliance, au cœur d’une semaine de réunions — la "
    "troisième depuis juin. Le coût de la surveillance maritime dépasserait 40 millions d’€ par an.\n"
)

# Only latin-1 characters (no typographic apostrophe).
LATIN1 = (
    "À Séoul, le président sud-coréen a convoqué son conseil de sécurité nationale. Il a dénoncé une "
    "coopération militaire « très préoccupante » entre la Russie et la Corée du Nord, et promis une réponse "
    "coordonnée avec Washington et Tokyo avant la fin de l'été.\n"
)

UTF16 = (
    "Kim Jong-un a reçu Vladimir Poutine au palais Kumsusan, où les deux dirigeants se sont entretenus "
    "pendant plus de deux heures selon l’agence officielle KCNA. Un dîner d’État a suivi la signature "
    "d’un traité d’assistance mutuelle.\n"
)

# Control characters (\x01 \x0b \x0c \x1b \x7f) and one NUL byte inside French text.
CONTROLS = (
    "Le Kremlin\x01a confirmé jeudi la visite de Sergueï Lavrov à Pékin.\x0b Le ministre russe des "
    "Affaires étrangères\x00doit y rencontrer son homologue chinois Wang Yi.\x0c\n\n"
    "Selon Moscou,\x1b les entretiens porteront sur la guerre en Ukraine\x7f et sur la péninsule coréenne.\n"
)

ACCENTED_NAME = "article été à Séoul.txt"
ACCENTED = (
    "Le Premier ministre japonais a rencontré Emmanuel Macron à l'Élysée mardi. Les deux dirigeants ont "
    "évoqué la sécurité en Asie de l'Est et les essais de missiles balistiques menés par la Corée du Nord "
    "au-dessus de la mer du Japon.\n"
)

JSONL_GOOD_1 = {
    "id": "j1",
    "title": "Sommet à Pyongyang",
    "date": "2024-06-19",
    "text": "Vladimir Poutine et Kim Jong-un ont signé un traité de partenariat stratégique à Pyongyang. "
    "Washington et Séoul ont aussitôt condamné l'accord.",
}
JSONL_GOOD_2 = {
    "id": "j3",
    "title": "Réaction de l'Otan",
    "date": "2024-06-20",
    "text": "L'Otan a dénoncé jeudi le soutien de la Corée du Nord à l'effort de guerre russe. "
    "Jens Stoltenberg a appelé Pékin à user de son influence.",
}
JSONL = (
    json.dumps(JSONL_GOOD_1, ensure_ascii=False)
    + "\n"
    + '{"id": "j2", "title": "Coupé", "text": "Cette ligne est tronquée\n'  # line 2: not valid JSON
    + json.dumps(JSONL_GOOD_2, ensure_ascii=False)
    + "\n"
    + json.dumps({"id": "j4", "body": "pas de champ text"}, ensure_ascii=False)  # line 4: no "text" field
    + "\n"
)

NO_TEXT_CSV = "id,titre,contenu\nc1,Visite à Pékin,Sergueï Lavrov a rencontré Wang Yi à Pékin.\n"

HTML = """<!DOCTYPE html>
<html lang="fr">
<head>
<meta charset="utf-8">
<title>Manœuvres en mer du Japon</title>
<style>body { color: black; } .STYLEMARKER { display: none; }</style>
<script>var SCRIPTMARKER = "tracking"; window.dataLayer = [];</script>
</head>
<body>
<article>
<h1>Manœuvres en mer du Japon</h1>
<p>La Corée du Sud, le Japon et les États-Unis ont mené lundi des exercices navals conjoints au large de
l’île de Jeju, a annoncé l’état-major sud-coréen. Ces manœuvres répondent aux tirs de missiles de Pyongyang.</p>
<script>document.write("INLINESCRIPTMARKER");</script>
<style>p.INLINESTYLEMARKER { margin: 0; }</style>
<p>Le porte-avions américain Theodore Roosevelt participait aux exercices, qui doivent durer trois jours
selon le ministère japonais de la Défense.</p>
</article>
</body>
</html>
"""


def write_all() -> None:
    files = {
        "empty.txt": b"",
        "whitespace.txt": " \t \n\r\n   \n\u00a0\u202f\t\n\n".encode("utf-8"),
        "png_bytes.txt": PNG,
        "photo.png": PNG,
        "cp1252.txt": CP1252.encode("cp1252"),
        "latin1.txt": LATIN1.encode("latin-1"),
        "utf16_bom.txt": b"\xff\xfe" + UTF16.encode("utf-16-le"),
        "controls.txt": CONTROLS.encode("utf-8"),
        ACCENTED_NAME: ACCENTED.encode("utf-8"),
        "malformed.jsonl": JSONL.encode("utf-8"),
        "no_text_column.csv": NO_TEXT_CSV.encode("utf-8"),
        "page.html": HTML.encode("utf-8"),
    }
    for name, data in files.items():
        (HERE / name).write_bytes(data)


if __name__ == "__main__":
    write_all()
