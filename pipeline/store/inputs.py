"""Finding and reading input files: bytes and where they came from.

Turning the bytes into articles (decoding, HTML extraction, JSON Lines and
CSV records) is the ingest stage's work (`pipeline.stages.ingest`).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path

from pipeline.records import InputFile, ReadError


def find_inputs(
    paths: Iterable[str | Path], extensions: Iterable[str], *, skip: Iterable[str | Path] = ()
) -> Iterator[Path | ReadError]:
    """Expand files and folders (recursively) into input files, sorted.

    A path that does not exist is reported as a ReadError, not raised. Inside
    a folder, a symbolic link (to a file or a folder) is not followed but
    reported, so that a folder from elsewhere cannot make pressgraph read
    files outside it; a link named in `paths` is read. The folders in `skip`
    (the output and cache folders) are not searched.
    """
    wanted = tuple(e.lower() for e in extensions)
    skipped = _Skipped(skip)
    for path in map(Path, paths):
        if path.is_dir():
            if skipped.holds(path):
                yield ReadError(display_path(path), "the output or cache folder of this run, not read as input")
            else:
                yield from _walk(path, wanted, skipped)
        elif path.is_file():
            yield path
        elif path.is_symlink():
            yield ReadError(display_path(path), "symbolic link that loops or points nowhere")
        else:
            yield ReadError(display_path(path), "no such file or folder")


class _Skipped:
    """Folders not to search: by path, and by identity (the same folder under another name)."""

    def __init__(self, paths: Iterable[str | Path]):
        self.paths = {os.path.abspath(p) for p in paths}
        self.ids = set()
        for path in self.paths:
            try:
                info = os.stat(path)
            except OSError:
                continue
            if stat.S_ISDIR(info.st_mode):
                self.ids.add((info.st_dev, info.st_ino))

    def holds(self, path: Path, info: os.stat_result | None = None) -> bool:
        """Whether `path` is to be skipped; `info`: its lstat, when known (else it is looked up, links followed)."""
        if os.path.abspath(path) in self.paths:
            return True
        try:
            info = info or os.stat(path)
        except OSError:
            return False
        return stat.S_ISDIR(info.st_mode) and (info.st_dev, info.st_ino) in self.ids


def _walk(top: Path, wanted: tuple[str, ...], skipped: _Skipped) -> Iterator[Path | ReadError]:
    """The input files under `top` (links not followed), then what could not be searched; no recursion."""
    files: list[Path] = []
    errors: list[ReadError] = []
    stack = [top]
    while stack:
        folder = stack.pop()
        try:
            with os.scandir(folder) as found:
                entries = list(found)
        except OSError as err:
            errors.append(ReadError(display_path(folder), _problem(err)))
            continue
        for entry in entries:
            path = Path(entry.path)
            try:
                info = entry.stat(follow_symlinks=False)
            except OSError as err:
                errors.append(ReadError(display_path(path), _problem(err)))
                continue
            if skipped.holds(path, info):
                continue
            if stat.S_ISLNK(info.st_mode):
                if not path.exists():
                    errors.append(ReadError(display_path(path), "symbolic link that loops or points nowhere"))
                elif path.is_dir() or entry.name.lower().endswith(wanted):
                    target = display_path(Path(os.readlink(path)))
                    problem = f"symbolic link to {target}, not followed (name it as an input to read it)"
                    errors.append(ReadError(display_path(path), problem))
            elif stat.S_ISDIR(info.st_mode):
                stack.append(path)
            elif stat.S_ISREG(info.st_mode) and entry.name.lower().endswith(wanted):
                files.append(path)
    yield from sorted(errors, key=lambda e: e.source)
    yield from sorted(files)


def _problem(err: OSError) -> str:
    return err.strerror.lower() if err.strerror else str(err)


def display_path(path: Path) -> str:
    """A path as text that can always be written: bytes of a file name that
    are not UTF-8 become U+FFFD."""
    return os.fsencode(path).decode("utf-8", errors="replace")


def read_inputs(
    paths: Iterable[str | Path], extensions: Iterable[str], *, max_bytes: int, skip: Iterable[str | Path] = ()
) -> Iterator[InputFile | ReadError]:
    """The bytes of every input file (`find_inputs`); a file larger than `max_bytes` or unreadable is a ReadError."""
    for item in find_inputs(paths, extensions, skip=skip):
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
            yield ReadError(source, _problem(err))
