"""Everything that touches files: reading inputs, writing outputs.

Stages never read or write files themselves; the runner and the CLI call
these functions at the edges.
"""

from __future__ import annotations

import csv
import fcntl
import json
import os
import tempfile
import tomllib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from operator import attrgetter
from pathlib import Path
from typing import Any

from pipeline.kb import KnowledgeBase
from pipeline.records import Article, Fields, ReadError, column_names
from pipeline.stages.clean import BoilerplateRules
from pipeline.stages.ingest import file_suffix, parse_document

# ------------------------------------------------------------------ inputs


def find_inputs(paths: Iterable[str | Path], extensions: Iterable[str]) -> Iterator[Path | ReadError]:
    """Expand files and folders (recursively) into input files, sorted.

    A path that does not exist is reported as a ReadError, not raised.
    """
    wanted = tuple(e.lower() for e in extensions)
    for path in map(Path, paths):
        if path.is_dir():
            found = []
            for p in path.rglob("*"):
                if p.is_symlink() and not p.exists():
                    yield ReadError(display_path(p), "symbolic link that loops or points nowhere")
                elif p.is_file() and p.name.lower().endswith(wanted):
                    found.append(p)
            yield from sorted(found)
        elif path.is_file():
            yield path
        elif path.is_symlink():
            yield ReadError(display_path(path), "symbolic link that loops or points nowhere")
        else:
            yield ReadError(display_path(path), "no such file or folder")


def display_path(path: Path) -> str:
    """A path as text that can always be written: bytes of a file name that
    are not UTF-8 become U+FFFD."""
    return os.fsencode(path).decode("utf-8", errors="replace")


def read_articles(
    paths: Iterable[str | Path],
    extensions: Iterable[str],
    *,
    max_bytes: int = 50_000_000,
    fields: Fields | None = None,
) -> Iterator[Article | ReadError]:
    """Read every input file into Articles; what cannot be read becomes ReadErrors.

    Files larger than `max_bytes` are skipped without being read. A JSON Lines
    or CSV file gives one Article per record (`fields` names the columns).
    """
    seen: dict[str, int] = {}
    for item in find_inputs(paths, extensions):
        if isinstance(item, ReadError):
            yield item
            continue
        source = display_path(item)
        try:
            size = item.stat().st_size
            if size > max_bytes:
                yield ReadError(source, f"too large: {size} bytes > input.max_bytes = {max_bytes}")
                continue
            data = item.read_bytes()
            name = Path(source).name
            suffix = file_suffix(name)
            stem = name[: len(name) - len(suffix)] if suffix else name
            parsed = parse_document(
                data, source=source, doc_id=stem, suffix=suffix, fields=fields, max_unpacked=max_bytes
            )
        except (OSError, UnicodeError, ValueError) as err:
            yield ReadError(source, _problem(err))
            continue
        for x in parsed:  # record ids must be unique across files too
            yield x if isinstance(x, ReadError) else replace(x, doc_id=_unique(x.doc_id, seen))


def _unique(doc_id: str, seen: dict[str, int]) -> str:
    seen[doc_id] = seen.get(doc_id, 0) + 1
    return doc_id if seen[doc_id] == 1 else f"{doc_id}~{seen[doc_id]}"


def _problem(err: BaseException) -> str:
    if isinstance(err, OSError) and err.strerror:
        return err.strerror.lower()
    return str(err)


# ----------------------------------------------------------------- outputs


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


class OutputLock:
    """An exclusive lock on an output folder, so two runs never write it at once.

    The second run stops at once with a message naming the folder and the
    process that holds it.
    """

    def __init__(self, folder: Path):
        self.path = Path(folder) / ".pressgraph.lock"
        self._file = None

    def __enter__(self) -> OutputLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file = open(self.path, "a+", encoding="utf-8")
        try:
            fcntl.flock(self._file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._file.seek(0)
            holder = self._file.read().strip() or "another process"
            self._file.close()
            raise RuntimeError(
                f"{self.path.parent}: another run is writing this folder (pid {holder}); wait for it or use --out"
            ) from None
        self._file.seek(0)
        self._file.truncate()
        self._file.write(str(os.getpid()))
        self._file.flush()
        return self

    def __exit__(self, *exc) -> None:
        if self._file:
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()


# ------------------------------------------------------ models/ data files

KB_TABLES = ("entities", "aliases", "demonyms", "capitals", "seats", "roles", "role_words")


def read_kb_tables(folder: Path) -> dict[str, list[dict[str, str]]]:
    """The CSV tables of one knowledge-base folder, by file stem."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: knowledge-base folder not found")
    tables = {}
    for name in KB_TABLES:
        path = folder / f"{name}.csv"
        if path.is_file():
            with open(path, encoding="utf-8", newline="") as f:
                tables[name] = list(csv.DictReader(f))
    return tables


def read_kb(folders: Iterable[Path]) -> KnowledgeBase:
    """Load a KnowledgeBase from folders of CSV files (later folders win)."""
    return KnowledgeBase.from_tables(read_kb_tables(folder) for folder in folders)


def read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as err:
        raise ValueError(f"{path}: cannot read rules: {err}") from err


def read_boilerplate_rules(path: Path) -> BoilerplateRules:
    data = read_toml(path)
    return BoilerplateRules.from_lists(data.get("line_patterns", []), data.get("rubrics", []))
