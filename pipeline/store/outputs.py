"""Writing the output folder: CSV tables, graph files, the report, run.json, saved texts.

A run never writes into the folder readers see. `OUT` (the `--out` folder)
is a symbolic link to a complete version, `OUT.versions/<n>`; a run writes
the whole new set (saved texts included) into a new version beside it and
then swaps the link in one `rename`, so readers see the previous set or the
new one, never a mix, and every file stays at its path (`OUT/mentions.csv`,
`OUT/texts/...`). `OutputFolder` does this. Within a version every file is
written to a temporary file and renamed, rows in the order given (the export
stage orders them), so the same input and settings give the same bytes.
"""

from __future__ import annotations

import csv
import errno
import hashlib
import json
import os
import re
import shutil
import stat
import tempfile
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from itertools import chain, compress, filterfalse, islice, repeat
from operator import attrgetter, itemgetter, not_
from pathlib import Path
from typing import Any, BinaryIO

from pipeline.records import column_names

# A spreadsheet runs a cell as a formula when its first visible character is
# one of these, even after spaces, tabs or line breaks.
_FORMULA_CHARS = frozenset("=+-@\uff1d\uff0b\uff0d\uff20")  # and their full-width forms
# A cell starting with one of these is neutralised whatever follows: tab and
# CR as OWASP advises, and the apostrophe itself, so that reading back can
# remove exactly the apostrophes writing added (`restore_formula`).
_ALWAYS = frozenset("\t\r'")


def _runs_as_formula(value: str) -> bool:
    for i, c in enumerate(value):
        if c in _FORMULA_CHARS or (i == 0 and c in _ALWAYS):
            return True
        if c != " " and c.isprintable():  # not a space, line break, control or invisible format character
            return False
    return False


def neutralise_formula(value: Any) -> Any:
    """Prefix text a spreadsheet would run as a formula with an apostrophe.

    "=1+1", " =1+1", "\\n@SUM(A1)", "-3 morts", "\\tx" and "'x" get one; other
    text, and values that are not text (numbers), are left as they are.
    """
    if isinstance(value, str) and value and _runs_as_formula(value):
        return "'" + value
    return value


def restore_formula(cell: str) -> str:
    """The text `neutralise_formula` was given: the inverse, exactly."""
    if cell.startswith("'") and _runs_as_formula(cell[1:]):
        return cell[1:]
    return cell


def write_records(path: Path, record_type: type, records: Iterable[Any], *, raw_text: bool = False) -> int:
    """Write dataclass records as a CSV table, atomically. Returns the row count.

    Rows end with CR LF (RFC 4180), so that every cell holding a CR or a LF
    is quoted and stays one cell for `csv`, pandas and spreadsheets. Text
    cells a spreadsheet would run as formulas (`neutralise_formula`; scraped
    text can carry them) get a leading apostrophe unless `raw_text`.
    """
    return _write_chunks(path, record_type, _record_columns(record_type, records), raw_text=raw_text)


def write_rows(path: Path, record_type: type, rows: Iterable[Sequence], *, raw_text: bool = False) -> int:
    """Write rows of cells, in the columns of `record_type`, as a CSV table: `write_records` of tuples.

    `rows` may also give its cells column by column, as its attribute
    `column_chunks` (iterating `rows` still gives the rows): chunks of at
    least one row, each a list of columns. Those are written without making
    the rows.
    """
    chunks = getattr(rows, "column_chunks", None)
    return _write_chunks(path, record_type, _row_columns(rows) if chunks is None else chunks, raw_text=raw_text)


def _write_chunks(path: Path, record_type: type, chunks: Iterable[Sequence[Sequence]], *, raw_text: bool) -> int:
    """Write chunks of rows given column by column as a CSV table, atomically. Returns the row count.

    Each chunk is made text a column at a time (`_csv_text`), the bytes
    `csv`'s writer would write; a chunk with cells of other types is written
    by that writer.
    """
    count = 0
    numbers: dict[type, dict] = {}  # the texts of the numbers written so far, by type

    def write(f):
        nonlocal count
        writer = csv.writer(f)  # QUOTE_MINIMAL with the "\r\n" line terminator: quotes any cell with CR or LF
        writer.writerow(column_names(record_type))
        for columns in chunks:
            text = _csv_text(columns, numbers, raw_text=raw_text)
            if text is None:
                writer.writerows(zip(*(columns if raw_text else neutralise_columns(columns))))
            else:
                f.write(text)
            count += len(columns[0])

    atomic_write(path, write)
    return count


_CHUNK = 2_000  # rows written at a time: a chunk's columns stay in the processor's cache


def _row_columns(rows: Iterable[Sequence]) -> Iterator[list[tuple]]:
    """Rows of cells `_CHUNK` at a time, column by column."""
    rows = iter(rows)
    while chunk := list(islice(rows, _CHUNK)):
        yield list(zip(*chunk))


def _record_columns(record_type: type, records: Iterable[Any]) -> Iterator[list[list]]:
    """The cells of dataclass records in the columns of `record_type`, `_CHUNK` records at a time, column by column.

    Plain attribute reads: the columns are scalars, so `dataclasses.astuple`
    (a recursive deep copy) would give the same values far slower.
    """
    getters = [attrgetter(name) for name in column_names(record_type)]
    records = iter(records)
    while chunk := list(islice(records, _CHUNK)):
        yield [list(map(get, chunk)) for get in getters]


# Text starting with one of these is never run as a formula: a letter, a
# digit or common punctuation is a visible character that is none of
# _FORMULA_CHARS or _ALWAYS. Most cells start so; only the others need a look.
_SAFE_CHARS = r"""\w"«»(\[.,;:!?/&%$€*#<>"""
_SAFE_START = re.compile(f"[{_SAFE_CHARS}]")
_UNSAFE = re.compile(f"[^{_SAFE_CHARS}]")  # searched in the first characters of many texts at once
_FIRST = itemgetter(slice(1))  # the first character of a text, "" of ""


def neutralise_columns(columns: Iterable[Sequence]) -> list[Sequence]:
    """`neutralise_formula` of every cell, column by column: each distinct value of a column is looked at once."""
    out = []
    for column in columns:
        distinct = set(column)
        try:
            changed = _formulas(distinct)
        except TypeError:  # a column that is not all text: numbers, None
            changed = _formulas(list(filter(str.__instancecheck__, distinct)))
        out.append(list(map(changed.get, column, column)) if changed else column)
    return out


def _formulas(texts: Collection[str]) -> dict[str, str]:
    """text -> `neutralise_formula(text)`, for those of `texts` it changes.

    Text whose first character is safe is left out at C speed: all of it at
    once, most often.
    """
    if _UNSAFE.search("".join(map(_FIRST, texts))) is None:
        return {}
    suspects = filterfalse(_SAFE_START.match, texts)
    return {v: "'" + v for v in suspects if v and _runs_as_formula(v)}


# csv's writer (QUOTE_MINIMAL, rows ending with "\r\n") quotes a cell holding one of these, doubling its quotes.
_QUOTED = ',"\r\n'


def _csv_text(columns: Sequence[Sequence], numbers: dict[type, dict], *, raw_text: bool) -> str | None:
    """Rows given column by column as the text `csv.writer` writes for them (after
    `neutralise_columns` unless `raw_text`); None for rows it must write itself.

    Text is looked at all at once, or a distinct value at a time; numbers
    are written as csv writes them (`str`, and `repr` for floats), the text
    of each remembered in `numbers` for the next chunks. Other cells (None,
    text mixed with numbers), and rows of one cell, which csv quotes when
    empty, are left to csv.
    """
    if len(columns) < 2:
        return None
    cells = []
    for column in columns:
        texts = _csv_column(column, numbers, raw_text=raw_text)
        if texts is None:
            return None
        cells.append(texts)
    return "\r\n".join(map(",".join, zip(*cells))) + "\r\n"


def _csv_column(column: Sequence, numbers: dict[type, dict], *, raw_text: bool) -> Sequence[str] | None:
    """The cells of one column as csv writes them; None when they are not all text or all numbers."""
    if not isinstance(column[0], str):
        return _csv_numbers(column, numbers)
    try:
        # a column of few distinct texts is looked at a distinct text at a time
        texts = set(column) if len(set(column[:100])) < 50 else column
        lines = "\n".join(texts)
    except TypeError:  # not all text
        return _csv_numbers(column, numbers)
    # most columns need nothing done: told at C speed from all their text at
    # once (a text holding a LF adds one to the len - 1 joining them)
    quotes = any(c in lines for c in ',"\r') or lines.count("\n") >= len(texts)
    formulas = not raw_text and _UNSAFE.search("".join(map(_FIRST, texts))) is not None
    if not (quotes or formulas):
        return column
    distinct = texts if isinstance(texts, set) else set(column)
    changed = _formulas(distinct) if formulas else {}
    for value in _containing(distinct, _QUOTED) if quotes else ():
        text = changed.get(value, value)
        changed[value] = '"' + text.replace('"', '""') + '"'
    return list(map(changed.get, column, column)) if changed else column


def _csv_numbers(column: Sequence, numbers: dict[type, dict]) -> list[str] | None:
    """Numbers as csv writes them, `repr` of a float and `str` of the others; None for other cells.

    Each distinct int or float is made text once (most recur), kept in
    `numbers` by type: a set or dict of values folds 1, 1.0 and True together.
    """
    kinds = set(map(type, column))  # of every cell
    if not kinds <= {int, bool, float}:
        return None
    if kinds == {int} or kinds == {float}:
        distinct = set(column)
        if kinds == {int} or 0.0 not in distinct:  # equal floats have one text, but for 0.0 and -0.0
            texts = numbers.setdefault(kinds.pop(), {})
            new = distinct.difference(texts)
            texts.update(zip(new, map(repr, new)))
            return list(map(texts.__getitem__, column))
    return list(map(str, column))  # `repr` of a float is its `str`


def _containing(texts: Iterable[str], chars: str) -> list[str]:
    """Those of `texts` holding one of `chars`, by `in` tests: at C speed, where a regex looks at each character."""
    found, rest = [], list(texts)
    for c in chars:  # each text looked at until one is found in it
        holds = list(map(str.__contains__, rest, repeat(c)))
        found += compress(rest, holds)
        rest = list(compress(rest, map(not_, holds)))
    return found


def write_json(path: Path, data: Any) -> None:
    atomic_write(path, lambda f: json.dump(data, f, ensure_ascii=False, indent=2, sort_keys=False))


def write_bytes(path: Path, data: bytes | Callable[[BinaryIO], Any]) -> None:
    """Write `data`, or what the function `data(file)` writes into the binary file it is given, atomically."""
    atomic_write(path, data if callable(data) else lambda f: f.write(data), binary=True)


def write_outputs(
    out_dir: Path,
    tables: Mapping[str, tuple[type, Iterable[Any]]],
    files: Mapping[str, bytes | Callable[[BinaryIO], Any]],
    *,
    raw_csv: bool,
) -> dict[str, int]:
    """Write the tables and the other files; returns rows per table.

    Args:
        tables: `name.csv` -> (record type, rows): the rows are records of
            that type, or tuples of cells in its columns, or cells given
            column by column (`write_rows`).
        files: file name -> its bytes, or a function writing them into a binary file.
    """
    rows = {}
    for name, (record_type, records) in tables.items():
        path = out_dir / name
        if getattr(records, "column_chunks", None) is not None:
            rows[name] = write_rows(path, record_type, records, raw_text=raw_csv)
            continue
        records = iter(records)
        first = next(records, None)
        records = chain(() if first is None else (first,), records)
        if first is None or isinstance(first, tuple):
            rows[name] = write_rows(path, record_type, records, raw_text=raw_csv)
        else:
            rows[name] = write_records(path, record_type, records, raw_text=raw_csv)
    for name, data in files.items():
        write_bytes(out_dir / name, data)
    return rows


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _current_umask()


class OutputError(OSError):
    """A file of the output folder could not be written: `path: No space left on device`."""

    def __str__(self) -> str:
        return f"{self.filename}: {self.strerror}"


def atomic_write(path: Path, write, *, binary: bool = False) -> None:
    """Call `write(file)` on a temporary file beside `path`, then rename it.

    A run killed in the middle leaves the previous `path` as it was. The
    temporary file is made new (`O_EXCL`), never opened through a link.

    Raises:
        OutputError: the file could not be written (full disk, permissions); names `path`.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as err:
        raise OutputError(err.errno, err.strerror or str(err), str(path)) from err
    try:
        mode = "wb" if binary else "w"
        with os.fdopen(fd, mode, **({} if binary else {"encoding": "utf-8", "newline": ""})) as f:
            os.fchmod(f.fileno(), 0o666 & ~_UMASK)  # mkstemp makes it private; outputs are ordinary files
            write(f)
        os.replace(tmp, path)
    except BaseException as err:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(err, OSError) and not isinstance(err, OutputError):
            raise OutputError(err.errno, err.strerror or str(err), str(path)) from err
        raise


# A saved text's name that ends like a hashed one: an id of that form is hashed too, so names never collide.
_HASHED = re.compile(r"-[0-9a-f]{16}")


def text_file_name(doc_id: str) -> str:
    """The name of the file an article's text is saved as, unique per id.

    `<doc_id>.txt` when the id is a plain file name. Otherwise (a path
    separator, a leading dot, a control character, more than 150 bytes) the
    id is folded into one (separators and controls to `_`, leading dots
    dropped, cut to 120 bytes) and given 16 hex digits of its sha256:
    `a/b`, `a\\b` and `a_b` get three names, `.hidden` and `hidden` two.
    """
    folded = "".join(c if c.isprintable() or c == " " else "_" for c in doc_id).replace("/", "_").replace("\\", "_")
    folded = folded.lstrip(".") or "_"
    if folded == doc_id and len(doc_id.encode("utf-8")) <= 150 and not _HASHED.fullmatch(doc_id[-17:]):
        return f"{doc_id}.txt"
    digest = hashlib.sha256(doc_id.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    cut = folded.encode("utf-8", "replace")[:120].decode("utf-8", "ignore")
    return f"{cut}-{digest}.txt"


def _same_text(path: Path, text: str) -> bool:
    """Whether `path` is a plain file (not a link) holding exactly `text` in UTF-8."""
    try:
        data = text.encode("utf-8")
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except (OSError, UnicodeError):
        return False
    with os.fdopen(fd, "rb") as f:
        info = os.fstat(fd)
        return stat.S_ISREG(info.st_mode) and info.st_size == len(data) and f.read() == data


def write_texts(path: Path, records: Iterable[Mapping]) -> Path:
    """The gold texts an evaluation runs on, as one JSON Lines file of `{id, text, date}`; returns `path`.

    JSON Lines rather than one `.txt` per text, so that a record's date reaches
    the pipeline (roles are resolved at the article's date); the ids stay the
    doc_ids and the text is written unchanged, so gold offsets still index it.
    A record without a date gets none.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps({"id": r["id"], "text": r["text"], "date": r.get("date") or ""}) + "\n" for r in records]
    atomic_write(path, lambda f: f.writelines(lines))
    return path


def output_files(out_dir: Path) -> dict[str, list[int]]:
    """Size and modification time of every output file, to tell later whether they are still as written."""
    files = {
        rel: [info.st_size, info.st_mtime_ns]
        for rel, info in _tree(Path(out_dir))
        if stat.S_ISREG(info.st_mode) and not rel.rsplit("/", 1)[-1].startswith(".") and rel != "run.json"
    }
    return dict(sorted(files.items()))


def _tree(folder: Path) -> Iterator[tuple[str, os.stat_result]]:
    """(path relative to `folder`, lstat) of everything under `folder`, links not followed; no recursion."""
    stack = [""]
    while stack:
        rel = stack.pop()
        with os.scandir(folder / rel if rel else folder) as entries:
            found = [(f"{rel}/{e.name}" if rel else e.name, e.stat(follow_symlinks=False)) for e in entries]
        for path, info in sorted(found, key=lambda item: item[0]):
            yield path, info
            if stat.S_ISDIR(info.st_mode):
                stack.append(path)


def previous_run(out_dir: Path) -> dict | None:
    """The run.json of the outputs in `out_dir`, if there is a readable one."""
    try:
        data = json.loads((out_dir / "run.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


# ------------------------------------------------- the folder and its versions

LOCK_FILE = ".pressgraph.lock"
_NUMBER = re.compile(r"[0-9]+")
# What a pressgraph from before versions wrote in its one plain folder (paths relative to it).
_OLD_LAYOUT = re.compile(
    r"[^/]+\.(csv|graphml|gexf|json|html)|\.pressgraph\.lock|\.[^/]+\.tmp|texts(/[^/]+\.txt|/\.[^/]+\.tmp)?"
)


class OutputFolderError(RuntimeError):
    """An output folder pressgraph will not write; the message is one line naming the path."""


class NewVersion:
    """The version of the output folder a run is writing; readers do not see it until it is published."""

    def __init__(self, path: Path, previous: Path | None):
        self.path = path
        self.previous = previous  # the folder readers see now (None: no outputs yet)
        self.published = False
        self._texts: dict[str, str] = {}  # file name -> doc_id of the texts this run saved

    def save_text(self, doc_id: str, text: str) -> str:
        """Save the text an article's offsets index as `texts/<name>` (`text_file_name`); returns that path.

        A text the previous version holds unchanged is hard-linked from it,
        not written again.

        Raises:
            OutputError: the file could not be written, or another article of this run has that name.
        """
        name = text_file_name(doc_id)
        path = self.path / "texts" / name
        if self._texts.setdefault(name, doc_id) != doc_id:
            raise OutputError(errno.EEXIST, f"the text of {self._texts[name]!r} is saved under this name", str(path))
        if self.previous is not None and _same_text(self.previous / "texts" / name, text):
            try:
                path.parent.mkdir(exist_ok=True)
                os.link(self.previous / "texts" / name, path, follow_symlinks=False)
                return f"texts/{name}"
            except OSError:
                pass  # a file system without hard links, or the name taken: write it
        atomic_write(path, lambda f: f.write(text))
        return f"texts/{name}"


class OutputFolder:
    """The output folder `OUT` as pressgraph keeps it: a link to its newest complete version.

        OUT -> OUT.versions/7     a relative symbolic link, replaced in one rename
        OUT.versions/7/           the set readers see: mentions.csv, texts/, run.json, ...
        OUT.versions/8/           while a run writes: the new set, complete before the swap
        OUT.versions/.pressgraph.lock

    A run writes only into a version folder it has just made, so it never
    writes through a link someone placed in the output folder; `check`
    refuses such a folder anyway, in one line. A plain `OUT` folder from an
    older pressgraph becomes the previous version: it is replaced by the
    link at the swap, and removed.
    """

    def __init__(self, out_dir: str | Path):
        self.out = Path(os.path.abspath(out_dir))
        if self.out.parent == self.out:
            raise OutputFolderError(f"{self.out}: the output folder cannot be a file-system root; name a folder")
        self.versions = self.out.with_name(f"{self.out.name}.versions")
        self._swap = self.out.with_name(f".{self.out.name}.swap")  # the new link, until it replaces OUT

    @property
    def scratch(self) -> Path:
        """A folder for temporary files of a run (removed with the versions it does not keep)."""
        return self.versions / ".scratch"

    def own_paths(self) -> list[Path]:
        """Every path pressgraph writes beside OUT (never to be read as input)."""
        return [self.out, self.versions, self._swap]

    def plain(self) -> bool:
        """Whether OUT is a plain folder, as an older pressgraph wrote it."""
        return self.out.is_dir() and not self.out.is_symlink()

    def current(self) -> Path | None:
        """The folder readers see now: the version OUT links to (OUT itself when
        it is a plain folder), or None when there are no outputs yet."""
        if self.out.is_symlink():
            version = self._linked()
            return version if version is not None and version.is_dir() and not version.is_symlink() else None
        return self.out if self.out.is_dir() else None

    def _linked(self) -> Path | None:
        """The version OUT links to, if OUT is a link pressgraph made."""
        target = os.readlink(self.out)
        prefix = f"{self.versions.name}/"
        name = target[len(prefix) :] if target.startswith(prefix) else ""
        return self.versions / name if _NUMBER.fullmatch(name) else None

    def check(self) -> None:
        """Refuse an output folder pressgraph would write through a link, or would take files from.

        Raises:
            OutputFolderError: OUT is a link pressgraph did not make, a file, a
                mount point or the working folder; a link inside it or among its
                versions; a plain folder holding files an older pressgraph did
                not write. The message names the path.
        """
        try:
            working = Path.cwd()
        except OSError:
            working = None
        if working == self.out:
            raise OutputFolderError(f"{self.out}: the output folder cannot be the working folder; name a folder in it")
        for path in (self.versions, self.versions / LOCK_FILE):
            if path.is_symlink():
                raise OutputFolderError(_link_problem(path, path))
        if self.versions.exists() and not self.versions.is_dir():
            raise OutputFolderError(f"{self.versions}: the versions of {self.out} are kept here, and this is a file")
        if self.out.is_symlink():
            linked = self._linked()
            if linked is None:
                raise OutputFolderError(
                    f"{self.out}: a symbolic link pressgraph did not make (-> {os.readlink(self.out)}); "
                    "remove it or choose another --out"
                )
            if linked.is_symlink():
                raise OutputFolderError(_link_problem(linked, linked))
        elif self.out.exists():
            if not self.out.is_dir():
                raise OutputFolderError(f"{self.out}: --out must be a folder, and this is a file")
            if os.path.ismount(self.out):
                raise OutputFolderError(
                    f"{self.out}: a mount point cannot be replaced by a link to its versions; use a folder inside it"
                )
        current = self.current()
        if current is None:
            return
        foreign: list[str] = []  # what an older pressgraph did not write (a folder, not its files)
        folders: set[str] = set()  # the foreign folders
        for rel, info in _tree(current):
            if stat.S_ISLNK(info.st_mode):
                raise OutputFolderError(_link_problem(self.out / rel, current / rel))
            if current != self.out or _OLD_LAYOUT.fullmatch(rel):
                continue
            if rel.rpartition("/")[0] not in folders:
                foreign.append(rel)
            if stat.S_ISDIR(info.st_mode):
                folders.add(rel)
        if foreign:
            names = ", ".join(foreign[:3]) + (", ..." if len(foreign) > 3 else "")
            raise OutputFolderError(
                f"{self.out}: holds files pressgraph did not write ({names}); "
                "move them elsewhere or choose another --out"
            )

    def begin(self) -> NewVersion:
        """Make the folder a run writes its new set into, `OUT.versions/<n+1>`.

        What killed runs left there goes first; the version readers see stays.
        """
        current = self.current()
        self.versions.mkdir(parents=True, exist_ok=True)
        self._prune(keep=current)
        numbers = [int(p.name) for p in self.versions.iterdir() if _NUMBER.fullmatch(p.name)]
        path = self.versions / str(max(numbers, default=0) + 1)
        path.mkdir()
        return NewVersion(path, current)

    def publish(self, version: NewVersion) -> None:
        """Make OUT show `version` in one rename, then remove the versions before it."""
        if self._swap.is_symlink():
            self._swap.unlink()
        os.symlink(f"{self.versions.name}/{version.path.name}", self._swap)
        moved = None
        try:
            if self.plain():  # an older pressgraph's folder: out of the way first (a moment without OUT)
                moved = self.versions / f"{version.path.name}.replaced"
                os.rename(self.out, moved)
            os.replace(self._swap, self.out)
        except BaseException:
            if moved is not None and not self.out.exists():
                os.rename(moved, self.out)
            self._swap.unlink(missing_ok=True)
            raise
        version.published = True
        self._prune(keep=version.path)

    def discard(self, version: NewVersion) -> None:
        """Remove `version` unless it was published, and the run's temporary files."""
        if not version.published:
            shutil.rmtree(version.path, ignore_errors=True)
        shutil.rmtree(self.scratch, ignore_errors=True)

    def _prune(self, keep: Path | None) -> None:
        """Remove everything among the versions but `keep` and the lock (links are removed, not followed)."""
        for entry in os.scandir(self.versions):
            path = Path(entry.path)
            if entry.name == LOCK_FILE or path == keep:
                continue
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(path, ignore_errors=True)
            else:
                try:
                    path.unlink()
                except OSError:
                    pass  # left for the next run to remove


def _link_problem(shown: Path, path: Path) -> str:
    return (
        f"{shown}: a symbolic link in the output folder (-> {os.readlink(path)}); "
        "pressgraph writes nothing through links: remove it or choose another --out"
    )
