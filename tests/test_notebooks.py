"""Every notebook runs top to bottom against a real run of the pipeline, and stays small and quick on a large one."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from pipeline import load_config, run

PROJECT = Path(__file__).resolve().parent.parent
NOTEBOOK_DIR = PROJECT / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
# 250 BBC Afrique articles (3,600 entities): read-only beside the clone, never copied into the repository
LARGE_CORPUS = PROJECT.parent / "shared" / "corpora" / "bbc_afrique_train250.jsonl"
MAX_BYTES = 2_000_000  # an executed notebook, figures and widget state included
MAX_SECONDS = 30.0


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


@pytest.fixture(scope="module")
def large_run(tmp_path_factory):
    """Outputs of `run` over the 250-article corpus (about a minute and a half)."""
    if not LARGE_CORPUS.is_file():
        pytest.skip(f"no {LARGE_CORPUS} beside the clone")
    tmp = tmp_path_factory.mktemp("large")
    cfg = load_config(overrides={"output.out_dir": tmp / "outputs", "annotate.cache_dir": tmp / "cache"})
    return run([LARGE_CORPUS], cfg)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_stays_small_and_quick_on_a_large_run(path, large_run, tmp_path, monkeypatch):
    """Thousands of entities: the drawings and tables show the top ones, the widget a filtered graph."""
    monkeypatch.setenv("PRESSGRAPH_OUTPUTS", str(large_run.out_dir))
    monkeypatch.delenv("MPLBACKEND", raising=False)  # the inline backend, as in Jupyter: the figures count
    started = time.perf_counter()
    nb = execute(path)
    seconds = time.perf_counter() - started
    saved = tmp_path / path.name
    nbformat.write(nb, saved)
    size = saved.stat().st_size
    assert size < MAX_BYTES, f"{path.name} executed on {large_run.out_dir}: {size:,} bytes, allowed {MAX_BYTES:,}"
    assert seconds < MAX_SECONDS, f"{path.name} on {large_run.out_dir}: {seconds:.1f} s, allowed {MAX_SECONDS:.0f} s"
    assert "no room for" not in output_text(nb), "a static drawing left top entities unlabelled"
