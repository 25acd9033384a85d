"""Every file pressgraph touches: inputs, the output folder, the cache, the data files.

`read_outputs(folder)` is the one way to read a run's outputs back (the
notebooks, `pipeline.views.explore` and `pipeline evaluate` use it):

    from pipeline.store import read_outputs
    run = read_outputs("outputs")
    run.entities.head(); run.graph.number_of_nodes()
"""

from __future__ import annotations

import json
import os
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
    EvidenceRow,
    Mention,
    ReadError,
    RelationRow,
    SentenceRow,
)
from pipeline.store.outputs import restore_formula

# Each table of the output folder and the record type of its rows.
TABLES: dict[str, type] = {
    "documents": DocumentRow,
    "blocks": BlockRow,
    "sentences": SentenceRow,
    "mentions": Mention,
    "entities": Entity,
    "cooccurrences": Cooccurrence,
    "relations": RelationRow,
    "evidence": EvidenceRow,
    "errors": ReadError,
}
_DTYPES = {"int": "int64", "float": "float64", "bool": "bool"}


class Outputs:
    """The tables and graph of one run's output folder, each read when first used.

    Every table is a DataFrame with the columns of its record type: text
    cells are the text as the article had it (ids such as "001" intact,
    empty cells "", the apostrophe put before formula-like cells for
    spreadsheets removed), numbers and booleans get their record's type.

    The tables all come from the one run the folder showed when this object
    was made (`version`), even when a later run replaces the folder's
    contents meanwhile.
    """

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)
        self.version = Path(os.path.realpath(self.folder))  # the version the folder links to
        if not (self.version / "entities.csv").is_file():
            raise FileNotFoundError(f"{self.folder}: no pipeline outputs here; run `python -m pipeline run` first")
        self._tables: dict[str, pd.DataFrame] = {}
        self._raw_text = _raw_csv(self.version)

    def path(self, name: str) -> Path:
        """The file `name` of these outputs (`texts/...` too).

        Raises:
            FileNotFoundError: a later run replaced the outputs this object reads.
        """
        if not self.version.is_dir():
            raise FileNotFoundError(f"{self.folder}: a later run replaced these outputs; call read_outputs again")
        return self.version / name

    def table(self, name: str, *, needed: Iterable[str] | None = None) -> pd.DataFrame:
        """The table `name` (`TABLES` lists them).

        Args:
            needed: the columns that must be there (default: every column of the record).

        Raises:
            FileNotFoundError, ValueError: the file is missing, empty, lacks a
                column or holds a value of the wrong type (the message names it).
        """
        if name not in self._tables:
            path = self.path(f"{name}.csv")
            self._tables[name] = read_table(path, TABLES[name], needed=needed, raw_text=self._raw_text)
        return self._tables[name]

    def __getattr__(self, name: str) -> pd.DataFrame:
        if name in TABLES:
            return self.table(name)
        raise AttributeError(name)

    @cached_property
    def graph(self) -> nx.Graph:
        """The co-occurrence graph (graph.graphml) with its node and edge attributes."""
        return nx.read_graphml(self.path("graph.graphml"))

    def name(self, entity_id: str) -> str:
        """Canonical name of an entity id (the id itself when unknown)."""
        row = self.entities.loc[self.entities["entity_id"] == entity_id, "name"]
        return row.iloc[0] if len(row) else entity_id


def read_outputs(folder: str | Path) -> Outputs:
    """The outputs of the run written to `folder`."""
    return Outputs(folder)


def _raw_csv(folder: Path) -> bool:
    """Whether the run that wrote `folder` kept formula-like cells raw (`output.raw_csv`)."""
    try:
        info = json.loads((folder / "run.json").read_text(encoding="utf-8"))
        return info["config"]["output"]["raw_csv"] is True
    except (OSError, ValueError, KeyError, TypeError):
        return False


def read_table(
    path: Path, record_type: type, *, needed: Iterable[str] | None = None, raw_text: bool = False
) -> pd.DataFrame:
    """One CSV table of the output folder, its columns typed by its record's fields.

    Args:
        raw_text: the table was written with `output.raw_csv`; otherwise the
            apostrophe writing put before formula-like text is removed.
    """
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
        if f.name not in frame.columns:
            continue
        if not dtype:
            quoted = frame[f.name].str.startswith("'")
            if not raw_text and quoted.any():
                frame.loc[quoted, f.name] = frame.loc[quoted, f.name].map(restore_formula)
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
