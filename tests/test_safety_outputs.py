"""The output folder under hostile input and hard faults (issue 17, items 2, 5, 7, 8, 12, 13).

Every test is a real run on small inputs made here: `pipeline.run` in this
process (the model is loaded once), or `python -m pipeline run` in a
subprocess where an exit code, a kill or a resource limit is the point.
"""

from __future__ import annotations

import csv
import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from pipeline import load_config, run
from pipeline.flow import export_outputs
from pipeline.records import CorpusTables, DocumentRow, Entity
from pipeline.store import read_outputs
from tests.conftest import is_number

PROJECT = Path(__file__).resolve().parent.parent
ARTICLES = PROJECT / "data" / "articles"
BAD = Path(__file__).resolve().parent / "data" / "bad"
PEOPLE = [
    "Vladimir Poutine",
    "Kim Jong-un",
    "Emmanuel Macron",
    "Olaf Scholz",
    "Xi Jinping",
    "Joe Biden",
    "Jens Stoltenberg",
]
PLACES = ["Pyongyang", "Moscou", "Séoul", "Pékin", "Paris", "Berlin", "Bruxelles"]
FORMULA = ("=", "+", "-", "@")


# ------------------------------------------------------------------ helpers


def _text(i: int, version: int = 1) -> str:
    """A short French article of its own (number `i`), with entities to link."""
    a, b, c = PEOPLE[i % 7], PEOPLE[(i + 2) % 7], PLACES[(i + 3) % 7]
    head = "" if version == 1 else f"Mise à jour numéro {version} du dossier {i}. "
    return (
        f"{head}{a} a rencontré {b} à {c} le {i % 28 + 1} juin pour la réunion numéro {i * 7919 % 100003}.\n\n"
        f"Le Kremlin et l'Otan ont commenté la visite de {a} à {c}, selon l'agence Tass.\n\n"
        f"{b} doit ensuite se rendre à {PLACES[(i + 5) % 7]} avec {PEOPLE[(i + 4) % 7]}."
    )


def _jsonl(path: Path, records: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def _config(tmp: Path, out: Path, **overrides):
    settings = {"output.out_dir": out, "annotate.cache_dir": tmp / "cache", "input.keep_duplicates": True}
    return load_config(overrides=settings | {k.replace("__", "."): v for k, v in overrides.items()})


def _config_file(tmp: Path, annotate: str = "", input: str = "") -> Path:
    """A config file: the cache in `tmp`, copies kept, and the extra lines given for [annotate] and [input]."""
    path = tmp / "config.toml"
    text = f'[input]\nkeep_duplicates = true\n{input}[annotate]\ncache_dir = "{tmp / "cache"}"\n{annotate}'
    path.write_text(text, encoding="utf-8")
    return path


def _cli(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pipeline", "run", *args, "--no-progress"],
        capture_output=True,
        text=True,
        cwd=PROJECT,
        timeout=600,
        **kwargs,
    )


def _read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _snapshot(folder: Path) -> dict[str, bytes]:
    """Bytes of every file under `folder` (through the link), but a lock file of an older pressgraph."""
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != ".pressgraph.lock"
    }


def _text_file(out: Path, doc: dict[str, str]) -> Path:
    """The file a documents.csv row's offsets index (`texts/<doc_id>.txt` before the column existed)."""
    name = doc.get("text_file") or f"texts/{doc['doc_id']}.txt"
    return out / name if not Path(name).is_absolute() else Path(name)


def _assert_one_consistent_set(out: Path) -> dict:
    """The tables agree with run.json and with each other, and every offset indexes its text."""
    info = json.loads((out / "run.json").read_text(encoding="utf-8"))
    documents, mentions = _read_csv(out / "documents.csv"), _read_csv(out / "mentions.csv")
    entities = {e["entity_id"] for e in _read_csv(out / "entities.csv")}
    counts = info["counts"]
    assert len(mentions) == counts["mentions"]
    assert len(entities) == counts["entities"]
    assert len(_read_csv(out / "cooccurrences.csv")) == counts["edges"]
    assert sum(d["status"] in ("ok", "empty") for d in documents) == counts["articles"]
    assert {m["entity_id"] for m in mentions} <= entities
    texts = {d["doc_id"]: _text_file(out, d).read_text(encoding="utf-8") for d in documents if d["status"] == "ok"}
    wrong = [m for m in mentions if texts[m["doc_id"]][int(m["start"]) : int(m["end"])] != m["text"]]
    assert not wrong, f"{len(wrong)} of {len(mentions)} offsets do not index their text: {wrong[:3]}"
    return info


# ------------------------------------------ item 2: line breaks inside cells


def test_a_line_break_inside_a_cell_never_splits_its_row_and_formulas_after_spaces_are_neutralised(tmp_path):
    folder = tmp_path / "in"
    records = [
        {"id": "cr\r=2+3", "title": "Titre\r=2+3", "text": _text(1)},
        {"id": "lf", "title": "Ligne\n@SUM(1+1)", "text": _text(2)},
    ]
    _jsonl(folder / "feed.jsonl", records)
    # file names give doc_ids as they are: a CR inside, a formula after spaces or line breaks
    for i, name in enumerate(["nom\r=1+1", " =1+1", "\n\t-1+2", "\u00a0+33 1 23"]):
        (folder / f"{name}.txt").write_text(_text(3 + i), encoding="utf-8")
    out = tmp_path / "out"
    result = run([folder], _config(tmp_path, out))
    assert (result.articles, result.failed) == (6, 0)

    with open(out / "documents.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    assert len(rows) == 1 + 6 and all(len(r) == len(rows[0]) for r in rows), rows
    assert len(pd.read_csv(out / "documents.csv", dtype=str, keep_default_na=False)) == 6
    by_id = {r["doc_id"]: r for r in _read_csv(out / "documents.csv")}
    assert by_id["cr\r=2+3"]["title"] == "Titre\r=2+3"  # one cell; its first line is text
    assert by_id["lf"]["title"] == "Ligne\n@SUM(1+1)"
    assert {"nom\r=1+1", "' =1+1", "'\n\t-1+2", "'\u00a0+33 1 23"} <= set(by_id)
    assert sorted(read_outputs(out).documents["doc_id"]) == sorted(
        ["cr\r=2+3", "lf", "nom\r=1+1", " =1+1", "\n\t-1+2", "\u00a0+33 1 23"]
    )
    for path in out.glob("*.csv"):
        with open(path, encoding="utf-8", newline="") as f:
            table = list(csv.reader(f))
        assert all(len(r) == len(table[0]) for r in table), path.name
        for cell in (c for r in table for c in r):
            visible = cell.lstrip()
            assert not visible.startswith(FORMULA) or cell.startswith("'") or is_number(cell), (path.name, cell)


# --------------------- item 13: ids starting with @ or - read back as they are


def test_ids_a_spreadsheet_would_run_read_back_as_they_are_and_name_their_text_file(tmp_path):
    ids = ["@a", "-b", "=c", "+d", "'e"]
    folder = tmp_path / "in"
    _jsonl(folder / "feed.jsonl", [{"id": d, "title": f"'{d}' titre", "text": _text(i)} for i, d in enumerate(ids)])
    out = tmp_path / "out"
    run([folder], _config(tmp_path, out))

    assert {r["doc_id"] for r in _read_csv(out / "documents.csv")} == {"'@a", "'-b", "'=c", "'+d", "''e"}
    outputs = read_outputs(out)
    documents = outputs.documents.set_index("doc_id")
    assert sorted(documents.index) == sorted(ids)
    assert documents.loc["'e", "title"] == "''e' titre"
    assert set(outputs.mentions["doc_id"]) == set(ids)
    for doc_id, text_file in documents["text_file"].items():
        assert not text_file.startswith("'")
        text = (out / text_file).read_text(encoding="utf-8")
        assert text == _text(ids.index(doc_id))
        mentions = outputs.mentions[outputs.mentions["doc_id"] == doc_id]
        assert len(mentions) and all(text[m.start : m.end] == m.text for m in mentions.itertuples())


# ------------------------------------- item 8: one text file per id, named


def test_ids_that_fold_to_one_file_name_get_a_text_file_each(tmp_path):
    ids = ["a/b", "a\\b", "a_b", ".", "..", "_", ".hidden", "hidden"]
    folder = tmp_path / "in"
    _jsonl(folder / "feed.jsonl", [{"id": d, "text": _text(i)} for i, d in enumerate(ids)])
    (folder / "plain.txt").write_text(_text(20), encoding="utf-8")
    out = tmp_path / "out"
    result = run([folder], _config(tmp_path, out))
    assert (result.articles, result.failed) == (len(ids) + 1, 0)

    documents = {d["doc_id"]: d for d in _read_csv(out / "documents.csv")}
    assert documents["plain"]["text_file"] == str(folder / "plain.txt")  # the input file itself
    names = [documents[d]["text_file"] for d in ids]
    assert len(set(names)) == len(ids) and all(n.startswith("texts/") and "/" not in n[6:] for n in names), names
    assert documents["hidden"]["text_file"] == "texts/hidden.txt"  # an id that needs no folding keeps its name
    assert sorted(p.name for p in (out / "texts").iterdir()) == sorted(n[6:] for n in names)
    for i, doc_id in enumerate(ids):
        assert (out / documents[doc_id]["text_file"]).read_text(encoding="utf-8") == _text(i), doc_id
    _assert_one_consistent_set(out)


# ------------------------------ item 12: the output folder inside the inputs


def test_the_output_and_cache_folders_inside_the_input_folder_are_not_read_back(tmp_path):
    corpus = tmp_path / "corpus"
    _jsonl(corpus / "feed.jsonl", [{"id": f"r{i}", "text": _text(i)} for i in range(3)])
    (corpus / "a.txt").write_text(_text(10), encoding="utf-8")
    settings = {"output.out_dir": corpus / "out", "annotate.cache_dir": corpus / ".pressgraph-cache"}
    first = run([corpus], load_config(overrides=settings))
    (corpus / "b.txt").write_text(_text(11), encoding="utf-8")  # the corpus changed: the second run writes again
    second = run([corpus], load_config(overrides=settings))
    assert (first.articles, second.articles, second.failed, second.unreadable) == (4, 5, 0, 0)
    sources = {d["source"] for d in _read_csv(corpus / "out" / "documents.csv")}
    assert sources == {str(corpus / n) for n in ("feed.jsonl", "a.txt", "b.txt")}


# ------------------------------------- item 13: symbolic links among inputs


def test_symbolic_links_inside_an_input_folder_are_reported_not_followed_and_read_when_named(tmp_path, capsys):
    corpus, outside = tmp_path / "corpus", tmp_path / "outside"
    (outside / "folder").mkdir(parents=True)
    (outside / "secret.txt").write_text(_text(1), encoding="utf-8")
    (outside / "folder" / "b.txt").write_text(_text(2), encoding="utf-8")
    corpus.mkdir()
    (corpus / "inside.txt").write_text(_text(3), encoding="utf-8")
    os.symlink(outside / "secret.txt", corpus / "linked.txt")
    os.symlink(outside / "folder", corpus / "linked_folder")
    os.symlink(outside / "secret.txt", corpus / "not_an_input.png")  # not an input name: not mentioned
    out = tmp_path / "out"
    result = run([corpus], _config(tmp_path, out))
    assert (result.articles, result.unreadable) == (1, 2)
    err = capsys.readouterr().err.splitlines()
    errors = {e["source"]: e["problem"] for e in _read_csv(out / "errors.csv")}
    for name, target in (("linked.txt", outside / "secret.txt"), ("linked_folder", outside / "folder")):
        source = str(corpus / name)
        assert errors[source] == f"symbolic link to {target}, not followed (name it as an input to read it)"
        assert f"pressgraph: skipped {source}: {errors[source]}" in err
    assert not [e for e in errors if e.endswith(".png")]
    statuses = {d["source"]: d["status"] for d in _read_csv(out / "documents.csv")}
    assert statuses[str(corpus / "inside.txt")] == "ok" and statuses[str(corpus / "linked.txt")].startswith("error: ")

    named = run([corpus / "linked.txt", corpus / "linked_folder"], _config(tmp_path, tmp_path / "named"))
    assert (named.articles, named.unreadable) == (2, 0)


# ------------------------------------ item 5: symbolic links among outputs


def _previous_run(tmp_path: Path) -> tuple[Path, Path]:
    folder = tmp_path / "in"
    _jsonl(folder / "feed.jsonl", [{"id": f"r{i}", "text": _text(i)} for i in range(2)])
    out = tmp_path / "out"
    run([folder], _config(tmp_path, out))
    _jsonl(folder / "feed.jsonl", [{"id": f"r{i}", "text": _text(i, 2)} for i in range(2)])  # changed: a run writes
    return folder, out


def _plant_texts(out: Path, elsewhere: Path) -> Path:
    shutil.rmtree(out / "texts")
    os.symlink(elsewhere, out / "texts")
    return out / "texts"


def _plant_lock(out: Path, elsewhere: Path) -> Path:
    (out / ".pressgraph.lock").unlink(missing_ok=True)
    os.symlink(elsewhere / "victim.txt", out / ".pressgraph.lock")
    return out / ".pressgraph.lock"


def _plant_out(out: Path, elsewhere: Path) -> Path:
    shutil.rmtree(out.resolve())
    out.unlink() if out.is_symlink() else None
    os.symlink(elsewhere, out)
    return out


def _plant_versions_lock(out: Path, elsewhere: Path) -> Path:
    lock = out.parent / f"{out.name}.versions" / ".pressgraph.lock"
    lock.parent.mkdir(exist_ok=True)
    lock.unlink(missing_ok=True)
    os.symlink(elsewhere / "victim.txt", lock)
    return lock


@pytest.mark.parametrize("plant", [_plant_texts, _plant_lock, _plant_out, _plant_versions_lock])
def test_a_symbolic_link_in_the_output_folder_is_refused_in_one_line_and_nothing_is_written_through_it(tmp_path, plant):
    folder, out = _previous_run(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "victim.txt").write_text("précieux\n", encoding="utf-8")
    (elsewhere / "r0.txt").write_text("précieux aussi\n", encoding="utf-8")
    link = plant(out, elsewhere)
    before = _snapshot(elsewhere)
    proc = _cli(str(folder), "--out", str(out), "--config", str(_config_file(tmp_path)))
    assert _snapshot(elsewhere) == before and sorted(p.name for p in elsewhere.iterdir()) == ["r0.txt", "victim.txt"]
    assert proc.returncode == 2, proc.stderr
    [line] = proc.stderr.splitlines()
    assert line.startswith(f"pressgraph: {link}: a symbolic link ") and "->" in line, line


# ---------------------------------------- item 7: a run is one atomic change


def _versions(out: Path) -> list[str]:
    return sorted(p.name for p in (out.parent / f"{out.name}.versions").iterdir() if not p.name.startswith("."))


def test_the_output_folder_is_a_link_to_one_complete_version_swapped_at_the_end(tmp_path):
    folder = tmp_path / "in"
    _jsonl(folder / "feed.jsonl", [{"id": f"r{i}", "text": _text(i)} for i in range(3)])
    out = tmp_path / "out"
    run([folder], _config(tmp_path, out))  # the first run: `out` did not exist
    assert out.is_symlink() and _versions(out) == ["1"] and os.readlink(out) == "out.versions/1"
    assert read_outputs(out).documents["doc_id"].tolist() == ["r0", "r1", "r2"]
    unchanged = (out / "texts" / "r0.txt").stat()

    _jsonl(folder / "feed.jsonl", [{"id": f"r{i}", "text": _text(i, 1 + (i == 2))} for i in range(3)])
    run([folder], _config(tmp_path, out))
    assert os.readlink(out) == "out.versions/2" and _versions(out) == ["2"]  # the older version is pruned
    assert (out / "texts" / "r2.txt").read_text(encoding="utf-8") == _text(2, 2)
    assert (out / "texts" / "r0.txt").read_text(encoding="utf-8") == _text(0)  # carried over, not written again
    assert (out / "texts" / "r0.txt").stat().st_mtime_ns == unchanged.st_mtime_ns
    info = _assert_one_consistent_set(out)
    assert info["outputs"]["texts/r0.txt"][0] == len(_text(0).encode("utf-8"))


def test_a_folder_written_by_an_older_pressgraph_becomes_a_version_and_one_with_other_files_is_refused(tmp_path):
    folder = tmp_path / "in"
    _jsonl(folder / "feed.jsonl", [{"id": "r0", "text": _text(0)}])
    out = tmp_path / "out"
    tables = CorpusTables(
        documents=[DocumentRow("old", "old.jsonl", "", "", "", 10, 1, 1, "ok", "")],
        entities=[Entity("Q7747", "Vladimir Poutine", "PER", "Q7747", 1, 1, "Poutine")],
    )
    export_outputs(out, tables)  # the layout of an older pressgraph: a plain folder
    (out / "texts").mkdir()
    (out / "texts" / "old.txt").write_text("ancien", encoding="utf-8")
    (out / ".pressgraph.lock").write_text("12345", encoding="utf-8")
    (out / "notes.ipynb").write_text("{}", encoding="utf-8")  # not pressgraph's
    before = _snapshot(out)
    proc = _cli(str(folder), "--out", str(out), "--config", str(_config_file(tmp_path)))
    assert proc.returncode == 2 and _snapshot(out) == before and not out.is_symlink()
    [line] = proc.stderr.splitlines()
    assert line == (
        f"pressgraph: {out}: holds files pressgraph did not write (notes.ipynb); "
        "move them elsewhere or choose another --out"
    )

    (out / "notes.ipynb").unlink()
    run([folder], _config(tmp_path, out))
    assert out.is_symlink() and _versions(out) == ["1"]
    assert not (out / "texts" / "old.txt").exists() and (out / "texts" / "r0.txt").exists()
    assert [d["doc_id"] for d in _read_csv(out / "documents.csv")] == ["r0"]


def test_a_run_whose_every_article_failed_keeps_the_previous_outputs_and_exits_1(tmp_path):
    folder = tmp_path / "in"
    _jsonl(folder / "feed.jsonl", [{"id": "r0", "text": _text(0)}])
    out = tmp_path / "out"
    run([folder], _config(tmp_path, out))
    before = _snapshot(out)
    bad = tmp_path / "bad"
    bad.mkdir()
    shutil.copyfile(BAD / "png_bytes.txt", bad / "png_bytes.txt")
    proc = _cli(str(bad), "--out", str(out), "--config", str(_config_file(tmp_path)))
    assert proc.returncode == 1
    assert f"pressgraph: no article could be read; {out} keeps the outputs of the previous run" in proc.stderr
    assert _snapshot(out) == before


def _limit_file_size(limit: int):
    def preexec() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)

    return preexec


def test_a_full_disk_names_the_file_and_keeps_the_previous_outputs(tmp_path):
    """A real write error: RLIMIT_FSIZE makes every write past 4 KiB fail (EFBIG), as a full disk does.

    Without the cache and the language check (its model is unpacked to a temporary file), only outputs are written.
    """
    out = tmp_path / "out"
    config = _config_file(tmp_path, annotate="use_cache = false\n", input="french_only = false\n")
    one, two = str(ARTICLES / "002_9094e598d010c395.txt"), str(ARTICLES / "003_bc48405b32ea8fd2.txt")
    assert _cli(one, "--out", str(out), "--config", str(config)).returncode == 0
    before = _snapshot(out)
    proc = _cli(one, two, "--out", str(out), "--config", str(config), preexec_fn=_limit_file_size(4096))
    assert proc.returncode == 2, proc.stderr
    line = proc.stderr.splitlines()[-1]
    match = re.fullmatch(r"pressgraph: (.+): File too large; (.+) keeps the outputs of the previous run", line)
    assert match and match[2] == str(out), line
    assert match[1].startswith(str(out)) and Path(match[1]).name in before, line  # an output file, named
    assert _snapshot(out) == before
    assert _versions(out) == [os.readlink(out).rsplit("/", 1)[1]]  # the half-written version is gone
    assert _cli(one, two, "--out", str(out), "--config", str(config)).returncode == 0
    assert _assert_one_consistent_set(out)["counts"]["articles"] == 2


# --- item 7: a killed --workers 2 update (20 -> 25 changed articles) leaves one set


def _new_files(out: Path, since: float) -> bool:
    """Whether the run started at `since` has begun writing tables (in the folder or a new version of it)."""
    versions = out.parent / f"{out.name}.versions"
    folders = [out, *(versions.iterdir() if versions.is_dir() else ())]
    for folder in folders:
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            name = entry.name
            if (name.endswith(".csv") or name.endswith(".csv.tmp") or ".csv." in name) and entry.is_file():
                try:
                    if entry.stat().st_mtime > since:
                        return True
                except OSError:
                    continue
    return False


def _annotations(cache: Path) -> int:
    return len(list((cache / "annotations").rglob("*.msgpack"))) if cache.exists() else 0


def _start(args: list[str], log: Path) -> subprocess.Popen:
    with open(log, "w", encoding="utf-8") as err:
        return subprocess.Popen(
            [sys.executable, "-m", "pipeline", "run", *args, "--no-progress"],
            cwd=PROJECT,
            stdout=subprocess.DEVNULL,
            stderr=err,
            start_new_session=True,
        )


def _kill_when(proc: subprocess.Popen, ready, log: Path) -> None:
    """SIGKILL the run and its workers (its process group) as soon as `ready()`."""
    deadline = time.monotonic() + 300
    try:
        while not ready() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.002)
        running = proc.poll() is None
        os.killpg(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=60)
    assert running, f"the run ended before it could be killed: {log.read_text(encoding='utf-8')}"


def test_a_killed_two_worker_update_leaves_one_consistent_set_and_the_next_run_succeeds(tmp_path):
    folder, out, cache = tmp_path / "in", tmp_path / "out", tmp_path / "cache"
    config = _config_file(tmp_path, annotate="batch_size = 2\n")
    args = [str(folder), "--out", str(out), "--config", str(config), "--workers", "2"]
    _jsonl(folder / "feed.jsonl", [{"id": f"a{i:02d}", "text": _text(i)} for i in range(20)])
    done = _cli(*args)
    assert done.returncode == 0, done.stderr
    first = _assert_one_consistent_set(out)
    assert first["counts"]["articles"] == 20

    # every article changes (offsets shift) and five are new
    _jsonl(folder / "feed.jsonl", [{"id": f"a{i:02d}", "text": _text(i, 2)} for i in range(25)])
    cached = _annotations(cache)
    log = tmp_path / "annotating.txt"
    _kill_when(_start(args, log), lambda: _annotations(cache) >= cached + 4, log)
    assert _annotations(cache) < cached + 25
    assert _assert_one_consistent_set(out)["counts"]["articles"] == 20

    log, since = tmp_path / "exporting.txt", time.time()
    _kill_when(_start(args, log), lambda: _new_files(out, since), log)
    assert _assert_one_consistent_set(out)["counts"]["articles"] == 20

    done = _cli(*args)
    assert done.returncode == 0, done.stderr
    assert _assert_one_consistent_set(out)["counts"]["articles"] == 25
    assert len(_versions(out)) == 1


# ------------------------- item 13: Dask writes nothing outside --out and the cache


def test_a_local_dask_cluster_writes_its_scratch_files_under_the_output_or_cache_folder(tmp_path):
    pytest.importorskip("distributed")
    folder, scratch = tmp_path / "in", tmp_path / "system-tmp"
    scratch.mkdir()
    _jsonl(folder / "feed.jsonl", [{"id": "r0", "text": _text(0)}])
    env = os.environ | {"TMPDIR": str(scratch)}
    config = _config_file(tmp_path)
    proc = _cli(str(folder), "--out", str(tmp_path / "out"), "--config", str(config), "--executor", "dask", env=env)
    assert proc.returncode == 0, proc.stderr
    assert [p.name for p in scratch.rglob("*") if "dask" in p.name] == []
    beside = sorted(p.name for p in tmp_path.iterdir())
    assert beside == ["cache", "config.toml", "in", "out", "out.versions", "system-tmp"]
