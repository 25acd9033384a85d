"""A self-contained HTML page to explore a run: the graph, an entity's
neighbours and the sentences behind each edge.

`render_report` is pure: it returns the page as a string. Everything the page
needs is inline (CSS, JavaScript, the data as one JSON blob) and a Content
Security Policy forbids any request, so the file opens offline and tells no
server that it was opened. The layout is computed here (networkx, seeded), the
browser only draws it.

    html = render_report(run.graph, run.entities, evidence, title="pressgraph")
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import math
import re
import unicodedata
from collections.abc import Collection, Mapping
from dataclasses import fields, is_dataclass
from functools import lru_cache
from typing import Any

import networkx as nx
import pandas as pd

TYPE_COLOURS = {
    "PER": "#d62728",
    "STATE": "#1f77b4",
    "ORG": "#2ca02c",
    "LOC": "#ff7f0e",
    "MISC": "#7f7f7f",
}
OTHER_COLOUR = "#444444"
CANVAS = 1000  # the layout is scaled into a CANVAS x CANVAS square
_MARGIN = 40
_PAD = 0.35  # space around each component, in layout units


def render_report(
    graph: nx.Graph,
    entities: pd.DataFrame | list,
    evidence: list | pd.DataFrame,
    *,
    title: str,
    mentions: pd.DataFrame | list | None = None,
    max_nodes: int = 300,
    max_edges: int = 3000,
    max_neighbours: int = 10,
    max_evidence: int = 5,
    top_entities: int = 50,
    labels: int = 30,
    seed: int = 42,
) -> str:
    """One HTML page (a string) showing `graph` with its evidence sentences.

    Args:
        graph: the co-occurrence graph (`build_graph` or graph.graphml):
            node attributes name, type, wikidata, mentions, documents, degree,
            pagerank; edge attribute weight.
        entities: entities.csv rows (DataFrame, `Entity` records or dicts);
            their aliases help find names in sentences and in the search box.
        evidence: evidence.csv rows (DataFrame, `Evidence` records or dicts).
        title: shown as the page title (escaped).
        mentions: mentions.csv rows; when given, names in sentences are
            highlighted at the mentions' offsets, else by matching aliases.
        max_nodes: draw the `max_nodes` most mentioned entities only.
        max_edges: draw at most this many edges among them, the heaviest.
        max_neighbours: neighbours listed per entity, the heaviest edges first.
        max_evidence: sentences kept per neighbour.
        top_entities: rows of the "top entities" table.
        labels: the `labels` most mentioned nodes are labelled on the graph.
        seed: seed of the spring layout (same inputs, same page).
    """
    data = report_data(
        graph,
        entities,
        evidence,
        mentions=mentions,
        max_nodes=max_nodes,
        max_edges=max_edges,
        max_neighbours=max_neighbours,
        max_evidence=max_evidence,
        labels=labels,
        seed=seed,
    )
    data["title"] = title
    return _page(title, data, _table_rows(graph, data, top_entities), _legend(data))


def report_data(
    graph: nx.Graph,
    entities: pd.DataFrame | list,
    evidence: list | pd.DataFrame,
    *,
    mentions: pd.DataFrame | list | None = None,
    max_nodes: int = 300,
    max_edges: int = 3000,
    max_neighbours: int = 10,
    max_evidence: int = 5,
    labels: int = 30,
    seed: int = 42,
) -> dict:
    """The JSON blob the page draws: nodes (with layout and neighbours), edges, sentences."""
    aliases = _aliases(_records(entities))
    drawn = sorted(graph.nodes, key=lambda n: (-_int(graph.nodes[n].get("mentions")), _name(graph, n), str(n)))
    drawn = drawn[: max(max_nodes, 0)]
    index = {node: i for i, node in enumerate(drawn)}
    shown_graph = _subgraph(graph, [n for n in graph if n in index])
    positions = layout(shown_graph, seed=seed)
    top_mentions = max((_int(graph.nodes[n].get("mentions")) for n in drawn), default=0) or 1
    listed = {node: _heaviest(graph, node, max_neighbours) for node in drawn}
    # evidence and mentions are read for the pairs listed and the sentences shown only
    pairs = {_pair(node, other) for node in drawn for other, _ in listed[node]}
    evidence_by_pair = {
        pair: rows[: max(max_evidence, 0)] for pair, rows in _evidence_by_pair(_records(evidence), pairs).items()
    }
    shown = {(row["doc_id"], row["sentence_id"]) for rows in evidence_by_pair.values() for row in rows}
    offsets = _mention_offsets(_records(mentions), shown) if mentions is not None else None
    sentences: dict[str, int] = {}

    def sentence_index(text: str) -> int:
        return sentences.setdefault(text, len(sentences))

    nodes = []
    for i, node in enumerate(drawn):
        attrs = graph.nodes[node]
        x, y = positions[node]
        mentioned = _int(attrs.get("mentions"))
        nodes.append(
            {
                "id": str(node),
                "name": _name(graph, node),
                "type": str(attrs.get("type", "")),
                "wikidata": str(attrs.get("wikidata", "")),
                "mentions": mentioned,
                "documents": _int(attrs.get("documents")),
                "degree": _int(attrs.get("degree", graph.degree(node))),
                "pagerank": round(_number(attrs.get("pagerank")), 6),
                "community": _int(attrs.get("community", -1)),
                "aliases": sorted(aliases.get(str(node), set()) - {_name(graph, node)}),
                "x": x,
                "y": y,
                "r": round(4 + 14 * math.sqrt(mentioned / top_mentions), 2),
                "label": i < labels,
                "neighbours": [
                    {
                        "id": str(other),
                        "name": _name(graph, other),
                        "type": str(graph.nodes[other].get("type", "")),
                        "node": index.get(other, -1),
                        "weight": _number(edge.get("weight")),
                        "documents": _int(edge.get("documents")),
                        "evidence": [
                            [
                                sentence_index(row["text"]),
                                row["relation"],
                                f"{row['doc_id']} #{row['sentence_id']}",
                                _highlights(row, (str(node), str(other)), offsets, aliases),
                            ]
                            for row in evidence_by_pair.get(_pair(node, other), [])
                        ],
                    }
                    for other, edge in listed[node]
                ],
            }
        )
    edges = sorted(
        ((*sorted((index[a], index[b])), _number(d.get("weight"))) for a, b, d in shown_graph.edges(data=True)),
        key=lambda e: (-e[2], e[0], e[1]),
    )[: max(max_edges, 0)]
    return {
        "types": TYPE_COLOURS,
        "otherColour": OTHER_COLOUR,
        "size": CANVAS,
        "total": {"nodes": graph.number_of_nodes(), "edges": graph.number_of_edges()},
        "nodes": nodes,
        "edges": [[a, b, w] for a, b, w in edges],
        "sentences": list(sentences),
    }


# ------------------------------------------------------------------ inputs


def _records(rows: Any) -> list[dict]:
    """Rows of a DataFrame, of dataclass records or of dicts, as dicts."""
    if rows is None:
        return []
    if isinstance(rows, pd.DataFrame):
        return rows.to_dict("records")
    return [_as_dict(r) if is_dataclass(r) else dict(r) for r in rows]


def _as_dict(record: Any) -> dict:
    return {name: getattr(record, name) for name in _field_names(type(record))}


@lru_cache(maxsize=64)
def _field_names(record_type: type) -> tuple[str, ...]:
    """A dataclass's field names (`dataclasses.fields` is slow to call once per row)."""
    return tuple(f.name for f in fields(record_type))


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


def _name(graph: nx.Graph, node: Any) -> str:
    return str(graph.nodes[node].get("name") or node)


def _heaviest(graph: nx.Graph, node: Any, count: int) -> list[tuple[Any, dict]]:
    """The `count` heaviest edges of `node`, (neighbour, edge data), ties by the neighbour's name."""
    ranked = sorted(graph[node].items(), key=lambda item: (-_number(item[1].get("weight")), _name(graph, item[0])))
    return ranked[: max(count, 0)]


def _pair(a: Any, b: Any) -> tuple[str, str]:
    return (str(a), str(b)) if str(a) <= str(b) else (str(b), str(a))


def _aliases(entities: list[dict]) -> dict[str, set[str]]:
    """Entity id -> its name and every alias (entities.csv `aliases` is "|"-joined)."""
    found: dict[str, set[str]] = {}
    for row in entities:
        names = {_text(row.get("name"))} | set(_text(row.get("aliases")).split("|"))
        found[_text(row.get("entity_id"))] = {n.strip() for n in names if n.strip()}
    return found


def _evidence_by_pair(
    rows: list[dict], pairs: Collection[tuple[str, str]] | None = None
) -> dict[tuple[str, str], list[dict]]:
    """Evidence rows grouped by unordered entity pair: each sentence once, typed relations first.

    With `pairs`, only the rows of those pairs are kept.
    """
    grouped: dict[tuple[str, str], list[dict]] = {}
    seen: set[tuple] = set()
    for row in rows:
        pair = _pair(row.get("source"), row.get("target"))
        if pairs is not None and pair not in pairs:
            continue
        text = _text(row.get("text"))
        if not text:
            continue
        relation = _text(row.get("relation")) if row.get("kind") == "relation" else ""
        key = (pair, _text(row.get("doc_id")), _text(row.get("sentence_id")), relation)
        if key in seen:
            continue
        seen.add(key)
        grouped.setdefault(pair, []).append(
            {
                "text": text,
                "relation": relation,
                "doc_id": _text(row.get("doc_id")),
                "sentence_id": _text(row.get("sentence_id")),
                "start": _int(row.get("start")),
            }
        )
    for pair, found in grouped.items():
        # typed relations first, and a sentence they give is not repeated as a plain co-occurrence
        typed = {(r["doc_id"], r["sentence_id"]) for r in found if r["relation"]}
        kept = [r for r in found if r["relation"] or (r["doc_id"], r["sentence_id"]) not in typed]
        grouped[pair] = sorted(kept, key=lambda r: not r["relation"])
    return grouped


def _mention_offsets(
    rows: list[dict], sentences: Collection[tuple[str, str]] | None = None
) -> dict[tuple[str, str], list[tuple[int, int, str, str, str]]]:
    """(doc_id, sentence_id) -> (start, end, entity_id, refers_to, text) of its mentions.

    With `sentences`, only the mentions in those (doc_id, sentence_id) are kept.
    """
    offsets: dict[tuple[str, str], list[tuple[int, int, str, str, str]]] = {}
    for row in rows:
        key = (_text(row.get("doc_id")), _text(row.get("sentence_id")))
        if sentences is not None and key not in sentences:
            continue
        offsets.setdefault(key, []).append(
            (
                _int(row.get("start")),
                _int(row.get("end")),
                _text(row.get("entity_id")),
                _text(row.get("refers_to")),
                _text(row.get("text")),
            )
        )
    return offsets


# ------------------------------------------------------------ highlighting

_FOLD_EXTRA = {"\u2019": "'", "\u02bc": "'", "\u00a0": " ", "\u202f": " ", "\u2010": "-", "\u2011": "-"}


@lru_cache(maxsize=4096)
def _fold_char(char: str) -> str:
    char = _FOLD_EXTRA.get(char, char)
    return (unicodedata.normalize("NFD", char)[:1] or char).lower()[:1] or char


@lru_cache(maxsize=8192)
def fold(text: str) -> str:
    """Lower case without accents, one character for one (offsets are kept)."""
    return "".join(_fold_char(c) for c in text)


def _highlights(
    row: dict,
    entities: tuple[str, str],
    offsets: dict[tuple[str, str], list[tuple[int, int, str, str, str]]] | None,
    aliases: dict[str, set[str]],
) -> list[list]:
    """[start, end, entity_id] spans of the two entities in the sentence text.

    The mentions' offsets are used where they fall inside the text and point
    at the mention's own text; a mention standing for an entity (a capital
    for its state: `refers_to`) counts only when the entity is not named
    itself. An entity found that way nowhere is looked for by its name and
    aliases (whole words, case and accents ignored).
    """
    text = row["text"]
    direct: list[tuple[int, int, str]] = []
    standing: list[tuple[int, int, str]] = []
    for start, end, entity_id, refers_to, surface in (offsets or {}).get((row["doc_id"], row["sentence_id"]), []):
        s, e = start - row["start"], end - row["start"]
        if not (0 <= s < e <= len(text) and fold(text[s:e]) == fold(surface)):
            continue
        if entity_id in entities:
            direct.append((s, e, entity_id))
        elif refers_to in entities:
            standing.append((s, e, refers_to))
    named = {who for *_, who in direct}
    spans = direct + [span for span in standing if span[2] not in named]
    folded = fold(text)
    for entity_id in entities:
        if any(who == entity_id for *_, who in spans):
            continue
        pattern = _alias_pattern(frozenset(aliases.get(entity_id, ())))
        if pattern is not None:
            spans.extend((m.start(), m.end(), entity_id) for m in pattern.finditer(folded))
    kept: list[list] = []
    for s, e, who in sorted(spans, key=lambda span: (span[0], -span[1])):
        if not kept or s >= kept[-1][1]:
            kept.append([s, e, who])
    return kept


@lru_cache(maxsize=4096)
def _alias_pattern(names: frozenset[str]) -> re.Pattern | None:
    """One regex finding any of the names as whole words in folded text, longest first."""
    folded = sorted({fold(n) for n in names if len(n) >= 2}, key=lambda n: (-len(n), n))
    if not folded:
        return None
    return re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, folded)) + r")(?!\w)")


# ------------------------------------------------------------------ layout


def layout(graph: nx.Graph, *, seed: int = 42) -> dict[Any, tuple[float, float]]:
    """Positions in a CANVAS x CANVAS square, y downwards: a seeded spring
    layout of each connected component, the components packed in rows,
    biggest first.

    Laying components out apart keeps a small one from pushing the main one
    into a corner; weights are damped (1 + log w) so that a few heavy edges
    do not pull a hub's neighbours into one blot.
    """
    if len(graph) == 0:
        return {}
    damped = nx.Graph()
    damped.add_nodes_from(graph)
    damped.add_weighted_edges_from(
        (a, b, 1 + math.log(max(_number(d.get("weight")), 1))) for a, b, d in graph.edges(data=True)
    )
    components = sorted(nx.connected_components(damped), key=lambda c: (-len(c), min(map(str, c))))
    order = {node: i for i, node in enumerate(damped)}
    boxes = []  # (side, {node: (x, y) in [0, side]})
    for component in components:
        side = math.sqrt(len(component))
        if len(component) == 1:
            boxes.append((1.0, {next(iter(component)): (0.5, 0.5)}))
            continue
        raw = nx.spring_layout(_subgraph(damped, sorted(component, key=order.get)), seed=seed, weight="weight")
        fitted = _fit(raw, side)
        boxes.append((side + 2 * _PAD, {node: (x + _PAD, y + _PAD) for node, (x, y) in fitted.items()}))
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


def embed_json(data: Any) -> str:
    """JSON safe inside a <script> element: no "<", ">" or "&" left as such,
    and lone surrogates (undecodable bytes) escaped so the page encodes as UTF-8."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    text = text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")
    return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _table_rows(graph: nx.Graph, data: dict, count: int) -> str:
    drawn = {node["id"]: i for i, node in enumerate(data["nodes"])}
    ranked = sorted(graph.nodes, key=lambda n: (-_int(graph.nodes[n].get("mentions")), _name(graph, n), str(n)))
    rows = []
    for node in ranked[: max(count, 0)]:
        attrs = graph.nodes[node]
        kind = str(attrs.get("type", ""))
        cells = [
            f'<td><span class="dot t-{_e(kind)}"></span>{_e(_name(graph, node))}</td>',
            f"<td>{_e(kind)}</td>",
            f'<td class="num">{_int(attrs.get("mentions"))}</td>',
            f'<td class="num">{_int(attrs.get("documents"))}</td>',
            f'<td class="num">{_int(attrs.get("degree", graph.degree(node)))}</td>',
            f'<td class="num">{_number(attrs.get("pagerank")):.4f}</td>',
        ]
        rows.append(f'<tr data-node="{drawn.get(str(node), -1)}">{"".join(cells)}</tr>')
    return "\n".join(rows)


def _legend(data: dict) -> str:
    counts: dict[str, int] = {}
    for node in data["nodes"]:
        counts[node["type"]] = counts.get(node["type"], 0) + 1
    kinds = list(TYPE_COLOURS) + sorted(set(counts) - set(TYPE_COLOURS))
    return "".join(
        f'<span class="key"><span class="dot t-{_e(k)}"></span>{_e(k)} {counts.get(k, 0)}</span>' for k in kinds
    )


def _e(text: str) -> str:
    return html.escape(_SURROGATE.sub("\ufffd", str(text)), quote=True)


def _type_css(colours: Mapping[str, str]) -> str:
    rules = [f".t-{kind}{{background:{colour}}}" for kind, colour in colours.items()]
    return "\n".join(rules)


def _sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


def _page(title: str, data: dict, table_rows: str, legend: str) -> str:
    style = _CSS + _type_css(TYPE_COLOURS)
    script = _JS
    policy = (
        "default-src 'none'; "
        f"script-src {_sha256(script)}; "
        f"style-src {_sha256(style)}; "
        "img-src data:; connect-src 'none'; font-src 'none'; "
        "base-uri 'none'; form-action 'none'"
    )
    shown = len(data["nodes"])
    total = data["total"]
    summary = (
        f"{total['nodes']} entities, {total['edges']} edges"
        + (f" — the {shown} most mentioned drawn" if shown < total["nodes"] else "")
        + f", {len(data['edges'])} edges drawn"
    )
    return _TEMPLATE.format(
        policy=_e(policy),
        title=_e(title),
        style=style,
        summary=_e(summary),
        legend=legend,
        size=CANVAS,
        table_rows=table_rows,
        data=embed_json(data),
        script=script,
    )


_TEMPLATE = """<!DOCTYPE html>
<html lang="fr">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{policy}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<link rel="icon" href="data:,">
<title>{title}</title>
<style>{style}</style>
</head>
<body data-nodes="0">
<header>
<h1>{title}</h1>
<div class="search">
<input id="search" type="search" placeholder="Search an entity…" autocomplete="off" spellcheck="false"
 aria-label="Search an entity by name">
<ul id="results" role="listbox"></ul>
</div>
<p class="summary">{summary}</p>
</header>
<main>
<section class="graph">
<svg id="graph" viewBox="0 0 {size} {size}" preserveAspectRatio="xMidYMid meet" role="img"
 aria-label="Co-occurrence graph"><g id="viewport"><g id="edges"></g><g id="nodes"></g><g id="labels"></g></g></svg>
<div class="legend">{legend}<button id="reset" type="button">Reset view</button></div>
<p class="hint">Scroll to zoom, drag to pan, click a node to see its neighbours and the sentences that link them.</p>
</section>
<aside id="panel"><p class="empty">Click a node, or search an entity, to see its strongest neighbours
and the sentences that name them together.</p></aside>
</main>
<section class="top">
<h2>Top entities</h2>
<table id="top">
<thead><tr><th data-key="0">name</th><th data-key="1">type</th><th data-key="2" class="num">mentions</th>
<th data-key="3" class="num">documents</th><th data-key="4" class="num">degree</th>
<th data-key="5" class="num">pagerank</th></tr></thead>
<tbody>
{table_rows}
</tbody>
</table>
</section>
<script type="application/json" id="pressgraph-data">{data}</script>
<script>{script}</script>
</body>
</html>
"""

_CSS = """
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#222;background:#fafafa}
header{display:flex;align-items:center;gap:24px;padding:10px 18px;background:#fff;border-bottom:1px solid #ddd}
h1{font-size:18px;margin:0}
.summary{margin:0;color:#666}
.search{position:relative}
#search{width:280px;padding:6px 10px;font:inherit;border:1px solid #bbb;border-radius:4px}
#results{position:absolute;z-index:5;left:0;right:0;margin:2px 0 0;padding:0;list-style:none;background:#fff;
border:1px solid #ccc;border-radius:4px;box-shadow:0 4px 12px rgba(0,0,0,.12)}
#results:empty{display:none}
#results li{padding:5px 10px;cursor:pointer}
#results li:hover,#results li.active{background:#eef3fb}
#results .alias{color:#888;font-size:12px}
main{display:flex;height:calc(100vh - 58px);min-height:480px}
.graph{flex:1;display:flex;flex-direction:column;min-width:0;padding:8px}
#graph{flex:1;width:100%;min-height:0;background:#fff;border:1px solid #ddd;border-radius:4px;cursor:grab;
touch-action:none;user-select:none}
#graph.panning{cursor:grabbing}
.edge{stroke:#999;stroke-opacity:.35}
.node{stroke:#fff;stroke-width:1.5px;cursor:pointer}
.node:hover{stroke:#000}
.label{fill:#222;paint-order:stroke;stroke:#fff;stroke-linejoin:round;
pointer-events:none;display:none}
.label.big,.label.shown{display:inline}
svg.selection .edge{stroke-opacity:.06}
svg.selection .edge.active{stroke:#333;stroke-opacity:.8}
svg.selection .node{opacity:.25}
svg.selection .node.selected,svg.selection .node.neighbour{opacity:1}
svg.selection .label.big{display:none}
svg.selection .label.shown{display:inline}
.node.selected{stroke:#000;stroke-width:3px}
.legend{display:flex;flex-wrap:wrap;gap:14px;align-items:center;padding:6px 2px 0;color:#444}
.legend button{margin-left:auto}
.hint{margin:2px;color:#888;font-size:12px}
.dot{display:inline-block;width:10px;height:10px;border-radius:50%;margin-right:5px;vertical-align:baseline}
#panel{width:440px;overflow-y:auto;padding:12px 16px;background:#fff;border-left:1px solid #ddd}
#panel .empty{color:#777}
#panel h2{margin:0 0 4px;font-size:20px}
#panel dl{display:grid;grid-template-columns:auto 1fr;gap:2px 12px;margin:8px 0 12px}
#panel dt{color:#777}
#panel dd{margin:0}
#panel h3{font-size:15px;margin:14px 0 6px;border-bottom:1px solid #eee}
.neighbour-head{margin-top:12px;font-weight:600}
.neighbour-head button{font:inherit;font-weight:600;padding:0;border:0;background:none;color:#1a56b8;cursor:pointer}
.neighbour-head .weight{font-weight:normal;color:#777;font-size:12px;margin-left:6px}
blockquote{margin:4px 0 6px;padding:4px 8px;border-left:3px solid #ddd;background:#fcfcfc}
blockquote .where{display:block;color:#999;font-size:11px}
.relation{font-size:11px;background:#eee;border-radius:3px;padding:0 4px;margin-right:4px}
mark.self{background:#ffe28a}
mark.other{background:#bde0ff}
.none{color:#999;font-style:italic}
.top{padding:8px 18px 24px}
.top h2{font-size:16px}
table{border-collapse:collapse;background:#fff}
th,td{padding:4px 12px;border-bottom:1px solid #eee;text-align:left}
th{cursor:pointer;background:#f3f3f3}
.num{text-align:right;font-variant-numeric:tabular-nums}
tbody tr{cursor:pointer}
tbody tr:hover{background:#eef3fb}
"""

_JS = r"""
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("pressgraph-data").textContent);
  var svg = document.getElementById("graph");
  var NS = svg.namespaceURI;
  var viewport = document.getElementById("viewport");
  var edgeLayer = document.getElementById("edges");
  var nodeLayer = document.getElementById("nodes");
  var labelLayer = document.getElementById("labels");
  var panel = document.getElementById("panel");
  var input = document.getElementById("search");
  var results = document.getElementById("results");
  var nodes = data.nodes, edges = data.edges;
  var circles = [], texts = [], lines = [], incident = nodes.map(function () { return []; });
  var view = {x: 0, y: 0, k: 1};
  var selected = -1;

  function el(name, attrs, parent) {
    var e = document.createElementNS(NS, name);
    Object.keys(attrs).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (parent) parent.appendChild(e);
    return e;
  }
  function h(tag, className, text, parent) {
    var e = document.createElement(tag);
    if (className) e.className = className;
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (parent) parent.appendChild(e);
    return e;
  }
  function colour(type) { return data.types[type] || data.otherColour; }
  function fold(s) {
    return String(s).normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/\u2019/g, "'").toLowerCase();
  }

  // ---- drawing
  var maxWeight = edges.reduce(function (m, e) { return Math.max(m, e[2]); }, 1);
  edges.forEach(function (e, i) {
    var a = nodes[e[0]], b = nodes[e[1]];
    lines.push(el("line", {"class": "edge", x1: a.x, y1: a.y, x2: b.x, y2: b.y,
      "stroke-width": (0.5 + 4 * Math.sqrt(e[2] / maxWeight)).toFixed(2), "vector-effect": "non-scaling-stroke"},
      edgeLayer));
    incident[e[0]].push(i);
    incident[e[1]].push(i);
  });
  nodes.forEach(function (n, i) {
    var c = el("circle", {"class": "node", cx: n.x, cy: n.y, r: n.r, fill: colour(n.type),
      "data-index": i, "data-id": n.id, "vector-effect": "non-scaling-stroke"}, nodeLayer);
    el("title", {}, c).textContent = n.name + " (" + n.type + ", " + n.mentions + " mentions)";
    circles.push(c);
    var t = el("text", {"class": "label" + (n.label ? " big" : ""), x: n.x + n.r + 2, y: n.y + 4}, labelLayer);
    t.textContent = n.name;
    texts.push(t);
  });

  // ---- pan and zoom
  function apply() {
    viewport.setAttribute("transform", "translate(" + view.x + " " + view.y + ") scale(" + view.k + ")");
    // labels keep their size on screen: 11px whatever the zoom and the window
    var m = svg.getScreenCTM(), unit = (m && m.a > 0 ? m.a : 1) * view.k;
    labelLayer.setAttribute("font-size", (11 / unit).toFixed(3));
    labelLayer.setAttribute("stroke-width", (3 / unit).toFixed(3));
  }
  function point(evt) {
    var m = svg.getScreenCTM();
    if (!m) return {x: 0, y: 0};
    var p = svg.createSVGPoint();
    p.x = evt.clientX; p.y = evt.clientY;
    p = p.matrixTransform(m.inverse());
    return {x: p.x, y: p.y};
  }
  svg.addEventListener("wheel", function (evt) {
    evt.preventDefault();
    var p = point(evt), f = Math.exp(-evt.deltaY * 0.0015);
    var k = Math.min(40, Math.max(0.2, view.k * f));
    f = k / view.k;
    view.x = p.x - (p.x - view.x) * f;
    view.y = p.y - (p.y - view.y) * f;
    view.k = k;
    apply();
  }, {passive: false});
  var drag = null, dragged = false;
  svg.addEventListener("pointerdown", function (evt) {
    drag = {p: point(evt), cx: evt.clientX, cy: evt.clientY};
    dragged = false;
  });
  window.addEventListener("pointermove", function (evt) {
    if (!drag) return;
    if (!dragged && Math.abs(evt.clientX - drag.cx) + Math.abs(evt.clientY - drag.cy) > 3) {
      dragged = true;
      svg.classList.add("panning");
    }
    if (dragged) {
      var p = point(evt);
      view.x += p.x - drag.p.x;
      view.y += p.y - drag.p.y;
      drag.p = p;
      apply();
    }
  });
  window.addEventListener("pointerup", function () { drag = null; svg.classList.remove("panning"); });
  svg.addEventListener("click", function (evt) {
    if (dragged) return;
    var target = evt.target;
    if (target.classList && target.classList.contains("node")) select(Number(target.getAttribute("data-index")));
    else select(-1);
  });
  window.addEventListener("resize", apply);
  document.getElementById("reset").addEventListener("click", function () {
    view = {x: 0, y: 0, k: 1}; apply();
  });

  // ---- selection and the side panel
  function marked(text, spans, self, parent) {
    var at = 0;
    spans.forEach(function (s) {
      if (s[0] < at) return;
      if (s[0] > at) parent.appendChild(document.createTextNode(text.slice(at, s[0])));
      h("mark", s[2] === self ? "self" : "other", text.slice(s[0], s[1]), parent);
      at = s[1];
    });
    if (at < text.length) parent.appendChild(document.createTextNode(text.slice(at)));
  }
  function fact(dl, term, value) {
    h("dt", null, term, dl);
    h("dd", null, value === "" ? "—" : value, dl);
  }
  function showPanel(n) {
    panel.textContent = "";
    if (!n) {
      h("p", "empty", "Click a node, or search an entity, to see its strongest neighbours.", panel);
      return;
    }
    var title = h("h2", null, null, panel);
    h("span", "dot t-" + n.type, null, title);
    title.appendChild(document.createTextNode(n.name));
    var dl = h("dl", null, null, panel);
    fact(dl, "type", n.type);
    fact(dl, "Wikidata", n.wikidata);
    fact(dl, "entity id", n.id);
    fact(dl, "mentions", n.mentions);
    fact(dl, "documents", n.documents);
    fact(dl, "degree", n.degree);
    fact(dl, "PageRank", n.pagerank.toFixed(4));
    if (n.aliases.length) fact(dl, "also named", n.aliases.join(", "));
    h("h3", null, "Strongest neighbours", panel);
    if (!n.neighbours.length) h("p", "none", "No co-occurrence with another entity.", panel);
    n.neighbours.forEach(function (m) {
      var head = h("div", "neighbour-head", null, panel);
      h("span", "dot t-" + m.type, null, head);
      if (m.node >= 0) {
        var b = h("button", null, m.name, head);
        b.type = "button";
        b.addEventListener("click", function () { select(m.node); });
      } else {
        h("span", null, m.name, head);
      }
      h("span", "weight", "weight " + m.weight + " · " + m.documents + " document" + (m.documents === 1 ? "" : "s"),
        head);
      if (!m.evidence.length) h("p", "none", "No sentence kept for this pair.", panel);
      m.evidence.forEach(function (ev) {
        var q = h("blockquote", "evidence", null, panel);
        if (ev[1]) h("span", "relation", ev[1], q);
        marked(data.sentences[ev[0]], ev[3], n.id, q);
        h("span", "where", ev[2], q);
      });
    });
    panel.scrollTop = 0;
  }
  function highlight(i, on) {
    circles[i].classList.toggle("selected", on);
    texts[i].classList.toggle("shown", on);
    incident[i].forEach(function (e) {
      lines[e].classList.toggle("active", on);
      circles[edges[e][0] === i ? edges[e][1] : edges[e][0]].classList.toggle("neighbour", on);
    });
    nodes[i].neighbours.forEach(function (m) { if (m.node >= 0) texts[m.node].classList.toggle("shown", on); });
  }
  function select(i) {
    if (selected >= 0) highlight(selected, false);
    selected = (i >= 0 && i < nodes.length) ? i : -1;
    svg.classList.toggle("selection", selected >= 0);
    document.body.dataset.selected = selected >= 0 ? nodes[selected].id : "";
    if (selected < 0) { showPanel(null); return; }
    highlight(selected, true);
    nodeLayer.appendChild(circles[selected]);
    showPanel(nodes[selected]);
  }

  // ---- search
  var keys = nodes.map(function (n) { return {name: fold(n.name), aliases: n.aliases.map(fold)}; });
  function search(query) {
    var q = fold(query).trim();
    if (!q) return [];
    var byName = [], byAlias = [];
    nodes.forEach(function (n, i) {
      if (keys[i].name.indexOf(q) >= 0) byName.push({i: i, alias: ""});
      else {
        var a = keys[i].aliases.findIndex(function (k) { return k.indexOf(q) >= 0; });
        if (a >= 0) byAlias.push({i: i, alias: n.aliases[a]});
      }
    });
    function rank(a, b) {
      var sa = keys[a.i].name.indexOf(q) === 0 ? 0 : 1, sb = keys[b.i].name.indexOf(q) === 0 ? 0 : 1;
      return sa - sb || nodes[b.i].mentions - nodes[a.i].mentions || a.i - b.i;
    }
    return byName.sort(rank).concat(byAlias.sort(rank));
  }
  var found = [], active = 0;
  function showResults() {
    results.textContent = "";
    found.slice(0, 10).forEach(function (r, k) {
      var li = h("li", k === active ? "active" : "", null, results);
      li.setAttribute("role", "option");
      h("span", "dot t-" + nodes[r.i].type, null, li);
      li.appendChild(document.createTextNode(nodes[r.i].name + " "));
      if (r.alias) h("span", "alias", "(" + r.alias + ")", li);
      li.addEventListener("mousedown", function (evt) { evt.preventDefault(); choose(r.i); });
    });
  }
  function choose(i) {
    found = []; showResults();
    input.value = nodes[i].name;
    select(i);
  }
  input.addEventListener("input", function () { found = search(input.value); active = 0; showResults(); });
  input.addEventListener("keydown", function (evt) {
    if (evt.key === "ArrowDown" || evt.key === "ArrowUp") {
      evt.preventDefault();
      var shown = Math.min(found.length, 10);
      if (shown) { active = (active + (evt.key === "ArrowDown" ? 1 : shown - 1)) % shown; showResults(); }
    } else if (evt.key === "Enter") {
      if (found.length) choose(found[Math.min(active, found.length - 1)].i);
    } else if (evt.key === "Escape") {
      found = []; showResults();
    }
  });
  input.addEventListener("blur", function () { found = []; showResults(); });

  // ---- the top entities table
  var table = document.getElementById("top");
  table.tBodies[0].addEventListener("click", function (evt) {
    var row = evt.target.closest("tr");
    var i = row ? Number(row.getAttribute("data-node")) : -1;
    if (i >= 0) { select(i); window.scrollTo(0, 0); }
  });
  Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th) {
    th.addEventListener("click", function () {
      var key = Number(th.getAttribute("data-key")), numeric = th.classList.contains("num");
      var body = table.tBodies[0], rows = Array.prototype.slice.call(body.rows);
      var down = th.getAttribute("data-order") !== "down";
      rows.sort(function (a, b) {
        var x = a.cells[key].textContent, y = b.cells[key].textContent;
        var c = numeric ? Number(x) - Number(y) : x.localeCompare(y, "fr");
        return down === numeric ? -c : c;
      });
      th.setAttribute("data-order", down ? "down" : "up");
      rows.forEach(function (r) { body.appendChild(r); });
    });
  });

  // #entity=<id> or #search=<text> in the address selects an entity on load
  function fromHash() {
    var hash = decodeURIComponent(location.hash.slice(1));
    if (hash.indexOf("entity=") === 0) {
      var id = hash.slice(7);
      select(nodes.findIndex(function (n) { return n.id === id; }));
    } else if (hash.indexOf("search=") === 0) {
      var r = search(hash.slice(7));
      if (r.length) { input.value = nodes[r[0].i].name; select(r[0].i); }
    }
  }
  window.addEventListener("hashchange", fromHash);

  apply();
  fromHash();
  window.pressgraph = {data: data, nodes: nodes, edges: edges, select: select, search: search};
  document.body.dataset.nodes = String(nodeLayer.querySelectorAll("circle.node").length);
  document.body.dataset.edges = String(edgeLayer.querySelectorAll("line.edge").length);
  document.body.dataset.ready = "true";
})();
"""
