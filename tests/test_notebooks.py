"""Every notebook runs top to bottom against a real run of the pipeline."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOK_DIR = Path(__file__).resolve().parent.parent / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))


def execute(path: Path) -> nbformat.NotebookNode:
    """The notebook at `path` run top to bottom, the kernel's working folder the notebook's folder."""
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
    return nb


def output_text(nb: nbformat.NotebookNode) -> str:
    """Everything the code cells printed or displayed as text."""
    parts = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            parts.append(output.get("text", ""))
            parts.extend(str(v) for k, v in output.get("data", {}).items() if k.startswith("text/"))
    return "\n".join(parts)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs(path, shipped_run, monkeypatch):
    monkeypatch.setenv("PRESSGRAPH_OUTPUTS", str(shipped_run.out_dir))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = nbformat.read(path, as_version=4)
    assert all(not cell.get("outputs") for cell in nb.cells if cell.cell_type == "code"), (
        "commit notebooks without outputs"
    )
    execute(path)


def test_notebook_finds_outputs_after_quick_start(shipped_run, tmp_path, monkeypatch):
    """`python -m pipeline run` then `jupyter lab notebooks/`: the kernel runs in notebooks/,
    the outputs are in ../outputs, and no environment variable says so."""
    shutil.copytree(NOTEBOOK_DIR, tmp_path / "notebooks")
    shutil.copytree(shipped_run.out_dir, tmp_path / "outputs")
    monkeypatch.delenv("PRESSGRAPH_OUTPUTS", raising=False)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = execute(tmp_path / "notebooks" / "01_entities_and_graph.ipynb")
    text = output_text(nb)
    assert "Vladimir Poutine" in text
    assert "nodes," in text  # the graph cell ran too
