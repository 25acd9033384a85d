import random

import networkx as nx
import pytest

from pipeline.flow import export_outputs
from pipeline.records import Cooccurrence, CorpusTables, Entity
from pipeline.stages.export import betweenness_centrality, build_graph

ENTITIES = [
    Entity("Q7747", "Vladimir Poutine", "PER", "Q7747", 3, 2, "Poutine|Vladimir Poutine"),
    Entity("Q56226", "Kim Jong-un", "PER", "Q56226", 2, 1, "Kim Jong-un"),
    Entity("org:tass", "Tass", "ORG", "", 1, 1, "Tass"),
    Entity("Q423", "Corée du Nord", "STATE", "Q423", 5, 2, "Corée du Nord"),
]
EDGES = [
    Cooccurrence("Q56226", "Q7747", 2, 1, 2, 0.4, 0.5, 0.5, "", ""),
    Cooccurrence("Q423", "Q7747", 9, 2, 9, 0.1, 0.2, 0.8, "", ""),
    Cooccurrence("Q423", "Q56226", 1, 1, 1, 0.1, 0.2, 0.1, "", ""),
]


def test_graph_nodes_edges_and_analytics():
    g = build_graph(ENTITIES, EDGES)
    assert set(g.nodes) == {"Q7747", "Q56226", "org:tass", "Q423"}
    assert g.nodes["Q7747"]["name"] == "Vladimir Poutine"
    assert g.edges["Q7747", "Q56226"]["weight"] == 2
    assert g.nodes["Q7747"]["degree"] == 2 and g.nodes["Q7747"]["weighted_degree"] == 11
    assert g.nodes["org:tass"]["degree"] == 0 and g.nodes["org:tass"]["pagerank"] > 0
    assert g.nodes["Q7747"]["pagerank"] > g.nodes["Q56226"]["pagerank"]
    assert {g.nodes[n]["community"] for n in g} <= set(range(len(g)))
    assert build_graph(ENTITIES, EDGES).nodes(data=True) == g.nodes(data=True)  # seeded: identical


def _shuffled(graph: nx.Graph, seed: int) -> nx.Graph:
    """The same graph with string labels, its nodes and edges added in a random order."""
    rng = random.Random(seed)
    names = {v: f"n{rng.random():.6f}" for v in graph}
    nodes, edges = list(graph), list(graph.edges)
    rng.shuffle(nodes)
    rng.shuffle(edges)
    shuffled = nx.Graph()
    shuffled.add_nodes_from(names[v] for v in nodes)
    shuffled.add_edges_from((names[a], names[b]) for a, b in edges)
    return shuffled


def _layers(width: int, depth: int) -> nx.Graph:
    """Complete links between consecutive layers: width**depth shortest paths, past 2**53."""
    return nx.Graph(((i, a), (i + 1, b)) for i in range(depth - 1) for a in range(width) for b in range(width))


@pytest.mark.parametrize(
    "graph",
    [
        nx.Graph(),
        nx.empty_graph(1),
        nx.path_graph(2),
        nx.path_graph(3),
        nx.Graph([(0, 1), (1, 1), (1, 2), (3, 4)]),  # a self-loop, two components
        nx.grid_2d_graph(7, 9),
        _layers(3, 40),
        *(_shuffled(nx.gnp_random_graph(60, p, seed=i), i) for i, p in enumerate((0.02, 0.05, 0.1, 0.3))),
        _shuffled(nx.barabasi_albert_graph(150, 2, seed=7), 7),
    ],
    ids=lambda g: f"{len(g)} nodes, {g.number_of_edges()} edges",
)
@pytest.mark.parametrize("batch_cells", [1, 1_000_000])
def test_betweenness_is_networkx_to_the_last_bit(graph, batch_cells):
    expected = nx.betweenness_centrality(graph)
    found = betweenness_centrality(graph, batch_cells=batch_cells)
    assert list(found) == list(expected)
    assert [found[v] for v in graph] == [expected[v] for v in graph]  # ==, not approx


def test_backbone_keeps_dominant_edges():
    # a hub with one heavy edge among many light ones
    entities = [Entity(f"n{i}", f"n{i}", "PER", "", 1, 1, "") for i in range(6)]
    edges = [Cooccurrence("n0", "n1", 50, 1, 50, 0, 0, 0, "", "")] + [
        Cooccurrence("n0", f"n{i}", 1, 1, 1, 0, 0, 0, "", "") for i in range(2, 6)
    ]
    g = build_graph(entities, edges, backbone_alpha=0.05)
    assert set(map(frozenset, g.edges)) == {frozenset(("n0", "n1"))}


def test_dated_edges_make_a_dynamic_graph():
    edges = [Cooccurrence("Q56226", "Q7747", 2, 1, 2, 0.4, 0.5, 0.5, "2024-06-18", "2024-07-11")]
    g = build_graph(ENTITIES, edges)
    assert g.graph["mode"] == "dynamic"
    assert (g.edges["Q56226", "Q7747"]["start"], g.nodes["Q7747"]["end"]) == ("2024-06-18", "2024-07-11")


def test_graphml_and_gexf_read_back_the_same(tmp_path):
    export_outputs(tmp_path, CorpusTables(entities=ENTITIES, edges=EDGES))
    expected = {(frozenset((e.source, e.target)), e.weight) for e in EDGES}
    for name, reader in (("graph.graphml", nx.read_graphml), ("graph.gexf", nx.read_gexf)):
        g = reader(tmp_path / name)
        assert set(g.nodes) == {e.entity_id for e in ENTITIES}, name
        assert {(frozenset((a, b)), int(d["weight"])) for a, b, d in g.edges(data=True)} == expected, name


def test_graphml_reads_back_with_igraph_too(tmp_path):
    igraph = pytest.importorskip("igraph", reason="igraph is a dev dependency")
    export_outputs(tmp_path, CorpusTables(entities=ENTITIES, edges=EDGES))
    g = igraph.Graph.Read_GraphML(str(tmp_path / "graph.graphml"))
    ids = g.vs["id"]
    assert set(ids) == {e.entity_id for e in ENTITIES}
    edges = {(frozenset((ids[e.source], ids[e.target])), int(e["weight"])) for e in g.es}
    assert edges == {(frozenset((e.source, e.target)), e.weight) for e in EDGES}


def test_gephi_sees_names_and_every_weight(tmp_path):
    """GEXF/GraphML labels are entity names; nodes.csv/edges.csv are Gephi's spreadsheet import."""
    import csv

    igraph = pytest.importorskip("igraph", reason="igraph is a dev dependency")
    export_outputs(tmp_path, CorpusTables(entities=ENTITIES, edges=EDGES))
    names = {e.entity_id: e.name for e in ENTITIES}
    gexf = nx.read_gexf(tmp_path / "graph.gexf")
    assert {n: gexf.nodes[n]["label"] for n in gexf} == names
    graphml = igraph.Graph.Read_GraphML(str(tmp_path / "graph.graphml"))
    assert dict(zip(graphml.vs["id"], graphml.vs["label"])) == names
    for attribute in ("name", "type", "wikidata", "mentions", "community"):
        assert attribute in graphml.vs.attributes(), attribute
    for attribute in ("weight", "documents", "sentences", "pmi", "npmi", "jaccard"):
        assert attribute in graphml.es.attributes(), attribute
    with open(tmp_path / "nodes.csv", encoding="utf-8", newline="") as f:
        nodes = list(csv.DictReader(f))
    assert {r["Id"]: r["Label"] for r in nodes} == names
    with open(tmp_path / "edges.csv", encoding="utf-8", newline="") as f:
        edges = list(csv.DictReader(f))
    assert {(r["Source"], r["Target"], int(r["Weight"])) for r in edges} == {
        (e.source, e.target, e.weight) for e in EDGES
    }
    assert {r["Type"] for r in edges} == {"Undirected"}


def test_tables_carry_the_names_next_to_the_ids(tmp_path):
    import csv

    from pipeline.records import Evidence, Relation

    relation = Relation("d", 0, "Q7747", "MEET", "rencontrer", "Q56226", False, "Poutine a rencontré Kim Jong-un.")
    evidence = Evidence("edge", "Q56226", "Q7747", "", "d", 0, 0, 32, "Poutine a rencontré Kim Jong-un.")
    export_outputs(tmp_path, CorpusTables(entities=ENTITIES, edges=EDGES, relations=[relation], evidence=[evidence]))
    names = {e.entity_id: e.name for e in ENTITIES}

    def rows(name):
        with open(tmp_path / name, encoding="utf-8", newline="") as f:
            return list(csv.DictReader(f))

    for table, pairs in (
        ("cooccurrences.csv", (("source", "source_name"), ("target", "target_name"))),
        ("evidence.csv", (("source", "source_name"), ("target", "target_name"))),
        ("relations.csv", (("subject", "subject_name"), ("object", "object_name"))),
    ):
        found = rows(table)
        assert found, table
        header = list(found[0])
        for ids, named in pairs:
            assert header.index(named) == header.index(ids) + 1, (table, header)  # right after the id
            assert all(r[named] == names[r[ids]] for r in found), table
