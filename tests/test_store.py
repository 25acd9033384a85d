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
