"""The knowledge base in memory: entities, aliases, demonyms, roles, capitals.

Built from the tables of one or more KB folders (the packaged `models/kb/`,
then a user's), as read by `pipeline.store.data.read_kb_folders`; see
`models/kb/README.md` for the columns. Loading checks the tables, so a bad
row stops the run with its file and line instead of failing at link time.
Names are matched by `pipeline.text.name_key`, so case, accents, hyphens and
apostrophe styles do not count.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property

from pipeline.records import KBTable
from pipeline.text import name_key

TYPES = ("PER", "STATE", "ORG", "LOC", "MISC")
MATCHES = ("", "always", "ner")  # of an alias; empty: always

# How French writes "of <state>" where the name alone does not tell: states
# named without an article ("de Cuba", "d'Israël"), plural names ("des
# Philippines") and masculine names ending in -e ("du Mexique").
_NO_ARTICLE = frozenset(
    "Cuba|Madagascar|Chypre|Malte|Haïti|Singapour|Monaco|Israël|Oman|Bahreïn|Taïwan|Djibouti|"
    "Sainte-Lucie|Saint-Marin|Tuvalu|Nauru|Kiribati|Vanuatu|Tonga|Samoa|Palaos|"
    "Sao Tomé-et-Principe|Trinité-et-Tobago|Antigua-et-Barbuda|Saint-Christophe-et-Niévès|"
    "Saint-Vincent-et-les-Grenadines|Grenade|Dominique|Brunei|Fidji|Andorre".split("|")
)
_PLURAL = frozenset("Philippines|Comores|Maldives|Seychelles|Bahamas|Îles Salomon|Îles Marshall".split("|"))
_MASCULINE_E = frozenset("Mexique|Cambodge|Mozambique|Zimbabwe|Belize|Suriname|Liechtenstein|Royaume-Uni".split("|"))
# "République du Tchad", "République d'Afrique du Sud": the official name says how
_REPUBLIC_OF = re.compile(r"République (du |des |de la |de l['’]|de |d['’])(.+)")

# The columns each table is read by; entities' and roles' other columns are optional.
REQUIRED = {
    "entities": ("entity_id", "name", "type"),
    "aliases": ("alias", "entity_id"),
    "demonyms": ("form", "entity_id"),
    "capitals": ("city_id", "state_id"),
    "seats": ("entity_id", "state_id"),
    "roles": ("role", "of_id", "holder_id"),
    "role_words": ("word", "role"),
}
# The columns written by `KnowledgeBase.to_tables`: every column the KB reads.
COLUMNS = REQUIRED | {
    "entities": ("entity_id", "name", "type", "wikidata", "description"),
    "aliases": ("alias", "entity_id", "match"),
    "roles": ("role", "of_id", "holder_id", "valid_from", "valid_to"),
    "role_words": ("word", "role", "alone"),
}
# The columns of each table holding entity ids, and (column, word) naming a row in messages.
REFERENCES = {
    "aliases": (("entity_id",), ("alias", "alias")),
    "demonyms": (("entity_id",), ("form", "demonym")),
    "capitals": (("city_id", "state_id"), None),
    "seats": (("entity_id", "state_id"), None),
    "roles": (("of_id", "holder_id"), None),
}


class KBError(ValueError):
    """A knowledge-base table that cannot be loaded; the message names the file and line."""


@dataclass(frozen=True)
class KBEntity:
    entity_id: str
    name: str
    type: str
    wikidata: str
    description: str = ""


@dataclass(frozen=True)
class Alias:
    """A name of an entity; `always` aliases may create mentions by themselves,
    the others only link a span the NER model found."""

    entity_id: str
    surface: str
    always: bool

    @property
    def acronym(self) -> bool:
        letters = [c for c in self.surface if c.isalpha()]
        return len(letters) >= 2 and all(c.isupper() for c in letters)


@dataclass(frozen=True)
class Role:
    role: str
    of_id: str
    holder_id: str
    valid_from: str
    valid_to: str

    def valid_on(self, date: str) -> bool:
        """ISO dates or years compare as strings once cut to the same length.

        A date coarser than the start, in its period, may be after it: valid
        ("2022-09" for a term from 2022-09-13; see `certain_on`).
        """
        if self.valid_from and date[: len(self.valid_from)] < self.valid_from:
            return _same_period(date, self.valid_from)
        return not (self.valid_to and date[: len(self.valid_to)] >= self.valid_to)

    def certain_on(self, date: str) -> bool:
        """Held on `date` whatever day inside their periods the date and the bounds mean.

        "2022-04" (a month) and a term ending "2022" (a year) overlap in
        ways that are not known: valid, but not certainly.
        """
        if not self.valid_on(date):
            return False
        return not any(bound and _same_period(date, bound) for bound in (self.valid_from, self.valid_to))

    def overlaps(self, start: str, end: str) -> bool:
        """Held at some time between `start` and `end` (inclusive), as far as the bounds tell."""
        if self.valid_to and start[: len(self.valid_to)] >= self.valid_to and not _same_period(start, self.valid_to):
            return False
        return not (self.valid_from and end[: len(self.valid_from)] < self.valid_from)

    def ended_by(self, date: str) -> bool:
        """Over before `date` (a former holder); a role without an end is never over."""
        return bool(self.valid_to) and date[: len(self.valid_to)] >= self.valid_to


@dataclass
class KnowledgeBase:
    entities: dict[str, KBEntity] = field(default_factory=dict)
    aliases: dict[str, Alias] = field(default_factory=dict)
    demonyms: dict[str, str] = field(default_factory=dict)
    # forms of several states ("congolais": Congo, RD Congo): the article's own names decide
    shared_demonyms: dict[str, tuple[str, ...]] = field(default_factory=dict)
    capitals: dict[str, str] = field(default_factory=dict)
    seats: dict[str, str] = field(default_factory=dict)
    roles: dict[tuple[str, str], list[Role]] = field(default_factory=dict)
    role_words: dict[str, str] = field(default_factory=dict)
    # role words that name the office with no complement ("le président"), as `name_key`s
    role_alone: frozenset[str] = frozenset()
    # holder id -> every role row naming them, for resolving roles from an article's own names
    held: dict[str, list[Role]] = field(default_factory=dict)
    # first word of an alias key -> most words an alias starting with it has
    alias_words: dict[str, int] = field(default_factory=dict)
    # every leading part of an alias key ("", "k", "ki", "kim", "kim ", ...): a
    # scan for names stops as soon as what it has read starts none of them
    alias_prefixes: frozenset[str] = frozenset()

    @classmethod
    def from_tables(cls, folders: Iterable[Mapping[str, KBTable]]) -> KnowledgeBase:
        """Build from the tables of KB folders (`pipeline.store.data.read_kb_folders`), later folders win.

        Each mapping holds a folder's tables under their file stem ("entities",
        "aliases", "demonyms", "capitals", "seats", "roles", "role_words"); any
        may be missing. Ids are checked once every folder is read, so a folder
        may name entities another one defines.

        Raises:
            KBError: a missing column, a bad row or an unknown entity id.
        """
        kb = cls()
        folders = list(folders)
        for tables in folders:
            kb._add(tables)
        for tables in folders:
            kb._check_references(tables)
        for key in kb.aliases:
            words = key.split()
            kb.alias_words[words[0]] = max(kb.alias_words.get(words[0], 0), len(words))
        kb.alias_prefixes = frozenset(key[:n] for key in kb.aliases for n in range(len(key) + 1))
        for group in kb.roles.values():
            for r in group:
                kb.held.setdefault(r.holder_id, []).append(r)
        for terms in kb.held.values():
            terms.sort(key=lambda r: (r.valid_from, r.valid_to, r.role, r.of_id))
        return kb

    def _add(self, t: Mapping[str, KBTable]) -> None:
        defined: dict[str, int] = {}  # entity id -> its line in this folder's entities.csv
        for line, row in _rows(t, "entities"):
            entity_id, name, type_ = row["entity_id"], row["name"], row["type"]
            if not entity_id:
                raise _error(t["entities"], line, "empty entity_id")
            if entity_id in defined:
                raise _error(
                    t["entities"], line, f"entity id {entity_id!r} is already defined on line {defined[entity_id]}"
                )
            defined[entity_id] = line
            if type_ not in TYPES:
                raise _error(t["entities"], line, f"type {type_!r} is invalid; allowed: {', '.join(TYPES)}")
            key = name_key(name)
            if not key:
                raise _error(t["entities"], line, f"entity {entity_id!r} has no name to match ({name!r})")
            self.entities[entity_id] = KBEntity(
                entity_id, name, type_, row.get("wikidata", ""), row.get("description", "")
            )
            self.aliases.setdefault(key, Alias(entity_id, name, True))
        for line, row in _rows(t, "aliases"):
            match = row.get("match", "")
            if match not in MATCHES:
                raise _error(t["aliases"], line, f"match {match!r} is invalid; allowed: always, ner (empty: always)")
            key = name_key(row["alias"])
            if key:
                self.aliases[key] = Alias(row["entity_id"], row["alias"], match != "ner")
        forms: dict[str, list[str]] = {}  # a folder's rows for a form: one state, or several
        for _, row in _rows(t, "demonyms"):
            forms.setdefault(name_key(row["form"]), []).append(row["entity_id"])
        for key, states in forms.items():
            states = sorted(set(states))
            self.demonyms.pop(key, None)
            self.shared_demonyms.pop(key, None)
            if len(states) == 1:
                self.demonyms[key] = states[0]
            else:
                self.shared_demonyms[key] = tuple(states)
        for _, row in _rows(t, "capitals"):
            self.capitals[row["city_id"]] = row["state_id"]
        for _, row in _rows(t, "seats"):
            self.seats[row["entity_id"]] = row["state_id"]
        for _, row in _rows(t, "roles"):
            role = Role(row["role"], row["of_id"], row["holder_id"], row.get("valid_from", ""), row.get("valid_to", ""))
            self.roles.setdefault((role.role, role.of_id), []).append(role)
        alone = set(self.role_alone)
        for line, row in _rows(t, "role_words"):
            key = name_key(row["word"])
            self.role_words[key] = row["role"]
            if row.get("alone", "") not in ("", "yes"):
                raise _error(t["role_words"], line, f"alone {row['alone']!r} is invalid; allowed: yes, or empty")
            if row.get("alone") == "yes":
                alone.add(key)
            else:
                alone.discard(key)
        self.role_alone = frozenset(alone)

    def _check_references(self, t: Mapping[str, KBTable]) -> None:
        for name, (columns, named) in REFERENCES.items():
            for line, row in enumerate(t[name].rows if name in t else (), 2):
                for column in columns:
                    if row[column] not in self.entities:
                        what = f"{named[1]} {row[named[0]]!r}" if named else column
                        raise _error(
                            t[name], line, f"{what} names entity id {row[column]!r} that no entities.csv defines"
                        )

    def to_tables(self, folder: str = "") -> dict[str, KBTable]:
        """The KB as the tables of one folder, rows sorted; `from_tables` of them gives an equal KB.

        Aliases include the entities' names; demonyms and role words are
        written under their match key (`name_key`), which loads the same.

        Args:
            folder: prefixed to the file names in the tables' `path`.
        """
        rows: dict[str, list[dict[str, str]]] = {
            # KBEntity's and Role's fields are the columns
            "entities": [{c: getattr(e, c) for c in COLUMNS["entities"]} for _, e in sorted(self.entities.items())],
            "aliases": [
                {"alias": a.surface, "entity_id": a.entity_id, "match": "always" if a.always else "ner"}
                for _, a in sorted(self.aliases.items())
            ],
            "demonyms": sorted(
                [{"form": k, "entity_id": v} for k, v in self.demonyms.items()]
                + [{"form": k, "entity_id": v} for k, vs in self.shared_demonyms.items() for v in vs],
                key=lambda r: (r["form"], r["entity_id"]),
            ),
            "capitals": [{"city_id": k, "state_id": v} for k, v in sorted(self.capitals.items())],
            "seats": [{"entity_id": k, "state_id": v} for k, v in sorted(self.seats.items())],
            # the order within one (role, of_id) is kept: `holder` breaks ties between equal starts by it
            "roles": [
                {c: getattr(r, c) for c in COLUMNS["roles"]} for _, group in sorted(self.roles.items()) for r in group
            ],
            "role_words": [
                {"word": k, "role": v, "alone": "yes" if k in self.role_alone else ""}
                for k, v in sorted(self.role_words.items())
            ],
        }
        prefix = f"{folder}/" if folder else ""
        return {name: KBTable(f"{prefix}{name}.csv", COLUMNS[name], table) for name, table in rows.items()}

    def of_state(self, state_id: str) -> str:
        """ "of <state>" as French writes it: "du Tchad", "de la Russie",
        "de l'Ukraine", "des États-Unis", "d'Afrique du Sud" (from the official
        name "République d'Afrique du Sud"), "de Cuba"."""
        name = self.entities[state_id].name
        if state_id in self._republic_of:
            return self._republic_of[state_id] + name
        first = name.split()[0].split("-")[0]
        vowel = name[:1].lower() in "aeiouyéèêâîôûœ"  # not h: "de la Hongrie"
        if name in _NO_ARTICLE:
            return ("d'" if vowel else "de ") + name
        if name in _PLURAL or first.endswith("s") and ("-" in name or " " in name):
            return "des " + name
        if vowel:
            return "de l'" + name
        feminine = first.endswith("e") and name not in _MASCULINE_E or first == "République"
        return ("de la " if feminine else "du ") + name

    @cached_property
    def _republic_of(self) -> dict[str, str]:
        """state id -> the "of" of its official name "République <of> <name>", where it has one."""
        out = {}
        for alias in self.aliases.values():
            entity = self.entities.get(alias.entity_id)
            match = _REPUBLIC_OF.fullmatch(alias.surface)
            if entity and entity.type == "STATE" and match and match[2] == entity.name:
                out[alias.entity_id] = match[1].replace("’", "'")
        return out

    def stands_for(self, entity_id: str) -> str | None:
        """The state a capital or seat of government can stand for."""
        return self.capitals.get(entity_id) or self.seats.get(entity_id)

    def holder(self, role: str, of_id: str, date: str, *, named: Collection[str] = ()) -> str | None:
        """Who held `role` of `of_id` on `date` (ISO date, month or year).

        A seat stands for its state ("leader du Kremlin" -> head of Russia).
        Holders certainly in office on the date come first, the latest start
        winning; where the date and a term's bounds are too coarse to tell
        ("2022-04" against a term ending "2022"), a holder among `named` (the
        people the article names) wins, or the only candidate; else nobody.
        """
        for of in (of_id, self.seats.get(of_id)):
            candidates = [r for r in self.roles.get((role, of or ""), []) if r.valid_on(date)]
            certain = [r for r in candidates if r.certain_on(date)]
            if certain:
                return max(certain, key=lambda r: r.valid_from).holder_id
            holders = {r.holder_id for r in candidates}
            in_text = holders & set(named)
            if len(in_text) == 1 or len(holders) == 1:
                return next(iter(in_text or holders))
        return None

    def holder_throughout(self, role: str, of_id: str, start: str, end: str) -> str | None:
        """The one holder of `role` of `of_id` from `start` to `end` (ISO), or None.

        For an article known only to date from between the two: None unless a
        single person held the role over the whole span, certainly at both ends.
        """
        if not start or not end:
            return None
        for of in (of_id, self.seats.get(of_id)):
            group = self.roles.get((role, of or ""), [])
            during = {r.holder_id for r in group if r.overlaps(start, end)}
            if len(during) > 1:
                return None
            if during:
                (person,) = during
                terms = [r for r in group if r.holder_id == person]
                if any(r.certain_on(start) for r in terms) and any(r.certain_on(end) for r in terms):
                    return person
                return None
        return None

    def roles_held(self, person_id: str, role: str, of_id: str = "") -> list[Role]:
        """The terms of `person_id` in `role` (of `of_id`, or of anything when empty).

        A one-word role stands for the roles it heads: "ministre" takes in
        "ministre des affaires étrangères".
        """
        of_ids = {of_id, self.seats.get(of_id, of_id)} if of_id else None
        return [
            r
            for r in self.held.get(person_id, [])
            if (r.role == role or (" " not in role and r.role.split()[0] == role))
            and (of_ids is None or r.of_id in of_ids)
        ]


def _same_period(date: str, bound: str) -> bool:
    """Whether a date and a role bound fall in one period of the coarser of the two ("2022-04" and "2022")."""
    n = min(len(date), len(bound), 10)
    return n < 10 and date[:n] == bound[:n]


def _rows(tables: Mapping[str, KBTable], name: str) -> Iterator[tuple[int, dict[str, str]]]:
    """The rows of a table, if the folder has it, with their line numbers.

    The header is line 1 and each row is taken to be one line (a quoted cell
    spanning lines would shift the numbers after it; the shipped KB has none).

    Raises:
        KBError: a column the table is read by is missing, or a row has more or fewer cells than the header.
    """
    table = tables.get(name)
    if table is None:
        return
    missing = [c for c in REQUIRED[name] if c not in table.columns]
    if missing:
        header = ", ".join(table.columns) or "nothing"
        raise _error(table, 1, f"missing column {', '.join(missing)} (the header has {header})")
    for line, row in enumerate(table.rows, 2):
        # csv.DictReader: extra cells go under the key None, missing ones get the value None
        if None in row or None in row.values():
            cells = sum(v is not None for k, v in row.items() if k is not None) + len(row.get(None) or ())
            raise _error(table, line, f"{cells} cells, the header has {len(table.columns)}")
        yield line, row


def _error(table: KBTable, line: int, problem: str) -> KBError:
    return KBError(f"{table.path}, line {line}: {problem}")
