"""Executors: `Background`, the one forked process that works while this one is busy.

(`Serial`, `Processes` and `Dask` are exercised by real runs in test_faults.py
and test_distributed.py.)
"""

from __future__ import annotations

import multiprocessing
import threading
import time
from pathlib import Path

from pipeline.executors import Background


def _square(folder: Path, item: int | str) -> int:
    if item == "boom":
        raise ValueError("boom")
    (folder / f"{item}.done").touch()
    return item * item


def _wait_for(paths: list[Path], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not all(p.exists() for p in paths):
        assert time.monotonic() < deadline, "the background process did not do its items"
        time.sleep(0.01)


def test_finish_gives_the_results_in_order_and_leaves_no_process_or_thread(tmp_path):
    threads = threading.active_count()
    helper = Background(_square, tmp_path, [1, 2, 3])
    _wait_for([tmp_path / f"{i}.done" for i in (1, 2, 3)])
    assert helper.finish() == [1, 4, 9]
    assert multiprocessing.active_children() == []
    assert threading.active_count() == threads


def test_results_stop_at_the_first_item_that_failed(tmp_path):
    helper = Background(_square, tmp_path, [1, 2, "boom", 4])
    _wait_for([tmp_path / "2.done"])
    assert helper.finish() == [1, 4]


def test_finishing_at_once_gives_a_prefix_of_the_results(tmp_path):
    items = list(range(1, 200))
    done = Background(_square, tmp_path, items).finish()
    assert done == [i * i for i in items[: len(done)]]
    assert multiprocessing.active_children() == []
