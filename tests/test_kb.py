"""The in-memory knowledge base built from KB folders, and the checks made while loading them."""

from __future__ import annotations

import pytest

from pipeline.kb import REQUIRED, KBError, KnowledgeBase, Role
from pipeline.records import KBTable
from pipeline.store import data

ENTITIES = "entity_id,name,type\nQ30,États-Unis,STATE\nQ96,Mexique,STATE\nQ7747,Vladimir Poutine,PER\n"


def tables(**rows: list[dict[str, str]]) -> dict[str, KBTable]:
    """One folder's tables from rows, without files."""
    return {name: KBTable(f"{name}.csv", tuple(r[0]), r) for name, r in rows.items()}


def write_kb(folder, **files: str):
    """A KB folder holding `name.csv` with the given text for each keyword."""
    folder.mkdir()
    for name, text in files.items():
        (folder / f"{name}.csv").write_text(text, encoding="utf-8")
    return folder


def load(*folders) -> KnowledgeBase:
    return KnowledgeBase.from_tables(data.read_kb_folders(folders))


def test_aliases_are_indexed_for_the_scan():
    kb = KnowledgeBase.from_tables(
        [
            tables(
                entities=[
                    {"entity_id": "Q30", "name": "États-Unis", "type": "STATE"},
                    {"entity_id": "Q96", "name": "Mexique", "type": "STATE"},
                ],
                aliases=[
                    {"alias": "États-Unis du Mexique", "entity_id": "Q96", "match": "always"},
                    {"alias": "USA", "entity_id": "Q30", "match": "ner"},
                ],
            )
        ]
    )
    assert set(kb.aliases) == {"etats unis", "mexique", "etats unis du mexique", "usa"}
    assert kb.alias_words == {"etats": 4, "mexique": 1, "usa": 1}
    assert {"", "e", "etats", "etats unis", "etats unis du", "etats unis du mexique", "us"} <= kb.alias_prefixes
    assert "etats unis de" not in kb.alias_prefixes and "unis" not in kb.alias_prefixes
    assert len(kb.alias_prefixes) == len({k[:n] for k in kb.aliases for n in range(len(k) + 1)})


def test_packaged_kb_loads_clean_and_saves_as_one_folder_that_loads_the_same():
    kb = load(data.packaged_kb())
    assert kb.aliases["poutine"].entity_id == "Q7747" and kb.demonyms["nord coreennes"] == "Q423"
    assert len(kb.entities) > 4000 and len(kb.aliases) > 5000
    assert KnowledgeBase.from_tables([kb.to_tables()]) == kb


def test_a_users_folder_names_packaged_entities_and_later_folders_win(tmp_path):
    mine = write_kb(
        tmp_path / "my_kb",
        entities="entity_id,name,type\nper:jeanne-fictive,Jeanne Fictive,PER\nQ96,Mexico,STATE\n",
        aliases="alias,entity_id,match\nVova,Q7747,always\nFictive,per:jeanne-fictive,ner\n",
    )
    kb = load(write_kb(tmp_path / "base", entities=ENTITIES), mine)
    assert kb.aliases["vova"].entity_id == "Q7747"
    assert kb.aliases["fictive"].always is False
    assert kb.entities["Q96"].name == "Mexico" and kb.aliases["mexique"].entity_id == "Q96"


# (file name, its text, the problem reported); entities.csv is ENTITIES unless given
BAD = [
    ("entities", "entity_id,name,type\nQ1,Un,PER\n,Deux,PER\n", "line 3: empty entity_id"),
    (
        "entities",
        "entity_id,name,type\nQ1,Un,PER\nQ1,Deux,PER\n",
        "line 3: entity id 'Q1' is already defined on line 2",
    ),
    (
        "entities",
        "entity_id,name,type\nQ1,Un,PERSON\n",
        "line 2: type 'PERSON' is invalid; allowed: PER, STATE, ORG, LOC, MISC",
    ),
    ("entities", "entity_id,name,type\nQ1, - ,PER\n", "line 2: entity 'Q1' has no name to match (' - ')"),
    (
        "role_words",
        "word,role,alone\nprésident,président,oui\n",
        "line 2: alone 'oui' is invalid; allowed: yes, or empty",
    ),
    ("entities", "entity_id,name,type\nQ1,Un\n", "line 2: 2 cells, the header has 3"),
    (
        "entities",
        "entity_id,name,type\nQ1,Boston,LOC,ville (Massachusetts, États-Unis)\n",
        "line 2: 5 cells, the header has 3",
    ),
    (
        "aliases",
        "alias,entity_id\nVova,Q7747\nPoutine,Q999\n",
        "line 3: alias 'Poutine' names entity id 'Q999' that no entities.csv defines",
    ),
    (
        "aliases",
        "alias,entity_id,match\nVova,Q7747,NER\n",
        "line 2: match 'NER' is invalid; allowed: always, ner (empty: always)",
    ),
    (
        "demonyms",
        "form,entity_id\nmexicain,Q96\nrusse,Q159\n",
        "line 3: demonym 'russe' names entity id 'Q159' that no entities.csv defines",
    ),
    (
        "capitals",
        "city_id,state_id\nQ1489,Q96\n",
        "line 2: city_id names entity id 'Q1489' that no entities.csv defines",
    ),
    ("capitals", "city_id,state_id\nQ96,Q9\n", "line 2: state_id names entity id 'Q9' that no entities.csv defines"),
    (
        "seats",
        "entity_id,state_id\norg:kremlin,Q159\n",
        "line 2: entity_id names entity id 'org:kremlin' that no entities.csv defines",
    ),
    (
        "roles",
        "role,of_id,holder_id\nprésident,Q159,Q7747\n",
        "line 2: of_id names entity id 'Q159' that no entities.csv defines",
    ),
    (
        "roles",
        "role,of_id,holder_id,valid_from\nprésident,Q30,per:joe-biden,2021\n",
        "line 2: holder_id names entity id 'per:joe-biden' that no entities.csv defines",
    ),
]


@pytest.mark.parametrize("name, text, problem", BAD)
def test_a_bad_row_is_reported_with_its_file_and_line(tmp_path, name, text, problem):
    folder = write_kb(tmp_path / "my_kb", **({"entities": ENTITIES} | {name: text}))
    with pytest.raises(KBError) as err:
        load(folder)
    assert str(err.value) == f"{folder / f'{name}.csv'}, {problem}"


@pytest.mark.parametrize("name, columns", REQUIRED.items())
def test_a_missing_column_is_reported_with_the_header(tmp_path, name, columns):
    header = ",".join(columns[1:]) + ",note"
    folder = write_kb(tmp_path / "my_kb", **({"entities": ENTITIES} | {name: header + "\n"}))
    with pytest.raises(KBError) as err:
        load(folder)
    shown = ", ".join([*columns[1:], "note"])
    assert str(err.value) == f"{folder / f'{name}.csv'}, line 1: missing column {columns[0]} (the header has {shown})"


def test_ids_are_checked_against_every_folder(tmp_path):
    base = write_kb(tmp_path / "base", entities=ENTITIES)
    mine = write_kb(tmp_path / "my_kb", aliases="alias,entity_id\nPoutine,Q7747\nTrump,per:donald-trump\n")
    with pytest.raises(KBError, match=r"my_kb/aliases\.csv, line 3: alias 'Trump' names entity id 'per:donald-trump'"):
        load(base, mine)
    # the same entity id in two folders: the later one redefines it
    again = write_kb(tmp_path / "again", entities="entity_id,name,type\nQ7747,Poutine,PER\n")
    assert load(base, again).entities["Q7747"].name == "Poutine"


# ------------------------------------------------------------------ roles

STATES = "entity_id,name,type\nQ114,Kenya,STATE\nQ1008,Côte d'Ivoire,STATE\nQ142,France,STATE\n"
PEOPLE = (
    "per:a,Premier,PER\nper:b,Second,PER\nper:c,Troisième,PER\nper:m,Ministre,PER\nper:y,Annuel,PER\n"
    "per:z,Suivant,PER\n"
)
ROLES = (
    "role,of_id,holder_id,valid_from,valid_to\n"
    "président,Q114,per:a,2013-04-09,2022-09-13\n"
    "président,Q114,per:b,2022-09-13,\n"
    "président,Q1008,per:c,2010-12-04,\n"
    "ministre des affaires étrangères,Q142,per:m,2017-05-17,2022-05-20\n"
    "président,Q142,per:y,2016,2020\n"  # years only
    "président,Q142,per:z,2020,\n"
)


@pytest.fixture
def roles_kb(tmp_path):
    return load(write_kb(tmp_path / "kb", entities=STATES + PEOPLE, roles=ROLES))


@pytest.mark.parametrize(
    "valid_from, valid_to, date, valid, certain",
    [
        ("2013-04-09", "2022-09-13", "2022-04", True, True),
        ("2013-04-09", "2022-09-13", "2022-09", True, False),  # the month of the change
        ("2013-04-09", "2022-09-13", "2022-09-13", False, False),  # the end is exclusive
        ("2016", "2020", "2019-06-01", True, True),
        ("2016", "2020", "2020-03-01", False, False),
        ("2020", "", "2020-03-01", True, False),  # began some time in 2020
        ("2020", "", "2021", True, True),
        ("", "", "1999", True, True),
    ],
)
def test_role_dates_and_their_precision(valid_from, valid_to, date, valid, certain):
    role = Role("président", "Q142", "per:y", valid_from, valid_to)
    assert (role.valid_on(date), role.certain_on(date)) == (valid, certain)


@pytest.mark.parametrize(
    "role, of_id, date, named, holder",
    [
        ("président", "Q114", "2021-05-10", (), "per:a"),
        ("président", "Q114", "2023-01-01", (), "per:b"),
        ("président", "Q114", "2022-09", (), None),  # the month of the change: the article decides
        ("président", "Q114", "2022-09", ("per:a",), "per:a"),
        ("président", "Q114", "2022", ("per:b", "per:m"), "per:b"),
        ("président", "Q142", "2020-03-01", (), "per:z"),  # the only one valid, though not certainly
        ("président", "Q1008", "2009-01-01", (), None),
    ],
)
def test_holder_on_a_date(roles_kb, role, of_id, date, named, holder):
    assert roles_kb.holder(role, of_id, date, named=named) == holder


@pytest.mark.parametrize(
    "start, end, holder",
    [
        ("2023", "2026-11-21", "per:b"),
        ("2021", "2026-11-21", None),  # the office changed hands in between
        ("2022", "2026-11-21", None),  # per:b began some time in 2022
        ("2014", "2021-12-31", "per:a"),
        ("", "2026-11-21", None),  # no lower bound: nobody
    ],
)
def test_holder_throughout_a_span(roles_kb, start, end, holder):
    assert roles_kb.holder_throughout("président", "Q114", start, end) == holder


def test_roles_held_by_a_person(roles_kb):
    assert [r.of_id for r in roles_kb.roles_held("per:a", "président")] == ["Q114"]
    assert roles_kb.roles_held("per:a", "président", "Q1008") == []
    # a one-word role stands for the roles it heads
    assert [r.role for r in roles_kb.roles_held("per:m", "ministre")] == ["ministre des affaires étrangères"]
    assert [r.role for r in roles_kb.roles_held("per:m", "ministre", "Q142")] == ["ministre des affaires étrangères"]
    assert roles_kb.roles_held("per:m", "président") == []


def test_role_words_alone_and_shared_demonyms_load_and_save(tmp_path):
    folder = write_kb(
        tmp_path / "kb",
        entities="entity_id,name,type\nQ971,Congo,STATE\nQ974,RD Congo,STATE\nQ142,France,STATE\n",
        demonyms="form,entity_id\ncongolais,Q971\ncongolais,Q974\nfrançais,Q142\n",
        role_words="word,role,alone\nprésident,président,yes\ndirigeant,chef de l'état,\n",
    )
    kb = load(folder)
    assert kb.demonyms == {"francais": "Q142"} and kb.shared_demonyms == {"congolais": ("Q971", "Q974")}
    assert kb.role_words == {"president": "président", "dirigeant": "chef de l'état"}
    assert kb.role_alone == {"president"}
    assert KnowledgeBase.from_tables([kb.to_tables()]) == kb
    # a later folder's one row for a shared form decides it
    mine = write_kb(tmp_path / "mine", demonyms="form,entity_id\ncongolais,Q974\n")
    later = load(folder, mine)
    assert later.demonyms["congolais"] == "Q974" and "congolais" not in later.shared_demonyms
