"""Export stage: tables and the graph -> files in the output folder.

`build_graph` is pure; `write_outputs` writes every file atomically, rows in a
deterministic order, so the same input and settings give the same bytes.
"""

from __future__ import annotations

import io as _io
import json
from collections.abc import Sequence
from pathlib import Path

import networkx as nx

from pipeline.io import atomic_write, write_records
from pipeline.records import BlockRow, Cooccurrence, DocumentRow, Entity, Mention, Relation


def build_graph(entities: Sequence[Entity], edges: Sequence[Cooccurrence]) -> nx.Graph:
    """Co-occurrence graph: nodes are entity ids, edges carry the weights."""
    graph = nx.Graph()
    connected = {e.source for e in edges} | {e.target for e in edges}
    for e in sorted(entities, key=lambda e: e.entity_id):
        graph.add_node(
            e.entity_id,
            name=e.name,
            type=e.type,
            wikidata=e.wikidata,
            mentions=e.mentions,
            documents=e.documents,
            isolated=e.entity_id not in connected,
        )
    for e in sorted(edges, key=lambda e: (e.source, e.target)):
        graph.add_edge(e.source, e.target, weight=e.weight, documents=e.documents, sentences=e.sentences, npmi=e.npmi)
    return graph


def write_outputs(
    out_dir: Path,
    *,
    documents: Sequence[DocumentRow],
    blocks: Sequence[BlockRow],
    mentions: Sequence[Mention],
    entities: Sequence[Entity],
    edges: Sequence[Cooccurrence],
    relations: Sequence[Relation],
) -> dict[str, int]:
    """Write every output file; returns rows written per table."""
    out_dir = Path(out_dir)
    rows = {
        "documents.csv": write_records(
            out_dir / "documents.csv", DocumentRow, sorted(documents, key=lambda d: d.doc_id)
        ),
        "blocks.csv": write_records(
            out_dir / "blocks.csv", BlockRow, sorted(blocks, key=lambda b: (b.doc_id, b.block_id))
        ),
        "mentions.csv": write_records(
            out_dir / "mentions.csv", Mention, sorted(mentions, key=lambda m: (m.doc_id, m.start, m.end, m.kind))
        ),
        "entities.csv": write_records(out_dir / "entities.csv", Entity, sorted(entities, key=lambda e: e.entity_id)),
        "cooccurrences.csv": write_records(out_dir / "cooccurrences.csv", Cooccurrence, edges),
        "relations.csv": write_records(
            out_dir / "relations.csv",
            Relation,
            sorted(relations, key=lambda r: (r.doc_id, r.sentence_id, r.subject, r.predicate, r.object)),
        ),
    }
    graph = build_graph(entities, edges)
    _write_graph(out_dir, graph)
    return rows


def _write_graph(out_dir: Path, graph: nx.Graph) -> None:
    for name, writer in (("graph.graphml", nx.write_graphml), ("graph.gexf", nx.write_gexf)):
        buffer = _io.BytesIO()
        writer(graph, buffer)
        _write_bytes(out_dir / name, buffer.getvalue())
    data = nx.node_link_data(graph, edges="edges")
    atomic_write(out_dir / "graph.json", lambda f: json.dump(data, f, ensure_ascii=False, indent=1))


def _write_bytes(path: Path, data: bytes) -> None:
    atomic_write(path, lambda f: f.write(data), binary=True)
