"""Bad input: the corpus in tests/data/bad (see its README) through the real CLI.

One `python -m pipeline run` over every fixture checks exit code, stderr,
documents.csv and errors.csv; smaller checks call `pipeline.flow.read_articles`, `pipeline.run`
or `pipeline.cli.main` in this process (the model is loaded once).
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path
from types import SimpleNamespace

import pytest

from pipeline import load_config, run
from pipeline.cli import main as cli_main
from pipeline.flow import read_articles
from pipeline.records import ReadError
from pipeline.stages.clean import clean

PROJECT = Path(__file__).resolve().parent.parent
BAD = Path(__file__).resolve().parent / "data" / "bad"
ARTICLES = PROJECT / "data" / "articles"
GOOD_ARTICLE = ARTICLES / "002_9094e598d010c395.txt"
NOT_INPUTS = {"README.md", "make_fixtures.py"}
EXTENSIONS = load_config().input.extensions

MAX_BYTES = 5_000_000
HUGE_BYTES = 20 * 2**20
LONG_LINE_CHARS = 100_000
MAX_BLOCK_CHARS = load_config().clean.max_block_chars


# ------------------------------------------------------------------ helpers


def _french_line(n_chars: int) -> str:
    """One line of distinct French sentences (no line break), about `n_chars` long."""
    people = ["Vladimir Poutine", "Kim Jong-un", "Emmanuel Macron", "Olaf Scholz", "Xi Jinping"]
    places = ["Pyongyang", "Moscou", "Séoul", "Pékin", "Bruxelles", "Washington"]
    verbs = ["a rencontré", "a critiqué", "a salué", "a appelé", "a reçu"]
    parts, size, i = [], 0, 0
    while size < n_chars:
        i += 1
        sentence = (
            f"Le {i % 28 + 1} juin, {people[i % 5]} {verbs[i * 3 % 5]} {people[(i * 7 + 1) % 5]} "
            f"à {places[i % 6]} pour la réunion numéro {i * 7919 % 100003}."
        )
        parts.append(sentence)
        size += len(sentence) + 1
    return " ".join(parts)[:n_chars].rstrip() + "."


def _controls_to_spaces(text: str) -> str:
    return "".join(" " if unicodedata.category(c) == "Cc" and c not in "\t\n\r" else c for c in text)


def _read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pipeline", *args], capture_output=True, text=True, cwd=PROJECT, timeout=600
    )


def _config_file(folder: Path, **sections: dict) -> Path:
    """A TOML config file with the given [section] keys."""
    lines = []
    for section, keys in sections.items():
        lines.append(f"[{section}]")
        lines += [f"{key} = {json.dumps(str(v) if isinstance(v, Path) else v)}" for key, v in keys.items()]
    path = folder / "config.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _copy_fixtures(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for path in BAD.iterdir():
        if path.is_file() and path.name not in NOT_INPUTS:
            shutil.copyfile(path, folder / path.name)
    return folder


# Text of each readable fixture, decoded independently with its known codec.
EXPECTED_TEXT = {
    "cp1252": (BAD / "cp1252.txt").read_bytes().decode("cp1252"),
    "latin1": (BAD / "latin1.txt").read_bytes().decode("latin-1"),
    "utf16_bom": (BAD / "utf16_bom.txt").read_bytes().decode("utf-16"),
    "controls": _controls_to_spaces((BAD / "controls.txt").read_bytes().decode("utf-8")),
    "article été à Séoul": (BAD / "article été à Séoul.txt").read_text(encoding="utf-8"),
}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    """The committed fixtures plus the generated ones, in a temporary folder."""
    folder = _copy_fixtures(tmp_path_factory.mktemp("bad") / "in")
    shutil.copyfile(GOOD_ARTICLE, folder / "good.txt")
    chunk = ("Le Kremlin a publié un long communiqué sur la visite à Pyongyang. " * 200 + "\n").encode("utf-8")
    with open(folder / "huge.txt", "wb") as f:
        for _ in range(HUGE_BYTES // len(chunk)):
            f.write(chunk)
        f.write(b"x" * (HUGE_BYTES % len(chunk)))
    (folder / "long_line.txt").write_text(_french_line(LONG_LINE_CHARS), encoding="utf-8")
    unreadable = folder / "unreadable.txt"
    unreadable.write_text("Ce texte illisible parle de Séoul et de Tokyo.\n", encoding="utf-8")
    unreadable.chmod(0)
    os.symlink("loop_b.txt", folder / "loop_a.txt")
    os.symlink("loop_a.txt", folder / "loop_b.txt")
    return folder


@pytest.fixture(scope="module")
def bad_run(corpus, tmp_path_factory) -> SimpleNamespace:
    """`python -m pipeline run` over the whole bad corpus (input.max_bytes = 5 MB)."""
    tmp = tmp_path_factory.mktemp("bad_run")
    config = _config_file(tmp, input={"max_bytes": MAX_BYTES}, annotate={"cache_dir": tmp / "cache"})
    out = tmp / "out"
    proc = _cli("run", str(corpus), "--out", str(out), "--config", str(config), "--no-progress")
    documents: dict[str, list[dict[str, str]]] = {}
    for row in _read_csv(out / "documents.csv") if (out / "documents.csv").exists() else []:
        documents.setdefault(row["doc_id"], []).append(row)
    return SimpleNamespace(proc=proc, out=out, corpus=corpus, documents=documents)


def _one(bad_run, doc_id: str) -> dict[str, str]:
    rows = bad_run.documents.get(doc_id, [])
    assert len(rows) == 1, f"{doc_id}: {rows} (stderr: {bad_run.proc.stderr})"
    return rows[0]


# ------------------------------------------------------- the whole corpus


def test_run_over_the_bad_corpus_succeeds_with_a_summary(bad_run):
    assert bad_run.proc.returncode == 0, bad_run.proc.stderr
    # inputs that could not be read are counted apart from articles that failed, and the report is named
    [summary] = bad_run.proc.stdout.splitlines()
    errors = (bad_run.out / "errors.csv").read_text(encoding="utf-8").splitlines()[1:]
    assert f"articles (0 failed, {len(errors)} inputs unreadable)" in summary, summary
    assert summary.endswith(f"-> {bad_run.out} (open {bad_run.out / 'report.html'})"), summary
    for name in ("documents.csv", "errors.csv", "mentions.csv", "graph.graphml", "graph.gexf", "run.json"):
        assert (bad_run.out / name).is_file(), name


SKIPPED = [
    ("huge.txt", f"too large: {HUGE_BYTES} bytes > input.max_bytes = {MAX_BYTES}"),
    ("png_bytes.txt", "binary data, not text: looks like a PNG image"),
    ("malformed.jsonl", "malformed.jsonl line 2: not valid JSON"),
    ("malformed.jsonl", "malformed.jsonl line 4: no 'text' field; fields: id, body"),
    ("no_text_column.csv", "no_text_column.csv: no 'text' column; columns: id, titre, contenu"),
]


@pytest.mark.parametrize("name, problem", SKIPPED, ids=[f"{n}: {p[:30]}" for n, p in SKIPPED])
def test_unreadable_input_is_skipped_with_a_status_a_row_and_a_message(bad_run, name, problem):
    source = str(bad_run.corpus / name)
    statuses = [r["status"] for r in bad_run.documents.get(name, []) if r["source"] == source]
    assert any(s.startswith("error: ") and problem in s for s in statuses), statuses
    errors = _read_csv(bad_run.out / "errors.csv")
    assert any(e["source"] == source and problem in e["problem"] for e in errors), errors
    lines = bad_run.proc.stderr.splitlines()
    assert any(line.startswith(f"pressgraph: skipped {source}: ") and problem in line for line in lines), lines


def test_errors_csv_has_exactly_the_skipped_inputs(bad_run):
    errors = _read_csv(bad_run.out / "errors.csv")
    sources = sorted(Path(e["source"]).name for e in errors)
    expected = sorted(name for name, _ in SKIPPED)
    if os.geteuid() != 0:
        expected = sorted([*expected, "unreadable.txt"])
    # the symlink loop is checked in its own test
    assert [s for s in sources if not s.startswith("loop_")] == expected


@pytest.mark.parametrize("doc_id", sorted(EXPECTED_TEXT))
def test_readable_encodings_and_names_are_processed(bad_run, doc_id):
    """Decoded exactly: chars match the text and every mention offset indexes it."""
    row = _one(bad_run, doc_id)
    text = EXPECTED_TEXT[doc_id]
    assert row["status"] == "ok" and int(row["chars"]) == len(text), row
    assert int(row["sentences"]) > 0 and int(row["mentions"]) > 0, row
    mentions = [m for m in _read_csv(bad_run.out / "mentions.csv") if m["doc_id"] == doc_id]
    assert mentions and all(text[int(m["start"]) : int(m["end"])] == m["text"] for m in mentions)


def test_accented_names_survive_latin1_decoding(bad_run):
    texts = {m["text"] for m in _read_csv(bad_run.out / "mentions.csv") if m["doc_id"] == "latin1"}
    assert "Séoul" in texts, texts


def test_file_name_with_spaces_and_accents_keeps_its_name(bad_run):
    row = _one(bad_run, "article été à Séoul")
    assert row["source"] == str(bad_run.corpus / "article été à Séoul.txt")


@pytest.mark.parametrize("doc_id", ["empty", "whitespace"])
def test_empty_and_blank_files_are_listed_as_empty_not_errors(bad_run, doc_id):
    row = _one(bad_run, doc_id)
    assert (row["status"], row["sentences"], row["mentions"]) == ("empty", "0", "0")
    assert f"{doc_id}.txt" not in bad_run.proc.stderr
    assert not [e for e in _read_csv(bad_run.out / "errors.csv") if Path(e["source"]).stem == doc_id]


def test_good_records_of_a_malformed_jsonl_are_processed(bad_run):
    j1, j3 = _one(bad_run, "j1"), _one(bad_run, "j3")
    assert (j1["status"], j1["title"], j1["date"]) == ("ok", "Sommet à Pyongyang", "2024-06-19")
    assert (j3["status"], j3["title"]) == ("ok", "Réaction de l'Otan")
    assert "j2" not in bad_run.documents and "j4" not in bad_run.documents


def test_html_script_and_style_never_reach_the_text(bad_run):
    row = _one(bad_run, "page")
    assert (row["status"], row["title"]) == ("ok", "Manœuvres en mer du Japon")
    text = (bad_run.out / "texts" / "page.txt").read_text(encoding="utf-8")
    assert "porte-avions américain Theodore Roosevelt" in text
    assert "MARKER" not in text and "dataLayer" not in text and "display" not in text
    mentions = [m["text"] for m in _read_csv(bad_run.out / "mentions.csv") if m["doc_id"] == "page"]
    assert mentions and not any("MARKER" in m for m in mentions)


def test_the_rest_of_the_corpus_is_processed(bad_run):
    assert _one(bad_run, "good")["status"] == "ok" and int(_one(bad_run, "good")["mentions"]) > 10
    ok = {d for d, rows in bad_run.documents.items() if rows[0]["status"] == "ok"}
    assert {"good", "long_line", "j1", "j3", "page", *EXPECTED_TEXT} <= ok


def test_a_png_that_is_not_named_as_an_input_is_ignored(bad_run):
    assert not [r for rows in bad_run.documents.values() for r in rows if r["source"].endswith("photo.png")]
    assert "photo.png" not in bad_run.proc.stderr


def test_a_long_single_line_is_cut_into_blocks_and_processed(bad_run):
    """100 kB on one line (see test_one_megabyte_line_* for 1 MB without the model)."""
    row = _one(bad_run, "long_line")
    text = (bad_run.corpus / "long_line.txt").read_text(encoding="utf-8")
    assert "\n" not in text and len(text) >= LONG_LINE_CHARS
    assert row["status"] == "ok" and int(row["chars"]) == len(text), row
    blocks = [b for b in _read_csv(bad_run.out / "blocks.csv") if b["doc_id"] == "long_line"]
    spans = [(int(b["start"]), int(b["end"])) for b in blocks]
    assert len(spans) >= LONG_LINE_CHARS // MAX_BLOCK_CHARS
    assert all(0 < end - start <= MAX_BLOCK_CHARS for start, end in spans)
    covered = "".join(text[s:e] for s, e in spans)
    assert covered.replace(" ", "") == text.replace(" ", "")  # nothing lost but the spaces at cuts
    sentences = [s for s in _read_csv(bad_run.out / "sentences.csv") if s["doc_id"] == "long_line"]
    assert len(sentences) > 500 and int(row["mentions"]) > 500


def test_unreadable_file_is_skipped(bad_run):
    if os.geteuid() == 0:
        pytest.skip("running as root: chmod 000 does not stop root from reading the file")
    source = str(bad_run.corpus / "unreadable.txt")
    assert f"pressgraph: skipped {source}: permission denied" in bad_run.proc.stderr.splitlines()
    assert {"source": source, "problem": "permission denied"} in _read_csv(bad_run.out / "errors.csv")


def test_symlink_loop_is_reported(bad_run):
    errors = _read_csv(bad_run.out / "errors.csv")
    for name in ("loop_a.txt", "loop_b.txt"):
        source = str(bad_run.corpus / name)
        assert any(e["source"] == source and "symbolic link" in e["problem"] for e in errors), errors
        assert any(r["source"] == source and r["status"].startswith("error: ") for r in bad_run.documents[name])
        assert f"pressgraph: skipped {source}: " in bad_run.proc.stderr


def test_every_table_is_valid_utf8_csv(bad_run):
    for path in bad_run.out.glob("*.csv"):
        with open(path, encoding="utf-8", newline="") as f:
            rows = list(csv.reader(f))
        assert rows and all(len(r) == len(rows[0]) for r in rows), path.name


# ------------------------------------------------- exit codes, in process


def test_nothing_readable_exits_1_with_a_one_line_message(tmp_path, capsys):
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("png_bytes.txt", "no_text_column.csv"):
        shutil.copyfile(BAD / name, folder / name)
    config = _config_file(tmp_path, annotate={"cache_dir": tmp_path / "cache"})
    code = cli_main(["run", str(folder), "--out", str(tmp_path / "out"), "--config", str(config), "--no-progress"])
    err = capsys.readouterr().err.splitlines()
    assert code == 1
    assert err[-1] == "pressgraph: no article could be read"
    assert len([line for line in err if line.startswith("pressgraph: skipped ")]) == 2


def test_strict_exits_1_when_an_article_failed(tmp_path, capsys):
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copyfile(BAD / "png_bytes.txt", folder / "png_bytes.txt")
    shutil.copyfile(BAD / "latin1.txt", folder / "latin1.txt")
    config = _config_file(tmp_path, annotate={"cache_dir": tmp_path / "cache"})
    args = ["run", str(folder), "--out", str(tmp_path / "out"), "--config", str(config), "--no-progress"]
    assert cli_main(args) == 0
    capsys.readouterr()
    assert cli_main([*args, "--strict"]) == 1
    last = capsys.readouterr().err.splitlines()[-1]
    assert last == "pressgraph: 0 article(s) failed, 1 input(s) unreadable (--strict); see errors.csv"


def test_missing_input_among_good_ones_exits_2_naming_it(tmp_path):
    missing = tmp_path / "absent"
    proc = _cli("run", str(BAD / "latin1.txt"), str(missing), "--out", str(tmp_path / "out"), "--no-progress")
    assert proc.returncode == 2
    assert proc.stderr.strip() == f"pressgraph: input not found: {missing}"
    assert not (tmp_path / "out").exists()


# ------------------------------------------- ingest level (no model needed)


@pytest.mark.parametrize("doc_id", sorted(EXPECTED_TEXT))
def test_fixture_decodes_to_the_exact_text(doc_id):
    name = f"{doc_id}.txt"
    [article] = read_articles([BAD / name], EXTENSIONS)
    assert article.raw_text == unicodedata.normalize("NFC", EXPECTED_TEXT[doc_id])


def test_twenty_megabyte_article_under_the_default_limit_is_read(corpus):
    """Under input.max_bytes (50 MB by default) the 20 MiB file is an ordinary article."""
    assert load_config().input.max_bytes > HUGE_BYTES
    [article] = read_articles([corpus / "huge.txt"], EXTENSIONS)
    assert article.doc_id == "huge" and len(article.raw_text.encode("utf-8")) == HUGE_BYTES


def test_too_large_file_is_skipped_without_being_read(tmp_path, monkeypatch):
    big = tmp_path / "big.txt"
    big.write_bytes(b"a" * 2000)
    (tmp_path / "small.txt").write_text("Bonjour Séoul.", encoding="utf-8")
    read = []
    original = Path.read_bytes
    monkeypatch.setattr(Path, "read_bytes", lambda self: read.append(self.name) or original(self))
    items = list(read_articles([tmp_path], [".txt"], max_bytes=1000))
    assert items[0] == ReadError(str(big), "too large: 2000 bytes > input.max_bytes = 1000")
    assert [i.doc_id for i in items[1:]] == ["small"] and read == ["small.txt"]


def test_permission_error_is_a_read_error_and_the_rest_is_read(tmp_path, monkeypatch):
    """Simulated: root can read a chmod 000 file, so the OS error is raised by hand."""
    (tmp_path / "a.txt").write_text("Bonjour Séoul.", encoding="utf-8")
    (tmp_path / "b.txt").write_text("Bonjour Tokyo.", encoding="utf-8")
    original = Path.read_bytes

    def read_bytes(self):
        if self.name == "a.txt":
            raise PermissionError(13, "Permission denied", str(self))
        return original(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    items = list(read_articles([tmp_path], [".txt"]))
    assert items[0] == ReadError(str(tmp_path / "a.txt"), "permission denied")
    assert items[1].raw_text == "Bonjour Tokyo."


def test_one_megabyte_line_is_read_and_cut_into_blocks(tmp_path, boilerplate_rules):
    """The 1 MB line through ingest and clean; the model and linker take minutes on it."""
    text = _french_line(1_000_000)
    (tmp_path / "line.txt").write_text(text, encoding="utf-8")
    [article] = read_articles([tmp_path], [".txt"])
    assert article.raw_text == text
    blocks = clean(article, boilerplate_rules, max_block_chars=MAX_BLOCK_CHARS).blocks
    assert len(blocks) >= 50
    assert all(len(b.text) == b.raw_end - b.raw_start <= MAX_BLOCK_CHARS for b in blocks)
    assert "".join(b.text for b in blocks).replace(" ", "") == text.replace(" ", "")


# ----------------------------------------- inputs that stop the whole run


def _small_run(folder: Path, tmp: Path):
    cfg = load_config(overrides={"output.out_dir": tmp / "out", "annotate.cache_dir": tmp / "cache"})
    return run([folder], cfg)


def test_file_name_that_is_not_utf8_does_not_stop_the_run(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    with open(os.path.join(os.fsencode(folder), b"S\xe9oul.txt"), "wb") as f:  # latin-1 bytes in the name
        f.write((BAD / "article été à Séoul.txt").read_bytes())
    shutil.copyfile(BAD / "latin1.txt", folder / "latin1.txt")
    result = _small_run(folder, tmp_path)
    assert result.articles == 2 and result.failed == 0
    rows = _read_csv(tmp_path / "out" / "documents.csv")  # valid UTF-8
    assert len(rows) == 2 and all(r["status"] == "ok" for r in rows)


def test_lone_surrogate_in_a_json_record_does_not_stop_the_run(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    good = json.dumps({"id": "good", "text": EXPECTED_TEXT["latin1"]}, ensure_ascii=False)
    # valid JSON whose \ud83d and \ud800 escapes decode to lone surrogates
    bad = '{"id": "bad", "title": "Kim \\ud83d", "text": "Vladimir Poutine a vu Kim Jong-un \\ud800 mardi."}'
    (folder / "surrogate.jsonl").write_text(f"{good}\n{bad}\n", encoding="utf-8")
    result = _small_run(folder, tmp_path)
    rows = {r["doc_id"]: r for r in _read_csv(tmp_path / "out" / "documents.csv")}
    assert rows["good"]["status"] == "ok" and "bad" in rows
    assert result.articles >= 1


def test_record_with_a_very_long_id_is_processed(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    record = {"id": "x" * 300, "text": EXPECTED_TEXT["latin1"]}
    (folder / "feed.jsonl").write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")
    result = _small_run(folder, tmp_path)
    assert (result.articles, result.failed) == (1, 0), result.errors
    [row] = _read_csv(tmp_path / "out" / "documents.csv")
    assert row["doc_id"] == "x" * 300 and row["status"] == "ok"
