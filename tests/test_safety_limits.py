"""Hostile input and hard faults, as real runs over small inputs made here.

Planted cache entries never run and are misses; a long article never reaches
the model at once; a list of names does not square the output; workers die
with a killed run and leave the folder unlocked; offsets index the file
documents.csv names; deep nesting, odd encodings and headline-only articles
are handled per file; a cache that cannot be written is only a warning.
"""

from __future__ import annotations

import csv
import hashlib
import itertools
import json
import os
import pickle
import resource
import signal
import struct
import subprocess
import sys
import time
import unicodedata
from pathlib import Path

import psutil
import pytest
import srsly
from spacy.language import Language

from pipeline import load_config, run
from pipeline.store.cache import FORMAT_VERSION, MAGIC
from pipeline.store.lock import OutputLock

PROJECT = Path(__file__).resolve().parent.parent
ARTICLES = PROJECT / "data" / "articles"

MEETING = "Vladimir Poutine a rencontré Kim Jong-un à Pyongyang mardi soir."
SUMMIT = "Emmanuel Macron a reçu Olaf Scholz à Paris. Berlin et Paris veulent avancer ensemble."


# ------------------------------------------------------------------ helpers


def _config(tmp_path: Path, out: str = "out", **settings):
    """The default settings, outputs and cache in `tmp_path`; `settings` as "section.key" overrides."""
    overrides = {"output.out_dir": tmp_path / out, "annotate.cache_dir": tmp_path / "cache"}
    return load_config(overrides=overrides | {k.replace("__", "."): v for k, v in settings.items()})


def _corpus(folder: Path, files: dict[str, str | bytes]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        data = content.encode("utf-8") if isinstance(content, str) else content
        (folder / name).write_bytes(data)
    return folder


def _read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _cli(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pipeline", *args], capture_output=True, text=True, cwd=PROJECT, timeout=600, **kwargs
    )


def _indexed_text(out: Path, doc: dict[str, str]) -> str:
    """The text a documents.csv row's offsets index, read as the README says:
    its `text_file` (the input file, or `texts/…` in the output folder), UTF-8,
    a byte-order mark skipped, no newline translation."""
    name = doc.get("text_file")
    if not name:  # outputs without the column: a saved text, else the input file
        saved = out / "texts" / f"{doc['doc_id']}.txt"
        name = str(saved) if saved.exists() else doc["source"]
    path = Path(name) if Path(name).is_absolute() else out / name
    with open(path, encoding="utf-8-sig", newline="") as f:
        return f.read()


def _assert_offsets_index_their_files(out: Path) -> None:
    documents = {d["doc_id"]: d for d in _read_csv(out / "documents.csv")}
    texts = {doc_id: _indexed_text(out, d) for doc_id, d in documents.items() if d["status"] == "ok"}
    mentions = _read_csv(out / "mentions.csv")
    assert mentions
    for m in mentions:
        assert texts[m["doc_id"]][int(m["start"]) : int(m["end"])] == m["text"], m
    for s in _read_csv(out / "sentences.csv"):
        if s["text"]:
            assert texts[s["doc_id"]][int(s["start"]) : int(s["end"])] == s["text"], s


def _mention_texts(out: Path) -> set[str]:
    return {m["text"] for m in _read_csv(out / "mentions.csv")}


# --------------------------------------------- 1. planted cache entries


class _Plant:
    """Unpickling this creates `marker`: proof that a cache entry ran code."""

    def __init__(self, marker: Path):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def _header(payload: bytes, length: int | None = None) -> bytes:
    length = len(payload) if length is None else length
    return struct.pack("<8sIQ32s", MAGIC, FORMAT_VERSION, length, hashlib.sha256(payload).digest())


PLANTS = {
    "a pickle": lambda marker: pickle.dumps(_Plant(marker)),
    "a pickle behind a valid header": lambda marker: _header(p := pickle.dumps(_Plant(marker))) + p,
    "msgpack of the wrong shape": lambda marker: _header(p := srsly.msgpack_dumps(["doc", [1, 2], "x"])) + p,
    "msgpack of the wrong field types": lambda marker: _header(p := srsly.msgpack_dumps(["d", [], [[1, 2]], []])) + p,
    "an absurd declared length": lambda marker: _header(b"", length=2**60) + b"\x91\x00",
}


@pytest.fixture(scope="module")
def cached_run(tmp_path_factory):
    """Two articles run once: their outputs, and a cache folder holding their entries."""
    tmp = tmp_path_factory.mktemp("planted")
    corpus = _corpus(tmp / "in", {"a.txt": MEETING + "\n", "b.txt": SUMMIT + "\n"})
    result = run([corpus], _config(tmp, "first"))
    assert (result.articles, result.failed, result.annotated) == (2, 0, 2)
    return tmp, corpus


def _tables(out: Path) -> dict[str, bytes]:
    return {name: (out / name).read_bytes() for name in ("mentions.csv", "entities.csv", "cooccurrences.csv")}


@pytest.mark.parametrize("plant", PLANTS)
def test_a_planted_cache_entry_never_runs_and_is_a_miss_in_a_real_run(plant, cached_run, capsys):
    tmp, corpus = cached_run
    cache = tmp / f"cache-{plant.replace(' ', '-')}"
    marker = tmp / f"ran-{plant.replace(' ', '-')}"
    run([corpus], load_config(overrides={"output.out_dir": tmp / "seed", "annotate.cache_dir": cache}))
    entries = sorted(cache.rglob("*.msgpack"))
    assert len(entries) == 6  # two prepared articles, two annotations, two article results
    for entry in entries:
        entry.write_bytes(PLANTS[plant](marker))
    capsys.readouterr()

    out = tmp / f"out-{plant.replace(' ', '-')}"
    result = run([corpus], load_config(overrides={"output.out_dir": out, "annotate.cache_dir": cache}))
    assert not marker.exists()  # no code ran
    assert (result.articles, result.failed, result.cache_hits, result.annotated) == (2, 0, 0, 2)
    assert _tables(out) == _tables(tmp / "first")
    assert "ignoring corrupt cache entry" in capsys.readouterr().err
    # the planted entries were replaced by good ones
    again = run([corpus], load_config(overrides={"output.out_dir": out, "annotate.cache_dir": cache}))
    assert (again.cache_hits, again.annotated, again.failed) == (2, 0, 0)


def _address_space_of_16_gib() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (16 * 2**30, 16 * 2**30))


def test_a_sparse_entry_as_long_as_its_absurd_header_says_is_a_miss(cached_run):
    """1 TiB declared and present (a sparse file takes no disk): never read into memory.

    The run has an address-space limit, so reading it fails at once instead of filling the machine.
    """
    tmp, corpus = cached_run
    cache = tmp / "cache-sparse"
    run([corpus], load_config(overrides={"output.out_dir": tmp / "seed-sparse", "annotate.cache_dir": cache}))
    for entry in cache.rglob("*.msgpack"):
        with open(entry, "r+b") as f:
            f.truncate(0)
            f.write(_header(b"", length=2**40))
            f.truncate(len(_header(b"")) + 2**40)
    config = tmp / "sparse.toml"
    config.write_text(f'[annotate]\ncache_dir = "{cache}"\n', encoding="utf-8")
    out = tmp / "out-sparse"
    try:
        proc = _cli(
            "run", str(corpus), "--out", str(out), "--config", str(config), "--no-progress",
            preexec_fn=_address_space_of_16_gib,
        )  # fmt: skip
    finally:
        for entry in cache.rglob("*.msgpack"):  # no 1 TiB file left for a backup or copy to read
            if entry.stat().st_size > 2**30:
                entry.unlink()
    assert proc.returncode == 0, proc.stderr
    assert _tables(out) == _tables(tmp / "first")


# ---------------------------------------- 3. long articles, bounded batches


def _one_line_article(sentences: int) -> str:
    people = ["Vladimir Poutine", "Kim Jong-un", "Emmanuel Macron", "Olaf Scholz", "Xi Jinping"]
    places = ["Pyongyang", "Moscou", "Séoul", "Pékin", "Bruxelles"]
    return " ".join(
        f"Le {i % 28 + 1} juin, {people[i % 5]} a rencontré {people[(i + 2) % 5]} à {places[i % 5]} "
        f"pour la réunion numéro {i * 7919 % 100003}."
        for i in range(sentences)
    )


def test_a_long_one_line_article_reaches_the_model_in_bounded_batches(tmp_path, monkeypatch):
    """No nlp.pipe batch holds more than annotate.batch_chars characters, even inside one
    article; the docs of the article span batches and keep their offsets."""
    text = _one_line_article(120)  # about 11,000 characters, one line
    corpus = _corpus(tmp_path / "in", {"long.txt": text + "\n"})
    batches: list[int] = []
    pipe = Language.pipe

    def counting_pipe(self, texts, **kwargs):
        if kwargs.get("as_tuples"):  # the call annotate makes (spaCy then calls itself with the texts)
            texts = list(texts)
            batches.append(sum(len(t) for t, _ in texts))
        return pipe(self, texts, **kwargs)

    monkeypatch.setattr(Language, "pipe", counting_pipe)
    config = _config(tmp_path, clean__max_block_chars=1000, annotate__batch_chars=2500)
    result = run([corpus], config)
    assert (result.articles, result.failed) == (1, 0)
    assert len(batches) >= 4 and max(batches) <= 2500, batches
    assert sum(batches) >= 0.99 * len(text)  # every block went to the model
    out = tmp_path / "out"
    blocks = _read_csv(out / "blocks.csv")
    assert len(blocks) >= 11 and {int(b["end"]) - int(b["start"]) for b in blocks} <= set(range(1, 1001))
    sentences = _read_csv(out / "sentences.csv")
    assert {s["block_id"] for s in sentences} == {b["block_id"] for b in blocks}  # every block annotated
    _assert_offsets_index_their_files(out)


def test_a_block_longer_than_the_model_should_get_is_refused_as_a_setting():
    from pipeline.config import ConfigError

    with pytest.raises(ConfigError, match=r"clean.max_block_chars = 500000 is invalid; expected an integer from"):
        load_config(overrides={"clean.max_block_chars": 500_000})


# -------------------------------------------- 4. lists of names, evidence


def _names(n: int) -> list[str]:
    first = "Marie Jean Pierre Sophie Luc Claire Paul Anne Michel Julie Louis Camille Henri Chloé Jacques".split()
    last = (
        "Dubois Martin Bernard Thomas Robert Richard Petit Durand Leroy Moreau Simon Laurent Lefebvre Garcia "
        "David Bertrand Roux Vincent Fournier Morel Girard André Lefèvre Mercier Dupont Lambert Bonnet François "
        "Martinez Legrand Garnier Faure Rousseau Blanc Guerin Muller"
    ).split()
    return [f"{f} {la}" for la, f in itertools.product(last, first)][:n]


def _list_article(n: int) -> str:
    names = _names(n)
    return (
        f"{MEETING}\n\n"
        "Parmi les signataires de la lettre ouverte figurent " + ", ".join(names[:-1]) + f" et {names[-1]}.\n"
    )


def test_a_sentence_listing_600_names_gives_bounded_output(tmp_path):
    text = _list_article(600)
    assert 8_000 < len(text.encode("utf-8")) < 10_000
    corpus = _corpus(tmp_path / "in", {"list.txt": text})
    result = run([corpus], _config(tmp_path))
    assert (result.articles, result.failed) == (1, 0)
    out = tmp_path / "out"
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    assert size < 20_000_000, size
    assert result.entities > 400  # the names are still entities ...
    listed = {e["entity_id"] for e in _read_csv(out / "entities.csv")} - {
        m["entity_id"] for m in _read_csv(out / "mentions.csv") if m["sentence_id"] == "0"
    }
    edges = _read_csv(out / "cooccurrences.csv")
    assert edges and not [e for e in edges if {e["source"], e["target"]} & listed]  # ... of no pair
    evidence = _read_csv(out / "evidence.csv")
    assert evidence and "text" not in evidence[0] and {e["sentence_id"] for e in evidence} == {"0"}
    _assert_offsets_index_their_files(out)


def test_a_list_sentence_counts_for_the_document_window(tmp_path):
    corpus = _corpus(tmp_path / "in", {"list.txt": _list_article(30)})
    result = run([corpus], _config(tmp_path, relate__window="document", relate__max_sentence_entities=10))
    assert result.edges > 400  # 30 names and the meeting's entities, all in one document
    out = tmp_path / "out"
    evidence = _read_csv(out / "evidence.csv")
    assert {e["sentence_id"] for e in evidence if e["kind"] == "edge"} == {"0"}  # never the list sentence
    edges = {(e["source"], e["target"]): e for e in _read_csv(out / "cooccurrences.csv")}
    assert {e["sentences"] for e in edges.values()} == {"0", "1"}


def test_evidence_is_capped_per_edge_spread_over_documents_and_each_sentence_is_stored_once(tmp_path):
    story = [
        MEETING,
        "Kim Jong-un a remercié Vladimir Poutine.",
        "Vladimir Poutine et Kim Jong-un ont signé un traité.",
    ]
    files = {f"d{i}.txt": " ".join(story) + f" Le sommet numéro {i} a duré deux jours.\n" for i in range(3)}
    corpus = _corpus(tmp_path / "in", files)
    result = run([corpus], _config(tmp_path, relate__max_evidence_per_edge=4, input__keep_duplicates=True))
    assert (result.articles, result.failed) == (3, 0)
    out = tmp_path / "out"
    people = {
        e["entity_id"] for e in _read_csv(out / "entities.csv") if e["name"] in ("Vladimir Poutine", "Kim Jong-un")
    }
    edge = next(e for e in _read_csv(out / "cooccurrences.csv") if {e["source"], e["target"]} == people)
    assert edge["sentences"] == "9"  # the count keeps every sentence
    rows = [e for e in _read_csv(out / "evidence.csv") if e["kind"] == "edge" and {e["source"], e["target"]} == people]
    assert sorted((r["doc_id"], r["sentence_id"]) for r in rows) == [("d0", "0"), ("d0", "1"), ("d1", "0"), ("d2", "0")]
    cited = {(e["doc_id"], e["sentence_id"]) for e in _read_csv(out / "evidence.csv")}
    sentences = _read_csv(out / "sentences.csv")
    assert {(s["doc_id"], s["sentence_id"]) for s in sentences if s["text"]} == cited
    _assert_offsets_index_their_files(out)


# --------------------------------------- 6. a killed run and its workers


def _descendants(pid: int) -> list[psutil.Process]:
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_workers_die_with_a_killed_run_and_the_folder_is_not_left_locked(sig, tmp_path):
    small = sorted(ARTICLES.glob("*.txt"), key=lambda p: p.stat().st_size)[:2]
    corpus = _corpus(tmp_path / "in", {f"copy_{i:02d}.txt": small[i % 2].read_bytes() for i in range(16)})
    cache, out = tmp_path / "cache", tmp_path / "out"
    config = tmp_path / "config.toml"
    config.write_text(
        f'[input]\nkeep_duplicates = true\n[annotate]\ncache_dir = "{cache}"\nbatch_size = 4\n', encoding="utf-8"
    )
    args = ["run", str(corpus), "--out", str(out), "--config", str(config), "--no-progress"]
    log = tmp_path / "stderr.txt"
    with open(log, "w", encoding="utf-8") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "pipeline", *args, "--workers", "2"],
            cwd=PROJECT,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
        try:
            deadline = time.monotonic() + 300
            while proc.poll() is None and time.monotonic() < deadline:
                if len(_descendants(proc.pid)) >= 2 and any(cache.rglob("*.msgpack")):
                    break  # the workers are annotating
                time.sleep(0.05)
            workers = _descendants(proc.pid)
            assert proc.poll() is None and len(workers) >= 2, log.read_text()
            os.kill(proc.pid, sig)
            proc.wait(timeout=60)
        finally:
            proc.kill()
            proc.wait(timeout=60)
    gone, alive = psutil.wait_procs(workers, timeout=30)
    for p in alive:
        p.kill()
    assert alive == [], f"{len(alive)} worker(s) outlived the run"
    # the next run on the folder is not refused: nothing holds the lock
    again = _cli(*args)
    assert again.returncode == 0, again.stderr
    assert "another run is writing" not in again.stderr
    assert len(_read_csv(out / "documents.csv")) == 16


def test_a_process_forked_by_the_lock_holder_never_holds_the_lock(tmp_path):
    """Even a child that outlives the run (not a worker: any fork) leaves the folder free."""
    code = (
        "import os, sys, time\n"
        "from pathlib import Path\n"
        "from pipeline.store.lock import OutputLock\n"
        f"lock = OutputLock(Path({str(tmp_path / 'out')!r})).__enter__()\n"
        "child = os.fork()\n"
        "if child == 0:\n"
        "    time.sleep(60)\n"
        "    os._exit(0)\n"
        f"Path({str(tmp_path / 'child')!r}).write_text(str(child))\n"
        "os._exit(0)  # the holder ends without letting go\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=PROJECT, check=True, stdout=subprocess.DEVNULL, timeout=60)
    orphan = psutil.Process(int((tmp_path / "child").read_text()))
    try:
        assert orphan.is_running()
        with OutputLock(tmp_path / "out"):
            pass
    finally:
        orphan.kill()


# -------------------------------------------- 9. offsets index the file


def test_offsets_index_the_file_documents_csv_names_for_nfd_and_utf8_texts(tmp_path):
    nfd = unicodedata.normalize(
        "NFD", "Le président Emmanuel Macron a reçu à l'Élysée le Premier ministre de Corée du Sud."
    )
    assert nfd != unicodedata.normalize("NFC", nfd)
    corpus = _corpus(
        tmp_path / "in",
        {
            "nfd.txt": nfd + "\n" + unicodedata.normalize("NFD", "Séoul et Pékin ont salué la rencontre.") + "\n",
            "plain.txt": "\ufeff" + MEETING + "\r\n" + SUMMIT + "\r\n",  # a BOM and CRLF: the file as it is
        },
    )
    result = run([corpus], _config(tmp_path))
    assert (result.articles, result.failed) == (2, 0)
    out = tmp_path / "out"
    _assert_offsets_index_their_files(out)
    documents = {d["doc_id"]: d for d in _read_csv(out / "documents.csv")}
    if documents["plain"].get("text_file"):  # documents.csv names the file
        assert documents["plain"]["text_file"] == str(corpus / "plain.txt")  # the input file itself
        assert documents["nfd"]["text_file"] != str(corpus / "nfd.txt")  # the text pressgraph indexed
    assert "Séoul" in _mention_texts(out)  # the model read NFC text


# ----------------------------------------- 10. deep nesting, per record


def test_json_nested_too_deeply_is_an_error_of_its_line_only(tmp_path):
    lines = [
        json.dumps({"id": "ok", "text": SUMMIT}),
        '{"id": "deep", "text": "Bonjour.", "extra": ' + "[" * 100_000 + "]" * 100_000 + "}",
        '{"id": "deeper", "text": "Bonjour.", "title": ' + "[" * 1000 + "]" * 1000 + "}",
        json.dumps({"id": "last", "text": MEETING}),
    ]
    corpus = _corpus(tmp_path / "in", {"feed.jsonl": "\n".join(lines) + "\n"})
    result = run([corpus], _config(tmp_path))
    assert (result.articles, result.failed) == (2, 0)
    out = tmp_path / "out"
    problems = {e["problem"] for e in _read_csv(out / "errors.csv")}
    assert {p.split(":")[0] for p in problems} == {"feed.jsonl line 2", "feed.jsonl line 3"}
    assert all("nested too deeply" in p for p in problems), problems
    assert {d["doc_id"] for d in _read_csv(out / "documents.csv") if d["status"] == "ok"} == {"ok", "last"}


def _remove_tree(top: Path) -> None:
    """Remove a folder tree of any depth (shutil.rmtree, and pytest's clean-up of old
    temporary folders, recurse once per level and fail at 1000)."""
    stack = [str(top)]
    while stack:
        entries = list(os.scandir(stack[-1]))
        for entry in entries:
            if not entry.is_dir(follow_symlinks=False):
                os.unlink(entry.path)
        folders = [entry.path for entry in entries if entry.is_dir(follow_symlinks=False)]
        if folders:
            stack += folders
        else:
            os.rmdir(stack.pop())


def test_a_folder_nested_1000_deep_is_a_problem_of_that_folder_only(tmp_path):
    corpus = _corpus(tmp_path / "in", {"a.txt": SUMMIT + "\n"})
    fd = os.open(corpus, os.O_RDONLY)
    try:
        for _ in range(1000):
            os.mkdir("d", dir_fd=fd)
            fd, parent = os.open("d", os.O_RDONLY, dir_fd=fd), fd
            os.close(parent)
        deep = os.open("deep.txt", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
        os.write(deep, (MEETING + "\n").encode("utf-8"))
        os.close(deep)
    finally:
        os.close(fd)
    try:
        result = run([corpus], _config(tmp_path))
    finally:
        _remove_tree(corpus / "d")
    out = tmp_path / "out"
    ok = {d["doc_id"] for d in _read_csv(out / "documents.csv") if d["status"] == "ok"}
    assert "a" in ok and result.articles >= 1
    # the deep file is read, or reported on its own: never the end of the run
    assert "deep" in ok or _read_csv(out / "errors.csv")


# -------------------------------------------- 11. an unwritable cache


def test_a_cache_that_cannot_be_written_warns_once_per_level_and_the_run_goes_on(tmp_path):
    blocker = tmp_path / "cache"
    blocker.write_text("not a folder\n", encoding="utf-8")  # root ignores chmod; a file stops root too
    corpus = _corpus(tmp_path / "in", {"a.txt": MEETING + "\n", "b.txt": SUMMIT + "\n"})
    config = tmp_path / "config.toml"
    config.write_text(f'[annotate]\ncache_dir = "{blocker}"\n', encoding="utf-8")
    out = tmp_path / "out"
    proc = _cli("run", str(corpus), "--out", str(out), "--config", str(config), "--no-progress", "--workers", "2")
    assert proc.returncode == 0, proc.stderr
    warnings = [line for line in proc.stderr.splitlines() if "cannot write the cache" in line]
    assert 1 <= len(warnings) <= 3, proc.stderr  # one per cache level at most (prepared, annotations, articles)
    assert blocker.read_text(encoding="utf-8") == "not a folder\n"
    assert {d["status"] for d in _read_csv(out / "documents.csv")} == {"ok"}
    assert json.loads((out / "run.json").read_text(encoding="utf-8"))["counts"]["articles"] == 2


# --------------------------------------------- 13. encodings, headlines


def test_a_file_half_utf8_half_cp1252_reads_right_in_both_halves(tmp_path):
    utf8 = "La Corée du Nord et la Russie ont signé un traité à Pyongyang, a annoncé Vladimir Poutine.\n\n"
    cp1252 = "Séoul et Pékin ont réagi mercredi. Le président sud-coréen a convoqué son conseil à Séoul.\n"
    corpus = _corpus(tmp_path / "in", {"mixed.txt": utf8.encode("utf-8") + cp1252.encode("cp1252")})
    result = run([corpus], _config(tmp_path))
    assert (result.articles, result.failed) == (1, 0)
    out = tmp_path / "out"
    found = _mention_texts(out)
    assert {"Corée du Nord", "Séoul", "Pékin"} <= found, found
    assert not [t for t in found if "Ã" in t or "\ufffd" in t]
    _assert_offsets_index_their_files(out)


@pytest.mark.parametrize("codec", ["utf-32-le", "utf-32-be"])
def test_utf32_without_a_byte_order_mark_is_text(codec, tmp_path):
    corpus = _corpus(tmp_path / "in", {"wide.txt": (MEETING + "\n" + SUMMIT + "\n").encode(codec)})
    result = run([corpus], _config(tmp_path))
    assert (result.articles, result.failed, result.unreadable) == (1, 0, 0)
    out = tmp_path / "out"
    assert {"Vladimir Poutine", "Kim Jong-un", "Olaf Scholz"} <= _mention_texts(out)
    _assert_offsets_index_their_files(out)


def test_a_one_line_article_without_final_punctuation_is_kept(tmp_path, capsys):
    """A headline-only item: its one line is the content, not trailing page furniture."""
    corpus = _corpus(tmp_path / "in", {"brief.txt": "Vladimir Poutine rencontre Kim Jong-un à Pyongyang\n"})
    result = run([corpus], _config(tmp_path))
    [doc] = _read_csv(tmp_path / "out" / "documents.csv")
    assert doc["status"] == "ok", (doc, capsys.readouterr().err)
    assert result.mentions >= 2
