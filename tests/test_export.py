import networkx as nx

from pipeline.records import Cooccurrence, Entity
from pipeline.stages.export import build_graph, write_outputs

ENTITIES = [
    Entity("Q7747", "Vladimir Poutine", "PER", "Q7747", 3, 2, "Poutine|Vladimir Poutine"),
    Entity("Q56226", "Kim Jong-un", "PER", "Q56226", 2, 1, "Kim Jong-un"),
    Entity("org:tass", "Tass", "ORG", "", 1, 1, "Tass"),
]
EDGES = [Cooccurrence("Q56226", "Q7747", 2, 1, 2, 0.5)]


def test_graph_nodes_and_edges():
    g = build_graph(ENTITIES, EDGES)
    assert set(g.nodes) == {"Q7747", "Q56226", "org:tass"}
    assert g.nodes["Q7747"]["name"] == "Vladimir Poutine"
    assert g.edges["Q7747", "Q56226"]["weight"] == 2


def test_graphml_and_gexf_read_back_the_same(tmp_path):
    write_outputs(tmp_path, documents=[], blocks=[], mentions=[], entities=ENTITIES, edges=EDGES, relations=[])
    for name, reader in (("graph.graphml", nx.read_graphml), ("graph.gexf", nx.read_gexf)):
        g = reader(tmp_path / name)
        assert set(g.nodes) == {"Q7747", "Q56226", "org:tass"}, name
        assert {(frozenset((a, b)), int(d["weight"])) for a, b, d in g.edges(data=True)} == {
            (frozenset(("Q56226", "Q7747")), 2)
        }, name
