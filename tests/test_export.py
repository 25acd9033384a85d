import io
import json
import math
import os
import random
import re
import subprocess
import sys
from operator import attrgetter

import igraph
import networkx as nx
import pytest

from pipeline.flow import export_outputs
from pipeline.records import Cooccurrence, CorpusTables, Entity
from pipeline.stages.export import ANALYTICS_SEED, build_graph, graph_files, node_analytics

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
    """The same graph with string labels, its nodes and edges added in a random order, weights 1 to 5."""
    rng = random.Random(seed)
    names = {v: f"n{rng.random():.6f}" for v in graph}
    nodes, edges = list(graph), list(graph.edges)
    rng.shuffle(nodes)
    rng.shuffle(edges)
    shuffled = nx.Graph()
    shuffled.add_nodes_from(names[v] for v in nodes)
    shuffled.add_edges_from((names[a], names[b], {"weight": rng.randint(1, 5)}) for a, b in edges)
    return shuffled


def _layers(width: int, depth: int) -> nx.Graph:
    """Complete links between consecutive layers: width**depth shortest paths, past 2**53."""
    return nx.Graph(((i, a), (i + 1, b)) for i in range(depth - 1) for a in range(width) for b in range(width))


def _weighted(graph: nx.Graph) -> nx.Graph:
    """`graph` with a weight on every edge (1 where it had none)."""
    for *_, d in graph.edges(data=True):
        d.setdefault("weight", 1)
    return graph


GRAPHS = [
    nx.Graph(),
    nx.empty_graph(1),
    nx.empty_graph(5),  # no edges
    nx.path_graph(2),
    nx.path_graph(3),
    nx.Graph([(0, 1), (1, 1), (1, 2), (3, 4)]),  # a self-loop, two components
    nx.grid_2d_graph(7, 9),
    _layers(3, 40),
    *(_shuffled(nx.gnp_random_graph(60, p, seed=i), i) for i, p in enumerate((0.02, 0.05, 0.1, 0.3))),
    _shuffled(nx.barabasi_albert_graph(150, 2, seed=7), 7),
]


def _ids(graph: nx.Graph) -> str:
    return f"{len(graph)} nodes, {graph.number_of_edges()} edges"


@pytest.mark.parametrize("graph", [_weighted(g) for g in GRAPHS], ids=_ids)
def test_exact_analytics_are_networkx_s(graph):
    found, how = node_analytics(graph)
    assert how == "exact" and list(found) == list(graph)
    betweenness = nx.betweenness_centrality(graph)
    pagerank = (
        nx.pagerank(graph, weight="weight", tol=1e-10, max_iter=10_000)
        if graph.number_of_edges()
        else dict.fromkeys(graph, 0)
    )
    for node, values in found.items():
        assert values["betweenness"] == pytest.approx(betweenness[node], abs=1e-6), node
        # a loop counts twice in igraph's PageRank (as in a degree), once in networkx's; the
        # co-occurrence graph has none (source < target)
        if not nx.number_of_selfloops(graph):
            assert values["pagerank"] == pytest.approx(pagerank[node], abs=1e-6), node
        assert values["degree"] == graph.degree(node)
        assert values["weighted_degree"] == graph.degree(node, weight="weight")
        assert type(values["weighted_degree"]) is int


@pytest.mark.parametrize(
    "graph, max_exact, samples, expected",
    [
        (nx.barabasi_albert_graph(150, 2, seed=7), 150, 20, "exact"),  # at the threshold: exact
        (nx.barabasi_albert_graph(150, 2, seed=7), 149, 20, "sampled: 20 of 150 nodes as sources, seed 42"),
        (nx.barabasi_albert_graph(150, 2, seed=7), 149, 150, "exact"),  # as many sources as nodes
        (nx.barabasi_albert_graph(150, 2, seed=7), 0, 1, "sampled: 1 of 150 nodes as sources, seed 42"),
        (_shuffled(nx.gnp_random_graph(60, 0.1, seed=2), 2), 10, 7, "sampled: 7 of 60 nodes as sources, seed 42"),
        (nx.path_graph(2), 0, 1, "exact"),  # nothing is between two nodes
    ],
    ids=lambda v: v if isinstance(v, str) else str(v) if isinstance(v, int) else _ids(v),
)
def test_betweenness_above_the_threshold_is_networkx_s_sampled_estimate(graph, max_exact, samples, expected):
    _weighted(graph)
    found, how = node_analytics(graph, exact_betweenness_max_nodes=max_exact, betweenness_samples=samples)
    assert how == expected
    if how == "exact":
        reference = nx.betweenness_centrality(graph)
    else:  # networkx draws the same sources from the same seed
        reference = nx.betweenness_centrality(graph, k=samples, seed=ANALYTICS_SEED)
        # with one source, networkx cannot estimate that source's own value (NaN): 0 here
        reference = {n: 0.0 if math.isnan(v) else v for n, v in reference.items()}
    assert {n: v["betweenness"] for n, v in found.items()} == pytest.approx(reference, abs=1e-6)
    # the graph says how its betweenness was computed
    entities = [Entity(str(n), str(n), "PER", "", 1, 1, "") for n in graph]
    edges = [Cooccurrence(*sorted((str(a), str(b))), 1, 1, 1, 0, 0, 0, "", "") for a, b in graph.edges]
    built = build_graph(entities, edges, exact_betweenness_max_nodes=max_exact, betweenness_samples=samples)
    assert built.graph["betweenness"] == expected


# a graph with string labels, weights 1 to 5; `random` is drawn from before the analytics run
SEEDED = """
import json, random, networkx as nx
from pipeline.stages.export import node_analytics
rng = random.Random(3)
graph = nx.Graph()
graph.add_weighted_edges_from((f"n{a}", f"n{b}", rng.randint(1, 5)) for a, b in nx.barabasi_albert_graph(300, 2, seed=3).edges)
random.seed(int(__import__("sys").argv[1]))
print(json.dumps(node_analytics(graph, exact_betweenness_max_nodes=100, betweenness_samples=30)))
"""


def test_analytics_are_the_same_in_another_process():
    """Leiden and the sampled sources are seeded: nothing depends on the process, its string hashing or `random`."""
    runs = [
        subprocess.run(
            [sys.executable, "-c", SEEDED, seed],
            capture_output=True,
            text=True,
            check=True,
            env=os.environ | {"PYTHONHASHSEED": seed},
        ).stdout
        for seed in ("1", "2")
    ]
    assert runs[0] == runs[1]
    found = json.loads(runs[0])
    assert len({v["community"] for v in found[0].values()}) > 1 and found[1].startswith("sampled: 30 of 300")


def test_the_callers_random_numbers_are_left_alone():
    graph = _weighted(_shuffled(nx.barabasi_albert_graph(100, 2, seed=3), 3))
    state = random.getstate()
    first = node_analytics(graph, exact_betweenness_max_nodes=10, betweenness_samples=5)
    assert random.getstate() == state
    random.seed(5)
    assert node_analytics(graph, exact_betweenness_max_nodes=10, betweenness_samples=5) == first


@pytest.mark.parametrize(
    "edges, lone, communities",
    [
        # two triangles joined by one light edge: two communities of 3, the one holding "a" first
        ([("x", "y", 5), ("y", "z", 5), ("x", "z", 5), ("a", "b", 5), ("b", "c", 5), ("a", "c", 5), ("c", "x", 1)],
         [], [{"a", "b", "c"}, {"x", "y", "z"}]),
        # the bigger community first, whatever its ids; an isolated node is a community of its own
        ([("a", "b", 3), ("z1", "z2", 4), ("z2", "z3", 4), ("z3", "z4", 4), ("z1", "z4", 4), ("z1", "z3", 4)],
         ["m"], [{"z1", "z2", "z3", "z4"}, {"a", "b"}, {"m"}]),
        ([], ["b", "a"], [{"a"}, {"b"}]),
    ],
    ids=["ties by smallest id", "by size", "isolated nodes"],
)  # fmt: skip
def test_communities_are_numbered_by_size_then_smallest_id(edges, lone, communities):
    graph = nx.Graph()
    graph.add_weighted_edges_from(edges)
    graph.add_nodes_from(lone)
    found, _ = node_analytics(graph)
    assert [{n for n, v in found.items() if v["community"] == c} for c in range(len(communities))] == communities
    assert {v["community"] for v in found.values()} == set(range(len(communities)))


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


def test_the_graph_files_say_how_betweenness_was_computed(tmp_path):
    export_outputs(tmp_path, CorpusTables(entities=ENTITIES, edges=EDGES))
    assert nx.read_graphml(tmp_path / "graph.graphml").graph["betweenness"] == "exact"
    assert json.loads((tmp_path / "graph.json").read_text(encoding="utf-8"))["graph"]["betweenness"] == "exact"


def test_graphml_reads_back_with_igraph_too(tmp_path):
    export_outputs(tmp_path, CorpusTables(entities=ENTITIES, edges=EDGES))
    g = igraph.Graph.Read_GraphML(str(tmp_path / "graph.graphml"))
    ids = g.vs["id"]
    assert set(ids) == {e.entity_id for e in ENTITIES}
    edges = {(frozenset((ids[e.source], ids[e.target])), int(e["weight"])) for e in g.es}
    assert edges == {(frozenset((e.source, e.target)), e.weight) for e in EDGES}


def test_gephi_sees_names_and_every_weight(tmp_path):
    """GEXF/GraphML labels are entity names; nodes.csv/edges.csv are Gephi's spreadsheet import."""
    import csv

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


# ------------------------------------------------ graph files: networkx's bytes, written in pieces

_ODD = ["a&b", "<x>", 'q"uote', "it's", "line\nbreak", "cr\rx", "tab\tx", "é😀", "]]>", " lead", "", "{0}", "\x7f\x85"]


def _odd_graph(dynamic: bool) -> nx.Graph:
    """Text XML must escape everywhere, mixed value types, bare nodes and edges, infinities."""
    g = nx.Graph(betweenness='sampled: <5> & "x"')
    for i, text in enumerate(_ODD):
        g.add_node(f"n{i}{text}", label=f"L{text}", name=text, flag=i % 2 == 0, score=i / 3, count=i, wd=i or 0.5)
    g.add_node("bare")
    rng = random.Random(0)
    nodes = list(g)
    for _ in range(40):
        a, b = rng.sample(nodes, 2)
        g.add_edge(a, b, weight=rng.randint(1, 5), note=rng.choice(_ODD), pmi=rng.random(), ok=rng.random() < 0.5)
    g.add_edge("bare", nodes[0])
    g.add_edge("bare", nodes[1], weight=2.5, x=math.inf, y=math.nan, z=-math.inf)
    if dynamic:
        g.graph["mode"] = "dynamic"
        for n in nodes[:5]:
            g.nodes[n].update(start="2024-01-01", end="2024-02-01")
        for e in list(g.edges)[:5]:
            g.edges[e].update(start="2024-01-01", end="2024-03-01")
    return g


def _networkx_bytes(graph: nx.Graph) -> dict[str, bytes]:
    graphml, gexf = io.BytesIO(), io.BytesIO()
    nx.write_graphml(graph, graphml)
    nx.write_gexf(graph, gexf)
    data = json.dumps(nx.node_link_data(graph, edges="edges"), ensure_ascii=False, separators=(",", ":"))
    return {
        "graph.graphml": graphml.getvalue(),
        "graph.gexf": re.sub(rb' lastmodifieddate="[0-9-]+"', b"", gexf.getvalue()),
        "graph.json": data.encode("utf-8"),
    }


def _written(graph: nx.Graph) -> dict[str, bytes]:
    found = {}
    for name, write in graph_files(graph).items():
        buffer = io.BytesIO()
        write(buffer)
        found[name] = buffer.getvalue()
    return found


def _dated_graph() -> nx.Graph:
    """A graph of `build_graph`, dynamic: two edges in three have dates."""
    entities = [Entity(f"Q{i:02d}", f"Entité {i} & co", "PER", f"Q{i:02d}", i + 1, 1, "") for i in range(30)]
    rng = random.Random(3)
    pairs = sorted({tuple(sorted(rng.sample(range(30), 2))) for _ in range(80)})
    spans = [("2024-05-01", "2024-06-30"), ("2024-05-02", "2024-05-09"), ("", "")]
    edges = [
        Cooccurrence(f"Q{a:02d}", f"Q{b:02d}", rng.randint(1, 9), 1, 1, 0.5, 0.25, 0.125, *spans[(a + b) % 3])
        for a, b in pairs
    ]
    return build_graph(entities, edges)


@pytest.mark.parametrize("make", [lambda: _odd_graph(False), lambda: _odd_graph(True), _dated_graph, nx.Graph])
def test_graph_files_are_the_bytes_networkx_writes(make, monkeypatch):
    graph = make()
    expected = _networkx_bytes(graph)
    monkeypatch.setattr("pipeline.stages.export._PIECES", 7)  # many pieces
    assert _written(graph) == expected


def test_graph_files_read_back_as_the_graph():
    graph = _dated_graph()
    assert graph.graph["mode"] == "dynamic"
    files = _written(graph)
    for name, read in (("graph.graphml", nx.read_graphml), ("graph.gexf", nx.read_gexf)):
        back = read(io.BytesIO(files[name]))
        assert sorted(back.nodes) == sorted(graph.nodes), name
        assert {tuple(sorted(e)) for e in back.edges} == {tuple(sorted(e)) for e in graph.edges}, name
    graphml = nx.read_graphml(io.BytesIO(files["graph.graphml"]))
    assert dict(graphml.nodes(data=True)) == dict(graph.nodes(data=True))
    assert all(graphml.edges[a, b] == d for a, b, d in graph.edges(data=True))
    assert graphml.graph["betweenness"] == graph.graph["betweenness"]
    gexf = nx.read_gexf(io.BytesIO(files["graph.gexf"]))
    assert gexf.graph["mode"] == "dynamic"
    for node, data in graph.nodes(data=True):
        read = gexf.nodes[node]
        assert read["label"] == data["label"] and read["pagerank"] == data["pagerank"]
        assert (read.get("start"), read.get("end")) == (data.get("start"), data.get("end"))
    assert all(gexf.edges[a, b]["weight"] == d["weight"] for a, b, d in graph.edges(data=True))
    assert json.loads(files["graph.json"]) == json.loads(json.dumps(nx.node_link_data(graph, edges="edges")))


def test_graphs_the_templates_were_not_made_for_are_written_by_networkx():
    graph = nx.Graph()
    graph.add_edge(1, 2, weight=1)  # ids that are not text
    graph.add_node("a", id="x", pid="p")  # attributes GEXF reads as structure
    assert _written(graph) == _networkx_bytes(graph)


def _awkward_graph() -> nx.Graph:
    """Names JSON and templates treat apart, 0.0 beside -0.0 in a column, NaN, mixed signatures in a window."""
    g = nx.Graph(name="g{0}")
    g.add_node("a{0}", **{"{k}": 1, 'q"': -0.0, "z": 0.0, "id": "own"})
    g.add_node("b\\", **{"{k}": 2, 'q"': 0.0, "z": -0.0, "id": "x"})
    g.add_node("c", **{"{k}": True, 'q"': math.nan, "z": 1.0, "id": "y"})  # a boolean where the others have ints
    g.add_edge("a{0}", "b\\", source="s", target=3, w=math.nan, note='say "hi"\\')
    g.add_edge("b\\", "c", source="t", target=4, w=0.5, note="tab\there")
    g.add_edge("c", "a{0}")
    return g


@pytest.mark.parametrize("pieces", [1, 2, 10_000])
def test_awkward_graph_files_are_the_bytes_networkx_writes(pieces, monkeypatch):
    graph = _awkward_graph()
    expected = _networkx_bytes(graph)
    monkeypatch.setattr("pipeline.stages.export._PIECES", pieces)
    assert _written(graph) == expected


def test_text_xml_forbids_becomes_spaces_in_every_graph_file():
    from pipeline.stages.export import xml_safe

    graph = _dated_graph()
    assert xml_safe(graph) is graph
    bad = nx.relabel_nodes(graph, {"Q01": "Q\x0101"})
    bad.nodes["Q02"]["name"] = "Entité\x02 2"
    bad.edges[next(iter(bad.edges))]["start"] = "2024\x0b"
    safe = xml_safe(bad)
    assert safe is not bad and "Q 01" in safe and safe.nodes["Q02"]["name"] == "Entité  2"
    assert _written(bad) == _networkx_bytes(safe)


def test_gephi_edges_go_from_their_smaller_end_in_order():
    from pipeline.stages.export import gephi_tables

    graph = _dated_graph()
    shuffled = nx.Graph()
    nodes = list(graph.nodes(data=True))
    random.Random(5).shuffle(nodes)
    shuffled.add_nodes_from(nodes)  # the edges are listed from ends of any order
    edges = list(graph.edges(data=True))
    random.Random(6).shuffle(edges)
    shuffled.add_edges_from((b, a, d) if i % 2 else (a, b, d) for i, (a, b, d) in enumerate(edges))
    ordered = sorted((*sorted((a, b)), d) for a, b, d in graph.edges(data=True))
    expected = [
        (a, b, d["weight"], "Undirected", d["documents"], d["sentences"], d["pmi"], d["npmi"], d["jaccard"])
        + (d.get("start", ""), d.get("end", ""))
        for a, b, d in ordered
    ]
    for g in (graph, shuffled):
        assert list(gephi_tables(g)["edges.csv"][1]) == expected


def test_cited_sentences_get_the_last_citing_text_unless_it_is_empty():
    from pipeline.records import Evidence, EvidenceRow, SentenceRow
    from pipeline.stages.export import output_tables, sorted_evidence

    sentences = [SentenceRow("d", i, 0, 10 * i, 10 * i + 9, "own" if i == 3 else "") for i in (3, 0, 2, 1)]
    evidence = [
        Evidence("edge", "Q1", "Q2", "", "d", 0, 0, 9, "first"),
        Evidence("edge", "Q1", "Q3", "", "d", 0, 0, 9, "last"),
        Evidence("edge", "Q1", "Q2", "", "d", 3, 30, 39, ""),  # no text: the sentence keeps its own
        EvidenceRow("edge", "Q1", "Q2", "", "d", 2, 20, 29),  # a row without text
    ]
    tables = CorpusTables(sentences=sentences, evidence=evidence)
    rows = list(output_tables(tables)["sentences.csv"][1])
    assert rows == [
        ("d", 0, 0, 0, 9, "last"),
        ("d", 1, 0, 10, 19, ""),
        ("d", 2, 0, 20, 29, ""),
        ("d", 3, 0, 30, 39, "own"),
    ]
    once = sorted_evidence(evidence)
    key = attrgetter("kind", "source", "target", "relation", "doc_id", "sentence_id")
    assert list(once) == sorted(evidence, key=key)
    assert sorted_evidence(once) is once  # sorted once, not again


def test_values_no_template_is_made_for_are_written_by_networkx():
    graph = _dated_graph()
    graph.nodes["Q01"]["aliases"] = ["a", "b"]  # GraphML and GEXF have no list type; JSON has

    def outcome(write) -> bytes | type:
        buffer = io.BytesIO()
        try:
            write(buffer)
        except Exception as err:  # what networkx's writer raises, ours raises
            return type(err)
        return re.sub(rb' lastmodifieddate="[0-9-]+"', b"", buffer.getvalue())

    def node_link(file) -> None:
        data = nx.node_link_data(graph, edges="edges")
        file.write(json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))

    expected = {
        "graph.graphml": outcome(lambda f: nx.write_graphml(graph, f)),
        "graph.gexf": outcome(lambda f: nx.write_gexf(graph, f)),
        "graph.json": outcome(node_link),
    }
    assert isinstance(expected["graph.json"], bytes)
    assert {name: outcome(write) for name, write in graph_files(graph).items()} == expected
