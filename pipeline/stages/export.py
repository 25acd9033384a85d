"""Export stage: the graph with its analytics, the tables in output order, the graph files' bytes.

Pure: `pipeline.store.outputs` writes what these functions return, so the
same input and settings give the same bytes.
"""

from __future__ import annotations

import io
import json
import random
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import fields
from functools import lru_cache, partial
from itertools import islice, repeat
from operator import attrgetter
from typing import Any, BinaryIO
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
    modularity, numbered by size (biggest first), ties by their smallest id.
    Values are rounded to 6 digits.

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
        clusters = g.community_leiden(objective_function="modularity", weights=weights, n_iterations=-1) if n else []
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

    The rows are records, or tuples of cells in the record type's columns
    where cells are filled in (the names, the cited sentences' text): made
    as they are written, so no table is held twice.
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


_CHUNK = 20_000  # rows made at a time


def _named_cells(records: Sequence, record_type: type, name: Callable[[str, str], str]) -> Iterator[tuple]:
    """The cells of `records` in the columns of `record_type`, each `<x>_name` column the name of the entity in `<x>`.

    The other columns are the records' attributes of the same name (a
    `Relation` gives a `RelationRow`'s). Column by column, a chunk at a time.
    """
    columns = column_names(record_type)
    named = {c: c.removesuffix("_name") for c in columns if c.endswith("_name") and c.removesuffix("_name") in columns}
    read = [c for c in columns if c not in named]
    get = attrgetter(*read)
    for i in range(0, len(records), _CHUNK):
        values = dict(zip(read, zip(*map(get, records[i : i + _CHUNK])), strict=True))
        for column, end in named.items():
            values[column] = map(name, values[end], repeat(""))
        yield from zip(*(values[c] for c in columns))


def _cited_cells(sentences: Sequence[SentenceRow], evidence: Sequence[EvidenceRow]) -> Iterator[tuple]:
    """The sentence rows in table order, as cells, with the text of every sentence the evidence cites."""
    texts = {(e.doc_id, e.sentence_id): e.text for e in evidence if isinstance(e, Evidence)}
    columns = column_names(SentenceRow)
    get = attrgetter(*columns)
    doc, sentence, at = columns.index("doc_id"), columns.index("sentence_id"), columns.index("text")
    rows = sorted(sentences, key=attrgetter("doc_id", "sentence_id"))
    for i in range(0, len(rows), _CHUNK):
        values = list(zip(*map(get, rows[i : i + _CHUNK]), strict=True))
        cited = map(texts.get, zip(values[doc], values[sentence], strict=True))
        values[at] = [text or own for text, own in zip(cited, values[at], strict=True)]
        yield from zip(*values, strict=True)


def sorted_evidence(evidence: Sequence[Evidence]) -> list[Evidence]:
    """Evidence rows in the order of the table and the report."""
    return sorted(evidence, key=attrgetter("kind", "source", "target", "relation", "doc_id", "sentence_id"))


# Characters XML 1.0 forbids; scraped text can carry them.
_XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_safe(graph: nx.Graph) -> nx.Graph:
    """The graph if its text attributes hold only characters XML allows, else a copy where they do."""

    def forbidden(value: object) -> bool:
        return isinstance(value, str) and _XML_FORBIDDEN.search(value) is not None

    clean = not any(forbidden(n) or any(map(forbidden, d.values())) for n, d in graph.nodes(data=True))
    if clean and not any(any(map(forbidden, d.values())) for *_, d in graph.edges(data=True)):
        return graph  # a copy costs more than the look
    safe = graph.copy()
    for _, data in safe.nodes(data=True):
        data.update({k: _XML_FORBIDDEN.sub(" ", v) for k, v in data.items() if isinstance(v, str)})
    for *_, data in safe.edges(data=True):
        data.update({k: _XML_FORBIDDEN.sub(" ", v) for k, v in data.items() if isinstance(v, str)})
    return nx.relabel_nodes(safe, {n: _XML_FORBIDDEN.sub(" ", n) for n in safe if isinstance(n, str)})


_GEXF_DATE = re.compile(rb' lastmodifieddate="[0-9-]+"')


def gephi_tables(graph: nx.Graph) -> dict[str, tuple[type, Iterable[tuple]]]:
    """The graph as Gephi's spreadsheet import: nodes.csv (Id, Label, ...), edges.csv (Source, Target, Weight, ...).

    Rows as cells in the columns of `GephiNode` and `GephiEdge`, made as they are written.
    """
    node_columns = column_names(GephiNode)[2:]  # after Id and Label: node attributes of the same name
    nodes = ((n, d["name"], *(d[c] for c in node_columns)) for n, d in sorted(graph.nodes(data=True)))
    # after Source, Target, Weight and Type: edge attributes of the same name, and the dates
    edge_columns = column_names(GephiEdge)[4:-2]
    ordered = sorted((*sorted((a, b)), d) for a, b, d in graph.edges(data=True))
    edges = (
        (a, b, d["weight"], "Undirected", *(d[c] for c in edge_columns), d.get("start", ""), d.get("end", ""))
        for a, b, d in ordered
    )
    return {"nodes.csv": (GephiNode, nodes), "edges.csv": (GephiEdge, edges)}


def graph_files(graph: nx.Graph) -> dict[str, Callable[[BinaryIO], None]]:
    """The graph as GraphML, GEXF and node-link JSON: file name -> a function writing the file's bytes.

    The files are written in pieces as they are made, never held whole: at
    a hundred thousand articles each is hundreds of megabytes.
    """
    graph = xml_safe(graph)
    return {
        "graph.graphml": partial(write_graphml, graph),
        "graph.gexf": partial(write_gexf, graph),
        "graph.json": partial(write_node_link, graph),
    }


# The graph files are the bytes networkx writes (`nx.write_graphml`, which
# serialises with lxml; `nx.write_gexf`, with ElementTree; `nx.node_link_data`
# with the json module), made from one text template per kind of node or
# edge. networkx builds an XML element per value: over half a million edges,
# each file took minutes. A graph these writers were not made for (directed,
# a multigraph, defaults, values that are not str, int, float or bool,
# attributes networkx's writers treat apart) is written by networkx itself.
_SCALARS = frozenset((str, int, float, bool))
_PIECES = 10_000  # nodes or edges per write
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


def _escaper(entities: dict[str, str]) -> Callable[[str], str]:
    """`escape` with these `entities`, remembering the last values: dates and types recur on every edge and node."""
    return lru_cache(maxsize=1 << 16)(partial(escape, entities=entities))


def _signature(data: dict) -> tuple[tuple, tuple]:
    """The attribute names of a node or edge and their value types: what its template depends on."""
    return tuple(data), tuple(map(type, data.values()))


def _signatures(graph: nx.Graph) -> tuple[dict, dict] | None:
    """The distinct signatures of the nodes and of the edges, in order of first appearance;
    None when networkx's writers must write the graph."""
    if graph.is_directed() or graph.is_multigraph() or "node_default" in graph.graph or "edge_default" in graph.graph:
        return None
    nodes = dict.fromkeys(_signature(d) for _, d in graph.nodes(data=True))
    edges = dict.fromkeys(_signature(d) for *_, d in graph.edges(data=True))
    graph_types = set(map(type, graph.graph.values()))
    names = {type(k) for k in graph.graph} | {type(k) for sig in (*nodes, *edges) for k in sig[0]}
    types = {t for sig in (*nodes, *edges) for t in sig[1]}
    if not (types | graph_types) <= _SCALARS or not names <= {str} or not all(isinstance(n, str) for n in graph):
        return None
    return nodes, edges


class _Pieces:
    """Text written to a binary file in UTF-8, in pieces of `_PIECES` parts."""

    def __init__(self, file: BinaryIO):
        self.file = file
        self.parts: list[str] = []

    def add(self, text: str) -> None:
        self.parts.append(text)
        if len(self.parts) >= _PIECES:
            self.flush()

    def flush(self) -> None:
        self.file.write("".join(self.parts).encode("utf-8"))
        self.parts.clear()


def _filler(converters: Sequence[Callable[[Any], str] | None]) -> Callable[[Iterable], Sequence]:
    """A function giving the values of a node or edge as its template's fields: each value through
    its converter, or as it is (a template's `format` writes it as `str` does) where that is None."""
    todo = [(i, convert) for i, convert in enumerate(converters) if convert is not None]
    if not todo:
        return tuple

    def fill(values: Iterable) -> list:
        values = list(values)
        for i, convert in todo:
            values[i] = convert(values[i])
        return values

    return fill


def write_graphml(graph: nx.Graph, file: BinaryIO) -> None:
    """The graph as GraphML: the bytes `nx.write_graphml(graph, file)` writes."""
    found = _signatures(graph)
    if found is None:
        nx.write_graphml(graph, file)
        return
    nodes, edges = found
    keys: dict[tuple[str, str, str], str] = {}

    def key(name: str, kind: type, scope: str) -> str:
        return keys.setdefault((name, _GRAPHML_TYPES[kind], scope), f"d{len(keys)}")

    graph_data = [(key(k, type(v), "graph"), v) for k, v in graph.graph.items()]

    def templates(signatures: dict, scope: str, head: str, empty: str, tail: str) -> dict:
        made = {}
        for names, types in signatures:
            lines = "".join(f'  <data key="{key(n, t, scope)}">{{}}</data>\n' for n, t in zip(names, types))
            fill = _filler([text if t is str else None for t in types])
            made[names, types] = (head + ">\n" + lines + tail if names else head + empty, fill)
        return made

    text, attribute = _escaper(_LXML_TEXT), _escaper(_LXML_ATTRIBUTE)
    node_templates = templates(nodes, "node", '<node id="{}"', "/>\n", "</node>\n")
    edge_templates = templates(edges, "edge", '<edge source="{}" target="{}"', "/>\n", "</edge>\n")
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
    ids = {node: attribute(node) for node in graph}
    for node, data in graph.nodes(data=True):
        template, fill = node_templates[_signature(data)]
        out.add(template.format(ids[node], *fill(data.values())))
    for a, b, data in graph.edges(data=True):
        template, fill = edge_templates[_signature(data)]
        out.add(template.format(ids[a], ids[b], *fill(data.values())))
    out.add("</graph></graphml>")
    out.flush()


def _gexf_float(value: float) -> str:
    """A float attvalue as networkx writes it: infinities and NaN as GEXF spells them."""
    text = str(value)
    return _GEXF_FLOATS.get(text, text)


def write_gexf(graph: nx.Graph, file: BinaryIO) -> None:
    """The graph as GEXF 1.2draft: the bytes `nx.write_gexf(graph, file)` writes, without the date of the day."""
    found = _signatures(graph)
    special = (
        found is None
        or any(set(names) & _GEXF_NODE_SPECIAL for names, _ in found[0])
        or any(set(names) & _GEXF_EDGE_SPECIAL for names, _ in found[1])
    )
    times = set()
    for names, types in () if special else (*found[0], *found[1]):
        times |= {t for n, t in zip(names, types) if n in ("start", "end")}
    if special or not times <= set(_GEXF_TIME) or len(times) > 1:
        buffer = io.BytesIO()
        nx.write_gexf(graph, buffer)
        # networkx stamps GEXF with today's date: leave it out so the same
        # input gives the same bytes on any day
        file.write(_GEXF_DATE.sub(b"", buffer.getvalue()))
        return
    nodes, edges = found
    ids: dict[tuple[str, str], str] = {}  # (class, title) -> attribute id, numbered over both classes
    declared: dict[str, list[str]] = {}  # class -> its <attribute> lines, classes in order of appearance
    attribute = _escaper(_ETREE_ATTRIBUTE)
    convert = {str: attribute, bool: lambda v: "true" if v else "false", float: _gexf_float}

    def attribute_id(kind: str, title: str, value_type: type) -> str:
        if (kind, title) not in ids:
            ids[kind, title] = str(len(ids))
            declared.setdefault(kind, []).append(
                f'      <attribute id="{ids[kind, title]}" title="{attribute(title)}" '
                f'type="{_GEXF_TYPES[value_type]}" />\n'
            )
        return ids[kind, title]

    def templates(signatures: dict, kind: str, head: str, structure: tuple[str, ...]) -> dict:
        made = {}
        for names, types in signatures:
            # the attributes of the element itself, in networkx's order, then the attvalues
            own = [n for n in structure if n in names]
            values = [(n, t) for n, t in zip(names, types) if n not in structure and (n, kind) != ("label", "node")]
            tag = head + "".join(f' {n}="{{}}"' for n in own)
            lines = "".join(
                f'          <attvalue for="{attribute_id(kind, n, t)}" value="{{}}" />\n' for n, t in values
            )
            order = [names.index(n) for n in own] + [names.index(n) for n, _ in values]
            # the element's own attributes as `str` gives them; attvalues' booleans in lower case
            converters = [attribute if types[i] is str else None for i in order[: len(own)]]
            converters += [convert.get(t) for _, t in values]
            fill = _filler(converters)
            closing = "      </node>\n" if kind == "node" else "      </edge>\n"
            body = ">\n        <attvalues>\n" + lines + "        </attvalues>\n" + closing if values else " />\n"
            made[names, types] = (tag + body, order, fill)
        return made

    node_templates = templates(nodes, "node", '      <node id="{}" label="{}"', ("start", "end"))
    edge_templates = templates(edges, "edge", '      <edge source="{}" target="{}" id="{}"', ("weight", "start", "end"))
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
    escaped = {node: attribute(node) for node in graph}
    out.add("    <nodes>\n" if len(graph) else "    <nodes />\n")
    for node, data in graph.nodes(data=True):
        template, order, fill = node_templates[_signature(data)]
        values = list(data.values())
        label = attribute(str(data["label"])) if "label" in data else escaped[node]
        out.add(template.format(escaped[node], label, *fill([values[i] for i in order])))
    out.add("    </nodes>\n" if len(graph) else "")
    out.add("    <edges>\n" if graph.number_of_edges() else "    <edges />\n")
    for edge_id, (a, b, data) in enumerate(graph.edges(data=True)):
        template, order, fill = edge_templates[_signature(data)]
        values = list(data.values())
        out.add(template.format(escaped[a], escaped[b], edge_id, *fill([values[i] for i in order])))
    out.add("    </edges>\n" if graph.number_of_edges() else "")
    out.add("  </graph>\n</gexf>\n")
    out.flush()


def write_node_link(graph: nx.Graph, file: BinaryIO) -> None:
    """The graph as node-link JSON: the bytes of `json.dumps(nx.node_link_data(graph, edges="edges"))`, compact.

    No indent: json's C encoder only writes compact JSON, about ten times faster.
    """
    if graph.is_multigraph():
        data = nx.node_link_data(graph, edges="edges")
        file.write(json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
        return
    head = {"directed": graph.is_directed(), "multigraph": False, "graph": graph.graph}
    dumps = partial(json.dumps, ensure_ascii=False, separators=(",", ":"))
    file.write(dumps(head)[:-1].encode("utf-8"))
    for name, items in (
        ("nodes", ({**d, "id": n} for n, d in graph.nodes(data=True))),
        ("edges", ({**d, "source": a, "target": b} for a, b, d in graph.edges(data=True))),
    ):
        file.write(f',"{name}":['.encode())
        first = True
        while chunk := list(islice(items, _PIECES)):
            file.write(("" if first else ",").encode() + dumps(chunk)[1:-1].encode("utf-8"))
            first = False
        file.write(b"]")
    file.write(b"}")
