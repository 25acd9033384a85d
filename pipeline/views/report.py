"""A self-contained HTML page to explore a run: the graph drawn by sigma.js,
every entity searchable, its neighbours and the sentences behind each edge.

`render_report` is pure: it returns the page as a string (`report_pieces`,
the same page in pieces, for writing a big one). Everything the page
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
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import fields, is_dataclass
from functools import cache, lru_cache
from importlib.resources import files
from importlib.resources.abc import Traversable
from itertools import compress, islice, repeat
from operator import attrgetter, ge, itemgetter, methodcaller
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


def render_report(graph: nx.Graph, entities: pd.DataFrame | list, evidence: list | pd.DataFrame, **settings) -> str:
    """The page `report_pieces` makes (same arguments), as one string."""
    return "".join(report_pieces(graph, entities, evidence, **settings))


def report_pieces(
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
) -> Iterator[str]:
    """One HTML page showing `graph` with its evidence sentences, in pieces
    made as they are read: written one after the other, a big corpus's page
    (tens of MB) is never held whole.

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
    data, evidence_of = _report_parts(
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
    yield from _page(title, _embed_report(data, evidence_of), counts, rows, keys)


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
    data, evidence_of = _report_parts(
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
    data["edges"]["evidence"] = list(evidence_of)
    return data


def _report_parts(
    graph: nx.Graph,
    entities: pd.DataFrame | list,
    evidence: list | pd.DataFrame,
    *,
    mentions: pd.DataFrame | list | None,
    documents: pd.DataFrame | list | None,
    sentences: pd.DataFrame | list | None,
    max_nodes: int,
    max_edges: int,
    max_neighbours: int,
    max_evidence: int,
    layout_iterations: int,
    seed: int,
) -> tuple[dict, Iterator[list]]:
    """`report_data`'s blob but the edges' evidence, and that evidence, edge after edge, made as it is read.

    Half a million evidence lines on a big corpus: `_embed_report` encodes
    them a few hundred edges at a time, never all in memory. The blob's
    `documents` and `sentences` (what the lines refer to) are filled once the
    evidence is read.
    """
    aliases = _aliases(_rows(entities, ("entity_id", "name", "aliases")))
    attrs = dict(graph.nodes(data=True))  # node -> its data, read once
    names = {n: str(d.get("name") or n) for n, d in attrs.items()}
    mentioned = {n: _int(d.get("mentions")) for n, d in attrs.items()}
    adjacency = dict(graph.adjacency())  # node -> {neighbour: edge data}, plain dicts: faster than graph[node]
    ranked = sorted(attrs, key=lambda n: (-mentioned[n], names[n], str(n)))
    index = {node: i for i, node in enumerate(ranked)}
    drawn = ranked[: max(max_nodes, 0)]
    top_mentions = max((mentioned[n] for n in drawn), default=0) or 1
    sizes = {n: round(MIN_SIZE + SIZE_RANGE * math.sqrt(mentioned[n] / top_mentions), 2) for n in drawn}
    drawn_set = set(drawn)
    # the edges among the drawn nodes, as `graph.edges(drawn)` lists them (each once, from the first of its
    # nodes in `drawn`): the order the subgraph of `drawn` (`_subgraph`) would list them in
    among: list[tuple[Any, Any, dict]] = []
    seen: set[Any] = set()
    for a in drawn:
        among += [(a, b, d) for b, d in adjacency[a].items() if b in drawn_set and b not in seen]
        seen.add(a)
    positions = _layout(drawn, among, seed=seed, iterations=layout_iterations, sizes=sizes)

    # edges: those drawn (the heaviest among drawn nodes), then those listed in a panel
    edge_index: dict[tuple[int, int], int] = {}  # the edge of two entities (their indices)
    columns: dict[str, list] = {"source": [], "target": [], "weight": [], "documents": []}  # the data's
    sources, targets, weights, counts = columns.values()

    def edge_of(i: int, j: int, edge: dict) -> int:
        key = (i, j) if i <= j else (j, i)
        found = edge_index.get(key)
        if found is None:  # its columns read now, while its data (`edge`) was just read
            found = edge_index[key] = len(sources)
            sources.append(key[0])
            targets.append(key[1])
            weights.append(_number(edge.get("weight")))
            counts.append(_int(edge.get("documents")))
        return found

    among.sort(key=lambda e: (-_number(e[2].get("weight")), *sorted((index[e[0]], index[e[1]]))))
    heaviest = among[: max(max_edges, 0)]
    for a, b, edge in heaviest:
        edge_of(index[a], index[b], edge)
    drawn_edges = len(sources)
    # the dates of the drawn edges, which the date filter reads
    columns["start"] = [_day(edge.get("start")) for _, _, edge in heaviest]
    columns["end"] = [_day(edge.get("end")) for _, _, edge in heaviest]
    links = [
        [edge_of(i, index[other], edge) for other, edge in _heaviest(adjacency[node], max_neighbours, names)]
        for i, node in enumerate(ranked)
    ]
    del among, heaviest, adjacency
    edge_index.clear()  # tens of MB on a big corpus
    listed = {i for row in links for i in row if i < drawn_edges}  # the drawn ones listed: the others all are

    # evidence and mentions are read for the pairs listed and the sentences shown only
    pairs = {
        _pair(ranked[a], ranked[b]): i
        for i, (a, b) in enumerate(zip(sources, targets))
        if i >= drawn_edges or i in listed
    }
    edges_listed = list(pairs.values())  # the edge of each pair (edges whose ids are alike as text: the last)
    lines_of: dict[tuple[str, str], list[tuple]] = {pair: [] for pair in pairs}
    del pairs
    texts = _sentence_texts(_rows(sentences, ("doc_id", "sentence_id", "text"))) if sentences is not None else None
    shown: dict[str, dict[int | str, list]] = defaultdict(lambda: defaultdict(list))  # each sentence's mentions
    _evidence_lines(_table(evidence), lines_of, texts, max_evidence, shown)
    if mentions is not None:
        _add_mentions(shown, _table(mentions))
    del shown
    patterns: dict[str, re.Pattern | None] = {}  # entity id -> its names as one regex, made when first needed
    shown_texts: dict[str, int] = {}  # sentence text -> its index in the data's sentences
    cited: dict[str, int] = {}

    def evidence_line(line: tuple, pair: tuple[str, str]) -> list:
        text, relation, doc_id, sentence_id, start, end, mentions = line
        return [
            shown_texts.setdefault(text, len(shown_texts)),
            relation,
            cited.setdefault(doc_id, len(cited)),
            sentence_id,
            start,
            end,
            _highlights(text, start, mentions, pair, aliases, patterns, index),
        ]

    def made(edge: int, pair_lines: tuple[tuple[str, str], list[tuple]]) -> tuple[int, list[list]]:
        pair, lines = pair_lines
        made_lines = [evidence_line(line, pair) for line in lines]
        lines.clear()  # what the lines were made of
        return edge, made_lines

    def evidence_of() -> Iterator[list]:
        """The lines of each edge, in the edges' order; sentences and documents are numbered in the pairs' order."""
        lines_by_edge = map(made, edges_listed, lines_of.items())  # each edge's lines made as they are read
        if any(map(ge, edges_listed, edges_listed[1:])):  # two edges have one pair (ids alike as text):
            lines_by_edge = iter(sorted(lines_by_edge))  # all made first, in the pairs' order
        following = next(lines_by_edge, None)
        for i in range(len(sources)):
            if following is None or following[0] != i:
                yield []
                continue
            yield following[1]
            following = next(lines_by_edge, None)
        data["documents"].extend(_citation(doc_id, known.get(doc_id)) for doc_id in cited)
        data["sentences"].extend(shown_texts)

    known = {_text(doc_id): row for doc_id, *row in _rows(documents, _DOCUMENT_FIELDS)}
    node_data = [attrs[n] for n in ranked]

    def node_column(name: str, convert: Any = str, default: Any = "") -> list:
        return [convert(d.get(name, default)) for d in node_data]

    data = {
        "types": TYPE_COLOURS,
        "communityColours": list(COMMUNITY_COLOURS),
        "otherColour": OTHER_COLOUR,
        "total": {"nodes": graph.number_of_nodes(), "edges": graph.number_of_edges()},
        "drawn": len(drawn),
        "drawnEdges": drawn_edges,
        "entities": {
            "id": [str(n) for n in ranked],
            "name": [names[n] for n in ranked],
            "type": node_column("type"),
            "wikidata": node_column("wikidata"),
            "mentions": node_column("mentions", _int),
            "documents": node_column("documents", _int),
            "degree": [_int(d["degree"]) if "degree" in d else graph.degree(n) for n, d in zip(ranked, node_data)],
            "pagerank": [round(_number(d.get("pagerank")), 6) for d in node_data],
            "community": node_column("community", _int, -1),
            "aliases": [sorted(aliases.get(str(n), set()) - {names[n]}) for n in ranked],
            "start": node_column("start", _day, None),
            "end": node_column("end", _day, None),
            "links": links,
            "x": [positions[n][0] for n in drawn],
            "y": [positions[n][1] for n in drawn],
            "size": [sizes[n] for n in drawn],
        },
        "edges": columns,
        "documents": [],  # filled by `evidence_of`, as are
        "sentences": [],
    }
    return data, evidence_of()


def template_files() -> list[Traversable]:
    """Every package file the page is made from (templates and vendored
    libraries), sorted by name: what a cache key of the report must read."""
    folder = files("pipeline.views") / "templates"
    found = [p for p in folder.iterdir() if p.is_file()] + [p for p in (folder / "vendor").iterdir() if p.is_file()]
    return sorted(found, key=lambda p: p.name)


# ------------------------------------------------------------------ inputs


def _table(rows: Any) -> list:
    """Rows as a list, which can be read more than once: a DataFrame's as dicts."""
    if rows is None:
        return []
    if isinstance(rows, pd.DataFrame):
        return rows.to_dict("records")
    return rows if isinstance(rows, list) else list(rows)


# the fields the report reads of evidence, mention and document rows, in the order the code takes them
_EVIDENCE_PAIR = ("source", "target", "kind", "relation")  # what tells whether a row is wanted
_EVIDENCE_LINE = ("doc_id", "sentence_id", "start", "end", "text")  # read only then
_MENTION_SENTENCE = ("doc_id", "sentence_id")
_MENTION_VALUES = ("start", "end", "entity_id", "refers_to", "text")
_DOCUMENT_FIELDS = ("doc_id", "source", "text_file", "title", "date", "url")


def _rows(rows: Any, names: tuple[str, ...]) -> Iterator[tuple]:
    """The values of the fields `names` of each row (None where a row has none), as a tuple.

    Rows of a DataFrame (read as dicts), of dataclass records or of dicts (`_reader`).
    """
    rows = _table(rows)
    return map(_reader(rows, names), rows)


def _reader(rows: list, names: tuple[str, ...]) -> Callable[[Any], tuple]:
    """A function giving the fields `names` of any of `rows` as a tuple (None where a row has none).

    A record's values are read without making it a dict, and those of a
    record type holding all `names` by `attrgetter`: mapped over the
    records of a run (millions of rows), no Python step per row.
    """
    kinds = set(map(type, rows))
    if len(kinds) == 1:
        return _row_reader(kinds.pop(), names)
    readers = {kind: _row_reader(kind, names) for kind in kinds}
    return lambda row: readers[type(row)](row)


def _row_reader(kind: type, names: tuple[str, ...]) -> Callable[[Any], tuple]:
    if not is_dataclass(kind):
        return lambda row: tuple(map((row if isinstance(row, Mapping) else dict(row)).get, names))
    own = {f.name for f in fields(kind)}
    if len(names) > 1 and own.issuperset(names):
        return attrgetter(*names)
    return lambda row: tuple(getattr(row, n) if n in own else None for n in names)


def _column(rows: list, name: str) -> Iterator[Any]:
    """The values of the field `name` of each row (`_rows`)."""
    kinds = set(map(type, rows))
    if len(kinds) == 1 and is_dataclass(kind := kinds.pop()) and name in {f.name for f in fields(kind)}:
        return map(attrgetter(name), rows)
    return map(itemgetter(0), _rows(rows, (name,)))


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


_WEIGHT = methodcaller("get", "weight")


def _heaviest(neighbours: Mapping[Any, dict], count: int, names: Mapping[Any, str]) -> list[tuple[Any, dict]]:
    """The `count` heaviest edges to `neighbours` (neighbour -> edge data), ties by the neighbour's name (`names`)."""
    if count <= 0:
        return []
    if len(neighbours) == 1:
        return list(neighbours.items())
    others, weights = list(neighbours), list(map(_WEIGHT, neighbours.values()))
    if set(map(type, weights)) != {int}:  # else (most graphs) each its own number, all read by C code
        weights = [w if type(w) is int else _number(w) for w in weights]
    if len(others) > count:  # a hub: only the neighbours as heavy as its count-th heaviest can be among them
        least = sorted(weights, reverse=True)[count - 1]
        heavy = list(map(ge, weights, repeat(least)))
        others, weights = list(compress(others, heavy)), list(compress(weights, heavy))
    # one stable sort by (-weight, name) made two, by name then by weight, heaviest first (a reversed sort
    # is stable too): keys read by C methods, not a Python function per neighbour
    weight = dict(zip(others, weights))
    others.sort(key=names.__getitem__)
    others.sort(key=weight.__getitem__, reverse=True)
    return [(other, neighbours[other]) for other in others[:count]]


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


def _citation(doc_id: str, row: Sequence | None) -> dict[str, str]:
    """How a sentence's article is cited: its title (else its file name), date,
    URL and a link to the file its offsets index (`href`, "" when unknown).

    documents.csv's `text_file` is that file: the input file itself (its
    path, the row's `source`), or `texts/<name>` in the output folder, which
    the link reaches relative to report.html beside it.

    Args:
        row: the article's `_DOCUMENT_FIELDS` after doc_id (`_rows`), None when unknown.
    """
    if row is None:
        return {"id": doc_id, "name": doc_id, "date": "", "url": "", "href": ""}
    source, text_file, title, date, url = map(_text, row)
    if not text_file:
        href = ""
    elif text_file == source:
        href = Path(text_file).absolute().as_uri()
    else:
        href = quote(text_file)
    name = title.strip()
    if not name:
        # a file holding many articles (JSON Lines, CSV) names the record too
        file_name, stem = _file_name(source)
        name = file_name if stem == doc_id or not file_name else f"{file_name} · {doc_id}"
    return {"id": doc_id, "name": name, "date": date, "url": url, "href": href}


@lru_cache(maxsize=256)
def _file_name(path: str) -> tuple[str, str]:
    """The name of the file at `path`, and its stem: the same for every article of one input file."""
    name = PurePath(path).name
    return name, PurePath(name).stem


def _sentence_texts(rows: Iterable[tuple]) -> dict[tuple[str, str], str]:
    """(doc_id, sentence_id) -> text, of the sentences.csv rows that carry one.

    Args:
        rows: (doc_id, sentence_id, text) of each sentence (`_rows`).
    """
    return {(_text(doc_id), _text(sentence_id)): _text(text) for doc_id, sentence_id, text in rows if _text(text)}


def _evidence_lines(
    evidence: list,
    pairs: Mapping[tuple[str, str], list[tuple]],
    texts: Mapping[tuple[str, str], str] | None,
    limit: int,
    sentences: dict[str, dict[int | str, list]],
) -> None:
    """Add to the list of each unordered entity pair of `pairs` its first
    `limit` evidence lines: each sentence once, typed relations first, and a
    sentence a typed relation gives not repeated as a plain co-occurrence.

    A line is (text, relation, doc_id, sentence_id as an int (`_int`),
    start, end, mentions): `mentions` is the list `sentences` (doc_id
    -> `_sentence_key` -> list, defaultdicts) holds for its sentence, one
    for all the lines of a sentence, left empty (`_add_mentions` fills it).

    The typed rows (kind "relation") are read first, then the others: a
    pair's lines are then in their order from the start, and its rows can be
    skipped once it has `limit` lines, before the rest of the row is read (a
    heavy edge has thousands of rows, which mostly follow one another).

    Args:
        evidence: the rows (`_table`), with the fields `_EVIDENCE_PAIR` and `_EVIDENCE_LINE`.
        texts: (doc_id, sentence_id) -> text, the text of rows without one.
    """
    limit = max(limit, 0)
    read_pair, read_line = _reader(evidence, _EVIDENCE_PAIR), _reader(evidence, _EVIDENCE_LINE)

    def read(rows: list, typed: bool) -> None:
        source = target = object()  # the previous row's ids (none yet)
        for row in rows:
            a, b, kind, relation = read_pair(row)
            relation = _text(relation) if kind == "relation" else ""
            if bool(relation) is not typed:
                continue
            if a is not source or b is not target:  # the same objects: the same pair
                source, target = a, b
                lines = pairs.get(_pair(a, b))  # None: a pair not listed
            if lines is None or len(lines) >= limit:
                continue
            doc_id, sentence_id, start, end, text = read_line(row)
            doc_id, text = _text(doc_id), _text(text)
            if not text and texts is not None:
                text = texts.get((doc_id, _text(sentence_id)), "")
            if not text:
                continue
            if type(sentence_id) is int:  # the most rows: an int is its own key and number
                number = sentence_id
                mentions = sentences[doc_id][number]
            else:  # as the page has it (`_int` of its text), and the key of its text
                sentence_id = _text(sentence_id)
                number, mentions = _int(sentence_id), sentences[doc_id][_sentence_key(sentence_id)]
            # a sentence already given (one list of mentions a sentence): by this relation, or by
            # any line, typed or not, for a co-occurrence
            if _has_line(lines, mentions, relation if typed else None):
                continue
            lines.append((text, relation, doc_id, number, _int(start), _int(end), mentions))

    read([row for row, kind in zip(evidence, _column(evidence, "kind")) if kind == "relation"], True)
    read(evidence, False)


def _sentence_key(sentence_id: str) -> int | str:
    """A sentence_id (as text) as an int where it is one: what mentions, whose ids are ints, are looked up by."""
    return int(sentence_id) if str(_int(sentence_id)) == sentence_id else sentence_id


def _has_line(lines: Iterable[tuple], mentions: list, relation: str | None) -> bool:
    """Whether one of a pair's `lines` (a few) is of the sentence whose list is `mentions`, and of that relation
    unless None."""
    for line in lines:
        if line[6] is mentions and (relation is None or line[1] == relation):
            return True
    return False


def _add_mentions(sentences: Mapping[str, Mapping[int | str, list]], mentions: list) -> None:
    """Add to each list of `sentences` (`_evidence_lines`) the start, end,
    entity_id, refers_to and text of each mention in that sentence, one
    after the other (not a tuple each: a million on a big corpus).

    Args:
        mentions: the rows (`_table`), with the fields `_MENTION_SENTENCE` and `_MENTION_VALUES`.
    """
    read_values = _reader(mentions, _MENTION_VALUES)
    nothing: dict[int | str, list] = {}
    doc = shown = None  # the previous mention's doc_id, and its document's sentences
    for mention, (doc_id, sentence_id) in zip(mentions, _rows(mentions, _MENTION_SENTENCE)):
        # mentions come document by document (millions, most in no sentence shown): each is looked
        # up among its document's few sentences, by its int sentence_id, not a key made as text
        if type(sentence_id) is int and type(doc_id) is str:
            if doc_id is not doc:
                doc, shown = doc_id, sentences.get(doc_id, nothing)
            found = shown.get(sentence_id)
        else:
            found = sentences.get(_text(doc_id), nothing).get(_sentence_key(_text(sentence_id)))
        if found is not None:
            start, end, entity_id, refers_to, text = read_values(mention)
            found += _int(start), _int(end), _text(entity_id), _text(refers_to), _text(text)


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
    text: str,
    base: int,
    mentions: list[int | str],
    entities: tuple[str, str],
    aliases: dict[str, set[str]],
    patterns: dict[str, re.Pattern | None],
    index: Mapping[Any, int],
) -> list[list[int]]:
    """The spans of the two entities of an evidence line in its text, as
    the page reads them: [start, end, the entity's `index`].

    The mentions' offsets (`_add_mentions`: five values a mention; `base`
    is the sentence's start) are used where they fall inside the text and
    point at the mention's own text; a mention standing for an entity (a
    capital for its state: `refers_to`) counts only when the entity is not
    named itself. An entity found that way nowhere is looked for by its name
    and aliases (whole words, case and accents ignored); `patterns` keeps the
    regex of each entity's names from one sentence to the next.
    """
    direct: list[tuple[int, int, str]] = []
    standing: list[tuple[int, int, str]] = []
    values = iter(mentions)
    for start, end, entity_id, refers_to, surface in zip(values, values, values, values, values):
        if entity_id in entities:
            found, who = direct, entity_id
        elif refers_to in entities:
            found, who = standing, refers_to
        else:
            continue  # most mentions of a sentence: another pair's
        s, e = start - base, end - base
        if 0 <= s < e <= len(text) and ((piece := text[s:e]) == surface or fold(piece) == fold(surface)):
            found.append((s, e, who))
    # spans are put by start, the longest first at one start (a stable sort by (start, -end)), and
    # one overlapping a span before it is left out
    if len(direct) == 2 and not standing and direct[0][2] != direct[1][2]:  # both named, once each: most lines
        (s1, e1, who1), (s2, e2, who2) = direct
        if s2 < s1 or (s2 == s1 and e2 > e1):
            s1, e1, who1, s2, e2, who2 = s2, e2, who2, s1, e1, who1
        return [[s1, e1, index[who1]], [s2, e2, index[who2]]] if s2 >= e1 else [[s1, e1, index[who1]]]
    spans = direct
    named = {who for _, _, who in direct}
    if standing:
        spans = direct + [span for span in standing if span[2] not in named]
        named.update(who for _, _, who in spans)
    folded = None  # the text folded, when a name must be looked for
    for entity_id in entities:
        if entity_id in named:
            continue
        if entity_id not in patterns:
            patterns[entity_id] = _alias_pattern(aliases.get(entity_id, ()))
        pattern = patterns[entity_id]
        if pattern is not None:
            folded = fold(text) if folded is None else folded
            spans.extend((m.start(), m.end(), entity_id) for m in pattern.finditer(folded))
    spans.sort(key=itemgetter(1), reverse=True)
    spans.sort(key=itemgetter(0))
    kept: list[list[int]] = []
    reach = -1  # the end of the last span kept
    for s, e, who in spans:
        if s >= reach:
            kept.append([s, e, index[who]])
            reach = e
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
    return _layout(list(graph), graph.edges(data=True), seed=seed, iterations=iterations, sizes=sizes)


def _layout(
    nodes: list[Any],
    edges: Iterable[tuple[Any, Any, Mapping]],
    *,
    seed: int,
    iterations: int,
    sizes: Mapping[Any, float] | None,
) -> dict[Any, tuple[float, float]]:
    """`layout` of the graph of `nodes` and `edges` (with their data), given in the order `layout` reads a graph's."""
    if len(nodes) == 0:
        return {}
    damped = nx.Graph()
    damped.add_nodes_from(nodes)
    damped.add_weighted_edges_from((a, b, 1 + math.log(max(_number(d.get("weight")), 1))) for a, b, d in edges)
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
        members.clear()  # see `damped` below
        boxes.append((side + 2 * _PAD, {node: (x + _PAD, y + _PAD) for node, (x, y) in fitted.items()}))
    # a graph's views hold it in a cycle: with the cyclic collector paused (the corpus stages) it would
    # stay, with a copy of each edge's data (tens of MB for the 1,000 nodes drawn on a big corpus)
    damped.clear()
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
# edges whose evidence `_embed_report` makes and encodes at a time: a few hundred kB of text, which
# the allocator reuses from one batch to the next, where megabytes would each be fresh pages
_BATCH = 256


def embed_json(data: Any) -> str:
    """JSON safe inside a <script> element: no "<", ">" or "&" left as such,
    and lone surrogates (undecodable bytes) escaped so the page encodes as UTF-8."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    text = text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")
    if text.isascii() or _SURROGATE.search(text) is None:  # most pages: no copy of the text (isascii: a flag)
        return text
    return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _embed_report(data: dict, evidence_of: Iterator[list]) -> Iterator[str]:
    """`embed_json` of `data` with `data["edges"]["evidence"]` the lists
    `evidence_of` yields (`_report_parts`), in pieces made and encoded a few
    hundred edges at a time: never all in memory. The keys after "edges"
    come last, once `evidence_of` has filled them."""
    keys = list(data)
    later = keys[keys.index("edges") + 1 :]
    first = {key: data[key] for key in keys if key not in later}
    first["edges"] = {**data["edges"], "evidence": []}
    yield embed_json(first)[: -len("]}}")]  # ended with '"evidence":[]}}', which the evidence fills
    separator = ""
    while batch := list(islice(evidence_of, _BATCH)):
        yield separator + embed_json(batch)[1:-1]  # the edges' lines, without "[", "]"
        separator = ","
    yield "]}," + embed_json({key: data[key] for key in later})[1:] if later else "]}}"


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


def _page(
    title: str, blob: Iterator[str], counts: tuple[dict, int, int], table_rows: str, type_keys: str
) -> Iterator[str]:
    """The page's pieces around the data (`_embed_report`'s); counts: the data's `total`, `drawn` and `drawnEdges`."""
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
    values = {
        "policy": _e(policy),
        "title": _e(title),
        "style": style,
        "summary": _e(summary),
        "type_keys": type_keys,
        "table_rows": table_rows,
        "graphology": scripts[0],
        "sigma": scripts[1],
        "script": scripts[2],
    }
    before, after = _around("report.html", "data")
    yield before.substitute(values)
    yield from blob
    yield after.substitute(values)


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
def _around(name: str, key: str) -> tuple[Template, Template]:
    """templates/`name` as the templates before and after its placeholder `key` (which it has once)."""
    template = _template(name)
    (found,) = (m for m in template.pattern.finditer(template.template) if key in (m["named"], m["braced"]))
    return Template(template.template[: found.start()]), Template(template.template[found.end() :])


@cache
def _fragment(name: str) -> Template:
    """A one-line template repeated by the code: the file's final line break is not part of it."""
    return Template(_asset(name).removesuffix("\n"))
