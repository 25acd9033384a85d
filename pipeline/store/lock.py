"""The lock that keeps two runs from writing one output folder at once."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path


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
