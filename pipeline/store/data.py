"""Reading the data files: the knowledge base and the rule files.

pressgraph's own data ships inside the package as `pipeline.models` (the
repository's `models/` folder) and is read through `importlib.resources`, so
an installed wheel finds it wherever it lives. A path given in the settings
(a user's KB folder, a user's rule file) is read from the file system.
"""

from __future__ import annotations

import csv
import io
import tomllib
from collections.abc import Iterable
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from pipeline.records import KBTable

PACKAGE = "pipeline.models"
KB_TABLES = ("entities", "aliases", "demonyms", "capitals", "seats", "roles", "role_words")


def packaged(*parts: str) -> Traversable:
    """A file or folder of the data shipped with pressgraph: `packaged("kb", "entities.csv")`."""
    resource = files(PACKAGE)
    for part in parts:
        resource = resource / part
    return resource


def packaged_kb() -> Traversable:
    """The knowledge base shipped with pressgraph (`models/kb/`)."""
    return packaged("kb")


def read_kb_tables(folder: Path | Traversable) -> dict[str, KBTable]:
    """The CSV tables of one knowledge-base folder, by file stem; missing files are left out.

    Raises:
        FileNotFoundError: the folder does not exist.
        ValueError: a file is not UTF-8 CSV.
    """
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: knowledge-base folder not found")
    tables = {}
    for name in KB_TABLES:
        path = folder / f"{name}.csv"
        if not path.is_file():
            continue
        try:
            reader = csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"), newline=""))
            rows = list(reader)
        except (UnicodeDecodeError, csv.Error) as err:
            raise ValueError(f"{path}: cannot read the table: {err}") from err
        tables[name] = KBTable(str(path), tuple(reader.fieldnames or ()), rows)
    return tables


def kb_folders(kb_dir: Path | None, extra: Iterable[Path] = ()) -> list[Path | Traversable]:
    """The KB folders a run reads, in order: the base KB (None: the packaged one), then the user's."""
    return [packaged_kb() if kb_dir is None else Path(kb_dir), *map(Path, extra)]


def read_kb_folders(folders: Iterable[Path | Traversable]) -> list[dict[str, KBTable]]:
    """`read_kb_tables` of each folder, in order (later folders win when the KB is built)."""
    return [read_kb_tables(folder) for folder in folders]


def rules_file(path: Path | None, default: str) -> Path | Traversable:
    """The rule file a setting names: `path`, or the packaged file named `default` when `path` is None."""
    return packaged(default) if path is None else Path(path)


def read_toml(path: Path | None, default: str) -> dict[str, Any]:
    """A rule file: `path`, or the packaged file named `default` when `path` is None."""
    source = rules_file(path, default)
    try:
        return tomllib.loads(source.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
        raise ValueError(f"{source}: cannot read rules: {err}") from err


def data_bytes(paths: Iterable[Path | Traversable]) -> Iterable[tuple[str, bytes]]:
    """(name, bytes) of files, for cache keys: the files that change a result, and only those."""
    for path in paths:
        if path.is_file():
            yield path.name, path.read_bytes()
