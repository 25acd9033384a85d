#!/usr/bin/env python3
"""Build the pressgraph knowledge base (the CSV files in models/kb/).

Usage:  python models/kb/build_kb.py [--out DIR] [--quiet]

Reads the licensed source files in models/kb/sources/ and the hand-curated
files in models/kb/curated/, and writes entities.csv, aliases.csv,
demonyms.csv, capitals.csv, seats.csv, roles.csv, role_words.csv and
build_log.txt to DIR (default: the folder of this script). See README.md
beside this file for the format and the rules.

Standard library and pandas only. The output is deterministic: rows are
sorted, nothing depends on set or dict iteration order, and the log holds
no timings. A curation error (unknown id, uncertain QID, bad date, unknown
role...) stops the build with a message instead of writing partial files.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
import time
from collections import defaultdict
from pathlib import Path

import pandas as pd

# The build folds names exactly as the linker does: one function for both.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from pipeline.text import name_key, strip_accents  # noqa: E402

HERE = Path(__file__).resolve().parent
SOURCES = HERE / "sources"
CURATED = HERE / "curated"

LEADERS_2026 = "world_leaders_wikidata_2026-index.csv"
LEADERS_2024 = "world_leaders_wikidata_2024-10-23.csv"
SRC_LEADERS = "world_leaders_wikidata_2026"
FOREIGN_MINISTERS = "world_foreign_ministers_wikidata_2022.csv"
SRC_FOREIGN = "world_foreign_ministers_wikidata_2022"
# The foreign ministers file is a snapshot of Aug-Sep 2022 with start dates
# only: its terms are closed at this year (exclusive, year precision), so the
# KB holds them certainly through 2022, uncertainly in 2023, and not later.
FOREIGN_HORIZON = "2023"
# Honorifics in front of some Wikidata labels ("Dr. Narayan Khadka")
HONORIFICS = ("Dr. ", "Archbishop ", "Sheikh ", "Prince ")

TYPES = ("PER", "STATE", "ORG", "LOC", "MISC")

# Fixed role vocabulary (lowercase French role phrases).
ROLE_VOCAB = (
    # a bare head noun ("le ministre russe"): no holder of its own; the linker
    # resolves it to the holder of a fuller role phrase earlier in the article
    "ministre",
    "chef de l'état",
    "président",
    "vice-président",
    "premier ministre",
    "chef du gouvernement",
    "chancelier",
    "roi",
    "reine",
    "émir",
    "sultan",
    "prince",
    "coprince",
    "empereur",
    "pape",
    "capitaine-régent",
    "guide suprême",
    "gouverneur général",
    "conseiller fédéral",
    "ministre des affaires étrangères",
    "ministre de la défense",
    "porte-parole",
    "secrétaire général",
    "directeur général",
    "président de la commission",
    "haut représentant",
    "secrétaire d'état adjoint",
    "conseiller à la sécurité nationale",
    "chef d'état-major",
)

# Alias precedence when one folded name would point at two entities:
# lower wins. Aliases from the curated files (and the names of curated
# entities) count as "curated" whatever the entity.
PRECEDENCE = {"curated": 0, "state": 1, "territory": 2, "capital": 3, "organisation": 4, "person": 5, "city": 6}

# States flagged non-independent (or unknown) by mledoze that are STATE here.
EXTRA_STATES = {"UNK": "Kosovo", "PSE": "Palestine", "TWN": "Taïwan"}

# Natural Earth places kept as cities (besides national capitals).
CITY_MIN_POP = 100_000

# Lowercase name particles allowed in a Wikidata person label.
PARTICLES = {
    "al",
    "el",
    "bin",
    "ben",
    "ibn",
    "bint",
    "abu",
    "ould",
    "de",
    "da",
    "do",
    "dos",
    "das",
    "del",
    "della",
    "der",
    "den",
    "van",
    "von",
    "zu",
    "of",
    "the",
    "la",
    "le",
    "du",
    "des",
    "di",
    "y",
    "e",
}

DATE_RE = re.compile(r"^\d{4}(-\d{2}-\d{2})?$")
QID_RE = re.compile(r"^Q[1-9]\d*$")


# ------------------------------------------------------------------ text


_LIGATURES = str.maketrans({"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE", "ß": "ss"})


def slug(name: str) -> str:
    """ "Quai d'Orsay" -> "quai-d-orsay"; accents stripped, lowercase."""
    ascii_ish = strip_accents(name.translate(_LIGATURES)).lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_ish).strip("-")


def entity_id_for(name: str, type_: str, wikidata: str) -> str:
    return wikidata if wikidata else f"{type_.lower()}:{slug(name)}"


# ------------------------------------------------------------------ io


def read_csv(path: Path) -> pd.DataFrame:
    df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    return df.apply(lambda col: col.str.strip())


def rows(df: pd.DataFrame) -> list[dict[str, str]]:
    return df.to_dict("records")


def write_csv(path: Path, columns: list[str], data: list[dict[str, str]]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(columns)
        for r in data:
            w.writerow([r[c] for c in columns])


class CurationError(Exception):
    pass


class Log:
    def __init__(self) -> None:
        self.sections: dict[str, list[str]] = defaultdict(list)

    def add(self, section: str, line: str) -> None:
        self.sections[section].append(line)

    def text(self) -> str:
        out = ["# build_kb.py log (regenerated by every build)"]
        for section in sorted(self.sections):
            lines = sorted(set(self.sections[section]))
            out.append("")
            out.append(f"## {section} ({len(lines)})")
            out.extend(lines)
        return "\n".join(out) + "\n"


# ------------------------------------------------------------------ build


class Builder:
    def __init__(self, log: Log) -> None:
        self.log = log
        self.entities: dict[str, dict] = {}
        # alias candidates: (alias, entity_id, match, precedence class)
        self.alias_cands: list[tuple[str, str, str, str]] = []
        self.capitals: dict[str, str] = {}
        self.seats: dict[str, str] = {}
        self.roles: list[dict[str, str]] = []
        self.demonyms: dict[str, str] = {}
        self.role_words: list[dict[str, str]] = []
        self.state_names: dict[str, str] = {}
        self.qid_remap: dict[str, str] = {}
        self.known_qids: set[str] = set()
        self.known_person_qids: set[str] = set()

    # ---------------------------------------------------------- helpers

    def add_entity(self, entity_id, name, type_, wikidata, description, source, cls, pop=0):
        if type_ not in TYPES:
            raise CurationError(f"{entity_id}: type {type_!r} not in {TYPES}")
        self.entities[entity_id] = {
            "entity_id": entity_id,
            "name": name,
            "type": type_,
            "wikidata": wikidata,
            "description": description,
            "source": source,
            "cls": cls,
            "pop": pop,
        }
        self.add_alias(name, entity_id, "always" if cls != "city" and cls != "person" else "ner", cls)

    def add_alias(self, alias: str, entity_id: str, match: str, cls: str) -> None:
        alias = re.sub(r"\s+", " ", alias).strip()
        if alias:
            self.alias_cands.append((alias, entity_id, match, cls))

    def country_name(self, leaders_row: dict[str, str]) -> str:
        qid = self.qid_remap.get(leaders_row["countryid"], leaders_row["countryid"])
        return self.state_names.get(qid, leaders_row["country"])

    def require_entity(self, entity_id: str, where: str) -> None:
        if entity_id not in self.entities:
            raise CurationError(f"{where}: unknown entity id {entity_id!r}")

    # ---------------------------------------------------------- sources

    def collect_known_qids(self) -> None:
        """QIDs a curated row may use: people from the leaders files'
        officeholder column, other entities from the place/country columns,
        plus the ones listed with their evidence in qid_evidence.csv."""
        for name in (LEADERS_2026, LEADERS_2024):
            self.known_person_qids.update(read_csv(SOURCES / name)["officeholder"])
        self.known_person_qids.update(read_csv(SOURCES / FOREIGN_MINISTERS)["person"])
        self.known_qids.update(read_csv(SOURCES / "country_coder_ids.csv")["wikidata"])
        countries = read_csv(SOURCES / "countries_fr.csv")
        self.known_qids.update(countries["wikidata"])
        self.known_qids.update(countries["capital_wikidata"])
        self.known_qids.update(read_csv(SOURCES / "naturalearth_populated_places.csv")["wikidataid"])
        for r in rows(read_csv(CURATED / "qid_evidence.csv")):
            self.known_qids.add(r["wikidata"])
            self.known_person_qids.add(r["wikidata"])
        self.known_qids.discard("")
        self.known_person_qids.discard("")

    def build_countries(self) -> None:
        countries = read_csv(SOURCES / "countries_fr.csv")
        overrides = {r["iso3"]: r for r in rows(read_csv(CURATED / "state_qid_overrides.csv"))}
        for r in overrides.values():
            if r["wikidata"] not in self.known_qids:
                raise CurationError(f"state_qid_overrides: {r['wikidata']} not found in the sources")
            self.qid_remap[r["replaces"]] = r["wikidata"]
        names = {r["entity_id"]: r["name"] for r in rows(read_csv(CURATED / "curated_name_overrides.csv"))}
        used_overrides = set()
        for r in rows(countries):
            iso3 = r["iso3"]
            sovereign = r["independent"] == "true" or iso3 in EXTRA_STATES
            qid = overrides[iso3]["wikidata"] if iso3 in overrides else r["wikidata"]
            if not QID_RE.match(qid):
                self.log.add("countries without a QID (skipped)", f"{iso3} {r['name_fr']}")
                continue
            name = names.get(qid, r["name_fr"])
            source = "countries_fr"
            if qid in names:
                used_overrides.add(qid)
                source += "+curated_name"
            desc = f"iso3={iso3};iso2={r['iso2']}"
            if iso3 in overrides:
                desc += f";kingdom={overrides[iso3]['replaces']}"
            if not sovereign:
                desc += ";territoire"
            cls = "state" if sovereign else "territory"
            self.add_entity(qid, name, "STATE" if sovereign else "LOC", qid, desc, source, cls)
            self.add_alias(r["name_fr"], qid, "always", cls)
            official = clean_official_name(r["official_name_fr"])
            if official:
                self.add_alias(official, qid, "always", cls)
            if not sovereign:
                continue
            self.state_names[qid] = name
            self.add_demonyms(r, qid)
            cap_qid, cap_name = r["capital_wikidata"], r["capital_fr"]
            if not cap_qid or not cap_name:
                self.log.add("states without a capital (no French name or QID in countries_fr)", f"{qid} {name}")
                continue
            if cap_qid == qid:
                self.log.add("city-states (capital QID = state QID: no separate capital)", f"{qid} {name}")
                continue
            self.add_entity(cap_qid, cap_name, "LOC", cap_qid, f"capitale ({name})", "countries_fr", "capital")
            self.capitals[cap_qid] = qid
        unused = sorted(set(names) - used_overrides)
        if unused:
            raise CurationError(f"curated_name_overrides: unknown state ids {unused}")

    def add_demonyms(self, r: dict[str, str], qid: str) -> None:
        forms = set()
        for base in (r["demonym_fr_m"], r["demonym_fr_f"]):
            base = base.strip().lower()
            if not base or " " in base or "," in base:
                continue
            forms.add(base)
            if not base.endswith(("s", "x")):
                forms.add(base + "s")
        for form in sorted(forms):
            self.demonym_cands.append((form, qid, "countries_fr"))

    def build_leaders(self) -> None:
        new = read_csv(SOURCES / LEADERS_2026)
        old = read_csv(SOURCES / LEADERS_2024)
        rejects = rows(read_csv(CURATED / "leader_rejects.csv"))
        row_rejects = {(r["officeholder"], r["position"]) for r in rejects if r["kind"] == "row"}
        label_rejects = {(r["officeholder"], r["label"]) for r in rejects if r["kind"] == "label"}
        pos_roles = {r["position"]: r for r in rows(read_csv(CURATED / "position_roles.csv"))}

        def good(qid: str, label: str) -> bool:
            return label_ok(label) and (qid, label) not in label_rejects

        old_labels: dict[str, list[str]] = defaultdict(list)
        for r in rows(old):
            old_labels[r["officeholder"]].append(r["officeholderLabel"])

        people: dict[str, dict] = {}
        for r in self.leader_terms(new, old):
            pid, pos = r["officeholder"], r["position"]
            if (pid, pos) in row_rejects:
                self.log.add(
                    "leaders: rows rejected (curated leader_rejects.csv)",
                    f"{pid} {r['officeholderLabel']} / {r['positionLabel']} {r['start_year']}",
                )
                continue
            if not r["start_year"].isdigit() or int(r["start_year"]) < 1900:
                self.log.add(
                    "leaders: rows with an implausible start year (skipped)",
                    f"{pid} {r['officeholderLabel']} / {r['positionLabel']} {r['start_year']}",
                )
                continue
            label = r["officeholderLabel"]
            if not good(pid, label):
                fallback = sorted({lb for lb in old_labels.get(pid, []) if good(pid, lb)})
                if len(fallback) == 1:
                    self.log.add("leaders: labels taken from the 2024 file", f"{pid} {label!r} -> {fallback[0]!r}")
                    label = fallback[0]
                else:
                    self.log.add("leaders: people skipped (no usable label)", f"{pid} {label!r} ({r['positionLabel']})")
                    continue
            of_id = self.qid_remap.get(r["countryid"], r["countryid"])
            if of_id not in self.entities or self.entities[of_id]["type"] != "STATE":
                self.log.add(
                    "leaders: rows whose country is not a STATE here (skipped)",
                    f"{r['countryid']} {r['country']} / {pid} {label}",
                )
                continue
            person = people.setdefault(pid, {"labels": set(), "posts": []})
            person["labels"].add(label)
            person["posts"].append(r)
            if pos in pos_roles:
                roles = [x for x in pos_roles[pos]["roles"].split(";") if x]
            else:
                roles = roles_for_position(r["positionLabel"])
            if not roles:
                self.log.add("leaders: positions mapped to no role", f"{pos} {r['positionLabel']}")
            for role in roles:
                self.roles.append(
                    {
                        "role": role,
                        "of_id": of_id,
                        "holder_id": pid,
                        "valid_from": r["start_year"],
                        "valid_to": r["end_year"],
                        "source": SRC_LEADERS,
                    }
                )
        for pid in sorted(people):
            p = people[pid]
            label = sorted(p["labels"])[0]
            name = clean_person_label(label)
            posts = sorted(p["posts"], key=lambda r: (r["start_year"], r["positionLabel"]))
            desc = "; ".join(f"{r['positionLabel']} ({self.country_name(r)}, {term(r)})" for r in posts)
            self.add_entity(pid, name, "PER", pid, desc, SRC_LEADERS, "person")
            self.leader_labels[pid] = sorted(p["labels"])

    def build_foreign_ministers(self) -> None:
        """Foreign ministers in office in the 2022 snapshot, from their start date to FOREIGN_HORIZON."""
        for r in rows(read_csv(SOURCES / FOREIGN_MINISTERS)):
            pid, label = r["person"], r["name"]
            of_id = self.qid_remap.get(r["country"], r["country"])
            where = f"{pid} {label} / {r['positionLabel']} ({r['countryLabel']})"
            if not pid or not DATE_RE.match(r["start"]):
                self.log.add("foreign ministers: rows without a person or a start date (skipped)", where)
                continue
            if of_id not in self.entities or self.entities[of_id]["type"] != "STATE":
                self.log.add("foreign ministers: rows whose country is not a STATE here (skipped)", where)
                continue
            for title in HONORIFICS:
                label = label.removeprefix(title)
            if not label_ok(label):
                self.log.add("foreign ministers: people skipped (no usable label)", where)
                continue
            if pid not in self.entities:
                desc = f"{r['positionLabel']} ({self.entities[of_id]['name']}, depuis {r['start']})"
                self.add_entity(pid, clean_person_label(label), "PER", pid, desc, SRC_FOREIGN, "person")
            self.leader_labels.setdefault(pid, []).append(label)
            self.roles.append(
                {
                    "role": "ministre des affaires étrangères",
                    "of_id": of_id,
                    "holder_id": pid,
                    "valid_from": r["start"],
                    "valid_to": FOREIGN_HORIZON,
                    "source": SRC_FOREIGN,
                }
            )

    def leader_terms(self, new: pd.DataFrame, old: pd.DataFrame) -> list[dict[str, str]]:
        """Every term the two leaders snapshots give, once: (holder, position, start year) -> end year.

        Current holders of the 2026 file, terms with an end year in either file,
        and holders current in 2024 but gone in 2026: their term ends in the
        year their successor in that position started (skipped when the 2026
        file has no successor).
        """
        terms: dict[tuple[str, str, str], dict[str, str]] = {}
        for r in rows(new):
            terms[(r["officeholder"], r["position"], r["start_year"])] = r
        in_2026 = {(r["officeholder"], r["position"]) for r in rows(new)}
        starts_2026: dict[str, list[str]] = defaultdict(list)
        for r in rows(new):
            if not r["end_year"]:
                starts_2026[r["position"]].append(r["start_year"])
        for r in rows(old):
            key = (r["officeholder"], r["position"], r["start_year"])
            if key in terms:
                if r["end_year"] and not terms[key]["end_year"]:
                    self.log.add(
                        "leaders: terms ended in 2024 but open in 2026 (2026 kept)",
                        f"{key[0]} {r['officeholderLabel']} / {r['positionLabel']} {r['start_year']}-{r['end_year']}",
                    )
                continue
            if not r["end_year"] and (r["officeholder"], r["position"]) not in in_2026:
                later = sorted(y for y in starts_2026[r["position"]] if y >= r["start_year"])
                if not later:
                    self.log.add(
                        "leaders: holders gone from the 2026 file with no successor there (skipped)",
                        f"{key[0]} {r['officeholderLabel']} / {r['positionLabel']} {r['start_year']}",
                    )
                    continue
                r = dict(r, end_year=later[0])
                self.log.add(
                    "leaders: terms ended between the snapshots (end = successor's start)",
                    f"{key[0]} {r['officeholderLabel']} / {r['positionLabel']} {r['start_year']}-{r['end_year']}",
                )
            terms[key] = r
        return [terms[k] for k in sorted(terms)]

    def build_cities(self) -> None:
        ne = read_csv(SOURCES / "naturalearth_populated_places.csv")
        iso_name = {}
        for e in self.entities.values():
            m = re.match(r"iso3=([A-Z]{3})", e["description"])
            if m:
                iso_name[m.group(1)] = e["name"]
        best: dict[str, dict] = {}
        for r in rows(ne):
            qid, name = r["wikidataid"], r["name_fr"]
            if not QID_RE.match(qid) or not name:
                continue
            pop = int(float(r["pop_max"] or 0))
            capital = r["featurecla"].startswith(("Admin-0", "Admin-1")) or r["adm0cap"] == "1"
            big = r["worldcity"] == "1" or r["megacity"] == "1" or pop >= CITY_MIN_POP
            if not (capital or big):
                continue
            if qid in self.entities:
                continue  # a capital, a state or a territory already
            r = dict(r, pop=pop)
            if qid not in best or (pop, r["name"]) > (best[qid]["pop"], best[qid]["name"]):
                best[qid] = r
        for qid in sorted(best):
            r = best[qid]
            country = iso_name.get(r["adm0_a3"]) or iso_name.get(r["sov_a3"]) or r["adm0name"]
            region = r["adm1name"]
            where = f"{region}, {country}" if region and region != r["name_fr"] else country
            self.add_entity(qid, r["name_fr"], "LOC", qid, f"ville ({where})", "naturalearth", "city", r["pop"])

    # ---------------------------------------------------------- curated

    def build_curated_entities(self) -> None:
        seen = set()
        for r in rows(read_csv(CURATED / "curated_entities.csv")):
            eid, name, type_, qid = r["entity_id"], r["name"], r["type"], r["wikidata"]
            if r["source"] != "curated":
                raise CurationError(f"curated_entities {eid}: source must be 'curated'")
            expected = entity_id_for(name, type_, qid)
            if eid != expected:
                raise CurationError(f"curated_entities: id {eid!r} should be {expected!r}")
            if eid in seen:
                raise CurationError(f"curated_entities: duplicate id {eid}")
            seen.add(eid)
            known = self.known_person_qids if type_ == "PER" else self.known_qids
            if qid and qid not in known:
                raise CurationError(
                    f"curated_entities {name}: QID {qid} is in no source file (for this type) nor in qid_evidence.csv"
                )
            previous = self.entities.get(eid)
            if previous and previous["type"] != type_:
                raise CurationError(f"curated_entities {eid}: type {type_} but the sources say {previous['type']}")
            self.add_entity(eid, name, type_, qid, r["description"], "curated", "curated")
            # a curated person also known to the leaders files: its English label is an alias too
            for label in self.leader_labels.get(eid, []):
                self.add_alias(clean_person_label(label), eid, "always", "curated")
                self.add_alias(label, eid, "always", "curated")

    def build_curated_aliases(self) -> None:
        for r in rows(read_csv(CURATED / "curated_aliases.csv")):
            self.require_entity(r["entity_id"], f"curated_aliases {r['alias']!r}")
            self.add_alias(r["alias"], r["entity_id"], "always", "curated")

    def build_seats(self) -> None:
        for r in rows(read_csv(CURATED / "curated_seats.csv")):
            self.require_entity(r["entity_id"], "curated_seats")
            self.require_entity(r["state_id"], "curated_seats")
            if self.entities[r["state_id"]]["type"] != "STATE":
                raise CurationError(f"curated_seats: {r['state_id']} is not a STATE")
            self.seats[r["entity_id"]] = r["state_id"]

    def build_roles(self) -> list[dict[str, str]]:
        curated = rows(read_csv(CURATED / "curated_roles.csv"))
        triples = set()
        for r in curated:
            where = f"curated_roles {r['role']}/{r['of_id']}/{r['holder_id']}"
            if r["role"] not in ROLE_VOCAB:
                raise CurationError(f"{where}: role not in the vocabulary")
            self.require_entity(r["of_id"], where)
            self.require_entity(r["holder_id"], where)
            for d in (r["valid_from"], r["valid_to"]):
                if d and not DATE_RE.match(d):
                    raise CurationError(f"{where}: date {d!r} is not YYYY or YYYY-MM-DD")
            if r["valid_from"] and r["valid_to"] and r["valid_to"] <= r["valid_from"]:
                raise CurationError(f"{where}: valid_to before valid_from")
            triples.add((r["role"], r["of_id"], r["holder_id"]))
        out: dict[tuple, dict] = {}
        for r in self.roles:
            t = (r["role"], r["of_id"], r["holder_id"])
            if r["role"] not in ROLE_VOCAB:
                raise CurationError(f"leaders: role {r['role']!r} not in the vocabulary")
            if t in triples:
                self.log.add(
                    "roles: leaders rows replaced by curated rows", f"{t[0]} / {t[1]} / {t[2]} (from {r['valid_from']})"
                )
                continue
            # one row per term: two positions of one person that give the same role keep the earlier
            key = (*t, r["valid_to"])
            if key not in out or r["valid_from"] < out[key]["valid_from"]:
                out[key] = r
        result = list(out.values()) + [dict(r, source="curated") for r in curated]
        result.sort(key=lambda r: (r["of_id"], r["role"], r["valid_from"], r["holder_id"], r["valid_to"]))
        heads = {r["of_id"] for r in result if r["role"] == "chef de l'état"}
        for qid, e in self.entities.items():
            if e["type"] == "STATE" and qid not in heads:
                self.log.add("roles: states with no 'chef de l'état' row", f"{qid} {e['name']}")
        return result

    def build_demonyms(self) -> list[dict[str, str]]:
        for r in rows(read_csv(CURATED / "curated_demonyms.csv")):
            self.require_entity(r["entity_id"], f"curated_demonyms {r['form']}")
            if r["form"] != r["form"].lower():
                raise CurationError(f"curated_demonyms {r['form']!r}: forms are lowercase")
            self.demonym_cands.append((r["form"], r["entity_id"], "curated"))
        by_key: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
        for c in self.demonym_cands:
            if self.entities[c[1]]["type"] != "STATE":
                raise CurationError(f"demonym {c[0]!r}: {c[1]} is not a STATE")
            by_key[name_key(c[0])].append(c)
        out = []
        for key in sorted(by_key):
            cands = by_key[key]
            curated_ids = {c[1] for c in cands if c[2] == "curated"}
            ids = curated_ids or {c[1] for c in cands}
            if len(curated_ids) > 1:
                raise CurationError(f"curated_demonyms {key!r} points at {sorted(curated_ids)}")
            if len(ids) > 1:
                names = ", ".join(f"{i} {self.entities[i]['name']}" for i in sorted(ids))
                self.log.add("demonyms of several states (one row each; the article's names decide)", f"{key}: {names}")
            for eid in sorted(ids):
                for form in sorted({c[0] for c in cands if c[1] == eid}):
                    out.append({"form": form, "entity_id": eid})
        out.sort(key=lambda r: (r["form"], r["entity_id"]))
        return out

    def build_role_words(self) -> list[dict[str, str]]:
        out = {}
        for r in rows(read_csv(CURATED / "role_words.csv")):
            if r["role"] not in ROLE_VOCAB:
                raise CurationError(f"role_words {r['word']!r}: role {r['role']!r} not in the vocabulary")
            if r["word"] != r["word"].lower():
                raise CurationError(f"role_words {r['word']!r}: words are lowercase")
            if r["alone"] not in ("", "yes"):
                raise CurationError(f"role_words {r['word']!r}: alone {r['alone']!r} is not 'yes' or empty")
            out[r["word"]] = {"word": r["word"], "role": r["role"], "alone": r["alone"]}
        return [out[w] for w in sorted(out)]

    # ---------------------------------------------------------- aliases

    def resolve_aliases(self) -> list[dict[str, str]]:
        ner_only = {name_key(r["alias"]) for r in rows(read_csv(CURATED / "ner_only_aliases.csv"))}
        by_key: dict[str, list[tuple[str, str, str, str]]] = defaultdict(list)
        for c in self.alias_cands:
            key = name_key(c[0])
            if len(key.replace(" ", "")) < 2:
                self.log.add("aliases dropped (shorter than 2 characters)", f"{c[0]!r} -> {c[1]}")
                continue
            by_key[key].append(c)
        out = []
        for key in sorted(by_key):
            cands = by_key[key]

            def rank(c):
                e = self.entities[c[1]]
                return (PRECEDENCE[c[3]], -e["pop"], c[1])

            cands.sort(key=rank)
            winner = cands[0][1]
            curated_ids = sorted({c[1] for c in cands if c[3] == "curated"})
            if len(curated_ids) > 1:
                raise CurationError(f"alias {key!r}: curated for several entities {curated_ids}")
            losers = sorted({c[1] for c in cands if c[1] != winner})
            for loser in losers:
                lc = min((c for c in cands if c[1] == loser), key=rank)
                self.log.add(
                    "alias conflicts (kept / dropped)",
                    f"{lc[0]!r}: kept {winner} {self.entities[winner]['name']} [{cands[0][3]}]; "
                    f"dropped {loser} {self.entities[loser]['name']} [{lc[3]}]",
                )
            mine = [c for c in cands if c[1] == winner]
            match = "always" if any(c[2] == "always" for c in mine) else "ner"
            if match == "always" and key in ner_only:
                match = "ner"
                self.log.add("aliases limited to NER spans (ner_only_aliases.csv)", f"{mine[0][0]!r} -> {winner}")
            if match == "always" and not any(ch.isupper() for ch in "".join(c[0] for c in mine)):
                match = "ner"
                self.log.add("aliases limited to NER spans (no capital letter)", f"{mine[0][0]!r} -> {winner}")
            for alias in sorted({c[0] for c in mine}):
                out.append({"alias": alias, "entity_id": winner, "match": match, "_key": key})
        # cities whose every name went to another entity are dropped
        named = {r["entity_id"] for r in out}
        for eid in sorted(self.entities):
            e = self.entities[eid]
            if eid not in named:
                if e["cls"] == "city":
                    self.log.add(
                        "cities dropped (their name belongs to another entity)", f"{eid} {e['name']} (pop {e['pop']})"
                    )
                    del self.entities[eid]
                else:
                    self.log.add(
                        "entities kept without an alias of their own (the name belongs to another entity)",
                        f"{eid} {e['name']} [{e['cls']}]",
                    )
        out.sort(key=lambda r: (r["_key"], r["alias"], r["entity_id"]))
        return [{k: v for k, v in r.items() if k != "_key"} for r in out]

    # ---------------------------------------------------------- all

    def build(self) -> dict[str, tuple[list[str], list[dict[str, str]]]]:
        self.demonym_cands: list[tuple[str, str, str]] = []
        self.leader_labels: dict[str, list[str]] = {}
        self.collect_known_qids()
        self.build_countries()
        self.build_leaders()
        self.build_foreign_ministers()
        self.build_cities()
        self.build_curated_entities()
        self.build_curated_aliases()
        self.build_seats()
        roles = self.build_roles()
        demonyms = self.build_demonyms()
        role_words = self.build_role_words()
        aliases = self.resolve_aliases()
        entities = [
            {k: e[k] for k in ("entity_id", "name", "type", "wikidata", "description", "source")}
            for _, e in sorted(self.entities.items())
        ]
        capitals = [{"city_id": c, "state_id": s} for c, s in sorted(self.capitals.items())]
        seats = [{"entity_id": c, "state_id": s} for c, s in sorted(self.seats.items())]
        return {
            "entities": (["entity_id", "name", "type", "wikidata", "description", "source"], entities),
            "aliases": (["alias", "entity_id", "match"], aliases),
            "demonyms": (["form", "entity_id"], demonyms),
            "capitals": (["city_id", "state_id"], capitals),
            "seats": (["entity_id", "state_id"], seats),
            "roles": (["role", "of_id", "holder_id", "valid_from", "valid_to", "source"], roles),
            "role_words": (["word", "role", "alone"], role_words),
        }


# ------------------------------------------------------------------ rules


def clean_official_name(name: str) -> str:
    """mledoze quirks: "Les états-unis d'Amérique" -> "États-unis d'Amérique",
    "République de Côte d' Ivoire" -> "République de Côte d'Ivoire"."""
    name = re.sub(r"\s+", " ", name.replace("' ", "'").replace("’ ", "’")).strip()
    name = re.sub(r"^(Les|La|Le) (?=\w)", "", name)
    return name[:1].upper() + name[1:] if name else name


def label_ok(label: str) -> bool:
    """A Wikidata label usable as a name: not a bare QID, and no lowercase
    word except name particles ("al-Assad", "von der Leyen")."""
    if not label or QID_RE.match(label):
        return False
    for token in label.split():
        t = token.strip("'\"(),.")
        if t and t[0].isalpha() and t[0].islower() and t.split("-")[0].split("'")[0] not in PARTICLES:
            return False
    return True


def clean_person_label(label: str) -> str:
    """English leader labels to a name: drop nicknames in quotes, ", Prince of
    Monaco"-style suffixes, and " of Spain" after a regnal number."""
    s = re.sub(r'\s*"[^"]*"\s*', " ", label)
    s = re.sub(r"\s+", " ", s).strip()
    if ", " in s:
        s = s.split(", ")[0]
    m = re.match(r"^(.*\b[IVXL]+\b.*?)\s+of\s+(the\s+)?\S.*$", s)
    if m:
        s = m.group(1)
    return s


def term(r: dict[str, str]) -> str:
    """ "depuis 2012" or "2013-2022", for a leaders row's description."""
    return f"{r['start_year']}-{r['end_year']}" if r["end_year"] else f"depuis {r['start_year']}"


def roles_for_position(label: str) -> list[str]:
    """Wikidata position label -> role vocabulary (curated position_roles.csv
    takes precedence for single positions)."""
    p = label.lower()
    if p.startswith("president of the pontifical commission"):
        return ["chef du gouvernement"]
    if "council of ministers" in p:
        return ["premier ministre", "chef du gouvernement"]
    if "prime minister" in p or p.startswith("premier of") or p == "taoiseach":
        return ["premier ministre", "chef du gouvernement"]
    if "chancellor" in p:
        return ["chancelier", "chef du gouvernement"]
    if p.startswith("supreme leader"):
        return ["guide suprême", "chef de l'état"]
    if p.startswith("president of") or p.startswith("chairman of the presidential council"):
        return ["président", "chef de l'état"]
    if p.startswith(("king of", "monarch of")) or p == "yang di-pertuan agong":
        return ["roi", "chef de l'état"]
    if p.startswith("emperor"):
        return ["empereur", "chef de l'état"]
    if p.startswith("sultan"):
        return ["sultan", "chef de l'état"]
    if p.startswith("emir"):
        return ["émir", "chef de l'état"]
    if "co-prince" in p:
        return ["coprince", "chef de l'état"]
    if p.startswith("prince of"):
        return ["prince", "chef de l'état"]
    if p == "pope":
        return ["pape", "chef de l'état"]
    if p.startswith("captain regent"):
        return ["capitaine-régent", "chef de l'état"]
    if p == "o le ao o le malo":
        return ["chef de l'état"]
    if p.startswith("governor-general"):
        return ["gouverneur général"]
    return []


# ------------------------------------------------------------------ main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=HERE, help="output folder (default: models/kb/)")
    parser.add_argument("--quiet", action="store_true", help="print only the counts, not the log")
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    log = Log()
    try:
        tables = Builder(log).build()
    except CurationError as err:
        print(f"build_kb: error: {err}", file=sys.stderr)
        return 1
    args.out.mkdir(parents=True, exist_ok=True)
    for name, (columns, data) in tables.items():
        write_csv(args.out / f"{name}.csv", columns, data)
    log_text = log.text()
    (args.out / "build_log.txt").write_text(log_text, encoding="utf-8")
    if not args.quiet:
        print(log_text)
    for name, (_, data) in tables.items():
        print(f"{name}.csv: {len(data)} rows")
    print(f"built in {time.perf_counter() - t0:.1f}s -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
