"""Writing the output folder: CSV tables, graph files, the report, run.json, saved texts.

Every file is written to a temporary file beside it and renamed, rows in the
order given (the export stage orders them), so the same input and settings
give the same bytes.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Iterable, Mapping
from operator import attrgetter
from pathlib import Path
from typing import Any

from pipeline.records import column_names

# A spreadsheet runs a cell starting with one of these as a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formula(value: Any) -> Any:
    """Prefix text a spreadsheet would run as a formula with an apostrophe."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def write_records(path: Path, record_type: type, records: Iterable[Any], *, raw_text: bool = False) -> int:
    """Write dataclass records as a CSV table, atomically. Returns the row count.

    Text cells that begin with =, +, -, @ (scraped text can carry them) are
    neutralised with a leading apostrophe unless `raw_text`.
    """
    cells = _cells(record_type)
    rows = 0

    def write(f):
        nonlocal rows
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(column_names(record_type))
        for values in map(cells, records):
            writer.writerow(values if raw_text else [neutralise_formula(v) for v in values])
            rows += 1

    atomic_write(path, write)
    return rows


def _cells(record_type: type) -> Callable[[Any], tuple]:
    """The cells of a record, in column order.

    Plain attribute reads: the columns are scalars, so `dataclasses.astuple`
    (a recursive deep copy, most of the cost of writing a table) gives the
    same values far slower.
    """
    names = column_names(record_type)
    if len(names) == 1:  # attrgetter of one name returns the value, not a tuple
        return lambda record: (getattr(record, names[0]),)
    return attrgetter(*names)


def write_json(path: Path, data: Any) -> None:
    atomic_write(path, lambda f: json.dump(data, f, ensure_ascii=False, indent=2, sort_keys=False))


def write_bytes(path: Path, data: bytes) -> None:
    atomic_write(path, lambda f: f.write(data), binary=True)


def write_outputs(
    out_dir: Path, tables: Mapping[str, tuple[type, Iterable[Any]]], files: Mapping[str, bytes], *, raw_csv: bool
) -> dict[str, int]:
    """Write the tables (`name.csv` -> (record type, rows)) and the other files; returns rows per table."""
    rows = {
        name: write_records(out_dir / name, record_type, records, raw_text=raw_csv)
        for name, (record_type, records) in tables.items()
    }
    for name, data in files.items():
        write_bytes(out_dir / name, data)
    return rows


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _current_umask()


def atomic_write(path: Path, write, *, binary: bool = False) -> None:
    """Call `write(file)` on a temporary file beside `path`, then rename it.

    A run killed in the middle leaves the previous `path` as it was.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes it private; outputs are ordinary files
    try:
        mode = "wb" if binary else "w"
        with os.fdopen(fd, mode, **({} if binary else {"encoding": "utf-8", "newline": ""})) as f:
            write(f)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def text_file_name(doc_id: str) -> str:
    """`<doc_id>.txt`, made safe as a file name: no path separators, and a
    long id is cut and given a hash so the name stays under file-system limits."""
    name = doc_id.replace("/", "_").replace("\\", "_").lstrip(".") or "_"
    if len(name.encode("utf-8")) > 150:
        digest = hashlib.sha256(doc_id.encode("utf-8", "replace")).hexdigest()[:16]
        name = name.encode("utf-8")[:120].decode("utf-8", "ignore") + "-" + digest
    return f"{name}.txt"


def save_text(out_dir: Path, doc_id: str, text: str) -> None:
    """Save the text an article's offsets index as `texts/<doc_id>.txt`,
    unless an earlier run saved the same text there."""
    path = out_dir / "texts" / text_file_name(doc_id)
    try:
        with open(path, encoding="utf-8", newline="") as f:
            if f.read() == text:
                return
    except (OSError, UnicodeError):
        pass
    atomic_write(path, lambda f: f.write(text))


def write_texts(folder: Path, texts: Mapping[str, str]) -> Path:
    """One `<id>.txt` per text in a new folder (the gold texts an evaluation runs on); returns the folder."""
    folder.mkdir(parents=True)
    for doc_id, text in texts.items():
        if "/" in doc_id or "\\" in doc_id or doc_id.startswith("."):
            raise ValueError(f"id {doc_id!r} cannot be a file name")
        (folder / f"{doc_id}.txt").write_text(text, encoding="utf-8")
    return folder


def output_files(out_dir: Path) -> dict[str, list[int]]:
    """Size and modification time of every output file, to tell later whether they are still as written."""
    files = [p for p in out_dir.rglob("*") if p.is_file() and not p.name.startswith(".") and p.name != "run.json"]
    return {p.relative_to(out_dir).as_posix(): [p.stat().st_size, p.stat().st_mtime_ns] for p in sorted(files)}


def previous_run(out_dir: Path) -> dict | None:
    """The run.json of the outputs in `out_dir`, if there is a readable one."""
    try:
        data = json.loads((out_dir / "run.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None
