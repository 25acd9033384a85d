"""Finding and reading input files: bytes and where they came from.

Turning the bytes into articles (decoding, HTML extraction, JSON Lines and
CSV records) is the ingest stage's work (`pipeline.stages.ingest`).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from pipeline.records import InputFile, ReadError


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


def read_inputs(
    paths: Iterable[str | Path], extensions: Iterable[str], *, max_bytes: int
) -> Iterator[InputFile | ReadError]:
    """The bytes of every input file; a file larger than `max_bytes` or unreadable is a ReadError."""
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
            yield InputFile(source, item.read_bytes())
        except OSError as err:
            yield ReadError(source, err.strerror.lower() if err.strerror else str(err))
