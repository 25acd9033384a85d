"""Loading a run's outputs for notebooks: DataFrames and the networkx graph.

from pipeline.views.explore import load
run = load("outputs")
run.entities.head()
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import networkx as nx
import pandas as pd

TABLES = ("documents", "mentions", "entities", "cooccurrences", "relations", "blocks")


@dataclass(frozen=True)
class Outputs:
    """The tables and graph of one pipeline run."""

    folder: Path
    documents: pd.DataFrame
    mentions: pd.DataFrame
    entities: pd.DataFrame
    cooccurrences: pd.DataFrame
    relations: pd.DataFrame
    blocks: pd.DataFrame
    graph: nx.Graph

    def name(self, entity_id: str) -> str:
        """Canonical name of an entity id."""
        row = self.entities.loc[self.entities["entity_id"] == entity_id, "name"]
        return row.iloc[0] if len(row) else entity_id


def default_folder() -> Path:
    """`$PRESSGRAPH_OUTPUTS`, else `outputs/` of the project."""
    env = os.environ.get("PRESSGRAPH_OUTPUTS")
    return Path(env) if env else Path(__file__).resolve().parent.parent / "outputs"


def load(folder: str | Path | None = None) -> Outputs:
    """Read every table (empty strings kept as strings) and the GraphML graph."""
    folder = Path(folder) if folder is not None else default_folder()
    if not (folder / "entities.csv").is_file():
        raise FileNotFoundError(f"{folder}: no pipeline outputs here; run `python -m pipeline run` first")
    tables = {name: pd.read_csv(folder / f"{name}.csv", keep_default_na=False) for name in TABLES}
    return Outputs(folder=folder, graph=nx.read_graphml(folder / "graph.graphml"), **tables)
