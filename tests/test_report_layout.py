"""The report's layout (igraph's Fruchterman-Reingold, then ForceAtlas2): the same page from any process."""

from __future__ import annotations

import hashlib
import os
import random
import subprocess
import sys
from pathlib import Path

from pipeline.records import Cooccurrence, Entity
from pipeline.stages.export import build_graph
from pipeline.views.report import layout, render_report

# a graph of 80 entities in a few components, weights 1 to 5; `random` is
# drawn from before the page is made; prints the page's digest
PAGE = """
import hashlib, random, sys
from tests.test_report_layout import page
random.seed(int(sys.argv[1]))
print(hashlib.sha256(page().encode("utf-8")).hexdigest())
"""


def page() -> str:
    rng = random.Random(5)
    entities = [Entity(f"e{i:02d}", f"Entité {i}", "PER", "", 100 - i, 1, "") for i in range(80)]
    pairs = {tuple(sorted(rng.sample(range(70), 2))) for _ in range(200)} | {(70 + i, 71 + i) for i in range(5)}
    edges = [Cooccurrence(f"e{a:02d}", f"e{b:02d}", rng.randint(1, 5), 1, 1, 0, 0, 0, "", "") for a, b in sorted(pairs)]
    return render_report(build_graph(entities, edges), entities, [], title="layout")


def test_the_same_page_in_another_process():
    here = hashlib.sha256(page().encode("utf-8")).hexdigest()
    for seed in ("1", "2"):
        done = subprocess.run(
            [sys.executable, "-c", PAGE, seed],
            capture_output=True,
            text=True,
            check=True,
            cwd=Path(__file__).resolve().parent.parent,  # where `tests` is a package
            env=os.environ | {"PYTHONHASHSEED": seed},
        )
        assert done.stdout.strip() == here


def test_the_layout_leaves_the_callers_random_numbers_alone():
    import networkx as nx

    graph = nx.barabasi_albert_graph(50, 2, seed=1)
    state = random.getstate()
    positions = layout(graph, sizes=dict.fromkeys(graph, 5.0))
    assert random.getstate() == state
    random.seed(9)
    assert layout(graph, sizes=dict.fromkeys(graph, 5.0)) == positions
