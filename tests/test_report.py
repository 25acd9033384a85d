"""The HTML report: a self-contained page, escaped, and drawn by a real browser."""

from __future__ import annotations

import base64
import hashlib
import inspect
import json
import math
import random
import re
import shutil
from dataclasses import asdict
from html.parser import HTMLParser
from importlib.resources import files
from pathlib import Path
from urllib.parse import unquote, urlsplit

import networkx as nx
import pandas as pd
import pytest

from pipeline.config import ConfigError, load_config
from pipeline.records import Cooccurrence, DocumentRow, Entity, Evidence, Mention
from pipeline.stages.export import build_graph
from pipeline.views import report
from pipeline.views.explore import load
from pipeline.views.report import (
    CANVAS,
    COLOUR_MODES,
    MAX_NODES,
    fold,
    layout,
    render_report,
    report_data,
    report_pieces,
    template_files,
)

ENTITIES = [
    Entity("Q7747", "Vladimir Poutine", "PER", "Q7747", 5, 2, "Poutine|Vladimir Poutine|président russe"),
    Entity("Q56226", "Kim Jong-un", "PER", "Q56226", 3, 1, "Kim Jong-un"),
    Entity("Q423", "Corée du Nord", "STATE", "Q423", 4, 2, "Corée du Nord|nord-coréen"),
    Entity("org:evil", "<img src=x onerror=alert(1)>", "ORG", "", 1, 1, "<img src=x onerror=alert(1)>"),
]
EDGES = [
    Cooccurrence("Q56226", "Q7747", 2, 1, 2, 0.4, 0.5, 0.5, "", ""),
    Cooccurrence("Q423", "Q7747", 3, 2, 3, 0.1, 0.2, 0.8, "", ""),
    Cooccurrence("Q7747", "org:evil", 1, 1, 1, 0.1, 0.2, 0.1, "", ""),
]
INJECTED = "Poutine a dit <script>alert(1)</script> à <img src=x onerror=alert(1)> </script><!--"
EVIDENCE = [
    Evidence("edge", "Q56226", "Q7747", "", "d1", 0, 0, 31, "Poutine a rencontré Kim Jong-un."),
    Evidence("edge", "Q423", "Q7747", "", "d1", 1, 32, 70, "Le président russe est en Corée du Nord."),
    Evidence("edge", "Q423", "Q7747", "", "d2", 0, 0, 26, "Pyongyang accueille POUTINE"),
    Evidence("edge", "Q423", "Q7747", "", "d2", 0, 0, 26, "Pyongyang accueille POUTINE"),  # a duplicate
    Evidence("edge", "Q7747", "org:evil", "", "d3", 4, 100, 100 + len(INJECTED), INJECTED),
]
# the entities of the data, most mentioned first
ORDER = ["Q7747", "Q423", "Q56226", "org:evil"]


def _render(**kwargs) -> str:
    return render_report(build_graph(ENTITIES, EDGES), ENTITIES, EVIDENCE, title="Graph <b>&</b> co", **kwargs)


def _blob(page: str) -> dict:
    found = re.search(r'<script type="application/json" id="pressgraph-data">(.*?)</script>', page, re.S)
    assert found, "the data blob is missing"
    return json.loads(found.group(1))


def _entity(data: dict, entity_id: str) -> dict:
    """One entity of the data's columns, as a dict."""
    table = data["entities"]
    i = table["id"].index(entity_id)
    row = {name: column[i] for name, column in table.items() if len(column) == len(table["id"])}
    if i < data["drawn"]:
        row.update(x=table["x"][i], y=table["y"][i], size=table["size"][i])
    return row


def _neighbours(data: dict, entity_id: str) -> list[dict]:
    """The entity's listed edges: the neighbour's id and the edge's columns."""
    i = data["entities"]["id"].index(entity_id)
    edges = data["edges"]
    listed = []
    for j in data["entities"]["links"][i]:
        other = edges["target"][j] if edges["source"][j] == i else edges["source"][j]
        columns = {name: column[j] for name, column in edges.items() if j < len(column)}  # dates: drawn edges only
        listed.append({"id": data["entities"]["id"][other]} | columns)
    return listed


def _spans(data: dict, evidence: list) -> list[tuple[str, str]]:
    """(highlighted text, entity id) of one evidence line."""
    text = data["sentences"][evidence[0]]
    return [(text[s:e], data["entities"]["id"][who]) for s, e, who in evidence[6]]


class _Attributes(HTMLParser):
    """Every attribute of every tag of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found += [(tag, name, value or "") for name, value in attrs]


def _attributes(page: str) -> list[tuple[str, str, str]]:
    parser = _Attributes()
    parser.feed(page)
    return parser.found


def _policy(page: str) -> str:
    return next(v for tag, name, v in _attributes(page) if name == "content" and "default-src" in v)


def _scripts(page: str) -> list[str]:
    return re.findall(r"<script>(.*?)</script>", page, re.S)


def test_page_requests_nothing_from_outside():
    documents = [DocumentRow("d1", "feed.jsonl", "Titre", "2024-06-19", "https://example.org/a", 1, 1, 1, "ok", "")]
    page = _render(documents=documents)
    for tag, name, value in _attributes(page):
        if name in ("src", "href", "action", "srcset", "poster", "xlink:href", "background"):
            assert value.startswith("data:"), f"<{tag} {name}={value!r}> would be fetched"
    assert not re.search(r"url\(|@import", page), "CSS must not load anything"
    assert "sourceMappingURL" not in page  # a source map a browser's developer tools would fetch
    # addresses are only in the data (an article's URL, a link the reader may follow) and in the
    # vendored libraries (XML namespaces, a comment), never in the page's own markup, style or script
    own = page.replace(re.search(r'id="pressgraph-data">.*?</script>', page, re.S).group(), "")
    for library in _scripts(page)[:2]:
        own = own.replace(library, "")
    assert "http://" not in own and "https://" not in own
    policy = _policy(page)
    assert "default-src 'none'" in policy and "connect-src 'none'" in policy


def test_policy_allows_exactly_the_inline_scripts_and_style():
    page = _render()
    policy = _policy(page)
    scripts = _scripts(page)
    assert len(scripts) == 3  # graphology, sigma, the page's own
    style = re.search(r"<style>(.*?)</style>", page, re.S).group(1)
    for text in (*scripts, style):
        digest = base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in policy
    assert policy.count("'sha256-") == 4


def test_scraped_text_is_escaped_and_reads_back():
    page = _render()
    assert page.count("</script>") == 4  # the data blob and three scripts, nothing from the data
    assert page.count("<script") == 4
    assert "<img" not in page and "<!--" not in page
    assert "<title>Graph &lt;b&gt;&amp;&lt;/b&gt; co</title>" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page  # the top entities table, escaped
    data = _blob(page)
    assert INJECTED in data["sentences"]
    assert data["title"] == "Graph <b>&</b> co"
    assert _entity(data, "org:evil")["name"] == "<img src=x onerror=alert(1)>"


def test_entities_edges_neighbours_and_evidence():
    data = _blob(_render())
    assert data["entities"]["id"] == ORDER  # by mentions
    assert (data["drawn"], data["drawnEdges"]) == (4, 3)
    assert all(0 <= v <= CANVAS for axis in ("x", "y") for v in data["entities"][axis])
    putin = _entity(data, "Q7747")
    assert (putin["type"], putin["wikidata"], putin["mentions"]) == ("PER", "Q7747", 5)
    assert putin["size"] == max(data["entities"]["size"])
    neighbours = _neighbours(data, "Q7747")
    assert [m["id"] for m in neighbours] == ["Q423", "Q56226", "org:evil"]  # heaviest first
    north_korea = neighbours[0]
    assert north_korea["weight"] == 3 and len(north_korea["evidence"]) == 2  # the duplicate sentence once
    # both names highlighted, whatever their case, accents or alias
    first, second = north_korea["evidence"]
    assert first[2:6] == [0, 1, 32, 70]  # its document, sentence and offsets
    assert data["documents"][first[2]]["id"] == "d1"
    assert _spans(data, first) == [("président russe", "Q7747"), ("Corée du Nord", "Q423")]
    assert _spans(data, second) == [("POUTINE", "Q7747")]


def test_highlights_follow_mention_offsets():
    # "Pyongyang" stands for North Korea: only the mentions table can say so
    mentions = [
        Mention("d2", 0, 0, 9, "Pyongyang", "LOC", "Q18808", "name", "kb", "Q423"),
        Mention("d2", 0, 20, 27, "POUTINE", "PER", "Q7747", "name", "kb", ""),
    ]
    data = _blob(_render(mentions=pd.DataFrame(mentions)))
    evidence = _neighbours(data, "Q423")[0]["evidence"]
    assert _spans(data, evidence[1]) == [("Pyongyang", "Q423"), ("POUTINE", "Q7747")]


def test_a_capital_stands_for_its_state_only_when_the_state_is_not_named():
    text = "Pyongyang, capitale de la Corée du Nord, reçoit Poutine."
    evidence = [Evidence("edge", "Q423", "Q7747", "", "d9", 2, 50, 50 + len(text), text)]
    mentions = [
        Mention("d9", 2, 50, 59, "Pyongyang", "LOC", "Q18808", "name", "kb", "Q423"),
        Mention("d9", 2, 76, 89, "Corée du Nord", "STATE", "Q423", "name", "kb", ""),
        Mention("d9", 2, 98, 105, "Poutine", "PER", "Q7747", "name", "kb", ""),
    ]
    data = report_data(build_graph(ENTITIES, EDGES), ENTITIES, evidence, mentions=mentions)
    line = _neighbours(data, "Q7747")[0]["evidence"][0]
    assert _spans(data, line) == [("Corée du Nord", "Q423"), ("Poutine", "Q7747")]


def test_evidence_text_can_come_from_the_sentences_table():
    # evidence.csv names its sentences; their text is in sentences.csv
    rows = [{k: v for k, v in asdict(e).items() if k != "text"} for e in EVIDENCE[:2]]
    sentences = [
        {"doc_id": "d1", "sentence_id": 0, "block_id": 0, "start": 0, "end": 31, "text": EVIDENCE[0].text},
        {"doc_id": "d1", "sentence_id": 1, "block_id": 0, "start": 32, "end": 70, "text": EVIDENCE[1].text},
    ]
    data = report_data(build_graph(ENTITIES, EDGES), ENTITIES, pd.DataFrame(rows), sentences=pd.DataFrame(sentences))
    assert sorted(data["sentences"]) == sorted(e.text for e in EVIDENCE[:2])
    assert report_data(build_graph(ENTITIES, EDGES), ENTITIES, rows)["sentences"] == []


def test_evidence_cites_title_date_url_and_links_to_the_offsets(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    documents = [
        # an HTML page: title, date and URL; its text saved in the outputs' texts/
        DocumentRow("d1", "pages/a.html", "Poutine à Pyongyang", "2024-06-19T08:00:00+02:00",
                    "https://example.org/a", 70, 2, 4, "ok", "", "texts/d1 #1.txt"),
        # a plain-text input: its file name, and the file itself
        DocumentRow("d2", "articles/d2.txt", "", "", "", 26, 1, 2, "ok", "", "articles/d2.txt"),
        # one record of a JSON Lines file, without a saved text
        DocumentRow("d3", "feed.jsonl", "", "", "javascript:alert(1)", 200, 5, 2, "ok", ""),
    ]  # fmt: skip
    data = _blob(_render(documents=pd.DataFrame(documents)))
    cited = {d["id"]: d for d in data["documents"]}
    assert cited["d1"] == {
        "id": "d1",
        "name": "Poutine à Pyongyang",
        "date": "2024-06-19T08:00:00+02:00",
        "url": "https://example.org/a",
        "href": "texts/d1%20%231.txt",
    }
    assert cited["d2"]["name"] == "d2.txt"
    assert cited["d2"]["href"] == (tmp_path / "articles" / "d2.txt").as_uri()
    assert (cited["d3"]["name"], cited["d3"]["href"]) == ("feed.jsonl · d3", "")
    # the page links only http(s) addresses (the script checks), never this one
    assert cited["d3"]["url"] == "javascript:alert(1)" and "/^https?:" in _scripts(_render())[2]
    without = _blob(_render())["documents"]
    assert {d["name"] for d in without} == {"d1", "d2", "d3"} and not any(d["href"] for d in without)


def test_every_entity_is_in_the_data_drawn_or_not():
    graph = build_graph(ENTITIES, EDGES)
    data = report_data(graph, pd.DataFrame(ENTITIES), pd.DataFrame(EVIDENCE), max_nodes=2, max_evidence=1)
    assert data["entities"]["id"] == ORDER and data["drawn"] == 2
    assert len(data["entities"]["x"]) == 2  # positions of the drawn ones only
    assert data["drawnEdges"] == 1 and (data["edges"]["source"][0], data["edges"]["target"][0]) == (0, 1)
    # an entity not drawn still has its neighbours and their sentences
    kim = _neighbours(data, "Q56226")
    assert [m["id"] for m in kim] == ["Q7747"] and len(kim[0]["evidence"]) == 1
    assert all(len(m["evidence"]) <= 1 for m in _neighbours(data, "Q7747"))
    assert report_data(graph, ENTITIES, EVIDENCE, max_neighbours=1)["entities"]["links"][0] == [0]
    assert report_data(graph, ENTITIES, EVIDENCE, max_nodes=0)["drawn"] == 0


def test_layout_is_seeded_and_fits_the_square():
    graph = build_graph(ENTITIES, EDGES)
    positions = layout(graph, seed=3)
    assert positions == layout(graph, seed=3) and set(positions) == set(graph)
    assert all(40 <= v <= 960 for xy in positions.values() for v in xy)
    assert layout(build_graph([], [])) == {}


def test_typed_relations_come_first_and_once():
    evidence = EVIDENCE + [Evidence("relation", "Q7747", "Q56226", "MEET", "d1", 0, 0, 31, EVIDENCE[0].text)]
    data = report_data(build_graph(ENTITIES, EDGES), ENTITIES, evidence)
    kim = next(m for m in _neighbours(data, "Q7747") if m["id"] == "Q56226")
    assert [(data["sentences"][e[0]], e[1]) for e in kim["evidence"]] == [(EVIDENCE[0].text, "MEET")]


def test_the_page_holds_report_data_encoded_edge_after_edge(monkeypatch):
    # render_report encodes the edges' evidence a batch of edges at a time, not all in memory
    monkeypatch.setattr(report, "_BATCH", 1)
    mentions = [Mention("d2", 0, 0, 9, "Pyongyang", "LOC", "Q18808", "name", "kb", "Q423")]
    for graph, entities, evidence in (
        (build_graph(ENTITIES, EDGES), ENTITIES, EVIDENCE),
        (build_graph([], []), [], []),
    ):
        page = render_report(graph, entities, evidence, title="t", mentions=mentions, colour_by="community")
        data = report_data(graph, entities, evidence, mentions=mentions)
        assert _blob(page) == data | {"title": "t", "colourBy": "community"}
        # the page is made in pieces, as it is written: an edge's lines in a piece of their own
        pieces = list(report_pieces(graph, entities, evidence, title="t", mentions=mentions, colour_by="community"))
        assert "".join(pieces) == page
        assert len(pieces) == len(data["edges"]["evidence"]) + 4  # page head, data head, edges, data tail, page tail


def test_mentions_find_their_sentence_whatever_the_type_of_its_id():
    # a sentence is named by (doc_id, sentence_id) as text: 1 and "1" are one sentence, "01" another;
    # "Pyongyang" stands for North Korea, which only its mention can say
    text = "Pyongyang accueille POUTINE"
    mentions = [Mention("d2", 1, 0, 9, "Pyongyang", "LOC", "Q18808", "name", "kb", "Q423")]

    def spans(sentence_id: object, mentions: list) -> list[tuple[str, str]]:
        evidence = [{"kind": "edge", "source": "Q423", "target": "Q7747", "relation": "", "doc_id": "d2",
                     "sentence_id": sentence_id, "start": 0, "end": len(text), "text": text}]  # fmt: skip
        data = report_data(build_graph(ENTITIES, EDGES), ENTITIES, evidence, mentions=mentions)
        return _spans(data, _neighbours(data, "Q423")[0]["evidence"][0])

    found = [("Pyongyang", "Q423"), ("POUTINE", "Q7747")]
    assert spans(1, mentions) == spans("1", mentions) == found
    as_text = [{**asdict(m), "sentence_id": "1"} for m in mentions]
    assert spans(1, as_text) == spans("1", as_text) == found
    assert spans("01", mentions) == spans(1.0, mentions) == [("POUTINE", "Q7747")]  # its name only


def test_edges_whose_ids_are_alike_as_text_have_one_pair():
    # the evidence names entities by their ids as text: 1 and "1" are one, and the sentences of
    # that pair go with the last of the two edges
    graph = nx.Graph()
    graph.add_nodes_from([("a", {"name": "A", "mentions": 3}), ("1", {"mentions": 2}), (1, {"mentions": 1})])
    graph.add_edges_from([("a", "1", {"weight": 2}), ("a", 1, {"weight": 1}), ("a", "b", {"weight": 1})])
    evidence = [
        Evidence("edge", "a", "b", "", "d1", 0, 0, 6, "A et b."),
        Evidence("edge", "1", "a", "", "d1", 1, 7, 14, "1 et A."),
    ]
    data = report_data(graph, [], evidence)
    lines = data["edges"]["evidence"]
    assert [len(e) for e in lines] == [0, 1, 1]  # ("a", "1"), ("a", 1), ("a", "b") by weight
    assert data["sentences"] == ["1 et A.", "A et b."]  # numbered in the order of the pairs
    assert _blob(render_report(graph, [], evidence, title="t"))["edges"]["evidence"] == lines


def test_same_inputs_same_page_and_empty_graph():
    assert _render() == _render()
    empty = render_report(build_graph([], []), [], [], title="empty")
    assert _blob(empty)["entities"]["id"] == [] and 'data-nodes="0"' in empty


def test_the_report_settings_are_report_arguments():
    settings = asdict(load_config().report)
    assert set(settings) <= set(inspect.signature(report_pieces).parameters)
    assert settings["max_nodes"] == MAX_NODES
    page = _render(**(settings | {"max_nodes": 3, "colour_by": "community"}))
    assert (_blob(page)["drawn"], _blob(page)["colourBy"]) == (3, "community")
    with pytest.raises(
        ConfigError, match="report.colour_by = 'rainbow' is invalid; expected one of 'type', 'community'"
    ):
        load_config(overrides={"report.colour_by": "rainbow"})
    with pytest.raises(ValueError, match="colour_by = 'rainbow' is invalid"):
        _render(colour_by="rainbow")
    assert COLOUR_MODES == ("type", "community")


def test_vendored_libraries_are_the_packages_builds_with_their_licences():
    vendor = files("pipeline.views") / "templates" / "vendor"
    readme = (vendor / "README.md").read_text(encoding="utf-8")
    for name, package, version in (
        ("sigma.min.js", "sigma", "4.0.4"),
        ("graphology.umd.min.js", "graphology", "0.26.0"),
    ):
        digest = hashlib.sha256((vendor / name).read_bytes()).hexdigest()
        row = next(line for line in readme.splitlines() if line.startswith(f"| `{name}`"))
        assert digest in row and version in row and "MIT" in row, f"README's row for {name} is out of date"
        # the MIT licence's grant, whatever the heading
        assert "Permission is hereby granted, free of charge" in (vendor / f"{package}.LICENSE.txt").read_text("utf-8")
    assert {"sigma.min.js", "graphology.umd.min.js", "report.js", "report.html"} <= {p.name for p in template_files()}


def _numbered(order: list[int]) -> nx.Graph:
    """A cycle of 30 nodes, three small components and an isolated node,
    labelled `order[i]` for node i and added in the order of i."""
    edges = [(i, (i + 1) % 30) for i in range(30)] + [(30, 31), (31, 32), (33, 34), (35, 36), (36, 37), (37, 38)]
    graph = nx.Graph()
    graph.add_nodes_from((order[i], {"name": f"entity {i}", "mentions": 100 - i}) for i in range(40))
    graph.add_edges_from((order[a], order[b], {"weight": 1 + (a * b) % 4}) for a, b in edges)
    return graph


def _by_name(graph: nx.Graph, positions: dict) -> dict:
    return {graph.nodes[n]["name"]: xy for n, xy in positions.items()}


def test_layout_follows_the_graph_not_the_order_of_a_set():
    # a seeded layout depends on the order it is given the nodes in; a set
    # lists small ints in increasing order, strings in an order that changes
    # with Python's string hashing from one run to the next
    down, up = _numbered(list(range(39, -1, -1))), _numbered(list(range(40)))  # only the labels differ
    assert _by_name(down, layout(down)) == _by_name(up, layout(up))
    drawn = [report_data(g, [], [], max_nodes=15) for g in (down, up)]
    assert [(n, x, y) for n, x, y in zip(drawn[0]["entities"]["name"], drawn[0]["entities"]["x"], drawn[0]["entities"]["y"])] == [
        (n, x, y) for n, x, y in zip(drawn[1]["entities"]["name"], drawn[1]["entities"]["x"], drawn[1]["entities"]["y"])
    ]  # fmt: skip


def test_undecodable_text_still_makes_a_utf8_page():
    entities = [Entity("a", "A\udc80", "PER", "", 2, 1, "A\udc80"), Entity("b", "B", "ORG", "", 1, 1, "B")]
    evidence = [Evidence("edge", "a", "b", "", "d", 0, 0, 9, "A\udc80 et B.")]
    page = render_report(
        build_graph(entities, [Cooccurrence("a", "b", 1, 1, 1, 0, 0, 0, "", "")]), entities, evidence, title="t"
    )
    page.encode("utf-8")
    assert _blob(page)["sentences"] == ["A\udc80 et B."]


def test_fold_keeps_offsets():
    assert fold("Corée ÉTATS-Unis l’Est") == "coree etats-unis l'est"
    assert len(fold("İstanbul ß")) == len("İstanbul ß")


# ------------------------------------------------------- a synthetic corpus

_FIRST = ("Amina", "Boris", "Chen", "Dmitri", "Elena", "Fatou", "Gustave", "Hiroshi", "Inès", "Jamal",
          "Kofi", "Léa", "Moussa", "Nadia", "Olga", "Pedro", "Quentin", "Rania", "Sergueï", "Thandiwe")  # fmt: skip
_LAST = ("Adjei", "Bouchard", "Cissé", "Dubois", "Écoffey", "Fofana", "García", "Haddad", "Ivanova", "Jansen",
         "Keïta", "Lambert", "Mensah", "Nakamura", "Okafor", "Petrov", "Quispe", "Rossi", "Sow", "Traoré",
         "Ueda", "Vidal", "Wang", "Xu", "Zongo")  # fmt: skip


def synthetic_corpus(n: int = 10_000, *, articles: int = 2_000, seed: int = 7):
    """A graph of `n` entities like a real corpus's, for the report at scale:
    (graph, entities, evidence, documents).

    A Barabási–Albert graph (about 2n edges, a few hubs, a long tail), the
    oldest nodes the most mentioned; each edge has one to three dated
    articles and a sentence in up to two of them; communities are Louvain's.
    The graph is built here rather than by `build_graph`, whose exact
    betweenness takes about a minute at this size.
    """
    rng = random.Random(seed)
    shape = nx.barabasi_albert_graph(n, 2, seed=seed)
    types = ("PER", "STATE", "ORG", "LOC", "MISC")
    entities = []
    for i in range(n):
        name = f"{_FIRST[i % len(_FIRST)]} {_LAST[i // len(_FIRST) % len(_LAST)]} {i:05d}"
        mentions = max(1, round(3000 / (i + 1) ** 0.75))
        entities.append(Entity(f"syn:{i:05d}", name, types[i % 5], "", mentions, max(1, mentions // 3), name))
    documents = [
        DocumentRow(f"syn-{k:04d}", "synthetic.jsonl", f"Article {k:04d}", f"2024-{1 + k % 12:02d}-{1 + k % 28:02d}",
                    f"https://example.org/2024/syn-{k:04d}", 2000, 20, 40, "ok", "")
        for k in range(articles)
    ]  # fmt: skip
    graph = nx.Graph()
    for e in entities:
        graph.add_node(e.entity_id, name=e.name, type=e.type, wikidata="", mentions=e.mentions, documents=e.documents)
    evidence = []
    for a, b in shape.edges:
        source, target = sorted((entities[a].entity_id, entities[b].entity_id))
        weight = rng.choice((1, 1, 1, 2, 2, 3, 5, 8))
        cited = sorted(rng.sample(documents, min(weight, 3)), key=lambda d: d.date)
        graph.add_edge(source, target, weight=weight, documents=len(cited), start=cited[0].date, end=cited[-1].date)
        for k, doc in enumerate(cited[:2]):
            text = f"{entities[a].name} a rencontré {entities[b].name} lors de la réunion numéro {k + 1}."
            start = rng.randrange(1500)
            evidence.append(Evidence("edge", source, target, "", doc.doc_id, rng.randrange(20), start, start + len(text), text))  # fmt: skip
    communities = nx.community.louvain_communities(graph, weight="weight", seed=seed)
    for c, members in enumerate(sorted(communities, key=lambda m: (-len(m), min(m)))):
        for node in members:
            graph.nodes[node]["community"] = c
    pagerank = nx.pagerank(graph, weight="weight")
    for node in graph:
        spans = [d for *_, d in graph.edges(node, data=True)]
        graph.nodes[node].update(
            degree=graph.degree(node),
            pagerank=round(pagerank[node], 6),
            start=min(d["start"] for d in spans),
            end=max(d["end"] for d in spans),
        )
    return graph, entities, evidence, documents


def test_the_biggest_nodes_do_not_overlap(shipped_run):
    # ForceAtlas2 keeps the hubs apart: on a drawing 650 pixels high (the
    # graph area of a 900-pixel window), their circles do not touch
    run = load(shipped_run.out_dir)
    data = report_data(run.graph, run.entities, [], max_nodes=MAX_NODES)
    table, scale = data["entities"], 650 / CANVAS
    for a in range(3):
        for b in range(a + 1, 3):
            apart = math.dist((table["x"][a], table["y"][a]), (table["x"][b], table["y"][b])) * scale
            assert apart > table["size"][a] + table["size"][b], (table["name"][a], table["name"][b])


# ------------------------------------------------------------------ browser

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """Headless Chromium driven by chromedriver, logging network events."""
    if not CHROMIUM or not CHROMEDRIVER:
        pytest.skip("Chromium not installed (Debian: apt-get install chromium chromium-driver)")
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium not installed (pip install selenium)")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        # sigma draws with WebGL 2: without a GPU, Chromium's software renderer (SwiftShader) for this trusted page
        "--enable-unsafe-swiftshader",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=1400,900",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium')}",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


def _open(driver, page: Path):
    """Open `page` with empty logs and wait until its script is done."""
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get("about:blank")
    driver.get_log("performance")
    driver.get_log("browser")
    driver.get(page.as_uri())
    WebDriverWait(driver, 60).until(lambda d: d.execute_script("return document.body.dataset.ready"))
    assert driver.execute_script("return document.body.dataset.webgl") == "true", "sigma could not draw (WebGL 2)"
    return driver.find_element("tag name", "body")


def _requests(driver, page: Path) -> list[str]:
    """URLs of the requests made since `page` was opened (the browser's own
    start page, logged before it, does not count)."""
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    assert page.as_uri() in urls, f"the network log never saw {page} opened"
    return urls[urls.index(page.as_uri()) :]


def _no_request_out_and_no_console_error(driver, page: Path) -> None:
    assert [u for u in _requests(driver, page) if not u.startswith(("file:", "data:"))] == []
    errors = [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == []


def _click_node(driver, index: int) -> None:
    """A real mouse click at the centre of drawn entity `index`, the camera reset and drawn first."""
    from selenium.webdriver.common.action_chains import ActionChains

    at = driver.execute_async_script(
        "var i = arguments[0], done = arguments[1], s = window.pressgraph.sigma, camera = s.getCamera();"
        "camera.cancelAnimation(); camera.setState({x: 0.5, y: 0.5, ratio: 1, angle: 0});"
        "requestAnimationFrame(function () { requestAnimationFrame(function () {"
        "  var d = s.getNodeDisplayData(String(i)); done(s.framedGraphToViewport({x: d.x, y: d.y}));"
        "}); });",
        index,
    )
    container = driver.find_element("id", "graph")
    size = container.size
    # offsets from the element's centre (Selenium 4)
    ActionChains(driver).move_to_element_with_offset(
        container, round(at["x"] - size["width"] / 2), round(at["y"] - size["height"] / 2)
    ).click().perform()


def _check_the_biggest_nodes_open_their_panels(driver, body, data: dict) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    for i, entity_id in enumerate(data["entities"]["id"][:3]):
        _click_node(driver, i)
        # sigma resolves a click from its picking layer, a frame or two later
        WebDriverWait(driver, 5).until(lambda d, expected=entity_id: body.get_attribute("data-selected") == expected)
        assert driver.find_element("css selector", "#panel h2").text == data["entities"]["name"][i]


def _search(driver, query: str) -> list[str]:
    """Type `query` in the search box and choose the first result; returns the results' text."""
    from selenium.webdriver.common.keys import Keys

    box = driver.find_element("id", "search")
    box.clear()
    box.send_keys(query)
    found = [li.text for li in driver.find_elements("css selector", "#results li")]
    assert found, f"nothing found for {query!r}"
    box.send_keys(Keys.ENTER)
    return found


def test_report_of_a_real_run_in_chromium(browser, shipped_run, tmp_path):
    run = load(shipped_run.out_dir)
    page = tmp_path / "report.html"
    html = render_report(
        run.graph, run.entities, run.evidence, title="shipped", mentions=run.mentions,
        documents=run.documents, sentences=run.sentences,
    )  # fmt: skip
    page.write_text(html, "utf-8")
    data = _blob(html)
    expected = min(MAX_NODES, run.graph.number_of_nodes())
    assert expected > 10

    body = _open(browser, page)
    assert body.get_attribute("data-nodes") == str(expected)
    assert browser.execute_script("return window.pressgraph.sigma.getGraph().order") == expected

    # find the most mentioned entity by an upper-case, accent-free part of its name
    top = run.entities.sort_values(["mentions", "entity_id"], ascending=[False, True]).iloc[0]
    _search(browser, fold(top["name"]).upper()[:6])
    assert body.get_attribute("data-selected") == top["entity_id"]
    panel = browser.find_element("id", "panel")
    assert panel.find_element("tag name", "h2").text == top["name"]
    assert panel.find_elements("css selector", "blockquote mark.self")
    assert panel.find_elements("css selector", "blockquote mark.other")
    # each sentence is cited with its file and links to its characters in that file
    quote = panel.find_element("css selector", "blockquote")
    assert quote.find_element("css selector", ".doc").text.endswith(".txt")
    address = urlsplit(quote.find_element("css selector", "a.offsets").get_attribute("href"))
    start, end = map(int, address.fragment.removeprefix("char=").split(","))
    text = Path(unquote(address.path)).read_text(encoding="utf-8")
    sentence = quote.text.split("\n")[0]
    assert text[start:end] in sentence and len(text[start:end]) > 20

    _check_the_biggest_nodes_open_their_panels(browser, body, data)

    # colour by community: a legend names the communities
    browser.find_element("css selector", "input[name=colour][value=community]").click()
    assert browser.find_elements("css selector", "#legend .key")
    # unchecking a type hides its entities, and their panel says why
    kind = data["entities"]["type"][0]
    browser.find_element("css selector", f"input[name=type][value={kind}]").click()
    shown = browser.execute_script("return window.pressgraph.shown()")
    assert shown["nodes"] == expected - data["entities"]["type"][:expected].count(kind)
    browser.execute_script("window.pressgraph.choose(0)")
    assert f"Hidden on the graph: its type, {kind}, is unchecked" in panel.text

    _no_request_out_and_no_console_error(browser, page)


@pytest.fixture(scope="module")
def synthetic_page(tmp_path_factory):
    graph, entities, evidence, documents = synthetic_corpus()
    html = render_report(graph, entities, evidence, title="synthetic", documents=documents)
    page = tmp_path_factory.mktemp("synthetic") / "report.html"
    page.write_text(html, "utf-8")
    return page, _blob(html)


def test_report_of_10000_entities_in_chromium(browser, synthetic_page):
    page, data = synthetic_page
    assert len(data["entities"]["id"]) == 10_000 and data["drawn"] == MAX_NODES
    body = _open(browser, page)
    assert body.get_attribute("data-nodes") == str(MAX_NODES)

    # an entity far below the drawn ones is found, and its panel says why it is not on the graph
    rank = 9_000
    name = data["entities"]["name"][rank]
    found = _search(browser, fold(name)[-12:])
    assert name in found[0] and "not drawn" in found[0]
    assert body.get_attribute("data-selected") == data["entities"]["id"][rank]
    panel = browser.find_element("id", "panel")
    assert panel.find_element("tag name", "h2").text == name
    assert f"Not on the graph: it is number {rank + 1:,} by mentions" in panel.text
    assert panel.find_elements("css selector", ".neighbour-head button")
    quote = panel.find_element("css selector", "blockquote")
    assert name in quote.text
    # its article: title, date, and URL
    assert quote.find_element("css selector", ".doc").text.startswith("Article ")
    assert re.fullmatch(r"2024-\d\d-\d\d", quote.find_element("css selector", ".date").text)
    assert quote.find_element("css selector", "a.url").get_attribute("href").startswith("https://example.org/")

    _check_the_biggest_nodes_open_their_panels(browser, body, data)

    # the edge weight and date filters
    everything = browser.execute_script("return window.pressgraph.shown()")
    assert everything == {"nodes": MAX_NODES, "edges": data["drawnEdges"]}
    browser.execute_script(
        "var w = document.getElementById('min-weight'); w.value = '3'; w.dispatchEvent(new Event('input', {bubbles: true}));"
    )
    heavy = browser.execute_script("return window.pressgraph.shown()")
    assert heavy["nodes"] == MAX_NODES
    assert heavy["edges"] == sum(w >= 3 for w in data["edges"]["weight"][: data["drawnEdges"]])
    assert browser.find_element("id", "dates").is_displayed()
    browser.execute_script(
        "var f = document.getElementById('date-from'), t = document.getElementById('date-to');"
        "f.value = '2024-03-01'; t.value = '2024-03-31';"
        "f.dispatchEvent(new Event('input', {bubbles: true})); t.dispatchEvent(new Event('input', {bubbles: true}));"
    )
    march = browser.execute_script("return window.pressgraph.shown()")
    assert 0 < march["edges"] < heavy["edges"] and march["nodes"] < MAX_NODES

    _no_request_out_and_no_console_error(browser, page)
