"""The HTML report: a self-contained page, escaped, and drawn by a real browser."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import networkx as nx
import pandas as pd
import pytest

from pipeline.records import Cooccurrence, Entity, Evidence, Mention
from pipeline.stages.export import build_graph
from pipeline.views.explore import load
from pipeline.views.report import fold, layout, render_report, report_data

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


def _render(**kwargs) -> str:
    return render_report(build_graph(ENTITIES, EDGES), ENTITIES, EVIDENCE, title="Graph <b>&</b> co", **kwargs)


def _blob(page: str) -> dict:
    found = re.search(r'<script type="application/json" id="pressgraph-data">(.*?)</script>', page, re.S)
    assert found, "the data blob is missing"
    return json.loads(found.group(1))


def _node(data: dict, entity_id: str) -> dict:
    return next(n for n in data["nodes"] if n["id"] == entity_id)


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


def test_page_requests_nothing_from_outside():
    page = _render()
    assert "http://" not in page and "https://" not in page
    for tag, name, value in _attributes(page):
        if name in ("src", "href", "action", "srcset", "poster", "xlink:href", "background"):
            assert value.startswith("data:"), f"<{tag} {name}={value!r}> would be fetched"
    assert not re.search(r"url\(|@import", page), "CSS must not load anything"
    policy = _policy(page)
    assert "default-src 'none'" in policy and "connect-src 'none'" in policy


def test_policy_allows_exactly_the_inline_script_and_style():
    page = _render()
    policy = _policy(page)
    script = re.search(r"<script>(.*?)</script>", page, re.S).group(1)
    style = re.search(r"<style>(.*?)</style>", page, re.S).group(1)
    for text in (script, style):
        digest = base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in policy


def test_scraped_text_is_escaped_and_reads_back():
    page = _render()
    assert page.count("</script>") == 2  # the data blob and the script, nothing from the data
    assert page.count("<script") == 2
    assert "<img" not in page and "<!--" not in page
    assert "<title>Graph &lt;b&gt;&amp;&lt;/b&gt; co</title>" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page  # the top entities table, escaped
    data = _blob(page)
    assert INJECTED in data["sentences"]
    assert data["title"] == "Graph <b>&</b> co"
    assert _node(data, "org:evil")["name"] == "<img src=x onerror=alert(1)>"


def test_nodes_edges_neighbours_and_evidence():
    data = _blob(_render())
    assert [n["id"] for n in data["nodes"]] == ["Q7747", "Q423", "Q56226", "org:evil"]  # by mentions
    assert len(data["edges"]) == 3
    assert all(0 <= n["x"] <= 1000 and 0 <= n["y"] <= 1000 for n in data["nodes"])
    putin = _node(data, "Q7747")
    assert (putin["type"], putin["wikidata"], putin["mentions"]) == ("PER", "Q7747", 5)
    assert [m["name"] for m in putin["neighbours"]] == ["Corée du Nord", "Kim Jong-un", "<img src=x onerror=alert(1)>"]
    north_korea = putin["neighbours"][0]
    assert north_korea["weight"] == 3 and len(north_korea["evidence"]) == 2  # the duplicate sentence once
    # both names highlighted, whatever their case, accents or alias
    sentence, _relation, where, spans = north_korea["evidence"][0]
    text = data["sentences"][sentence]
    assert where == "d1 #1"
    assert [(text[s:e], who) for s, e, who in spans] == [("président russe", "Q7747"), ("Corée du Nord", "Q423")]
    text, spans = data["sentences"][north_korea["evidence"][1][0]], north_korea["evidence"][1][3]
    assert [(text[s:e], who) for s, e, who in spans] == [("POUTINE", "Q7747")]


def test_highlights_follow_mention_offsets():
    # "Pyongyang" stands for North Korea: only the mentions table can say so
    mentions = [
        Mention("d2", 0, 0, 9, "Pyongyang", "LOC", "Q18808", "name", "kb", "Q423"),
        Mention("d2", 0, 20, 27, "POUTINE", "PER", "Q7747", "name", "kb", ""),
    ]
    data = _blob(_render(mentions=pd.DataFrame(mentions)))
    evidence = _node(data, "Q423")["neighbours"][0]["evidence"]
    text, spans = data["sentences"][evidence[1][0]], evidence[1][3]
    assert [(text[s:e], who) for s, e, who in spans] == [("Pyongyang", "Q423"), ("POUTINE", "Q7747")]


def test_a_capital_stands_for_its_state_only_when_the_state_is_not_named():
    text = "Pyongyang, capitale de la Corée du Nord, reçoit Poutine."
    evidence = [Evidence("edge", "Q423", "Q7747", "", "d9", 2, 50, 50 + len(text), text)]
    mentions = [
        Mention("d9", 2, 50, 59, "Pyongyang", "LOC", "Q18808", "name", "kb", "Q423"),
        Mention("d9", 2, 76, 89, "Corée du Nord", "STATE", "Q423", "name", "kb", ""),
        Mention("d9", 2, 98, 105, "Poutine", "PER", "Q7747", "name", "kb", ""),
    ]
    data = report_data(build_graph(ENTITIES, EDGES), ENTITIES, evidence, mentions=mentions)
    _sentence, _relation, _where, spans = _node(data, "Q7747")["neighbours"][0]["evidence"][0]
    assert [(text[s:e], who) for s, e, who in spans] == [("Corée du Nord", "Q423"), ("Poutine", "Q7747")]


def test_layout_is_seeded_and_fits_the_square():
    graph = build_graph(ENTITIES, EDGES)
    positions = layout(graph, seed=3)
    assert positions == layout(graph, seed=3) and set(positions) == set(graph)
    assert all(40 <= v <= 960 for xy in positions.values() for v in xy)
    assert layout(build_graph([], [])) == {}


def test_typed_relations_come_first_and_once():
    evidence = EVIDENCE + [Evidence("relation", "Q7747", "Q56226", "MEET", "d1", 0, 0, 31, EVIDENCE[0].text)]
    data = report_data(build_graph(ENTITIES, EDGES), ENTITIES, evidence)
    kim = next(m for m in _node(data, "Q7747")["neighbours"] if m["id"] == "Q56226")
    assert [(data["sentences"][e[0]], e[1]) for e in kim["evidence"]] == [(EVIDENCE[0].text, "MEET")]


def test_limits_and_data_frames():
    graph = build_graph(ENTITIES, EDGES)
    data = report_data(graph, pd.DataFrame(ENTITIES), pd.DataFrame(EVIDENCE), max_nodes=2, max_evidence=1)
    assert [n["id"] for n in data["nodes"]] == ["Q7747", "Q423"]
    assert data["edges"] == [[0, 1, 3]]
    neighbours = _node(data, "Q7747")["neighbours"]
    assert [m["node"] for m in neighbours] == [1, -1, -1]  # listed, but not drawn
    assert all(len(m["evidence"]) <= 1 for m in neighbours)
    assert report_data(graph, ENTITIES, EVIDENCE, max_neighbours=1)["nodes"][0]["neighbours"][0]["id"] == "Q423"


def test_same_inputs_same_page_and_empty_graph():
    assert _render() == _render()
    empty = render_report(build_graph([], []), [], [], title="empty")
    assert _blob(empty)["nodes"] == [] and 'data-nodes="0"' in empty


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
    assert [(n["name"], n["x"], n["y"]) for n in drawn[0]["nodes"]] == [
        (n["name"], n["x"], n["y"]) for n in drawn[1]["nodes"]
    ]


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


def _requests(driver, page: str) -> list[str]:
    """URLs of the requests made since `page` was opened (the browser's own
    start page, logged before it, does not count)."""
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    assert page in urls, f"the network log never saw {page} opened"
    return urls[urls.index(page) :]


def test_report_of_a_real_run_in_chromium(browser, shipped_run, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    run = load(shipped_run.out_dir)
    evidence = pd.read_csv(Path(shipped_run.out_dir) / "evidence.csv", keep_default_na=False)
    page = tmp_path / "report.html"
    page.write_text(render_report(run.graph, run.entities, evidence, title="shipped", mentions=run.mentions), "utf-8")
    expected = min(300, run.graph.number_of_nodes())
    assert expected > 10

    browser.get("about:blank")
    browser.get_log("performance")
    browser.get_log("browser")
    browser.get(page.as_uri())
    WebDriverWait(browser, 30).until(lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-ready"))
    body = browser.find_element(By.TAG_NAME, "body")
    assert body.get_attribute("data-nodes") == str(expected)
    assert len(browser.find_elements(By.CSS_SELECTOR, "svg circle.node")) == expected
    assert browser.execute_script("return window.pressgraph.nodes.length") == expected

    # find the most mentioned entity by a lower-case, accent-free part of its name
    top = run.entities.sort_values(["mentions", "entity_id"], ascending=[False, True]).iloc[0]
    query = fold(top["name"]).upper()[:6]
    box = browser.find_element(By.ID, "search")
    box.send_keys(query)
    assert browser.find_elements(By.CSS_SELECTOR, "#results li")
    box.send_keys(Keys.ENTER)
    assert body.get_attribute("data-selected") == top["entity_id"]
    panel = browser.find_element(By.ID, "panel")
    assert panel.find_element(By.TAG_NAME, "h2").text == top["name"]
    assert panel.find_elements(By.CSS_SELECTOR, "blockquote mark.self")
    assert panel.find_elements(By.CSS_SELECTOR, "blockquote mark.other")

    # clicking another node shows that one
    other = browser.find_elements(By.CSS_SELECTOR, "svg circle.node")[1]
    browser.execute_script("arguments[0].dispatchEvent(new MouseEvent('click', {bubbles: true}))", other)
    assert body.get_attribute("data-selected") == other.get_attribute("data-id")

    urls = _requests(browser, page.as_uri())
    assert [u for u in urls if not u.startswith(("file:", "data:"))] == []
    errors = [e["message"] for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == []
