"""A self-contained HTML page to explore a run: the graph drawn by sigma.js,
every entity searchable, its neighbours and the sentences behind each edge.

`render_report` is pure: it returns the page as a string. Everything the page
needs is inline (CSS, the vendored sigma.js and graphology builds, the page's
script, the data as one JSON blob) and a Content Security Policy forbids any
request, so the file opens offline and tells no server that it was opened.

Only the `max_nodes` most mentioned entities are drawn, but every entity is in
the data: the search finds any of them and shows its neighbours and
sentences, and says why it is not on the graph. The layout of the drawn
entities is computed here (igraph's Fruchterman-Reingold, then networkx's
ForceAtlas2, seeded); the browser only draws it.

The markup, style and script are package files, `templates/report.html`,
`report.css` and `report.js` (and two one-line fragments, a table row and a
type filter key), filled with `string.Template`; `templates/vendor/` holds the
JavaScript libraries (see its README). This module prepares and escapes what
fills them.

    html = render_report(run.graph, run.entities, evidence, title="pressgraph", documents=run.documents)
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import math
import random
import re
import unicodedata
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import fields, is_dataclass
from functools import cache, lru_cache
from importlib.resources import files
from importlib.resources.abc import Traversable
from operator import attrgetter
from pathlib import Path, PurePath
from string import Template
from typing import Any
from urllib.parse import quote

import igraph
import networkx as nx
import numpy as np
import pandas as pd

from pipeline.stages.export import igraph_seeded

TYPE_COLOURS = {
    "PER": "#d62728",
    "STATE": "#1f77b4",
    "ORG": "#2ca02c",
    "LOC": "#ff7f0e",
    "MISC": "#9467bd",
}
OTHER_COLOUR = "#8c8c8c"
# the biggest communities (numbered by size, biggest first) get these; the rest OTHER_COLOUR
COMMUNITY_COLOURS = (
    "#4e79a7",
    "#f28e2b",
    "#e15759",
    "#76b7b2",
    "#59a14f",
    "#edc948",
    "#b07aa1",
    "#ff9da7",
    "#9c755f",
    "#1b9e77",
    "#d95f02",
    "#7570b3",
)
COLOUR_MODES = ("type", "community")
CANVAS = 1000  # the layout is scaled into a CANVAS x CANVAS square
_MARGIN = 40
_PAD = 0.35  # space around each component, in layout units
# Node radius on screen, in pixels: from MIN_SIZE (fewest mentions) to MIN_SIZE + SIZE_RANGE (most).
MIN_SIZE = 3.0
SIZE_RANGE = 15.0
# Default of `max_nodes` (report.max_nodes). Measured with a synthetic graph
# of 10,000 entities and 20,000 edges (tests/test_report.py) in headless
# Chromium, software WebGL, 2 busy CPUs: page load and first render 1.8 s
# drawing 1,000 (2.0 s: 2,000; 2.5 s: 10,000; most of it is the 6.6 MB of
# data every entity's panel needs), a click 0.07 s (0.16 s at 10,000). The
# layout decides: its ForceAtlas2 iterations are quadratic, 1.4 s for 1,000
# nodes, 7 s for 2,000 on 2 busy CPUs (100 iterations from random positions,
# as before igraph's start, took 6.2 s and 17 s).
MAX_NODES = 1000
# The layout: Fruchterman-Reingold iterations (igraph), then ForceAtlas2's
# (networkx; the default of `layout_iterations`, report.layout_iterations).
FR_ITERATIONS = 300
LAYOUT_ITERATIONS = 20


def render_report(
    graph: nx.Graph,
    entities: pd.DataFrame | list,
    evidence: list | pd.DataFrame,
    *,
    title: str,
    mentions: pd.DataFrame | list | None = None,
    documents: pd.DataFrame | list | None = None,
    sentences: pd.DataFrame | list | None = None,
    max_nodes: int = MAX_NODES,
    max_edges: int = 5000,
    max_neighbours: int = 10,
    max_evidence: int = 5,
    top_entities: int = 50,
    layout_iterations: int = LAYOUT_ITERATIONS,
    colour_by: str = "type",
    seed: int = 42,
) -> str:
    """One HTML page (a string) showing `graph` with its evidence sentences.

    The keyword arguments after `documents` are the `[report]` settings
    (`ReportConfig`), under the same names.

    Args:
        graph: the co-occurrence graph (`build_graph` or graph.graphml):
            node attributes name, type, wikidata, mentions, documents, degree,
            pagerank, community, start/end (dated runs); edge attributes
            weight, documents, start/end.
        entities: entities.csv rows (DataFrame, `Entity` records or dicts);
            their aliases help find names in sentences and in the search box.
        evidence: `Evidence` records (with their sentence's text), or
            evidence.csv rows (DataFrame or dicts) with `sentences`.
        title: shown as the page title (escaped).
        mentions: mentions.csv rows; when given, names in sentences are
            highlighted at the mentions' offsets, else by matching aliases.
        documents: documents.csv rows (`DocumentRow` records, dicts or a
            DataFrame); when given, each sentence is cited with its article's
            title (or file name), date and URL, and links to its offsets in
            the file its `text_file` names (`texts/...` beside the report, or
            the input file; a relative input path is taken from the working
            folder).
        sentences: sentences.csv rows, the text of evidence rows without one.
        max_nodes: draw the `max_nodes` most mentioned entities (the others
            are still searchable).
        max_edges: draw at most this many edges among them, the heaviest.
        max_neighbours: neighbours listed per entity, the heaviest edges first.
        max_evidence: sentences kept per neighbour.
        top_entities: rows of the "top entities" table.
        layout_iterations: ForceAtlas2 iterations of the layout (after Fruchterman-Reingold's).
        colour_by: "type" or "community", how nodes are coloured when the
            page opens (a switch on the page changes it).
        seed: seed of the layout (same inputs, same page).
    """
    if colour_by not in COLOUR_MODES:
        raise ValueError(f"colour_by = {colour_by!r} is invalid; expected one of {', '.join(map(repr, COLOUR_MODES))}")
    data = report_data(
        graph,
        entities,
        evidence,
        mentions=mentions,
        documents=documents,
        sentences=sentences,
        max_nodes=max_nodes,
        max_edges=max_edges,
        max_neighbours=max_neighbours,
        max_evidence=max_evidence,
        layout_iterations=layout_iterations,
        seed=seed,
    )
    data["title"] = title
    data["colourBy"] = colour_by
    counts = (data["total"], data["drawn"], data["drawnEdges"])
    rows, keys = _table_rows(data, top_entities), _type_keys(data)
    blob = embed_json(data)
    del data  # the JSON holds it now: the page is made without both in memory (hundreds of MB on a big corpus)
    return _page(title, blob, counts, rows, keys)


def report_data(
    graph: nx.Graph,
    entities: pd.DataFrame | list,
    evidence: list | pd.DataFrame,
    *,
    mentions: pd.DataFrame | list | None = None,
    documents: pd.DataFrame | list | None = None,
    sentences: pd.DataFrame | list | None = None,
    max_nodes: int = MAX_NODES,
    max_edges: int = 5000,
    max_neighbours: int = 10,
    max_evidence: int = 5,
    layout_iterations: int = LAYOUT_ITERATIONS,
    seed: int = 42,
) -> dict:
    """The JSON blob the page draws.

    `entities`: one column per attribute, every entity of the graph, the most
    mentioned first; the first `drawn` of them are on the graph (`x`, `y`,
    `size` are theirs) and `links` lists each entity's edges, heaviest first.
    `edges`: the drawn edges first (`drawnEdges` of them, `start`, `end` are
    theirs), then the listed ones; `evidence` holds each listed edge's sentences as
    [sentence, relation, document, sentence_id, start, end, highlights].
    `documents` and `sentences` are what the evidence refers to.
    """
    aliases = _aliases(_rows(entities, ("entity_id", "name", "aliases")))
    names = {n: _name(graph, n) for n in graph}
    adjacency = dict(graph.adjacency())  # node -> {neighbour: edge data}, plain dicts: faster than graph[node]
    ranked = sorted(graph.nodes, key=lambda n: (-_int(graph.nodes[n].get("mentions")), names[n], str(n)))
    index = {node: i for i, node in enumerate(ranked)}
    drawn = ranked[: max(max_nodes, 0)]
    top_mentions = max((_int(graph.nodes[n].get("mentions")) for n in drawn), default=0) or 1
    sizes = {
        n: round(MIN_SIZE + SIZE_RANGE * math.sqrt(_int(graph.nodes[n].get("mentions")) / top_mentions), 2)
        for n in drawn
    }
    positions = layout(_subgraph(graph, drawn), seed=seed, iterations=layout_iterations, sizes=sizes)

    # edges: those drawn (the heaviest among drawn nodes), then those listed in a panel
    edge_index: dict[tuple[int, int], int] = {}
    edge_rows: list[tuple[int, int, dict]] = []

    def edge_of(a: Any, b: Any, attrs: dict) -> int:
        key = (min(index[a], index[b]), max(index[a], index[b]))
        if key not in edge_index:
            edge_index[key] = len(edge_rows)
            edge_rows.append((*key, attrs))
        return edge_index[key]

    drawn_set = set(drawn)
    among = [(a, b, d) for a, b, d in graph.edges(drawn, data=True) if a in drawn_set and b in drawn_set]
    among.sort(key=lambda e: (-_number(e[2].get("weight")), *sorted((index[e[0]], index[e[1]]))))
    for a, b, attrs in among[: max(max_edges, 0)]:
        edge_of(a, b, attrs)
    drawn_edges = len(edge_rows)
    links = [
        [edge_of(node, other, attrs) for other, attrs in _heaviest(adjacency[node], max_neighbours, names)]
        for node in ranked
    ]
    listed = {i for row in links for i in row}

    # evidence and mentions are read for the pairs listed and the sentences shown only
    pairs = {_pair(ranked[a], ranked[b]): i for i, (a, b, _) in enumerate(edge_rows) if i in listed}
    texts = _sentence_texts(_records(sentences)) if sentences is not None else None
    evidence_by_pair = {
        pair: rows[: max(max_evidence, 0)]
        for pair, rows in _evidence_by_pair(_rows(evidence, _EVIDENCE_FIELDS), pairs, texts).items()
    }
    shown = {(row["doc_id"], row["sentence_id"]) for rows in evidence_by_pair.values() for row in rows}
    offsets = _mention_offsets(_rows(mentions, _MENTION_FIELDS), shown) if mentions is not None else None
    patterns: dict[str, re.Pattern | None] = {}  # entity id -> its names as one regex, made when first needed
    document_rows = documents.to_dict("records") if isinstance(documents, pd.DataFrame) else list(documents or ())
    known = {_text(doc_id): row for (doc_id,), row in zip(_rows(document_rows, ("doc_id",)), document_rows)}
    shown_texts: dict[str, int] = {}  # sentence text -> its index in the data's sentences
    cited: dict[str, int] = {}

    def evidence_line(row: dict, pair: tuple[str, str]) -> list:
        spans = _highlights(row, pair, offsets, aliases, patterns)
        return [
            shown_texts.setdefault(row["text"], len(shown_texts)),
            row["relation"],
            cited.setdefault(row["doc_id"], len(cited)),
            _int(row["sentence_id"]),
            row["start"],
            row["end"],
            [[s, e, index[who]] for s, e, who in spans],
        ]

    evidence_of = [[] for _ in edge_rows]
    for pair, i in pairs.items():
        evidence_of[i] = [evidence_line(row, pair) for row in evidence_by_pair.get(pair, [])]

    def node_column(name: str, convert: Any = str, default: Any = "") -> list:
        return [convert(graph.nodes[n].get(name, default)) for n in ranked]

    return {
        "types": TYPE_COLOURS,
        "communityColours": list(COMMUNITY_COLOURS),
        "otherColour": OTHER_COLOUR,
        "total": {"nodes": graph.number_of_nodes(), "edges": graph.number_of_edges()},
        "drawn": len(drawn),
        "drawnEdges": drawn_edges,
        "entities": {
            "id": [str(n) for n in ranked],
            "name": [_name(graph, n) for n in ranked],
            "type": node_column("type"),
            "wikidata": node_column("wikidata"),
            "mentions": node_column("mentions", _int),
            "documents": node_column("documents", _int),
            "degree": [_int(graph.nodes[n].get("degree", graph.degree(n))) for n in ranked],
            "pagerank": [round(_number(graph.nodes[n].get("pagerank")), 6) for n in ranked],
            "community": node_column("community", _int, -1),
            "aliases": [sorted(aliases.get(str(n), set()) - {_name(graph, n)}) for n in ranked],
            "start": [_day(graph.nodes[n].get("start")) for n in ranked],
            "end": [_day(graph.nodes[n].get("end")) for n in ranked],
            "links": links,
            "x": [positions[n][0] for n in drawn],
            "y": [positions[n][1] for n in drawn],
            "size": [sizes[n] for n in drawn],
        },
        "edges": {
            "source": [a for a, _, _ in edge_rows],
            "target": [b for _, b, _ in edge_rows],
            "weight": [_number(d.get("weight")) for *_, d in edge_rows],
            "documents": [_int(d.get("documents")) for *_, d in edge_rows],
            # the dates of the drawn edges, which the date filter reads
            "start": [_day(d.get("start")) for *_, d in edge_rows[:drawn_edges]],
            "end": [_day(d.get("end")) for *_, d in edge_rows[:drawn_edges]],
            "evidence": evidence_of,
        },
        "documents": [_citation(doc_id, _records([known[doc_id]])[0] if doc_id in known else None) for doc_id in cited],
        "sentences": list(shown_texts),
    }


def template_files() -> list[Traversable]:
    """Every package file the page is made from (templates and vendored
    libraries), sorted by name: what a cache key of the report must read."""
    folder = files("pipeline.views") / "templates"
    found = [p for p in folder.iterdir() if p.is_file()] + [p for p in (folder / "vendor").iterdir() if p.is_file()]
    return sorted(found, key=lambda p: p.name)


# ------------------------------------------------------------------ inputs


def _records(rows: Any) -> list[dict]:
    """Rows of a DataFrame, of dataclass records or of dicts, as dicts."""
    if rows is None:
        return []
    if isinstance(rows, pd.DataFrame):
        return rows.to_dict("records")
    return [_as_dict(r) if is_dataclass(r) else dict(r) for r in rows]


# the fields the report reads of evidence and mention rows, in the order `_evidence_by_pair` and `_mention_offsets` take
_EVIDENCE_FIELDS = ("source", "target", "kind", "relation", "doc_id", "sentence_id", "start", "end", "text")
_MENTION_FIELDS = ("doc_id", "sentence_id", "start", "end", "entity_id", "refers_to", "text")


def _rows(rows: Any, names: tuple[str, ...]) -> Iterator[tuple]:
    """The values of the fields `names` of each row (None where a row has none), as `_records`'s dicts give them.

    Rows of a DataFrame, of dataclass records or of dicts; a record's
    values are read without making it a dict.
    """
    if rows is None:
        return
    if isinstance(rows, pd.DataFrame):
        rows = rows.to_dict("records")
    readers: dict[type, Callable[[Any], tuple]] = {}
    for row in rows:
        read = readers.get(type(row))
        if read is None:
            read = readers[type(row)] = _row_reader(type(row), names)
        yield read(row)


def _row_reader(kind: type, names: tuple[str, ...]) -> Callable[[Any], tuple]:
    if not is_dataclass(kind):
        return lambda row: tuple(map((row if isinstance(row, Mapping) else dict(row)).get, names))
    own = {f.name for f in fields(kind)}
    if len(names) > 1 and own.issuperset(names):
        return attrgetter(*names)
    return lambda row: tuple(getattr(row, n) if n in own else None for n in names)


def _as_dict(record: Any) -> dict:
    names, values = _reader(type(record))
    return dict(zip(names, values(record), strict=True))


@lru_cache(maxsize=64)
def _reader(record_type: type) -> tuple[tuple[str, ...], Callable[[Any], tuple]]:
    """A dataclass's field names, and a function reading their values.

    `dataclasses.fields` is slow to call once per row.
    """
    names = tuple(f.name for f in fields(record_type))
    if len(names) == 1:  # attrgetter of one name gives the value, not a tuple
        return names, lambda record: (getattr(record, names[0]),)
    return names, attrgetter(*names)


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _number(value: Any) -> float | int:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return 0
    if not math.isfinite(number):
        return 0
    return int(number) if number.is_integer() else number


def _text(value: Any) -> str:
    """A cell as text: None and NaN (empty CSV cells read by pandas) are ""."""
    if type(value) is str:  # most cells: answered before the slower checks
        return value
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


def _day(value: Any) -> str:
    """The date part of an ISO date or datetime ("" when none): what the date filter compares."""
    return _text(value)[:10]


def _name(graph: nx.Graph, node: Any) -> str:
    return str(graph.nodes[node].get("name") or node)


def _heaviest(neighbours: Mapping[Any, dict], count: int, names: Mapping[Any, str]) -> list[tuple[Any, dict]]:
    """The `count` heaviest edges to `neighbours` (neighbour -> edge data), ties by the neighbour's name (`names`)."""
    ranked = sorted(neighbours.items(), key=lambda item: (-_weight(item[1]), names[item[0]]))
    return ranked[: max(count, 0)]


def _weight(attrs: Mapping) -> float | int:
    weight = attrs.get("weight")
    return weight if type(weight) is int else _number(weight)  # an int is its own `_number`


def _pair(a: Any, b: Any) -> tuple[str, str]:
    if type(a) is not str or type(b) is not str:
        a, b = str(a), str(b)
    return (a, b) if a <= b else (b, a)


def _aliases(entities: Iterable[tuple]) -> dict[str, set[str]]:
    """Entity id -> its name and every alias (entities.csv `aliases` is "|"-joined).

    Args:
        entities: (entity_id, name, aliases) of each entity (`_rows`).
    """
    found: dict[str, set[str]] = {}
    for entity_id, name, aliases in entities:
        names = {_text(name)} | set(_text(aliases).split("|"))
        found[_text(entity_id)] = {n.strip() for n in names if n.strip()}
    return found


def _citation(doc_id: str, row: dict | None) -> dict[str, str]:
    """How a sentence's article is cited: its title (else its file name), date,
    URL and a link to the file its offsets index (`href`, "" when unknown).

    documents.csv's `text_file` is that file: the input file itself (its
    path, the row's `source`), or `texts/<name>` in the output folder, which
    the link reaches relative to report.html beside it.
    """
    if row is None:
        return {"id": doc_id, "name": doc_id, "date": "", "url": "", "href": ""}
    source, text_file = _text(row.get("source")), _text(row.get("text_file"))
    if not text_file:
        href = ""
    elif text_file == source:
        href = Path(text_file).absolute().as_uri()
    else:
        href = quote(text_file)
    file_name = PurePath(source).name
    name = _text(row.get("title")).strip()
    if not name:
        # a file holding many articles (JSON Lines, CSV) names the record too
        name = file_name if PurePath(file_name).stem == doc_id or not file_name else f"{file_name} · {doc_id}"
    return {"id": doc_id, "name": name, "date": _text(row.get("date")), "url": _text(row.get("url")), "href": href}


def _sentence_texts(rows: list[dict]) -> dict[tuple[str, str], str]:
    """(doc_id, sentence_id) -> text, of the sentences.csv rows that carry one."""
    return {
        (_text(row.get("doc_id")), _text(row.get("sentence_id"))): _text(row.get("text"))
        for row in rows
        if _text(row.get("text"))
    }


def _evidence_by_pair(
    rows: Iterable[tuple],
    pairs: Collection[tuple[str, str]] | None = None,
    texts: Mapping[tuple[str, str], str] | None = None,
) -> dict[tuple[str, str], list[dict]]:
    """Evidence rows grouped by unordered entity pair: each sentence once, typed relations first.

    Args:
        rows: the `_EVIDENCE_FIELDS` of each row (`_rows`).
        pairs: only the rows of those pairs are kept.
        texts: (doc_id, sentence_id) -> text, the text of rows without one.
    """
    grouped: dict[tuple[str, str], list[dict]] = {}
    seen: set[tuple] = set()
    for source, target, kind, relation, doc_id, sentence_id, start, end, text in rows:
        pair = _pair(source, target)
        if pairs is not None and pair not in pairs:
            continue
        doc_id, sentence_id, text = _text(doc_id), _text(sentence_id), _text(text)
        if not text and texts is not None:
            text = texts.get((doc_id, sentence_id), "")
        if not text:
            continue
        relation = _text(relation) if kind == "relation" else ""
        key = (pair, doc_id, sentence_id, relation)
        if key in seen:
            continue
        seen.add(key)
        line = {"text": text, "relation": relation, "doc_id": doc_id, "sentence_id": sentence_id}
        line["start"], line["end"] = _int(start), _int(end)
        grouped.setdefault(pair, []).append(line)
    for pair, found in grouped.items():
        # typed relations first, and a sentence they give is not repeated as a plain co-occurrence
        typed = {(r["doc_id"], r["sentence_id"]) for r in found if r["relation"]}
        if typed:
            kept = [r for r in found if r["relation"] or (r["doc_id"], r["sentence_id"]) not in typed]
            grouped[pair] = sorted(kept, key=lambda r: not r["relation"])
    return grouped


def _mention_offsets(
    rows: Iterable[tuple], sentences: Collection[tuple[str, str]] | None = None
) -> dict[tuple[str, str], list[tuple[int, int, str, str, str]]]:
    """(doc_id, sentence_id) -> (start, end, entity_id, refers_to, text) of its mentions.

    Args:
        rows: the `_MENTION_FIELDS` of each mention (`_rows`).
        sentences: only the mentions in those (doc_id, sentence_id) are kept.
    """
    offsets: dict[tuple[str, str], list[tuple[int, int, str, str, str]]] = {}
    # the sentences as (doc_id, int), to leave out most mentions before their key is made as text
    numbered = None if sentences is None else {(d, int(s)) for d, s in sentences if str(_int(s)) == s}
    for doc_id, sentence_id, start, end, entity_id, refers_to, text in rows:
        if numbered is not None and type(sentence_id) is int and type(doc_id) is str:
            if (doc_id, sentence_id) not in numbered:
                continue  # its key (doc_id, str(sentence_id)) is not in `sentences` either
            key = (doc_id, str(sentence_id))
        else:
            key = (_text(doc_id), _text(sentence_id))
            if sentences is not None and key not in sentences:
                continue
        offsets.setdefault(key, []).append((_int(start), _int(end), _text(entity_id), _text(refers_to), _text(text)))
    return offsets


# ------------------------------------------------------------ highlighting

_FOLD_EXTRA = {"\u2019": "'", "\u02bc": "'", "\u00a0": " ", "\u202f": " ", "\u2010": "-", "\u2011": "-"}


def _fold_char(char: str) -> str:
    char = _FOLD_EXTRA.get(char, char)
    return (unicodedata.normalize("NFD", char)[:1] or char).lower()[:1] or char


class _FoldTable(dict):
    """A `str.translate` table: code point -> its folded character, found when first met."""

    def __missing__(self, code: int) -> str:
        folded = self[code] = _fold_char(chr(code))
        return folded


_FOLD = _FoldTable()


def fold(text: str) -> str:
    """Lower case without accents, one character for one (offsets are kept)."""
    return text.translate(_FOLD)


def _highlights(
    row: dict,
    entities: tuple[str, str],
    offsets: dict[tuple[str, str], list[tuple[int, int, str, str, str]]] | None,
    aliases: dict[str, set[str]],
    patterns: dict[str, re.Pattern | None],
) -> list[list]:
    """[start, end, entity_id] spans of the two entities in the sentence text.

    The mentions' offsets are used where they fall inside the text and point
    at the mention's own text; a mention standing for an entity (a capital
    for its state: `refers_to`) counts only when the entity is not named
    itself. An entity found that way nowhere is looked for by its name and
    aliases (whole words, case and accents ignored); `patterns` keeps the
    regex of each entity's names from one sentence to the next.
    """
    text, base = row["text"], row["start"]
    direct: list[tuple[int, int, str]] = []
    standing: list[tuple[int, int, str]] = []
    for start, end, entity_id, refers_to, surface in (
        offsets.get((row["doc_id"], row["sentence_id"]), ()) if offsets else ()
    ):
        s, e = start - base, end - base
        if not 0 <= s < e <= len(text):
            continue
        piece = text[s:e]
        if piece != surface and fold(piece) != fold(surface):
            continue
        if entity_id in entities:
            direct.append((s, e, entity_id))
        elif refers_to in entities:
            standing.append((s, e, refers_to))
    found = {span[2] for span in direct}
    spans = direct + [span for span in standing if span[2] not in found]
    found.update(span[2] for span in spans)
    folded = None  # the text folded, when a name must be looked for
    for entity_id in entities:
        if entity_id in found:
            continue
        if entity_id not in patterns:
            patterns[entity_id] = _alias_pattern(aliases.get(entity_id, ()))
        pattern = patterns[entity_id]
        if pattern is not None:
            folded = fold(text) if folded is None else folded
            spans.extend((m.start(), m.end(), entity_id) for m in pattern.finditer(folded))
    kept: list[list] = []
    for s, e, who in sorted(spans, key=lambda span: (span[0], -span[1])) if len(spans) > 1 else spans:
        if not kept or s >= kept[-1][1]:
            kept.append([s, e, who])
    return kept


def _alias_pattern(names: Collection[str]) -> re.Pattern | None:
    """One regex finding any of the names as whole words in folded text, longest first."""
    folded = sorted({fold(n) for n in names if len(n) >= 2}, key=lambda n: (-len(n), n))
    if not folded:
        return None
    return re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, folded)) + r")(?!\w)")


# ------------------------------------------------------------------ layout


def layout(
    graph: nx.Graph, *, seed: int = 42, iterations: int = LAYOUT_ITERATIONS, sizes: Mapping[Any, float] | None = None
) -> dict[Any, tuple[float, float]]:
    """Positions in a CANVAS x CANVAS square: a seeded layout of each
    connected component (igraph's Fruchterman-Reingold, then `iterations`
    of networkx's ForceAtlas2), the components packed in rows, biggest first.

    Laying components out apart keeps a small one from flying off or pushing
    the main one into a corner; weights are damped (1 + log w) so that a few
    heavy edges do not pull a hub's neighbours into one blot, and hubs are
    dissuaded from the centre. With `sizes` (node -> radius in pixels of a
    drawing CANVAS pixels wide), the last quarter of the ForceAtlas2
    iterations also keeps the nodes from overlapping (its "prevent
    overlap"): what separates the hubs. Fruchterman-Reingold (C, a grid for
    the repulsion) does the bulk of the work; each ForceAtlas2 iteration
    costs time growing with the square of a component's nodes, which is why
    they are few and why only the drawn nodes are laid out.
    """
    if len(graph) == 0:
        return {}
    damped = nx.Graph()
    damped.add_nodes_from(graph)
    damped.add_weighted_edges_from(
        (a, b, 1 + math.log(max(_number(d.get("weight")), 1))) for a, b, d in graph.edges(data=True)
    )
    components = sorted(nx.connected_components(damped), key=lambda c: (-len(c), min(map(str, c))))
    order = {node: i for i, node in enumerate(damped)}
    # pixels of the final drawing per layout unit, if the packed boxes fill the square (a component of
    # n nodes gets a box of side sqrt(n) plus padding)
    pixels = (CANVAS - 2 * _MARGIN) / (1.15 * math.sqrt(sum((math.sqrt(len(c)) + 2 * _PAD) ** 2 for c in components)))
    boxes = []  # (side, {node: (x, y) in [0, side]})
    for component in components:
        if len(component) == 1:
            boxes.append((1.0, {next(iter(component)): (0.5, 0.5)}))
            continue
        side = math.sqrt(len(component))
        members = _subgraph(damped, sorted(component, key=order.get))
        fitted = _fit(_forceatlas2(members, seed, iterations, sizes, side * pixels), side)
        boxes.append((side + 2 * _PAD, {node: (x + _PAD, y + _PAD) for node, (x, y) in fitted.items()}))
    width = max(boxes[0][0], math.sqrt(sum(side * side for side, _ in boxes)) * 1.15)
    placed: dict[Any, tuple[float, float]] = {}
    x = y = row = 0.0
    for side, positions in boxes:
        if x > 0 and x + side > width:
            x, y, row = 0.0, y + row, 0.0
        placed.update((node, (x + px, y + py)) for node, (px, py) in positions.items())
        x, row = x + side, max(row, side)
    return {
        node: (round(px, 2), round(py, 2)) for node, (px, py) in _fit(placed, CANVAS - 2 * _MARGIN, _MARGIN).items()
    }


def _start(graph: nx.Graph, seed: int) -> dict[Any, np.ndarray]:
    """Seeded Fruchterman-Reingold positions (igraph) of a connected graph: where ForceAtlas2 starts."""
    nodes = list(graph)
    index = {node: i for i, node in enumerate(nodes)}
    g = igraph.Graph(n=len(nodes), edges=[(index[a], index[b]) for a, b in graph.edges])
    rng = random.Random(seed)
    side = math.sqrt(len(nodes))
    first = [[rng.random() * side, rng.random() * side] for _ in nodes]
    with igraph_seeded(seed):
        found = g.layout_fruchterman_reingold(niter=FR_ITERATIONS, seed=first, grid=True)
    return {node: np.array(found[i]) for i, node in enumerate(nodes)}


def _forceatlas2(
    graph: nx.Graph, seed: int, iterations: int, sizes: Mapping[Any, float] | None, width: float
) -> dict[Any, Any]:
    """ForceAtlas2 positions of a connected graph to be drawn `width` pixels wide, from
    Fruchterman-Reingold's; with `sizes` (radius in pixels), a last quarter of the
    iterations keeps the nodes apart."""
    iterations = max(iterations, 1)
    spread = iterations - iterations // 4 if sizes else iterations
    options = {"weight": "weight", "seed": seed, "scaling_ratio": 2.0, "gravity": 1.0, "distributed_action": True}
    positions = nx.forceatlas2_layout(graph, pos=_start(graph, seed), max_iter=spread, **options)
    if not sizes or iterations == spread:
        return positions
    xs, ys = zip(*(map(float, p) for p in positions.values()), strict=True)
    units = max(max(xs) - min(xs), max(ys) - min(ys)) / width or 1.0
    # a node's radius in layout units, with a margin so that neighbouring circles do not touch
    radius = {node: 1.3 * float(sizes.get(node, MIN_SIZE)) * units for node in graph}
    return nx.forceatlas2_layout(graph, pos=positions, max_iter=iterations - spread, node_size=radius, **options)


def _subgraph(graph: nx.Graph, nodes: list[Any]) -> nx.Graph:
    """The subgraph induced by `nodes`, listing them in the order given.

    A seeded layout places nodes in the order it is given them, and
    `graph.subgraph` lists the nodes of a small subgraph in the order of a
    set: for strings, an order that changes with Python's string hashing
    from one run to the next.
    """
    sub = nx.Graph()
    sub.add_nodes_from((n, graph.nodes[n]) for n in nodes)
    sub.add_edges_from((a, b, d) for a, b, d in graph.edges(nodes, data=True) if b in sub)
    return sub


def _fit(positions: Mapping[Any, Any], side: float, margin: float = 0.0) -> dict[Any, tuple[float, float]]:
    """Scale and centre positions into a square of `side` (keeping proportions), shifted by `margin`."""
    xs = [float(p[0]) for p in positions.values()]
    ys = [float(p[1]) for p in positions.values()]
    span = max(max(xs) - min(xs), max(ys) - min(ys)) or 1.0
    scale = side / span
    dx = margin + (side - (max(xs) - min(xs)) * scale) / 2
    dy = margin + (side - (max(ys) - min(ys)) * scale) / 2
    return {
        node: (dx + (float(p[0]) - min(xs)) * scale, dy + (float(p[1]) - min(ys)) * scale)
        for node, p in positions.items()
    }


# -------------------------------------------------------------------- page


_SURROGATE = re.compile("[\ud800-\udfff]")


def embed_json(data: Any) -> str:
    """JSON safe inside a <script> element: no "<", ">" or "&" left as such,
    and lone surrogates (undecodable bytes) escaped so the page encodes as UTF-8."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    text = text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")
    if _SURROGATE.search(text) is None:  # most pages: no copy of the text
        return text
    return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _table_rows(data: dict, count: int) -> str:
    """The "top entities" rows: the first entities of the data, which are the most mentioned."""
    table = data["entities"]
    row = _fragment("report_top_row.html")
    return "\n".join(
        row.substitute(
            node=i,
            name=_e(table["name"][i]),
            type=_e(table["type"][i]),
            mentions=table["mentions"][i],
            documents=table["documents"][i],
            degree=table["degree"][i],
            pagerank=f"{table['pagerank'][i]:.4f}",
        )
        for i in range(min(max(count, 0), len(table["id"])))
    )


def _type_keys(data: dict) -> str:
    """One checkbox per entity type present (the type filter), the known types first."""
    counts: dict[str, int] = {}
    for kind in data["entities"]["type"]:
        counts[kind] = counts.get(kind, 0) + 1
    kinds = [k for k in TYPE_COLOURS if k in counts] + sorted(set(counts) - set(TYPE_COLOURS))
    key = _fragment("report_type_key.html")
    return "".join(key.substitute(type=_e(k), count=counts[k]) for k in kinds)


def _e(text: str) -> str:
    return html.escape(_SURROGATE.sub("\ufffd", str(text)), quote=True)


def _type_css(colours: Mapping[str, str]) -> str:
    rules = [f".t-{kind}{{background:{colour}}}" for kind, colour in colours.items()]
    return "\n".join(rules)


def _sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


def _page(title: str, blob: str, counts: tuple[dict, int, int], table_rows: str, type_keys: str) -> str:
    """The page around the data (`embed_json`); counts: the data's `total`, `drawn` and `drawnEdges`."""
    style = _asset("report.css") + _type_css(TYPE_COLOURS)
    scripts = [_vendored("graphology.umd.min.js"), _vendored("sigma.min.js"), _asset("report.js")]
    # hashes of the exact text inlined below: the only style and scripts the page may use
    policy = (
        "default-src 'none'; "
        f"script-src {' '.join(map(_sha256, scripts))}; "
        f"style-src {_sha256(style)}; "
        "img-src data:; connect-src 'none'; font-src 'none'; worker-src 'none'; "
        "base-uri 'none'; form-action 'none'"
    )
    total, shown, drawn_edges = counts
    summary = (
        f"{total['nodes']:,} entities, {total['edges']:,} edges"
        + (f" — the {shown:,} most mentioned drawn" if shown < total["nodes"] else "")
        + f", {drawn_edges:,} edges drawn"
    )
    return _template("report.html").substitute(
        policy=_e(policy),
        title=_e(title),
        style=style,
        summary=_e(summary),
        type_keys=type_keys,
        table_rows=table_rows,
        data=blob,
        graphology=scripts[0],
        sigma=scripts[1],
        script=scripts[2],
    )


# --------------------------------------------------------------- templates

# each file of templates/ opens with a comment saying what fills it, not part of the output
_HEADER = re.compile(r"(?:<!--.*?-->|/\*.*?\*/)\n", re.S)
_SOURCE_MAP = re.compile(r"\n?//# sourceMappingURL=\S+\s*$")


@cache
def _asset(name: str) -> str:
    """The text of templates/`name` without its opening comment (and the line break ending it)."""
    text = (files("pipeline.views") / "templates" / name).read_text(encoding="utf-8")
    header = _HEADER.match(text)
    if header is None:
        raise ValueError(f"pipeline/views/templates/{name}: should open with a comment saying what fills it")
    return text[header.end() :]


@cache
def _vendored(name: str) -> str:
    """A library of templates/vendor/, as inlined: without its source-map comment (the map is not shipped)."""
    text = _SOURCE_MAP.sub("", (files("pipeline.views") / "templates" / "vendor" / name).read_text(encoding="utf-8"))
    if re.search(r"</script|<!--", text, re.I):
        raise ValueError(f"pipeline/views/templates/vendor/{name}: cannot be inlined in a <script> element")
    return text


@cache
def _template(name: str) -> Template:
    return Template(_asset(name))


@cache
def _fragment(name: str) -> Template:
    """A one-line template repeated by the code: the file's final line break is not part of it."""
    return Template(_asset(name).removesuffix("\n"))
