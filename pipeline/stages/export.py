"""Export stage: the graph with its analytics, the tables in output order, the graph files' bytes.

Pure: `pipeline.store.outputs` writes what these functions return, so the
same input and settings give the same bytes.
"""

from __future__ import annotations

import io
import json
import math
import random
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import fields
from functools import cache, lru_cache, partial
from itertools import chain, filterfalse, repeat
from json.encoder import encode_basestring  # json's own C encoder of a str (ensure_ascii=False)
from operator import attrgetter, itemgetter, le
from typing import BinaryIO, NamedTuple
from xml.sax.saxutils import escape

import igraph
import networkx as nx

from pipeline.records import (
    BlockRow,
    Cooccurrence,
    CorpusTables,
    DocumentRow,
    Entity,
    Evidence,
    EvidenceRow,
    GephiEdge,
    GephiNode,
    Mention,
    ReadError,
    RelationRow,
    SentenceRow,
    column_names,
)

# The seed of the randomised analytics (Leiden's node order, the sampled
# betweenness's sources): the same graph gives the same values in any process.
ANALYTICS_SEED = 42
# Defaults of output.exact_betweenness_max_nodes and output.betweenness_samples.
EXACT_BETWEENNESS_MAX_NODES = 5000
BETWEENNESS_SAMPLES = 500
# Passes of Leiden over the graph. On the 250 real articles' graph modularity
# stops rising after about ten (0.6510 after 2, 0.6530 after 10); "until
# nothing moves" (n_iterations=-1) took 11.8 s on the 100,000-article
# synthetic graph (82,626 nodes, 647,631 edges) for 0.0002 more than ten's.
LEIDEN_ITERATIONS = 10


def build_graph(
    entities: Sequence[Entity],
    edges: Sequence[Cooccurrence],
    *,
    backbone_alpha: float = 1.0,
    exact_betweenness_max_nodes: int = EXACT_BETWEENNESS_MAX_NODES,
    betweenness_samples: int = BETWEENNESS_SAMPLES,
    seed: int = ANALYTICS_SEED,
) -> nx.Graph:
    """Co-occurrence graph with node analytics.

    Nodes are entity ids carrying name, type, wikidata, mentions, documents,
    degree, weighted_degree, pagerank, betweenness and community (see
    `node_analytics`); edges carry every weight of the table. With
    `backbone_alpha` < 1 only the edges the disparity filter keeps remain.
    When edges have dates, nodes and edges get start/end and the graph is
    dynamic (Gephi's timeline). `graph.graph["betweenness"]` says how the
    betweenness was computed: "exact", or "sampled: k of n nodes as sources, seed s".
    """
    graph = nx.Graph()
    graph.add_nodes_from(
        (
            e.entity_id,
            {
                "label": e.name,  # what Gephi and Cytoscape show: the name, not the id
                "name": e.name,
                "type": e.type,
                "wikidata": e.wikidata,
                "mentions": e.mentions,
                "documents": e.documents,
            },
        )
        for e in sorted(entities, key=attrgetter("entity_id"))
    )
    ends = ("source", "source_name", "target", "target_name", "first_date", "last_date")
    columns = [f.name for f in fields(Cooccurrence) if f.name not in ends]
    weights = attrgetter(*columns)

    def edge_attributes(e: Cooccurrence) -> dict:
        attrs = dict(zip(columns, weights(e), strict=True))
        if e.first_date:
            attrs["start"], attrs["end"] = e.first_date, e.last_date
        return attrs

    graph.add_edges_from(
        (e.source, e.target, edge_attributes(e)) for e in sorted(edges, key=attrgetter("source", "target"))
    )
    if backbone_alpha < 1.0:
        graph.remove_edges_from(_insignificant(graph, backbone_alpha))
    analytics, graph.graph["betweenness"] = node_analytics(
        graph,
        exact_betweenness_max_nodes=exact_betweenness_max_nodes,
        betweenness_samples=betweenness_samples,
        seed=seed,
    )
    for node, values in analytics.items():
        graph.nodes[node].update(values)
    if any("start" in d for *_, d in graph.edges(data=True)):
        graph.graph["mode"] = "dynamic"
        for node, neighbours in graph.adjacency():
            spans = [d for d in neighbours.values() if "start" in d]
            if spans:
                graph.nodes[node]["start"] = min(d["start"] for d in spans)
                graph.nodes[node]["end"] = max(d["end"] for d in spans)
    return graph


def _insignificant(graph: nx.Graph, alpha: float) -> list[tuple[str, str]]:
    """The edges the disparity filter (Serrano et al. 2009) drops: an edge stays
    when its share of either endpoint's strength is unlikely under a uniform
    split of that strength (p < alpha)."""
    degree = dict(graph.degree())
    strength = dict(graph.degree(weight="weight"))

    def significant(node: str, w: float) -> bool:
        k = degree[node]
        return k > 1 and (1 - w / strength[node]) ** (k - 1) < alpha

    return [(a, b) for a, b, w in graph.edges(data="weight") if not (significant(a, w) or significant(b, w))]


def node_analytics(
    graph: nx.Graph,
    *,
    exact_betweenness_max_nodes: int = EXACT_BETWEENNESS_MAX_NODES,
    betweenness_samples: int = BETWEENNESS_SAMPLES,
    seed: int = ANALYTICS_SEED,
) -> tuple[dict[str, dict], str]:
    """Degree, weighted degree, PageRank, betweenness and community of every
    node, computed by igraph (C); and how the betweenness was computed.

    PageRank is weighted (PRPACK: the exact solution networkx's power
    iteration approaches; 0 everywhere in a graph without edges).
    Betweenness is unweighted and normalised as networkx's
    `betweenness_centrality`. Communities are Leiden's, optimising weighted
    modularity in `LEIDEN_ITERATIONS` passes, numbered by size (biggest
    first), ties by their smallest id. Values are rounded to 6 digits.

    Betweenness is exact (a breadth-first search from every node: time
    grows with nodes x edges) up to `exact_betweenness_max_nodes` nodes;
    above, it is estimated from `betweenness_samples` source nodes drawn
    with `seed`, scaled as networkx's `betweenness_centrality(k=..., seed=...)`
    scales its estimate (the same sources for the same seed and node order).

    Returns:
        node -> attributes, and "exact" or "sampled: k of n nodes as sources, seed s".
    """
    nodes = list(graph)
    n = len(nodes)
    index = {node: i for i, node in enumerate(nodes)}
    edges = list(graph.edges(data="weight"))
    g = igraph.Graph(n=n, edges=[(index[a], index[b]) for a, b, _ in edges])
    weights = [w for *_, w in edges]
    pagerank = g.pagerank(weights=weights, directed=False, damping=0.85) if edges else [0.0] * n
    betweenness, how = _betweenness(g, exact_betweenness_max_nodes, betweenness_samples, seed)
    with igraph_seeded(seed):
        leiden = partial(g.community_leiden, objective_function="modularity", n_iterations=LEIDEN_ITERATIONS)
        clusters = leiden(weights=weights) if n else []
    ordered = sorted(([nodes[i] for i in members] for members in clusters), key=lambda c: (-len(c), min(c)))
    community = {node: c for c, members in enumerate(ordered) for node in members}
    degree = g.degree()
    strength = g.strength(weights=weights) if edges else [0] * n
    analytics = {
        node: {
            "degree": degree[i],
            "weighted_degree": _integral(strength[i]),
            "pagerank": round(pagerank[i], 6),
            "betweenness": round(betweenness[i], 6),
            "community": community[node],
        }
        for i, node in enumerate(nodes)
    }
    return analytics, how


def _betweenness(g: igraph.Graph, max_exact: int, samples: int, seed: int) -> tuple[list[float], str]:
    """Normalised betweenness as networkx's, exact or from `samples` seeded sources."""
    n = g.vcount()
    if n <= 2:
        return [0.0] * n, "exact"
    if n <= max_exact or samples >= n:
        # igraph counts each unordered pair once, networkx each ordered pair
        scale = 2 / ((n - 1) * (n - 2))
        return [b * scale for b in g.betweenness(directed=False)], "exact"
    # random.sample picks by position: networkx's `seed.sample(list(G), k)` picks the same nodes
    sources = random.Random(seed).sample(range(n), samples)
    found = g.betweenness(directed=False, sources=sources)  # half the summed dependencies on the sources
    # networkx's estimate: a source depends on itself for nothing, so its
    # value is averaged over the other k - 1 sources
    other, own = 2 / (samples * (n - 2)), 2 / ((samples - 1) * (n - 2)) if samples > 1 else 0.0
    is_source = set(sources)
    values = [b * (own if i in is_source else other) for i, b in enumerate(found)]
    return values, f"sampled: {samples} of {n} nodes as sources, seed {seed}"


@contextmanager
def igraph_seeded(seed: int) -> Iterator[None]:
    """igraph's random numbers (its randomised algorithms) from `random.Random(seed)` for a while.

    igraph draws from Python's `random` module unless told otherwise; a
    generator of its own keeps both the results and the caller's `random`
    state independent of whatever ran before.
    """
    igraph.set_random_number_generator(random.Random(seed))
    try:
        yield
    finally:
        igraph.set_random_number_generator(random)


def _integral(value: float) -> int | float:
    """A sum of integer weights as an int, as networkx's weighted degree gives it."""
    return int(value) if float(value).is_integer() else value


def output_tables(t: CorpusTables) -> dict[str, tuple[type, Iterable]]:
    """Every CSV table, rows in a deterministic order: file name -> (record type, rows).

    The order never depends on the order the stages produced the rows in.
    evidence.csv names its sentences; their text is in sentences.csv, once each.
    The entities' names stand next to their ids in cooccurrences.csv,
    relations.csv and evidence.csv, so a look at one needs no join.

    The rows are records, or, where cells are filled in (the names, the
    cited sentences' text), cells in the record type's columns (`_Columns`):
    made as they are written, a chunk at a time, so no table is held twice.
    """
    name = {e.entity_id: e.name for e in t.entities}.get
    relations = sorted(t.relations, key=attrgetter("doc_id", "sentence_id", "subject", "predicate", "object"))
    return {
        "documents.csv": (DocumentRow, sorted(t.documents, key=attrgetter("doc_id"))),
        "blocks.csv": (BlockRow, sorted(t.blocks, key=attrgetter("doc_id", "block_id"))),
        "mentions.csv": (Mention, sorted(t.mentions, key=attrgetter("doc_id", "start", "end", "kind"))),
        "entities.csv": (Entity, sorted(t.entities, key=attrgetter("entity_id"))),
        "cooccurrences.csv": (Cooccurrence, _named_cells(t.edges, Cooccurrence, name)),
        "evidence.csv": (EvidenceRow, _named_cells(sorted_evidence(t.evidence), EvidenceRow, name)),
        "errors.csv": (ReadError, sorted(t.errors, key=attrgetter("source"))),
        "sentences.csv": (SentenceRow, _cited_cells(t.sentences, t.evidence)),
        "relations.csv": (RelationRow, _named_cells(relations, RelationRow, name)),
    }


_CHUNK = 2_000  # rows made at a time (as `pipeline.store.outputs` writes them)


class _Columns:
    """The rows of a table, made once, a chunk at a time, column by column.

    Iterating gives the rows as tuples of cells; `column_chunks` gives each
    chunk's columns, which `pipeline.store.outputs.write_rows` writes
    without making the rows.
    """

    def __init__(self, chunks: Iterator[list[Sequence]]):
        self.column_chunks = chunks

    def __iter__(self) -> Iterator[tuple]:
        return chain.from_iterable(zip(*columns) for columns in self.column_chunks)


def _in_chunks(rows: Sequence, columns: Callable[[Sequence], list[Sequence]]) -> _Columns:
    """The cells `columns(chunk)` gives of each `_CHUNK` of `rows`, made as they are read."""
    return _Columns(columns(rows[i : i + _CHUNK]) for i in range(0, len(rows), _CHUNK))


def _named_cells(records: Sequence, record_type: type, name: Callable[[str, str], str]) -> _Columns:
    """The cells of `records` in the columns of `record_type`, each `<x>_name` column the name of the entity in `<x>`.

    The other columns are the records' attributes of the same name (a
    `Relation` gives a `RelationRow`'s). Column by column, a chunk at a time.
    """
    columns = column_names(record_type)
    named = {c: c.removesuffix("_name") for c in columns if c.endswith("_name") and c.removesuffix("_name") in columns}
    read = {c: attrgetter(c) for c in columns if c not in named}

    def cells(chunk: Sequence) -> list[Sequence]:
        values = {c: list(map(get, chunk)) for c, get in read.items()}
        for column, end in named.items():
            values[column] = list(map(name, values[end], repeat("")))
        return [values[c] for c in columns]

    return _in_chunks(records, cells)


def _cited_cells(sentences: Sequence[SentenceRow], evidence: Sequence[EvidenceRow]) -> _Columns:
    """The sentence rows in table order, as cells, with the text of every sentence the evidence cites."""
    cited = [e for e in evidence if isinstance(e, Evidence)]
    key = attrgetter("doc_id", "sentence_id")
    texts = dict(zip(map(key, cited), map(attrgetter("text"), cited)))  # the last row citing a sentence gives its text
    if "" in texts.values():  # a sentence cited without text keeps its own
        texts = {k: text for k, text in texts.items() if text}
    read = list(map(attrgetter, column_names(SentenceRow)))
    at = column_names(SentenceRow).index("text")

    def cells(chunk: Sequence[SentenceRow]) -> list[Sequence]:
        values = [list(map(get, chunk)) for get in read]
        values[at] = list(map(texts.get, map(key, chunk), values[at]))
        return values

    return _in_chunks(sorted(sentences, key=key), cells)


class _EvidenceInOrder(tuple):
    """Evidence rows `sorted_evidence` has ordered: sorting them again gives them as they are."""

    __slots__ = ()


def sorted_evidence(evidence: Sequence[Evidence]) -> Sequence[Evidence]:
    """Evidence rows in the order of the table and the report.

    Rows this function returned come back as they are: a run sorts them
    once for the report and the tables, and at a hundred thousand articles
    sorting them again (a million rows) takes a second.
    """
    if isinstance(evidence, _EvidenceInOrder):
        return evidence
    key = attrgetter("kind", "source", "target", "relation", "doc_id", "sentence_id")
    return _EvidenceInOrder(sorted(evidence, key=key))


# Characters XML 1.0 forbids; scraped text can carry them.
_XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_safe(graph: nx.Graph, *, columns: _GraphColumns | None = None) -> nx.Graph:
    """The graph if its text attributes hold only characters XML allows, else a copy where they do.

    `columns`: the graph's `_graph_columns`, when the caller has read them: looked at, faster.
    """
    if not any(_xml_forbidden("".join(texts)) for texts in _texts(graph, columns)):
        return graph  # a copy costs more than the look
    safe = graph.copy()
    for _, data in safe.nodes(data=True):
        data.update({k: _XML_FORBIDDEN.sub(" ", v) for k, v in data.items() if isinstance(v, str)})
    for *_, data in safe.edges(data=True):
        data.update({k: _XML_FORBIDDEN.sub(" ", v) for k, v in data.items() if isinstance(v, str)})
    return nx.relabel_nodes(safe, {n: _XML_FORBIDDEN.sub(" ", n) for n in safe if isinstance(n, str)})


def _xml_forbidden(text: str) -> bool:
    # every character XML forbids is one Python does not print: most text is told at C speed
    return not text.isprintable() and _XML_FORBIDDEN.search(text) is not None


def _texts(graph: nx.Graph, columns: _GraphColumns | None) -> Iterator[Iterable[str]]:
    """The node ids and the attribute values of the nodes and edges that are text, in a few groups."""
    if columns is None:
        data = chain((d for _, d in graph.nodes(data=True)), map(itemgetter(-1), _edges(graph)))
        yield filter(str.__instancecheck__, chain(graph, chain.from_iterable(map(dict.values, data))))
        return
    yield graph
    for group in columns.groups():
        yield from (column for column, kind in zip(group.values, group.types) if kind is str)


def _edges(graph: nx.Graph) -> list[tuple]:
    """`list(graph.edges(data=True))`, read straight from the adjacency for a simple undirected graph.

    networkx's edge view makes each edge in a Python step: a second for half a million edges.
    """
    if graph.is_directed() or graph.is_multigraph():
        return list(graph.edges(data=True))
    edges: list[tuple] = []
    seen: set = set()
    for node, neighbours in graph.adjacency():
        later = list(filterfalse(seen.__contains__, neighbours))  # each edge once, from its end listed first
        edges += zip(repeat(node), later, map(neighbours.__getitem__, later))
        seen.add(node)
    return edges


_GEXF_DATE = re.compile(rb' lastmodifieddate="[0-9-]+"')


def gephi_tables(graph: nx.Graph) -> dict[str, tuple[type, Iterable[tuple]]]:
    """The graph as Gephi's spreadsheet import: nodes.csv (Id, Label, ...), edges.csv (Source, Target, Weight, ...).

    Rows as cells in the columns of `GephiNode` and `GephiEdge`, made as they are written.
    """
    node_columns = ("name", *column_names(GephiNode)[2:])  # Label, then node attributes of the same name
    # after Source, Target, Weight and Type: edge attributes of the same name
    edge_columns = column_names(GephiEdge)[4:-2]

    def node_cells(chunk: Sequence[tuple]) -> list[Sequence]:
        ids, data = zip(*chunk)
        return [ids, *(list(map(itemgetter(c), data)) for c in node_columns)]

    def edge_cells(chunk: Sequence[tuple]) -> list[Sequence]:
        sources, targets, data = zip(*chunk)
        return [
            sources,
            targets,
            list(map(itemgetter("weight"), data)),
            ["Undirected"] * len(data),
            *(list(map(itemgetter(c), data)) for c in edge_columns),
            [d.get("start", "") for d in data],
            [d.get("end", "") for d in data],
        ]

    edges = _edges(graph)
    if not all(map(le, map(itemgetter(0), edges), map(itemgetter(1), edges))):  # each from its smaller end
        edges = [(a, b, d) if a <= b else (b, a, d) for a, b, d in edges]
    edges.sort()
    return {
        "nodes.csv": (GephiNode, _in_chunks(sorted(graph.nodes(data=True)), node_cells)),
        "edges.csv": (GephiEdge, _in_chunks(edges, edge_cells)),
    }


def graph_files(graph: nx.Graph) -> dict[str, Callable[[BinaryIO], None]]:
    """The graph as GraphML, GEXF and node-link JSON: file name -> a function writing the file's bytes.

    The files are written in pieces as they are made, never held whole: at
    a hundred thousand articles each is hundreds of megabytes. The graph is
    read column by column once, for the three, when the first is written.
    """

    @cache
    def read() -> tuple[nx.Graph, _GraphColumns | None]:
        columns = _graph_columns(graph)
        safe = xml_safe(graph, columns=columns)
        return (graph, columns) if safe is graph else (safe, _graph_columns(safe))

    def writing(write: Callable[..., None]) -> Callable[[BinaryIO], None]:
        def write_file(file: BinaryIO) -> None:
            safe, columns = read()
            write(safe, file, columns=columns)

        return write_file

    return {
        "graph.graphml": writing(write_graphml),
        "graph.gexf": writing(write_gexf),
        "graph.json": writing(write_node_link),
    }


# The graph files are the bytes networkx writes (`nx.write_graphml`, which
# serialises with lxml; `nx.write_gexf`, with ElementTree; `nx.node_link_data`
# with the json module), made from one text template per kind of node or
# edge, filled column by column (`_filled`) for all the nodes or edges of a
# kind among `_PIECES` of them (`_Window`). networkx builds an XML element
# per value: over half a million edges, each file took minutes. A graph these
# writers were not made for (directed, a multigraph, defaults, values that
# are not str, int, float or bool, attributes networkx's writers treat
# apart) is written by networkx itself.
_SCALARS = frozenset((str, int, float, bool))
_NUMBERS = frozenset((int, float, bool))
_PIECES = 2_000  # nodes or edges made text at a time: their columns stay in the processor's cache
# What lxml (libxml2) escapes in text and in attribute values, as ElementTree does in attribute values:
# &, < and > always, and the characters below.
_LXML_TEXT = {"\r": "&#13;"}
_LXML_ATTRIBUTE = {'"': "&quot;", "\r": "&#13;", "\n": "&#10;", "\t": "&#9;"}
_ETREE_ATTRIBUTE = {'"': "&quot;", "\r": "&#13;", "\n": "&#10;", "\t": "&#09;"}
_GRAPHML_TYPES = {bool: "boolean", int: "long", float: "double", str: "string"}
_GEXF_TYPES = {bool: "boolean", int: "long", float: "double", str: "string"}
_GEXF_TIME = {str: "date", float: "double", int: "long"}
_GEXF_FLOATS = {"inf": "INF", "nan": "NaN", "-inf": "-INF"}
# attributes networkx's GEXF writer reads as structure, not as attvalues (those supported here: label, start, end)
_GEXF_NODE_SPECIAL = frozenset(("id", "pid", "parents", "spells", "slices", "viz", "key"))
_GEXF_EDGE_SPECIAL = frozenset(("id", "label", "type", "spells", "slices", "viz", "key"))
_LOWER_BOOLEANS = {"True": "true", "False": "false"}  # as GEXF attvalues and JSON write them
_JSON_FLOATS = {"inf": "Infinity", "nan": "NaN", "-inf": "-Infinity"}


class _Group(NamedTuple):
    """The nodes or edges of one signature (attribute names and value types) in a window, column by column."""

    names: tuple[str, ...]  # of the attributes, in the order of their data
    types: tuple[type, ...]
    ends: list[Sequence[str]]  # the node ids; or the sources and the targets
    # a column per attribute: text as it is, numbers as `str` writes them (the
    # three files write them so, but for booleans and infinities)
    values: list[Sequence[str]]
    finite: bool  # whether every float is
    positions: Sequence[int]  # in the window


class _Window(NamedTuple):
    """`_PIECES` nodes or edges, or the last ones, in groups of one signature."""

    start: int  # the position of the first among all the nodes or all the edges
    size: int
    groups: list[_Group]  # in the order their signature first appears

    def texts(self, text: Callable[[_Group], Iterable[str]]) -> Iterable[str]:
        """The window's nodes or edges made text in their order, `text(group)` giving a group's."""
        if len(self.groups) == 1:
            return text(self.groups[0])
        ordered = [""] * self.size
        for group in self.groups:
            for i, made in zip(group.positions, text(group)):
                ordered[i] = made
        return ordered


class _GraphColumns(NamedTuple):
    """The nodes and the edges in the order networkx writes them, a window at a time."""

    nodes: list[_Window]
    edges: list[_Window]
    edge_count: int

    def groups(self) -> Iterator[_Group]:
        return (group for window in (*self.nodes, *self.edges) for group in window.groups)


def _graph_columns(graph: nx.Graph) -> _GraphColumns | None:
    """The graph's nodes and edges column by column; None when networkx's writers must write the graph."""
    if graph.is_directed() or graph.is_multigraph() or "node_default" in graph.graph or "edge_default" in graph.graph:
        return None
    if not all(map(str.__instancecheck__, graph)):
        return None
    edges = _edges(graph)
    numbers: dict[type, dict] = {}  # the texts of the numbers read so far, by type
    columns = _GraphColumns(_windows(list(graph.nodes(data=True)), numbers), _windows(edges, numbers), len(edges))
    signatures = {(group.names, group.types) for group in columns.groups()}
    names = {type(k) for k in graph.graph} | {type(k) for sig in signatures for k in sig[0]}
    types = {t for sig in signatures for t in sig[1]} | set(map(type, graph.graph.values()))
    return columns if types <= _SCALARS and names <= {str} else None


def _windows(items: list[tuple], numbers: dict[type, dict]) -> list[_Window]:
    """Nodes `(node, data)` or edges `(source, target, data)`, `_PIECES` at a time, in groups of one signature.

    `numbers`: the texts of the numbers read so far, by type (`_number_texts`).
    """
    windows = []
    for start in range(0, len(items), _PIECES):
        window = items[start : start + _PIECES]
        data = list(map(itemgetter(-1), window))
        names = list(map(tuple, data))
        # most windows: one signature, told from the names of each and the types of each column
        group = _group(names[0], window, numbers) if names.count(names[0]) == len(names) else None
        if group is None:
            signatures = zip(names, map(tuple, map(map, repeat(type), map(dict.values, data))))
            positions: dict[tuple, list[int]] = {}
            for i, signature in enumerate(signatures):
                positions.setdefault(signature, []).append(i)
            groups = [_group(sig[0], [window[i] for i in where], numbers, where) for sig, where in positions.items()]
        windows.append(_Window(start, len(window), [group] if group else groups))
    return windows


def _group(
    names: tuple[str, ...], items: Sequence[tuple], numbers: dict[type, dict], positions: Sequence[int] | None = None
) -> _Group | None:
    """Nodes or edges with these attribute names as a group, if the values of each have one type."""
    *ends, data = zip(*items)
    columns = list(zip(*map(dict.values, data)))
    kinds = [set(map(type, c)) for c in columns]
    if any(len(k) > 1 for k in kinds):
        return None
    types = tuple(k.pop() for k in kinds)
    finite = all(all(map(math.isfinite, c)) for c, kind in zip(columns, types) if kind is float)
    columns = [_number_texts(c, kind, numbers) if kind in _NUMBERS else c for c, kind in zip(columns, types)]
    return _Group(names, types, ends, columns, finite, range(len(items)) if positions is None else positions)


def _number_texts(column: Sequence, kind: type, numbers: dict[type, dict]) -> list[str]:
    """Numbers of one type as `str` writes them, each distinct int or float made text once (most recur),
    kept in `numbers` by type: a set or dict of values folds 1, 1.0 and True together."""
    distinct = set(column)
    if kind is bool or (kind is float and 0.0 in distinct):  # 0.0 and -0.0 are one key, with two texts
        return list(map(str, column))
    texts = numbers.setdefault(kind, {})
    new = distinct.difference(texts)
    texts.update(zip(new, map(str, new)))
    return list(map(texts.__getitem__, column))


def _filled(parts: Sequence[str], columns: Sequence[Sequence[str]]) -> Iterator[str]:
    """A text for each row of `columns`: `parts[0]`, the row's first cell, `parts[1]`, ..., `parts[-1]`.

    A template's `format` of each row, made by joins: over twice as fast. A
    template with one `{}` per column and no other braces gives its parts
    by `template.split("{}")`.
    """
    pieces: list[Iterable[str]] = [repeat(parts[0])]
    for column, part in zip(columns, parts[1:], strict=True):
        pieces += (column, repeat(part))
    return map("".join, zip(*pieces))


class _Escaper:
    """`escape` with these entities, of one text or of a column of texts."""

    def __init__(self, entities: dict[str, str]):
        # the last values remembered: dates and types recur on every edge and node
        self.one = lru_cache(maxsize=1 << 16)(partial(escape, entities=entities))
        self._escaped = "&<>" + "".join(entities)

    def __call__(self, text: str) -> str:
        return self.one(text)

    def column(self, texts: Sequence[str]) -> Sequence[str]:
        """Each of `texts` escaped: `texts` itself when none holds a character to escape (most columns)."""
        joined = "".join(texts)
        return list(map(self.one, texts)) if any(c in joined for c in self._escaped) else texts


class _Pieces:
    """Text written to a binary file in UTF-8, in pieces of a million characters or so."""

    def __init__(self, file: BinaryIO):
        self.file = file
        self.parts: list[str] = []
        self.size = 0

    def add(self, text: str) -> None:
        self.parts.append(text)
        self.size += len(text)
        if self.size >= 1 << 20:
            self.flush()

    def flush(self) -> None:
        self.file.write("".join(self.parts).encode("utf-8"))
        self.parts.clear()
        self.size = 0


def write_graphml(graph: nx.Graph, file: BinaryIO, *, columns: _GraphColumns | None = None) -> None:
    """The graph as GraphML: the bytes `nx.write_graphml(graph, file)` writes.

    `columns`: the graph's `_graph_columns`, when the caller has read them.
    """
    columns = columns or _graph_columns(graph)
    if columns is None:
        nx.write_graphml(graph, file)
        return
    keys: dict[tuple[str, str, str], str] = {}

    def key(name: str, kind: type, scope: str) -> str:
        return keys.setdefault((name, _GRAPHML_TYPES[kind], scope), f"d{len(keys)}")

    graph_data = [(key(k, type(v), "graph"), v) for k, v in graph.graph.items()]

    def templates(windows: list[_Window], scope: str, head: str, tail: str) -> dict:
        made = {}  # signature -> template parts, keys made in the order networkx makes them
        for group in (group for window in windows for group in window.groups):
            names, types = group.names, group.types
            if (names, types) not in made:
                lines = "".join(f'  <data key="{key(n, t, scope)}">{{}}</data>\n' for n, t in zip(names, types))
                made[names, types] = (head + ">\n" + lines + tail if names else head + "/>\n").split("{}")
        return made

    text, attribute = _Escaper(_LXML_TEXT), _Escaper(_LXML_ATTRIBUTE)
    node_templates = templates(columns.nodes, "node", '<node id="{}"', "</node>\n")
    edge_templates = templates(columns.edges, "edge", '<edge source="{}" target="{}"', "</edge>\n")
    out = _Pieces(file)
    out.add(
        "<?xml version='1.0' encoding='utf-8'?>\n"
        '<graphml xmlns="http://graphml.graphdrawing.org/xmlns" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xsi:schemaLocation="http://graphml.graphdrawing.org/xmlns '
        'http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd">'
    )
    for (name, kind, scope), key_id in reversed(keys.items()):  # networkx puts each new key first
        out.add(f'<key id="{key_id}" for="{scope}" attr.name="{attribute(name)}" attr.type="{kind}"/>\n')
    out.add('<graph edgedefault="undirected">')
    for key_id, value in graph_data:
        out.add(f'<data key="{key_id}">{text(value) if type(value) is str else value}</data>\n')
    out.flush()

    def element(made: dict, group: _Group) -> Iterator[str]:
        values = [text.column(c) if t is str else c for c, t in zip(group.values, group.types)]
        return _filled(made[group.names, group.types], [*map(attribute.column, group.ends), *values])

    for made, windows in ((node_templates, columns.nodes), (edge_templates, columns.edges)):
        for window in windows:
            out.add("".join(window.texts(partial(element, made))))
    out.add("</graph></graphml>")
    out.flush()


def write_gexf(graph: nx.Graph, file: BinaryIO, *, columns: _GraphColumns | None = None) -> None:
    """The graph as GEXF 1.2draft: the bytes `nx.write_gexf(graph, file)` writes, without the date of the day.

    `columns`: the graph's `_graph_columns`, when the caller has read them.
    """
    columns = columns or _graph_columns(graph)
    special = columns is None or any(
        set(group.names) & names
        for windows, names in ((columns.nodes, _GEXF_NODE_SPECIAL), (columns.edges, _GEXF_EDGE_SPECIAL))
        for window in windows
        for group in window.groups
    )
    times = set()
    for group in () if special else columns.groups():
        times |= {t for n, t in zip(group.names, group.types) if n in ("start", "end")}
    if special or not times <= set(_GEXF_TIME) or len(times) > 1:
        buffer = io.BytesIO()
        nx.write_gexf(graph, buffer)
        # networkx stamps GEXF with today's date: leave it out so the same
        # input gives the same bytes on any day
        file.write(_GEXF_DATE.sub(b"", buffer.getvalue()))
        return
    ids: dict[tuple[str, str], str] = {}  # (class, title) -> attribute id, numbered over both classes
    declared: dict[str, list[str]] = {}  # class -> its <attribute> lines, classes in order of appearance
    attribute = _Escaper(_ETREE_ATTRIBUTE)

    def attribute_id(kind: str, title: str, value_type: type) -> str:
        if (kind, title) not in ids:
            ids[kind, title] = str(len(ids))
            declared.setdefault(kind, []).append(
                f'      <attribute id="{ids[kind, title]}" title="{attribute(title)}" '
                f'type="{_GEXF_TYPES[value_type]}" />\n'
            )
        return ids[kind, title]

    def attvalues(group: _Group, i: int) -> Sequence[str]:
        """A column of attvalues as networkx writes them: booleans in lower case, infinities and NaN in GEXF's way."""
        column, kind = group.values[i], group.types[i]
        if kind is str:
            return attribute.column(column)
        if kind is bool:
            return list(map(_LOWER_BOOLEANS.__getitem__, column))
        if kind is float and not group.finite:
            return [_GEXF_FLOATS.get(v, v) for v in column]
        return column

    def templates(windows: list[_Window], kind: str, head: str, structure: tuple[str, ...]) -> dict:
        made = {}  # signature -> (template parts, its fields), attributes declared in networkx's order
        for group in (group for window in windows for group in window.groups):
            names, types = group.names, group.types
            if (names, types) in made:
                continue
            # the attributes of the element itself, in networkx's order, then the attvalues
            own = [names.index(n) for n in structure if n in names]
            values = [i for i, n in enumerate(names) if n not in structure and (n, kind) != ("label", "node")]
            tag = head + "".join(f' {names[i]}="{{}}"' for i in own)
            lines = "".join(
                f'          <attvalue for="{attribute_id(kind, names[i], types[i])}" value="{{}}" />\n' for i in values
            )
            closing = "      </node>\n" if kind == "node" else "      </edge>\n"
            body = ">\n        <attvalues>\n" + lines + "        </attvalues>\n" + closing if values else " />\n"

            def fields(group: _Group, own: list[int] = own, values: list[int] = values) -> list[Sequence[str]]:
                # the element's own attributes as `str` gives them, escaped; then the attvalues
                cells = [attribute.column(group.values[i]) if group.types[i] is str else group.values[i] for i in own]
                return cells + [attvalues(group, i) for i in values]

            made[names, types] = ((tag + body).split("{}"), fields)
        return made

    node_templates = templates(columns.nodes, "node", '      <node id="{}" label="{}"', ("start", "end"))
    edge_head = '      <edge source="{}" target="{}" id="{}"'
    edge_templates = templates(columns.edges, "edge", edge_head, ("weight", "start", "end"))
    dynamic = graph.graph.get("mode") == "dynamic" or bool(times)
    out = _Pieces(file)
    out.add(
        "<?xml version='1.0' encoding='utf-8'?>\n"
        '<gexf xmlns="http://www.gexf.net/1.2draft" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xsi:schemaLocation="http://www.gexf.net/1.2draft http://www.gexf.net/1.2draft/gexf.xsd" version="1.2">\n'
        f"  <meta>\n    <creator>NetworkX {nx.__version__}</creator>\n  </meta>\n"
        f'  <graph defaultedgetype="undirected" mode="{"dynamic" if dynamic else "static"}" '
        f'name="{attribute(str(graph.graph.get("name", "")))}"'
        + (f' timeformat="{_GEXF_TIME[next(iter(times))]}"' if times else "")
        + ">\n"
    )
    for kind in reversed(declared):  # networkx puts each new <attributes> first
        out.add(f'    <attributes mode="static" class="{kind}">\n' + "".join(declared[kind]) + "    </attributes>\n")

    def node(group: _Group) -> Iterator[str]:
        parts, fields = node_templates[group.names, group.types]
        escaped = attribute.column(group.ends[0])
        labels = escaped  # a node without a label is labelled with its id
        if "label" in group.names:  # as `str` writes the label's value
            labels = attribute.column(group.values[group.names.index("label")])
        return _filled(parts, [escaped, labels, *fields(group)])

    def edge(start: int, group: _Group) -> Iterator[str]:
        parts, fields = edge_templates[group.names, group.types]
        numbers = list(map(str, map(start.__add__, group.positions)))  # an edge's id: its position among all
        return _filled(parts, [*map(attribute.column, group.ends), numbers, *fields(group)])

    out.add("    <nodes>\n" if len(graph) else "    <nodes />\n")
    for window in columns.nodes:
        out.add("".join(window.texts(node)))
    out.add("    </nodes>\n" if len(graph) else "")
    out.add("    <edges>\n" if columns.edge_count else "    <edges />\n")
    for window in columns.edges:
        out.add("".join(window.texts(partial(edge, window.start))))
    out.add("    </edges>\n" if columns.edge_count else "")
    out.add("  </graph>\n</gexf>\n")
    out.flush()


def write_node_link(graph: nx.Graph, file: BinaryIO, *, columns: _GraphColumns | None = None) -> None:
    """The graph as node-link JSON: the bytes of `json.dumps(nx.node_link_data(graph, edges="edges"))`, compact.

    No indent: json's C encoder only writes compact JSON, ten times faster,
    and these are its bytes. `columns`: the graph's `_graph_columns`, when the caller has read them.
    A graph they are not made for is written whole by networkx and json.
    """
    columns = columns or _graph_columns(graph)
    dumps = partial(json.dumps, ensure_ascii=False, separators=(",", ":"))
    if columns is None:
        file.write(dumps(nx.node_link_data(graph, edges="edges")).encode("utf-8"))
        return
    out = _Pieces(file)
    out.add(dumps({"directed": False, "multigraph": False, "graph": graph.graph})[:-1])

    def item(ends: tuple[str, ...], group: _Group) -> Iterator[str]:
        # `{**data, "id": node}`: the ends last, unless the data has an attribute of that name
        names = list(group.names) + [end for end in ends if end not in group.names]
        values = [_json_values(group, i) for i in range(len(group.names))]
        values += [("", ())] * (len(names) - len(values))
        for end, column in zip(ends, group.ends):
            values[names.index(end)] = _json_strings(column)
        # a string needing no escapes is written between quotes in the template
        parts = ["{"]
        for i, (name, (quote, _)) in enumerate(zip(names, values)):
            parts[-1] += ("," if i else "") + encode_basestring(name) + ":" + quote
            parts.append(quote)
        parts[-1] += "}"
        return _filled(parts, [column for _, column in values])

    for name, windows, ends in (("nodes", columns.nodes, ("id",)), ("edges", columns.edges, ("source", "target"))):
        out.add(f',"{name}":[')
        for window in windows:
            out.add(("," if window.start else "") + ",".join(window.texts(partial(item, ends))))
        out.add("]")
    out.add("}")
    out.flush()


def _json_strings(column: Sequence[str]) -> tuple[str, Sequence[str]]:
    """Text as json writes it: the quote to write around each, and the texts (escaped and quoted, if any needs it)."""
    joined = "".join(column)
    # json escapes " and \ and the control characters, which Python does not print
    if '"' in joined or "\\" in joined or not joined.isprintable():
        return "", list(map(encode_basestring, column))
    return '"', column


def _json_values(group: _Group, i: int) -> tuple[str, Sequence[str]]:
    """A column of values as json writes them (ints and finite floats as `str` does), and the quote around each."""
    column, kind = group.values[i], group.types[i]
    if kind is str:
        return _json_strings(column)
    if kind is bool:
        return "", list(map(_LOWER_BOOLEANS.__getitem__, column))
    if kind is float and not group.finite:
        return "", [_JSON_FLOATS.get(v, v) for v in column]
    return "", column
