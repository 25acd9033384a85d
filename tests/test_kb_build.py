"""Tests of the knowledge-base build (models/kb/build_kb.py).

The build is run into temporary folders; the checks read its output, and the
committed files in models/kb/ must equal a fresh build.
"""

from __future__ import annotations

import csv
import importlib.util
import re
import shutil
import subprocess
import sys
import time
import unicodedata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
KB = ROOT / "models" / "kb"
BUILD = KB / "build_kb.py"

OUTPUTS = {
    "entities": ["entity_id", "name", "type", "wikidata", "description", "source"],
    "aliases": ["alias", "entity_id", "match"],
    "demonyms": ["form", "entity_id"],
    "capitals": ["city_id", "state_id"],
    "seats": ["entity_id", "state_id"],
    "roles": ["role", "of_id", "holder_id", "valid_from", "valid_to", "source"],
    "role_words": ["word", "role", "alone"],
}
TYPES = {"PER", "STATE", "ORG", "LOC", "MISC"}
# documented row order of the files not sorted by their plain columns
SORT_KEYS = {
    "aliases": lambda r: (key(r[0]), r[0], r[1]),  # folded alias, alias, entity_id
    "roles": lambda r: (r[1], r[0], r[3], r[2], r[4]),  # of_id, role, valid_from, holder_id, valid_to
}


def key(name: str) -> str:
    """Same folding as pipeline.text.name_key (kept here so these tests do not
    depend on the pipeline package)."""
    name = name.translate(str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'", "\u00b4": "'"}))
    folded = "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c)).casefold()
    return re.sub(r"[\s\-\u2010-\u2015_.]+", " ", folded).strip()


def build_module():
    spec = importlib.util.spec_from_file_location("build_kb", BUILD)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_build(out: Path) -> float:
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, str(BUILD), "--out", str(out), "--quiet"], capture_output=True, text=True, cwd=ROOT
    )
    assert proc.returncode == 0, proc.stderr
    return time.perf_counter() - t0


def read(folder: Path, name: str) -> list[dict[str, str]]:
    with open(folder / f"{name}.csv", encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("kb")
    seconds = run_build(out)
    assert seconds < 60, f"build took {seconds:.1f}s"
    return out


@pytest.fixture(scope="module")
def kb(built):
    t = {name: read(built, name) for name in OUTPUTS}
    t["entity"] = {r["entity_id"]: r for r in t["entities"]}
    t["alias"] = {}
    for r in t["aliases"]:
        t["alias"].setdefault(key(r["alias"]), set()).add(r["entity_id"])
    return t


def by_name(kb, name: str) -> dict[str, str]:
    found = [r for r in kb["entities"] if r["name"] == name]
    assert len(found) == 1, f"{name!r}: {len(found)} entities"
    return found[0]


def alias_of(kb, alias: str) -> str | None:
    ids = kb["alias"].get(key(alias), set())
    assert len(ids) <= 1, f"alias {alias!r} points at {ids}"
    return next(iter(ids), None)


def holders(kb, role: str, of_id: str) -> list[dict[str, str]]:
    return [r for r in kb["roles"] if r["role"] == role and r["of_id"] == of_id]


# ------------------------------------------------------------ files


def test_output_files_format(built):
    for name, columns in OUTPUTS.items():
        data = (built / f"{name}.csv").read_bytes()
        text = data.decode("utf-8")  # valid UTF-8
        assert not text.startswith("\ufeff"), f"{name}: BOM"
        assert "\r" not in text, f"{name}: \\r line ending"
        assert text.endswith("\n")
        with open(built / f"{name}.csv", encoding="utf-8", newline="") as f:
            reader = csv.reader(f)
            assert next(reader) == columns, f"{name}: header"
            rows = list(reader)
        assert rows, f"{name}: empty"
        assert all(len(r) == len(columns) for r in rows), f"{name}: ragged rows"
        assert rows == sorted(rows, key=SORT_KEYS.get(name, list)), f"{name}: rows not sorted"
        assert len({tuple(r) for r in rows}) == len(rows), f"{name}: duplicate rows"


def test_build_is_deterministic(built, tmp_path):
    run_build(tmp_path)
    for name in [*OUTPUTS, "build_log"]:
        ext = "txt" if name == "build_log" else "csv"
        assert (tmp_path / f"{name}.{ext}").read_bytes() == (built / f"{name}.{ext}").read_bytes(), name


def test_committed_outputs_are_up_to_date(built):
    for name in OUTPUTS:
        committed = KB / f"{name}.csv"
        assert committed.is_file(), f"{committed} missing: run python models/kb/build_kb.py"
        assert committed.read_bytes() == (built / f"{name}.csv").read_bytes(), (
            f"models/kb/{name}.csv differs from a fresh build: run python models/kb/build_kb.py"
        )


def test_build_rejects_an_uncertain_qid(tmp_path):
    """A curated QID that no source file has stops the build."""
    copy = tmp_path / "kb"
    shutil.copytree(KB, copy, ignore=shutil.ignore_patterns("*.csv", "*.txt", "__pycache__"))
    for sub in ("sources", "curated"):
        for f in (KB / sub).glob("*.csv"):
            shutil.copy(f, copy / sub / f.name)
    with open(copy / "curated" / "curated_entities.csv", "a", encoding="utf-8") as f:
        f.write("Q999999999,Personne Inventée,PER,Q999999999,test,curated\n")
    proc = subprocess.run(
        [sys.executable, str(copy / "build_kb.py"), "--out", str(tmp_path / "out"), "--quiet"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode != 0
    assert "Q999999999" in proc.stderr


# ------------------------------------------------------------ must-haves


def test_people(kb):
    putin = kb["entity"]["Q7747"]
    assert (putin["name"], putin["type"], putin["wikidata"]) == ("Vladimir Poutine", "PER", "Q7747")
    assert alias_of(kb, "Poutine") == "Q7747"
    assert alias_of(kb, "Vladimir Putin") == "Q7747"
    assert kb["entity"]["Q56226"]["name"] == "Kim Jong-un"
    assert any(r["alias"] == "Kim Jong Un" and r["entity_id"] == "Q56226" for r in kb["aliases"])
    kim_il = by_name(kb, "Kim Jong-il")
    assert kim_il["type"] == "PER" and kim_il["entity_id"] != "Q56226"
    assert alias_of(kb, "Kim Jong Il") == kim_il["entity_id"]
    assert alias_of(kb, "Choi Son-hee") == by_name(kb, "Choe Son-hui")["entity_id"]
    assert alias_of(kb, "Lavrov") == by_name(kb, "Sergueï Lavrov")["entity_id"]
    assert alias_of(kb, "Zelenski") == "Q3874799"


def test_organisations(kb):
    otan = by_name(kb, "Otan")
    assert (otan["type"], otan["wikidata"]) == ("ORG", "Q7184")
    assert any(r["alias"] == "OTAN" and r["entity_id"] == "Q7184" for r in kb["aliases"])
    eu = kb["entity"]["Q458"]
    assert (eu["name"], eu["type"]) == ("Union européenne", "ORG")
    assert any(r["alias"] == "UE" and r["entity_id"] == "Q458" for r in kb["aliases"])
    assert alias_of(kb, "Union Européenne") == "Q458"
    for name in ("Kremlin", "Rodong Sinmun", "Tass", "Maison Blanche", "NK Pro", "KCNA", "Agence France-Presse"):
        assert by_name(kb, name)["type"] == "ORG", name
    assert kb["entity"]["org:kremlin"]["name"] == "Kremlin"
    assert kb["entity"]["per:dmitri-peskov"]["name"] == "Dmitri Peskov"


def test_seats(kb):
    seats = {r["entity_id"]: r["state_id"] for r in kb["seats"]}
    assert seats["org:kremlin"] == "Q159"
    assert kb["entity"]["Q159"]["name"] == "Russie"
    assert seats[by_name(kb, "Maison Blanche")["entity_id"]] == "Q30"
    assert seats[by_name(kb, "Élysée")["entity_id"]] == "Q142"


STATES = {
    "Russie": "Q159",
    "Corée du Nord": "Q423",
    "Corée du Sud": "Q884",
    "États-Unis": "Q30",
    "Chine": "Q148",
    "Japon": "Q17",
    "Ukraine": "Q212",
    "Syrie": "Q858",
    "Vietnam": "Q881",
    "Iran": "Q794",
}


def test_states(kb):
    for name, qid in STATES.items():
        e = kb["entity"][qid]
        assert (e["name"], e["type"], e["wikidata"]) == (name, "STATE", qid)
        assert re.search(r"iso3=[A-Z]{3}", e["description"]), e
        assert alias_of(kb, name) == qid
    assert "iso3=RUS;iso2=RU" in kb["entity"]["Q159"]["description"]
    assert alias_of(kb, "République populaire démocratique de Corée") == "Q423"
    assert alias_of(kb, "Fédération de Russie") == "Q159"
    assert alias_of(kb, "Viêt Nam") == "Q881"
    for name in ("Kosovo", "Palestine", "Taïwan"):
        assert by_name(kb, name)["type"] == "STATE"


def test_every_sovereign_state_is_a_state(kb):
    remap = {r["replaces"]: r["wikidata"] for r in read(KB / "curated", "state_qid_overrides")}
    for r in read(KB / "sources", "countries_fr"):
        qid = remap.get(r["wikidata"], r["wikidata"])
        expected = "STATE" if r["independent"] == "true" or r["iso3"] in ("UNK", "PSE", "TWN") else "LOC"
        assert kb["entity"][qid]["type"] == expected, r["name_fr"]
    # the 197 of countries_fr, plus one former state (Union soviétique, curated)
    assert sum(e["type"] == "STATE" and e["source"] != "curated" for e in kb["entities"]) == 197
    assert [e["name"] for e in kb["entities"] if e["type"] == "STATE" and e["source"] == "curated"] == [
        "Union soviétique"
    ]


def test_capitals(kb):
    capitals = {r["city_id"]: r["state_id"] for r in kb["capitals"]}
    expected = {
        "Moscou": ("Q649", "Q159"),
        "Pyongyang": ("Q18808", "Q423"),
        "Washington": ("Q61", "Q30"),
        "Pékin": ("Q956", "Q148"),
        "Séoul": ("Q8684", "Q884"),
        "Hanoï": ("Q1858", "Q881"),
    }
    for name, (city, state) in expected.items():
        assert kb["entity"][city]["name"] == name
        assert kb["entity"][city]["type"] == "LOC"
        assert capitals[city] == state
        assert alias_of(kb, name) == city
    for city, state in capitals.items():
        assert kb["entity"][city]["type"] == "LOC" and kb["entity"][state]["type"] == "STATE"


def test_demonyms(kb):
    dem = {}
    for r in kb["demonyms"]:
        assert r["form"] == r["form"].lower()
        assert kb["entity"][r["entity_id"]]["type"] == "STATE"
        dem.setdefault(key(r["form"]), set()).add(r["entity_id"])
    # a form of several states keeps one row each (the linker lets the article decide)
    assert {form for form, ids in dem.items() if len(ids) > 1} == {
        key("congolais"),
        key("congolaise"),
        key("congolaises"),
    }
    expected = {
        "nord-coréennes": "Q423",
        "nord-coréen": "Q423",
        "russe": "Q159",
        "russes": "Q159",
        "américains": "Q30",
        "américaine": "Q30",
        "ukrainienne": "Q212",
        "iranien": "Q794",
        "vietnamiens": "Q881",
        "sud-coréens": "Q884",
        "sud-coréenne": "Q884",
    }
    for form, qid in expected.items():
        assert dem[key(form)] == {qid}, form
    assert dem[key("congolais")] == {"Q971", "Q974"}


def test_roles(kb):
    putin = holders(kb, "président", "Q159")
    assert any(r["holder_id"] == "Q7747" and r["valid_to"] == "" for r in putin)
    assert any(r["holder_id"] == "Q56226" and r["valid_to"] == "" for r in holders(kb, "chef de l'état", "Q423"))
    lavrov = by_name(kb, "Sergueï Lavrov")["entity_id"]
    assert any(r["holder_id"] == lavrov for r in holders(kb, "ministre des affaires étrangères", "Q159"))
    peskov = by_name(kb, "Dmitri Peskov")["entity_id"]
    assert any(r["holder_id"] == peskov for r in holders(kb, "porte-parole", "org:kremlin"))
    nato = {r["holder_id"]: r for r in holders(kb, "secrétaire général", "Q7184")}
    assert nato[by_name(kb, "Jens Stoltenberg")["entity_id"]]["valid_to"] == "2024-10-01"
    assert nato[by_name(kb, "Mark Rutte")["entity_id"]]["valid_from"] == "2024-10-01"
    assert any(r["holder_id"] == "Q22686" for r in holders(kb, "chef de l'état", "Q30"))
    date = re.compile(r"^(\d{4}(-\d{2}-\d{2})?)?$")
    for r in kb["roles"]:
        assert r["role"] == r["role"].lower()
        assert r["of_id"] in kb["entity"] and r["holder_id"] in kb["entity"], r
        assert kb["entity"][r["holder_id"]]["type"] == "PER", r
        assert date.match(r["valid_from"]) and date.match(r["valid_to"]), r


@pytest.mark.parametrize(
    ("role", "of_id", "holder", "valid_from", "valid_to"),
    [
        # curated past heads of state, with days
        ("président", "Q258", "Jacob Zuma", "2009-05-09", "2018-02-14"),
        ("chef de l'état", "Q657", "Idriss Déby", "1990-12-02", "2021-04-20"),
        ("président", "Q1005", "Yahya Jammeh", "1994-07-22", "2017-01-19"),
        ("premier ministre", "Q142", "Jean Castex", "2020-07-03", "2022-05-16"),
        ("ministre des affaires étrangères", "Q30", "Mike Pompeo", "2018-04-26", "2021-01-20"),
        # the foreign ministers' snapshot of 2022: start days, closed at the snapshot's horizon
        ("ministre des affaires étrangères", "Q1008", "Kandia Camara", "2021-04-06", "2023"),
        ("ministre des affaires étrangères", "Q258", "Naledi Pandor", "2019-05-30", "2023"),
        # from the leaders files: a term with an end year, curated to the day
        ("président", "Q114", "Uhuru Kenyatta", "2013-04-09", "2022-09-13"),
    ],
)
def test_dated_past_holders(kb, role, of_id, holder, valid_from, valid_to):
    person = by_name(kb, holder)["entity_id"]
    terms = [(r["valid_from"], r["valid_to"]) for r in holders(kb, role, of_id) if r["holder_id"] == person]
    assert (valid_from, valid_to) in terms


def test_leaders_files_give_past_terms_too(kb):
    """Terms with an end year, and holders current in 2024 but gone from the 2026 file."""
    leaders = [r for r in kb["roles"] if r["source"] == "world_leaders_wikidata_2026"]
    assert sum(1 for r in leaders if r["valid_to"]) > 100
    # Justin Trudeau: current in the 2024 file, Mark Carney's start ends his term
    trudeau = [r for r in kb["roles"] if r["holder_id"] == "Q3099714" and r["role"] == "premier ministre"]
    assert [(r["valid_from"], r["valid_to"]) for r in trudeau] == [("2015", "2025")]
    assert kb["entity"]["Q3171170"]["name"] == "Jean Castex"  # the leaders' QID, not a second curated person
    # curated ministers carry the QID the foreign ministers' file gives them
    assert by_name(kb, "Sergueï Lavrov")["entity_id"] == "Q58217"
    assert alias_of(kb, "Sergey Lavrov") == "Q58217"


def test_role_words(kb):
    words = {r["word"]: r["role"] for r in kb["role_words"]}
    alone = {r["word"] for r in kb["role_words"] if r["alone"] == "yes"}
    assert {"président", "chef de l'état", "premier ministre", "souverain", "chef de la junte"} <= alone
    assert not {"chef", "dirigeant", "leader", "ministre"} & alone  # these need a complement or "ancien"
    assert words["chef de la junte"] == "chef de l'état"
    assert words["président de la république"] == "président"
    assert words["dirigeant"] == "chef de l'état"
    assert words["leader"] == "chef de l'état"
    assert words["chef de la diplomatie"] == "ministre des affaires étrangères"
    assert words["porte-parole"] == "porte-parole"
    assert words["secrétaire général"] == "secrétaire général"
    vocab = set(build_module().ROLE_VOCAB)
    assert set(words.values()) <= vocab
    assert {r["role"] for r in kb["roles"]} <= vocab


def test_place_kim_il_sung_is_not_the_person(kb):
    kim = by_name(kb, "Kim Il-sung")["entity_id"]
    assert alias_of(kb, "place Kim Il-sung") != kim
    assert alias_of(kb, "Kim Il-sung") == kim


# ------------------------------------------------------------ invariants


def test_entities(kb):
    ids = [r["entity_id"] for r in kb["entities"]]
    assert len(ids) == len(set(ids))
    for e in kb["entities"]:
        assert e["type"] in TYPES, e
        if e["wikidata"]:
            assert e["entity_id"] == e["wikidata"] and re.fullmatch(r"Q[1-9]\d*", e["wikidata"]), e
        else:
            assert re.fullmatch(r"(per|state|org|loc|misc):[a-z0-9]+(-[a-z0-9]+)*", e["entity_id"]), e
            assert e["entity_id"].split(":")[0] == e["type"].lower(), e
        assert e["name"] and e["source"], e


def test_curated_qids_come_from_sources(kb):
    people, others = set(), set()
    for f in ("world_leaders_wikidata_2026-index", "world_leaders_wikidata_2024-10-23"):
        people |= {r["officeholder"] for r in read(KB / "sources", f)}
    people |= {r["person"] for r in read(KB / "sources", "world_foreign_ministers_wikidata_2022")}
    others |= {r["wikidata"] for r in read(KB / "sources", "country_coder_ids")}
    evidence = {r["wikidata"] for r in read(KB / "curated", "qid_evidence")}
    curated = read(KB / "curated", "curated_entities")
    for r in curated:
        assert r["source"] == "curated"
        if r["wikidata"]:
            assert r["wikidata"] in (people if r["type"] == "PER" else others) | evidence, r
        assert kb["entity"][r["entity_id"]]["source"] == "curated", r
        assert kb["entity"][r["entity_id"]]["name"] == r["name"], r


def test_aliases(kb):
    for r in kb["aliases"]:
        assert r["entity_id"] in kb["entity"], r
        assert r["match"] in ("always", "ner"), r
        assert len(key(r["alias"]).replace(" ", "")) >= 2, r
        if r["match"] == "always":
            assert any(c.isupper() for c in r["alias"]), f"lowercase always alias {r}"
    # one folded name, one entity (conflicts were resolved by precedence)
    assert all(len(ids) == 1 for ids in kb["alias"].values())
    # every entity keeps at least one alias, and every canonical name is an alias
    named = {r["entity_id"] for r in kb["aliases"]}
    for e in kb["entities"]:
        assert e["entity_id"] in named, e
        assert key(e["name"]) in kb["alias"], e
    # matching rules
    match = {(key(r["alias"]), r["entity_id"]): r["match"] for r in kb["aliases"]}
    assert match[(key("Moscou"), "Q649")] == "always"
    assert match[(key("Otan"), "Q7184")] == "always"
    assert match[(key("Poutine"), "Q7747")] == "always"
    for word in ("Réunion", "Le Monde", "Libération", "Grenade", "Congrès"):
        assert all(r["match"] == "ner" for r in kb["aliases"] if key(r["alias"]) == key(word)), word
    # cities and leaders-file people only link NER spans, unless a curated alias says otherwise
    curated = {key(r["alias"]) for r in read(KB / "curated", "curated_aliases")}
    for source in ("naturalearth", "world_leaders_wikidata_2026"):
        names = [(key(e["name"]), e["entity_id"]) for e in kb["entities"] if e["source"] == source]
        assert names and all(match[n] == "ner" for n in names if n[0] not in curated), source


def test_pipeline_reads_the_kb(built):
    """The pipeline's loader answers the must-have questions."""
    from pipeline.kb import KnowledgeBase
    from pipeline.store import data
    from pipeline.text import name_key

    kb = KnowledgeBase.from_tables(data.read_kb_folders([built]))
    assert kb.aliases[name_key("Poutine")].entity_id == "Q7747"
    assert kb.aliases[name_key("OTAN")].entity_id == "Q7184"
    assert kb.demonyms[name_key("nord-coréennes")] == "Q423"
    assert kb.holder("président", "Q159", "2024-06-19") == "Q7747"
    assert kb.holder("chef de l'état", "org:kremlin", "2024-06-19") == "Q7747"
    assert kb.holder("porte-parole", "org:kremlin", "2024-06-19") == "per:dmitri-peskov"
    assert kb.holder("président", "Q30", "2024-06-19") == "per:joe-biden"
    assert kb.stands_for("Q649") == "Q159"
