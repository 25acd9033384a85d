"""The lock that keeps two runs from writing one output folder at once."""

from __future__ import annotations

import errno
import fcntl
import os
from pathlib import Path

# Descriptors of the locks this process holds. flock belongs to the open
# file, which a forked child shares: a worker that outlived its run would
# keep the folder locked. Each child lets go of its copies as it is forked.
_HELD: set[int] = set()


def _let_go_in_child() -> None:
    if not _HELD:
        return
    # dup2, not close: the child's file objects still own these numbers, and
    # closing them later must not close some other file that reused them
    devnull = os.open(os.devnull, os.O_RDONLY)
    for fd in _HELD:
        os.dup2(devnull, fd)
    os.close(devnull)
    _HELD.clear()


os.register_at_fork(after_in_child=_let_go_in_child)


class OutputLock:
    """An exclusive lock on an output folder, so two runs never write it at once.

    The second run stops at once with a message naming the folder and the
    process that holds it. The lock ends with the process that took it,
    however it ends (killed too): processes it forked never hold it.
    """

    def __init__(self, folder: Path):
        self.path = Path(folder) / ".pressgraph.lock"
        self._file = None

    def __enter__(self) -> OutputLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            # never through a symbolic link: the lock must not truncate a file elsewhere
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o666)
        except OSError as err:
            if err.errno == errno.ELOOP:
                raise RuntimeError(
                    f"{self.path}: is a symbolic link; remove it (pressgraph writes its lock here)"
                ) from None
            raise
        self._file = os.fdopen(fd, "r+", encoding="utf-8")
        try:
            fcntl.flock(self._file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = self._file.read().strip() or "another process"
            self._file.close()
            raise RuntimeError(
                f"{self.path.parent}: another run is writing this folder (pid {holder}); wait for it or use --out"
            ) from None
        _HELD.add(fd)
        self._file.seek(0)
        self._file.truncate()
        self._file.write(str(os.getpid()))
        self._file.flush()
        return self

    def __exit__(self, *exc) -> None:
        if self._file:
            _HELD.discard(self._file.fileno())
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None
