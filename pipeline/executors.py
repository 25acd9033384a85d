"""Where batches of work run: in this process, in local worker processes, or on a Dask cluster.

One interface: `executor.map(work, context, items)` calls `work(context, item)`
for every item and yields the results in the order of `items`, with a bounded
number of items in flight, so a corpus of any size streams through in bounded
memory. `context` is what every call shares (rules, knowledge base): each
back end hands it to its workers once, not with every item. A back end is
started at its first item, so a run with nothing to do starts nothing.

`Background` is the other shape: items handed at once to one forked process
while this one is busy (loading the model), and what it finished taken back.

An executor knows nothing of the stages; `pipeline.flow` gives it the work.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any, Protocol, TypeVar

C = TypeVar("C")
T = TypeVar("T")
R = TypeVar("R")

# Items in flight per worker: one running, one queued behind it.
IN_FLIGHT_PER_WORKER = 2
# Seconds to wait for a remote Dask scheduler to have a worker before giving up.
WORKER_WAIT_SECONDS = 60


class Executor(Protocol):
    """Runs `work(context, item)` over items; results in the order of the items."""

    def map(self, work: Callable[[C, T], R], context: C, items: Iterable[T]) -> Iterator[R]: ...

    def close(self) -> None: ...


class Serial:
    """Every item in this process, one after the other."""

    def map(self, work: Callable[[C, T], R], context: C, items: Iterable[T]) -> Iterator[R]:
        for item in items:
            yield work(context, item)

    def close(self) -> None:
        pass


class _Bounded:
    """Submission with a bounded number of items in flight, results in order."""

    def _submit(self, work: Callable, context: Any, item: Any) -> Any:
        raise NotImplementedError

    def _capacity(self) -> int:
        raise NotImplementedError

    def _result(self, future: Any) -> Any:
        return future.result()

    def map(self, work: Callable[[C, T], R], context: C, items: Iterable[T]) -> Iterator[R]:
        pending: deque = deque()
        for item in items:
            pending.append(self._submit(work, context, item))
            while len(pending) >= self._capacity():
                yield self._result(pending.popleft())
        while pending:
            yield self._result(pending.popleft())


# What a forked worker process works with, set once when it starts.
_CONTEXT: Any = None
# prctl(2) option: the signal the kernel sends this process when its parent dies.
_PR_SET_PDEATHSIG = 1


def _start_worker(context: Any, parent: int) -> None:
    global _CONTEXT
    _CONTEXT = context
    # Ctrl-C reaches the whole process group: the parent stops the pool and
    # reports once; its workers must not each print a traceback
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    die_with_parent(parent)


def die_with_parent(parent: int) -> None:
    """Make the kernel kill this process when process `parent` ends, however it ends.

    A worker left alive by a parent killed with SIGKILL would hold on to its
    memory (and whatever the parent had open) for ever. Linux only
    (`PR_SET_PDEATHSIG`); elsewhere nothing is done.
    """
    if not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    if os.getppid() != parent:  # the parent died before the request was made
        os._exit(1)


def _call(work: Callable, item: Any) -> Any:
    return work(_CONTEXT, item)


class Processes(_Bounded):
    """`workers` forked processes of this machine.

    The processes are forked at the first item, after `prepare(item)` ran
    here: what it loads (the model) is then shared by every process instead
    of loaded by each. They die with this process, even when it is killed
    with SIGKILL (`die_with_parent`).
    """

    def __init__(self, workers: int, *, prepare: Callable[[Any], None] | None = None):
        self.workers = workers
        self.prepare = prepare
        self._pool: ProcessPoolExecutor | None = None
        self._context: Any = None

    def _submit(self, work: Callable, context: Any, item: Any) -> Any:
        if self._pool is None:
            if self.prepare:
                self.prepare(item)
            self._pool = ProcessPoolExecutor(
                self.workers,
                mp_context=multiprocessing.get_context("fork"),
                initializer=_start_worker,
                initargs=(context, os.getpid()),
            )
            self._context = context
        elif context is not self._context:
            raise ValueError("Processes.map: one executor serves one context; make a new executor")
        return self._pool.submit(_call, work, item)

    def _capacity(self) -> int:
        return IN_FLIGHT_PER_WORKER * self.workers + 1

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None


class Background:
    """`work(context, item)` over `items` in one forked process while this process does something else.

    The process is forked at once and given every item. `finish()` stops it
    and returns the results of the items it had done by then, in order up to
    the first one not done (that one and the rest are cancelled; the caller
    does them itself). After `finish()` neither the process nor the threads
    that fed it are left, so this process may fork again safely.
    """

    def __init__(self, work: Callable[[C, T], R], context: C, items: Iterable[T]):
        self._pool = ProcessPoolExecutor(
            1,
            mp_context=multiprocessing.get_context("fork"),
            initializer=_start_worker,
            initargs=(context, os.getpid()),
        )
        self._futures = [self._pool.submit(_call, work, item) for item in items]

    def finish(self) -> list:
        # what is queued is cancelled; what is already running is waited for
        self._pool.shutdown(wait=True, cancel_futures=True)
        results = []
        for future in self._futures:
            if future.cancelled() or future.exception() is not None:
                break
            results.append(future.result())
        self._futures = []
        return results


class Dask(_Bounded):
    """The workers of a Dask distributed cluster.

    `scheduler` is the address of a running scheduler ("tcp://10.0.0.5:8786");
    empty: a local cluster of `workers` processes on 127.0.0.1, started at the
    first item and closed with the executor. The context is scattered to every
    worker once. Workers of a remote cluster need pressgraph and the model
    installed. Task keys start with "pressgraph-".
    """

    def __init__(self, scheduler: str = "", workers: int = 1, *, local_directory: str | Path | None = None):
        self.scheduler = scheduler
        self.workers = workers
        self.local_directory = local_directory  # scratch files of a local cluster (default: the system's)
        self._client: Any = None
        self._cluster: Any = None
        self._context: tuple[Any, Any] | None = None  # (context, its future on the cluster)

    def _submit(self, work: Callable, context: Any, item: Any) -> Any:
        client = self._start()
        if self._context is None or self._context[0] is not context:
            self._context = (context, client.scatter(context, broadcast=True, hash=False))
        return client.submit(work, self._context[1], item, key=f"pressgraph-{uuid.uuid4().hex}", pure=False)

    def _capacity(self) -> int:
        threads = sum(self._start().nthreads().values())
        return IN_FLIGHT_PER_WORKER * max(threads, 1) + 1

    def _result(self, future: Any) -> Any:
        try:
            return future.result()
        finally:
            future.release()

    def _start(self) -> Any:
        if self._client is not None:
            return self._client
        try:
            from distributed import Client, LocalCluster
        except ImportError as err:
            raise ImportError("annotate.executor = 'dask' needs Dask distributed: pip install distributed") from err
        if self.scheduler:
            try:
                client = Client(self.scheduler, set_as_default=False)
            except (OSError, TimeoutError) as err:
                raise RuntimeError(f"cannot connect to the Dask scheduler at {self.scheduler}: {err}") from err
            try:
                client.wait_for_workers(1, timeout=WORKER_WAIT_SECONDS)
            except TimeoutError as err:
                client.close()
                raise RuntimeError(
                    f"the Dask scheduler at {self.scheduler} has no worker after {WORKER_WAIT_SECONDS} s"
                ) from err
        else:
            import dask

            scratch = {} if self.local_directory is None else {"temporary-directory": str(self.local_directory)}
            with dask.config.set(scratch):  # the scheduler reads the setting, the workers the argument
                self._cluster = LocalCluster(
                    n_workers=self.workers,
                    threads_per_worker=1,
                    processes=True,
                    host="127.0.0.1",
                    dashboard_address=None,
                    local_directory=None if self.local_directory is None else str(self.local_directory),
                )
            client = Client(self._cluster, set_as_default=False)
        self._client = client
        return client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
        if self._cluster is not None:
            self._cluster.close()
        self._client = self._cluster = self._context = None
