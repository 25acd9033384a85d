"""The knowledge base in memory: entities, aliases, demonyms, roles, capitals.

Built from the rows of the CSV files in `models/kb/` (read by
`pipeline.io.read_kb`); see `models/kb/README.md` for the columns. Names are
matched by `pipeline.text.name_key`, so case, accents, hyphens and apostrophe
styles do not count.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from pipeline.text import name_key

TYPES = ("PER", "STATE", "ORG", "LOC", "MISC")


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
        """ISO dates or years compare as strings once cut to the same length."""
        if self.valid_from and date[: len(self.valid_from)] < self.valid_from:
            return False
        return not (self.valid_to and date[: len(self.valid_to)] >= self.valid_to)


@dataclass
class KnowledgeBase:
    entities: dict[str, KBEntity] = field(default_factory=dict)
    aliases: dict[str, Alias] = field(default_factory=dict)
    demonyms: dict[str, str] = field(default_factory=dict)
    capitals: dict[str, str] = field(default_factory=dict)
    seats: dict[str, str] = field(default_factory=dict)
    roles: dict[tuple[str, str], list[Role]] = field(default_factory=dict)
    role_words: dict[str, str] = field(default_factory=dict)
    # first word of an alias key -> most words an alias starting with it has
    alias_words: dict[str, int] = field(default_factory=dict)
    # every leading part of an alias key ("", "k", "ki", "kim", "kim ", ...): a
    # scan for names stops as soon as what it has read starts none of them
    alias_prefixes: frozenset[str] = frozenset()

    @classmethod
    def from_tables(cls, tables: Iterable[Mapping[str, list[dict[str, str]]]]) -> KnowledgeBase:
        """Build from tables of rows, one mapping per KB folder, later folders win.

        Each mapping holds rows (dicts of column -> str) under the file stem:
        "entities", "aliases", "demonyms", "capitals", "seats", "roles",
        "role_words"; any may be missing.
        """
        kb = cls()
        for tables_of_folder in tables:
            kb._add(tables_of_folder)
        for key in kb.aliases:
            words = key.split()
            kb.alias_words[words[0]] = max(kb.alias_words.get(words[0], 0), len(words))
        kb.alias_prefixes = frozenset(key[:n] for key in kb.aliases for n in range(len(key) + 1))
        return kb

    def _add(self, t: Mapping[str, list[dict[str, str]]]) -> None:
        for row in t.get("entities", []):
            if row["type"] not in TYPES:
                raise ValueError(
                    f"entity {row['entity_id']}: type {row['type']!r} is invalid; allowed: {', '.join(TYPES)}"
                )
            self.entities[row["entity_id"]] = KBEntity(
                row["entity_id"], row["name"], row["type"], row.get("wikidata", ""), row.get("description", "")
            )
            self.aliases.setdefault(name_key(row["name"]), Alias(row["entity_id"], row["name"], True))
        for row in t.get("aliases", []):
            key = name_key(row["alias"])
            if key:
                self.aliases[key] = Alias(row["entity_id"], row["alias"], row.get("match", "always") != "ner")
        for row in t.get("demonyms", []):
            self.demonyms[name_key(row["form"])] = row["entity_id"]
        for row in t.get("capitals", []):
            self.capitals[row["city_id"]] = row["state_id"]
        for row in t.get("seats", []):
            self.seats[row["entity_id"]] = row["state_id"]
        for row in t.get("roles", []):
            role = Role(row["role"], row["of_id"], row["holder_id"], row.get("valid_from", ""), row.get("valid_to", ""))
            self.roles.setdefault((role.role, role.of_id), []).append(role)
        for row in t.get("role_words", []):
            self.role_words[name_key(row["word"])] = row["role"]

    def stands_for(self, entity_id: str) -> str | None:
        """The state a capital or seat of government can stand for."""
        return self.capitals.get(entity_id) or self.seats.get(entity_id)

    def holder(self, role: str, of_id: str, date: str) -> str | None:
        """Who held `role` of `of_id` on `date` (ISO); the latest start wins.

        A seat stands for its state ("leader du Kremlin" -> head of Russia).
        """
        for of in (of_id, self.seats.get(of_id)):
            candidates = [r for r in self.roles.get((role, of or ""), []) if r.valid_on(date)]
            if candidates:
                return max(candidates, key=lambda r: r.valid_from).holder_id
        return None
