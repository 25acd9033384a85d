"""Helpers for notebooks: a run's outputs as DataFrames and a networkx graph.

from pipeline.views.explore import load
run = load()            # $PRESSGRAPH_OUTPUTS, else outputs/ in the working folder
run.entities.head()
"""

from __future__ import annotations

import os
from pathlib import Path

from pipeline.store import Outputs, read_outputs


def default_folder() -> Path:
    """`$PRESSGRAPH_OUTPUTS`, else `outputs/` in the working folder."""
    return Path(os.environ.get("PRESSGRAPH_OUTPUTS") or "outputs")


def load(folder: str | Path | None = None) -> Outputs:
    """The outputs in `folder` (default: `default_folder()`)."""
    return read_outputs(default_folder() if folder is None else folder)
