"""Every file pressgraph touches: inputs, the output folder, the cache, the data files.

`read_outputs(folder)` is the one way to read a run's outputs back (the
notebooks, `pipeline.views.explore` and `pipeline evaluate` use it):

    from pipeline.store import read_outputs
    run = read_outputs("outputs")
    run.entities.head(); run.graph.number_of_nodes()
"""

from __future__ import annotations

import typing
from collections.abc import Iterable
from dataclasses import fields
from functools import cached_property
from pathlib import Path

import networkx as nx
import pandas as pd

from pipeline.records import (
    BlockRow,
    Cooccurrence,
    DocumentRow,
    Entity,
    Evidence,
    Mention,
    ReadError,
    Relation,
    SentenceRow,
)

# Each table of the output folder and the record type of its rows.
TABLES: dict[str, type] = {
    "documents": DocumentRow,
    "blocks": BlockRow,
    "sentences": SentenceRow,
    "mentions": Mention,
    "entities": Entity,
    "cooccurrences": Cooccurrence,
    "relations": Relation,
    "evidence": Evidence,
    "errors": ReadError,
}
_DTYPES = {"int": "int64", "float": "float64", "bool": "bool"}


class Outputs:
    """The tables and graph of one run's output folder, each read when first used.

    Every table is a DataFrame with the columns of its record type: text
    cells stay strings (ids such as "001" intact, empty cells ""), numbers
    and booleans get their record's type.
    """

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)
        if not (self.folder / "entities.csv").is_file():
            raise FileNotFoundError(f"{self.folder}: no pipeline outputs here; run `python -m pipeline run` first")
        self._tables: dict[str, pd.DataFrame] = {}

    def table(self, name: str, *, needed: Iterable[str] | None = None) -> pd.DataFrame:
        """The table `name` (`TABLES` lists them).

        Args:
            needed: the columns that must be there (default: every column of the record).

        Raises:
            FileNotFoundError, ValueError: the file is missing, empty, lacks a
                column or holds a value of the wrong type (the message names it).
        """
        if name not in self._tables:
            self._tables[name] = read_table(self.folder / f"{name}.csv", TABLES[name], needed=needed)
        return self._tables[name]

    def __getattr__(self, name: str) -> pd.DataFrame:
        if name in TABLES:
            return self.table(name)
        raise AttributeError(name)

    @cached_property
    def graph(self) -> nx.Graph:
        """The co-occurrence graph (graph.graphml) with its node and edge attributes."""
        return nx.read_graphml(self.folder / "graph.graphml")

    def name(self, entity_id: str) -> str:
        """Canonical name of an entity id (the id itself when unknown)."""
        row = self.entities.loc[self.entities["entity_id"] == entity_id, "name"]
        return row.iloc[0] if len(row) else entity_id


def read_outputs(folder: str | Path) -> Outputs:
    """The outputs of the run written to `folder`."""
    return Outputs(folder)


def read_table(path: Path, record_type: type, *, needed: Iterable[str] | None = None) -> pd.DataFrame:
    """One CSV table of the output folder, its columns typed by its record's fields."""
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except pd.errors.EmptyDataError as err:
        raise ValueError(f"{path}: empty file; expected a header row") from err
    hints = typing.get_type_hints(record_type)
    needed = [f.name for f in fields(record_type)] if needed is None else list(needed)
    missing = [name for name in needed if name not in frame.columns]
    if missing:
        raise ValueError(f"{path}: missing column(s) {', '.join(missing)}; needed: {', '.join(needed)}")
    for f in fields(record_type):
        dtype = _DTYPES.get(getattr(hints[f.name], "__name__", ""))
        if f.name not in frame.columns or not dtype:
            continue
        if dtype == "bool":
            if not frame[f.name].isin(("True", "False")).all():
                raise ValueError(f"{path}, column {f.name!r}: expected True or False")
            frame[f.name] = frame[f.name] == "True"
        else:
            try:
                frame[f.name] = frame[f.name].astype(dtype)
            except ValueError as err:
                raise ValueError(f"{path}, column {f.name!r}: expected {dtype} values ({err})") from err
    return frame
