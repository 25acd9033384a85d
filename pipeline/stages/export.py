"""Export stage: the graph with its analytics, the tables in output order, the graph files' bytes.

Pure: `pipeline.store.outputs` writes what these functions return, so the
same input and settings give the same bytes.
"""

from __future__ import annotations

import io
import json
import random
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import fields, replace

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
    for e in sorted(entities, key=lambda e: e.entity_id):
        graph.add_node(
            e.entity_id,
            label=e.name,  # what Gephi and Cytoscape show: the name, not the id
            name=e.name,
            type=e.type,
            wikidata=e.wikidata,
            mentions=e.mentions,
            documents=e.documents,
        )
    ends = ("source", "source_name", "target", "target_name", "first_date", "last_date")
    columns = [f.name for f in fields(Cooccurrence) if f.name not in ends]
    for e in sorted(edges, key=lambda e: (e.source, e.target)):
        attrs = {k: getattr(e, k) for k in columns}
        if e.first_date:
            attrs |= {"start": e.first_date, "end": e.last_date}
        graph.add_edge(e.source, e.target, **attrs)
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
        for node in graph:
            spans = [d for *_, d in graph.edges(node, data=True) if "start" in d]
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


def output_tables(t: CorpusTables) -> dict[str, tuple[type, list]]:
    """Every CSV table, rows in a deterministic order: file name -> (record type, rows).

    The order never depends on the order the stages produced the rows in.
    evidence.csv names its sentences; their text is in sentences.csv, once each.
    The entities' names stand next to their ids in cooccurrences.csv,
    relations.csv and evidence.csv, so a look at one needs no join.
    """
    name = {e.entity_id: e.name for e in t.entities}.get
    edges = [replace(e, source_name=name(e.source, ""), target_name=name(e.target, "")) for e in t.edges]
    evidence = [replace(e, source_name=name(e.source, ""), target_name=name(e.target, "")) for e in t.evidence]
    relations = [
        RelationRow(
            r.doc_id,
            r.sentence_id,
            r.subject,
            name(r.subject, ""),
            r.relation,
            r.predicate,
            r.object,
            name(r.object, ""),
            r.negated,
            r.evidence,
        )
        for r in sorted(t.relations, key=lambda r: (r.doc_id, r.sentence_id, r.subject, r.predicate, r.object))
    ]
    return {
        "documents.csv": (DocumentRow, sorted(t.documents, key=lambda d: d.doc_id)),
        "blocks.csv": (BlockRow, sorted(t.blocks, key=lambda b: (b.doc_id, b.block_id))),
        "mentions.csv": (Mention, sorted(t.mentions, key=lambda m: (m.doc_id, m.start, m.end, m.kind))),
        "entities.csv": (Entity, sorted(t.entities, key=lambda e: e.entity_id)),
        "cooccurrences.csv": (Cooccurrence, edges),
        "evidence.csv": (EvidenceRow, sorted_evidence(evidence)),
        "errors.csv": (ReadError, sorted(t.errors, key=lambda e: e.source)),
        "sentences.csv": (SentenceRow, cited_sentences(t.sentences, t.evidence)),
        "relations.csv": (RelationRow, relations),
    }


def cited_sentences(sentences: Sequence[SentenceRow], evidence: Sequence[EvidenceRow]) -> list[SentenceRow]:
    """The sentence rows in table order, with the text of every sentence the evidence cites."""
    texts = {(e.doc_id, e.sentence_id): e.text for e in evidence if isinstance(e, Evidence)}
    rows = sorted(sentences, key=lambda r: (r.doc_id, r.sentence_id))
    return [replace(r, text=text) if (text := texts.get((r.doc_id, r.sentence_id))) else r for r in rows]


def sorted_evidence(evidence: Sequence[Evidence]) -> list[Evidence]:
    """Evidence rows in the order of the table and the report."""
    return sorted(evidence, key=lambda e: (e.kind, e.source, e.target, e.relation, e.doc_id, e.sentence_id))


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


def gephi_tables(graph: nx.Graph) -> dict[str, tuple[type, list]]:
    """The graph as Gephi's spreadsheet import: nodes.csv (Id, Label, ...), edges.csv (Source, Target, Weight, ...)."""
    nodes = [
        GephiNode(
            n,
            d["name"],
            d["type"],
            d["wikidata"],
            d["mentions"],
            d["documents"],
            d["degree"],
            d["weighted_degree"],
            d["pagerank"],
            d["betweenness"],
            d["community"],
        )
        for n, d in sorted(graph.nodes(data=True))
    ]
    edges = [
        GephiEdge(
            a,
            b,
            d["weight"],
            "Undirected",
            d["documents"],
            d["sentences"],
            d["pmi"],
            d["npmi"],
            d["jaccard"],
            d.get("start", ""),
            d.get("end", ""),
        )
        for a, b, d in sorted((*sorted((a, b)), d) for a, b, d in graph.edges(data=True))
    ]
    return {"nodes.csv": (GephiNode, nodes), "edges.csv": (GephiEdge, edges)}


def graph_files(graph: nx.Graph) -> dict[str, bytes]:
    """The graph as GraphML, GEXF and node-link JSON: file name -> bytes."""
    graph = xml_safe(graph)
    files = {}
    for name, writer in (("graph.graphml", nx.write_graphml), ("graph.gexf", nx.write_gexf)):
        buffer = io.BytesIO()
        writer(graph, buffer)
        # networkx stamps GEXF with today's date: leave it out so the same
        # input gives the same bytes on any day
        files[name] = _GEXF_DATE.sub(b"", buffer.getvalue())
    data = nx.node_link_data(graph, edges="edges")
    # no indent: json's C encoder only writes compact JSON, about ten times faster
    files["graph.json"] = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return files
