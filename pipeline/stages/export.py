"""Export stage: the graph with its analytics, the tables in output order, the graph files' bytes.

Pure: `pipeline.store.outputs` writes what these functions return, so the
same input and settings give the same bytes.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Sequence
from dataclasses import fields, replace

import networkx as nx
import numpy as np

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

# Louvain is randomised: a fixed seed makes runs identical.
COMMUNITY_SEED = 42


def build_graph(entities: Sequence[Entity], edges: Sequence[Cooccurrence], *, backbone_alpha: float = 1.0) -> nx.Graph:
    """Co-occurrence graph with node analytics.

    Nodes are entity ids carrying name, type, wikidata, mentions, documents,
    degree, weighted_degree, pagerank, betweenness and community (Louvain,
    seeded, numbered by size); edges carry every weight of the table. With
    `backbone_alpha` < 1 only the edges the disparity filter keeps remain.
    When edges have dates, nodes and edges get start/end and the graph is
    dynamic (Gephi's timeline).
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
        graph.remove_edges_from([(a, b) for a, b in graph.edges if not _significant(graph, a, b, backbone_alpha)])
    _add_analytics(graph)
    if any("start" in d for *_, d in graph.edges(data=True)):
        graph.graph["mode"] = "dynamic"
        for node in graph:
            spans = [d for *_, d in graph.edges(node, data=True) if "start" in d]
            if spans:
                graph.nodes[node]["start"] = min(d["start"] for d in spans)
                graph.nodes[node]["end"] = max(d["end"] for d in spans)
    return graph


def _significant(graph: nx.Graph, a: str, b: str, alpha: float) -> bool:
    """Disparity filter (Serrano et al. 2009): is the edge's share of either
    endpoint's strength unlikely under a uniform split of that strength?"""
    w = graph.edges[a, b]["weight"]
    for node in (a, b):
        k = graph.degree(node)
        if k > 1:
            share = w / graph.degree(node, weight="weight")
            if (1 - share) ** (k - 1) < alpha:
                return True
    return False


def _add_analytics(graph: nx.Graph) -> None:
    pagerank = nx.pagerank(graph, weight="weight") if graph.number_of_edges() else {n: 0.0 for n in graph}
    betweenness = betweenness_centrality(graph)
    communities = nx.community.louvain_communities(graph, weight="weight", seed=COMMUNITY_SEED) if len(graph) else []
    ordered = sorted(communities, key=lambda c: (-len(c), min(c)))
    community = {node: i for i, members in enumerate(ordered) for node in members}
    for node in graph:
        graph.nodes[node].update(
            degree=graph.degree(node),
            weighted_degree=graph.degree(node, weight="weight"),
            pagerank=round(pagerank[node], 6),
            betweenness=round(betweenness[node], 6),
            community=community.get(node, -1),
        )


def betweenness_centrality(graph: nx.Graph, *, batch_cells: int = 1_000_000) -> dict:
    """Exact normalised betweenness, bit for bit `nx.betweenness_centrality(graph)`.

    The same algorithm (Brandes 2001: a breadth-first search from every node,
    then each node's dependency summed back from the farthest nodes), run with
    numpy on a batch of sources at once, one distance level per step: over ten
    times faster than networkx's Python loops, which were most of the export
    time. Every floating-point sum is done in the order networkx does it, so
    the values are identical, not merely close, and round to the same digits
    (tests/test_export.py checks it against networkx itself).

    Args:
        batch_cells: sources searched at once x (nodes + edges); bounds the memory used.
    """
    nodes = list(graph)
    n = len(nodes)
    index = {node: i for i, node in enumerate(nodes)}
    # neighbours in networkx's adjacency order: the search must meet them in that order
    degrees = np.fromiter((len(graph[v]) for v in nodes), dtype=np.int64, count=n)
    indptr = np.concatenate(([0], np.cumsum(degrees)))
    indices = np.fromiter((index[w] for v in nodes for w in graph[v]), dtype=np.int64, count=int(indptr[-1]))
    total = np.zeros(n)
    batch = max(1, batch_cells // max(n + len(indices), 1))
    for first in range(0, n, batch):
        for dependency in _dependencies(indptr, indices, np.arange(first, min(first + batch, n))):
            total += dependency  # source after source, as networkx adds them
    if n > 2:  # networkx: each of the (n-1)(n-2) ordered pairs of other nodes counts once
        total *= 1 / ((n - 1) * (n - 2))
    return dict(zip(nodes, total.tolist(), strict=True))


def _dependencies(indptr: np.ndarray, indices: np.ndarray, sources: np.ndarray) -> np.ndarray:
    """Dependency of each source on every node (rows: sources), for a graph in CSR form.

    Cells are numbered source_row * n + node. Ranks number the nodes in the
    order networkx's breadth-first search pops them: path counts are summed
    over the predecessors in that order, dependencies over the successors in
    the reverse order (`np.bincount` adds its weights in array order).
    """
    n = len(indptr) - 1
    cells = len(sources) * n
    roots = np.arange(len(sources)) * n + sources
    rank = np.full(cells, -1, dtype=np.int64)  # -1: not reached yet
    sigma = np.zeros(cells)  # shortest paths from the source
    rank[roots] = np.arange(len(sources))
    sigma[roots] = 1.0
    ranked = len(sources)
    frontier = roots  # one distance level, in rank order within each source
    levels = []  # (predecessor, node) cells of the shortest-path edges, level by level
    while len(frontier):
        row, v = np.divmod(frontier, n)
        degree = indptr[v + 1] - indptr[v]
        heads = np.cumsum(degree) - degree
        at = np.repeat(indptr[v] - heads, degree) + np.arange(int(degree.sum()))
        before = np.repeat(frontier, degree)
        after = np.repeat(row * n, degree) + indices[at]
        new = rank[after] < 0  # edges into the next level: a node first reached now
        before, after = before[new], after[new]
        if not len(after):
            break
        reached, first, which = np.unique(after, return_index=True, return_inverse=True)
        sigma[reached] = np.bincount(which, weights=sigma[before])
        frontier = reached[np.argsort(first)]  # in the order the search meets them
        rank[frontier] = np.arange(ranked, ranked + len(frontier))
        ranked += len(frontier)
        levels.append((before, after))
    delta = np.zeros(cells)
    for before, after in reversed(levels):
        popped = np.argsort(-rank[after], kind="stable")  # networkx pops the last reached first
        before, after = before[popped], after[popped]
        coeff = (1 + delta[after]) / sigma[after]
        predecessors, which = np.unique(before, return_inverse=True)
        delta[predecessors] = np.bincount(which, weights=sigma[before] * coeff)
    delta[roots] = 0.0  # a source is not between itself and another node
    return delta.reshape(len(sources), n)


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
    """A copy of the graph whose text attributes hold only characters XML allows."""
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
    files["graph.json"] = json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8")
    return files
