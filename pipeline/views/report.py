"""A self-contained HTML page to explore a run: the graph, an entity's
neighbours and the sentences behind each edge.

`render_report` is pure: it returns the page as a string. Everything the page
needs is inline (CSS, JavaScript, the data as one JSON blob) and a Content
Security Policy forbids any request, so the file opens offline and tells no
server that it was opened. The layout is computed here (networkx, seeded), the
browser only draws it.

The markup, style and script are package files, `templates/report.html`,
`report.css` and `report.js` (and two one-line fragments, a table row and a
legend key), filled with `string.Template`: this module prepares and escapes
what fills them.

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
from functools import cache, lru_cache
from importlib.resources import files
from string import Template
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
    row = _fragment("report_top_row.html")
    rows = []
    for node in ranked[: max(count, 0)]:
        attrs = graph.nodes[node]
        rows.append(
            row.substitute(
                node=drawn.get(str(node), -1),
                name=_e(_name(graph, node)),
                type=_e(str(attrs.get("type", ""))),
                mentions=_int(attrs.get("mentions")),
                documents=_int(attrs.get("documents")),
                degree=_int(attrs.get("degree", graph.degree(node))),
                pagerank=f"{_number(attrs.get('pagerank')):.4f}",
            )
        )
    return "\n".join(rows)


def _legend(data: dict) -> str:
    counts: dict[str, int] = {}
    for node in data["nodes"]:
        counts[node["type"]] = counts.get(node["type"], 0) + 1
    kinds = list(TYPE_COLOURS) + sorted(set(counts) - set(TYPE_COLOURS))
    key = _fragment("report_legend_key.html")
    return "".join(key.substitute(type=_e(k), count=counts.get(k, 0)) for k in kinds)


def _e(text: str) -> str:
    return html.escape(_SURROGATE.sub("\ufffd", str(text)), quote=True)


def _type_css(colours: Mapping[str, str]) -> str:
    rules = [f".t-{kind}{{background:{colour}}}" for kind, colour in colours.items()]
    return "\n".join(rules)


def _sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


def _page(title: str, data: dict, table_rows: str, legend: str) -> str:
    style = _asset("report.css") + _type_css(TYPE_COLOURS)
    script = _asset("report.js")
    # hashes of the exact text inlined below: the only style and script the page may use
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
    return _template("report.html").substitute(
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


# --------------------------------------------------------------- templates

# each file of templates/ opens with a comment saying what fills it, not part of the output
_HEADER = re.compile(r"(?:<!--.*?-->|/\*.*?\*/)\n", re.S)


@cache
def _asset(name: str) -> str:
    """The text of templates/`name` without its opening comment (and the line break ending it)."""
    text = (files("pipeline.views") / "templates" / name).read_text(encoding="utf-8")
    header = _HEADER.match(text)
    if header is None:
        raise ValueError(f"pipeline/views/templates/{name}: should open with a comment saying what fills it")
    return text[header.end() :]


@cache
def _template(name: str) -> Template:
    return Template(_asset(name))


@cache
def _fragment(name: str) -> Template:
    """A one-line template repeated by the code: the file's final line break is not part of it."""
    return Template(_asset(name).removesuffix("\n"))
