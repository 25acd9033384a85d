import csv
import math
import random
from dataclasses import dataclass
from pathlib import Path

import pytest

from pipeline.flow import read_articles
from pipeline.records import ReadError, Relation, column_names
from pipeline.stages.ingest import decode
from pipeline.store.outputs import atomic_write, write_records

FRENCH = "L’Otan s’inquiète : « Poutine et Kim Jong-un se sont rencontrés à Pyongyang », déclare-t-il."


@pytest.mark.parametrize(
    "data",
    [
        FRENCH.encode("utf-8"),
        b"\xef\xbb\xbf" + FRENCH.encode("utf-8"),
        FRENCH.replace("’", "'").encode("latin-1"),
        FRENCH.encode("cp1252"),
    ],
    ids=["utf-8", "utf-8 BOM", "latin-1", "cp1252"],
)
def test_decode_french_in_common_encodings(data):
    text = decode(data)
    assert "Pyongyang" in text and "déclare" in text and "inquiète" in text
    assert not text.startswith("\ufeff")


def test_decode_normalises_to_nfc():
    assert decode("Corée".encode().replace(b"\xc3\xa9", b"e\xcc\x81")) == "Corée"


def test_read_articles_reports_missing_paths_and_keeps_going(tmp_path):
    (tmp_path / "a.txt").write_text("Bonjour Paris.", encoding="utf-8")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.md").write_text("Bonjour Lyon.", encoding="utf-8")
    (tmp_path / "ignored.png").write_bytes(b"\x89PNG")
    items = list(read_articles([tmp_path, tmp_path / "missing.txt"], [".txt", ".md"]))
    assert [i.doc_id for i in items if not isinstance(i, ReadError)] == ["a", "b"]
    errors = [i for i in items if isinstance(i, ReadError)]
    assert errors == [ReadError(str(tmp_path / "missing.txt"), "no such file or folder")]


def test_atomic_write_keeps_the_old_file_when_writing_fails(tmp_path):
    path = tmp_path / "table.csv"
    path.write_text("old", encoding="utf-8")

    def fail(f):
        f.write("half")
        raise RuntimeError("killed")

    with pytest.raises(RuntimeError):
        atomic_write(path, fail)
    assert path.read_text(encoding="utf-8") == "old"
    assert list(tmp_path.iterdir()) == [path]


def test_write_records_header_comes_from_the_record(tmp_path):
    path = tmp_path / "relations.csv"
    n = write_records(path, Relation, [Relation("d", 0, "Q1", "MEET", "rencontrer", "Q2", False, "x, y")])
    assert n == 1
    assert Path(path).read_text(encoding="utf-8").splitlines() == [
        "doc_id,sentence_id,subject,relation,predicate,object,negated,evidence",
        'd,0,Q1,MEET,rencontrer,Q2,False,"x, y"',
    ]


@dataclass(frozen=True)
class _Note:
    text: str


def test_write_records_neutralises_formulas_unless_raw(tmp_path):
    rows = [Relation("d", -1, "=HYPERLINK(1)", "MEET", "+x", "@y", True, "-3 morts")]
    write_records(tmp_path / "safe.csv", Relation, rows)
    write_records(tmp_path / "raw.csv", Relation, rows, raw_text=True)
    assert (tmp_path / "safe.csv").read_text(encoding="utf-8").splitlines()[1] == (
        "d,-1,'=HYPERLINK(1),MEET,'+x,'@y,True,'-3 morts"  # numbers stay numbers
    )
    assert (tmp_path / "raw.csv").read_text(encoding="utf-8").splitlines()[1] == (
        "d,-1,=HYPERLINK(1),MEET,+x,@y,True,-3 morts"
    )


def test_write_records_of_a_one_column_record(tmp_path):
    assert write_records(tmp_path / "notes.csv", _Note, [_Note("a, b"), _Note("c")]) == 2
    assert (tmp_path / "notes.csv").read_text(encoding="utf-8").splitlines() == ["text", '"a, b"', "c"]


def test_columns_are_neutralised_as_each_cell_would_be():
    from pipeline.store.outputs import neutralise_columns, neutralise_formula

    cells = ["=1+1", " =1+1", "\n@SUM(A1)", "-3 morts", "\tx", "'x", "x", "", "Poutine", "\u00a0+33", "=1+1"]
    columns = [cells, [1, -2, 3.5, True, None, "+x", "y", 0, 0, 0, 0]]
    assert neutralise_columns(columns) == [[neutralise_formula(v) for v in c] for c in columns]


def test_a_safe_first_character_is_one_no_formula_can_start_with():
    """neutralise_columns skips text by its first character: each such character is visible and no formula's."""
    from pipeline.store.outputs import _ALWAYS, _FORMULA_CHARS, _SAFE_START, _runs_as_formula

    safe = [chr(c) for c in range(0x110000) if _SAFE_START.match(chr(c))]
    assert len(safe) > 100_000  # letters and digits of every script
    for c in safe:
        assert c.isprintable() and c != " " and c not in _FORMULA_CHARS | _ALWAYS, repr(c)
        assert not _runs_as_formula(c + "=1+1")


def test_rows_are_written_in_chunks_as_one_table(tmp_path, monkeypatch):
    from pipeline.store import outputs
    from pipeline.store.outputs import write_outputs

    monkeypatch.setattr(outputs, "_CHUNK", 2)
    rows = [Relation("d", i, f"=Q{i}", "MEET", "rencontrer", "Q2", False, f"ligne\r\n{i}") for i in range(5)]
    write_records(tmp_path / "one.csv", Relation, rows)
    cells = [
        (r.doc_id, r.sentence_id, r.subject, r.relation, r.predicate, r.object, r.negated, r.evidence) for r in rows
    ]
    written = write_outputs(
        tmp_path,
        {"cells.csv": (Relation, cells), "empty.csv": (Relation, [])},
        {"f.bin": lambda f: f.write(b"x")},
        raw_csv=False,
    )
    assert written == {"cells.csv": 5, "empty.csv": 0}
    assert (tmp_path / "cells.csv").read_bytes() == (tmp_path / "one.csv").read_bytes()
    assert (tmp_path / "one.csv").read_bytes().count(b"\r\n") == 1 + 5 * 2  # the header, each row and its cell
    assert (tmp_path / "empty.csv").read_text(encoding="utf-8").splitlines() == [",".join(column_names(Relation))]
    assert (tmp_path / "f.bin").read_bytes() == b"x"


@dataclass(frozen=True)
class _Row:
    a: object
    b: object
    c: object


_CELLS = ["", "x", "Poutine", "a,b", 'q"x', "cr\rx", "lf\nx", "\r\n", "\n=1", "\n\nx", "=1+1", " =1", "-3 morts",
          "'x", "\tx", "é, ü", "x\u2028y", "\x00", "\ufeff=1", "«=»", "+", "@"]  # fmt: skip


def _columns(rng: random.Random, n: int) -> list[list]:
    """Columns of every kind of cell, each a column of one kind (few or many distinct values) or mixed."""
    many = [rng.choice(_CELLS) + str(i) + rng.choice(_CELLS) for i in range(n)]
    return [
        [rng.choice(_CELLS) for _ in range(n)],
        many,
        [rng.randint(-5, 5) for _ in range(n)],
        [rng.choice([0.0, -0.0, 1.5, math.nan, math.inf, -math.inf, 1e-05, 2.0]) for _ in range(n)],
        [rng.choice([0.5, 1e300, 1 / 3]) for _ in range(n)],
        [rng.choice([True, False, 1, 0]) for _ in range(n)],  # booleans among ints: "True", not "1"
        [rng.choice([1, 1.0, 2]) for _ in range(n)],  # floats among ints: "1.0", not "1"
        [rng.choice([None, "x", 1]) for _ in range(n)],  # left to csv's writer
        [rng.choice(["x", 3]) for _ in range(n)],
        [float(i % 3 + 1) if i // 7 % 2 else i % 3 + 1 for i in range(n)],  # chunks of ints, then of floats
    ]


def _csv_bytes(path: Path, rows: list[tuple], raw_text: bool) -> bytes:
    """What csv's writer writes for the rows, each cell neutralised: the tables' bytes by definition."""
    from pipeline.store.outputs import neutralise_formula

    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(column_names(_Row))
        writer.writerows(rows if raw_text else ([neutralise_formula(v) for v in row] for row in rows))
    return path.read_bytes()


@pytest.mark.parametrize("chunk", [7, 20_000])
@pytest.mark.parametrize("raw_text", [False, True])
def test_tables_are_the_bytes_csv_writes_cell_by_cell(tmp_path, monkeypatch, chunk, raw_text):
    from pipeline.store import outputs
    from pipeline.store.outputs import write_outputs, write_rows

    monkeypatch.setattr(outputs, "_CHUNK", chunk)
    rng = random.Random(chunk)
    columns = _columns(rng, 300)
    for i, j, k in [(0, 1, 2), (1, 3, 4), (5, 6, 0), (7, 1, 2), (2, 8, 3), (0, 0, 1), (9, 2, 4)]:
        rows = list(zip(columns[i], columns[j], columns[k]))
        expected = _csv_bytes(tmp_path / "expected.csv", rows, raw_text)
        write_rows(tmp_path / "rows.csv", _Row, rows, raw_text=raw_text)
        assert (tmp_path / "rows.csv").read_bytes() == expected, (i, j, k)

        class Chunks:
            column_chunks = [list(zip(*rows[s : s + 13])) for s in range(0, len(rows), 13)]

        records = [_Row(*row) for row in rows]
        write_outputs(tmp_path, {"c.csv": (_Row, Chunks()), "r.csv": (_Row, records)}, {}, raw_csv=raw_text)
        assert (tmp_path / "c.csv").read_bytes() == expected
        assert (tmp_path / "r.csv").read_bytes() == expected


def test_a_one_column_table_quotes_an_empty_cell_as_csv_does(tmp_path):
    write_records(tmp_path / "notes.csv", _Note, [_Note(""), _Note("x")])
    assert (tmp_path / "notes.csv").read_text(encoding="utf-8").splitlines() == ["text", '""', "x"]
