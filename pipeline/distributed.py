"""Dask executor for the annotate stage: the neural model on a cluster's workers.

Only the model runs remotely. Cache look-ups and writes stay in this process,
so a warm run never starts or contacts a cluster, and the records a worker
returns are the same plain `AnnotatedArticle`s the local executor builds, so
every later stage (and every output file) is unchanged.

Articles missing from the cache are grouped into partitions of
`partition_size` and sent as one task each; at most `2 x worker threads`
partitions are in flight, so a large corpus streams through in bounded
memory. Each worker process loads the model once (`pipeline.nlp.load_nlp` is
cached per process) and keeps it for every later partition.

Workers of a remote scheduler must have pressgraph and the model installed.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from pipeline.cache import PickleCache, cache_key
from pipeline.records import AnnotatedArticle, Article, CleanArticle

# Partitions in flight per worker thread: one running, one queued behind it.
IN_FLIGHT_PER_THREAD = 2
# Seconds to wait for a remote scheduler to have a worker before giving up.
WORKER_WAIT_SECONDS = 60

_Partition = list[tuple[CleanArticle, str]]  # articles and their cache keys


class PartitionError(RuntimeError):
    """A partition failed on the cluster; `doc_ids` names its articles."""

    def __init__(self, doc_ids: Iterable[str], cause: BaseException | str):
        self.doc_ids = tuple(doc_ids)
        super().__init__(
            f"dask annotate failed for a partition of {len(self.doc_ids)} articles "
            f"(doc_ids: {', '.join(self.doc_ids)}): {cause if isinstance(cause, str) else repr(cause)}"
        )


def annotate_partition(
    articles: list[CleanArticle], *, model: str, parse: bool, batch_size: int, batch_chars: int = 0
) -> tuple[str, list[AnnotatedArticle]]:
    """Run on a worker: annotate one partition with the worker's model.

    Returns the worker's model signature (checked against the local one so a
    differently installed model cannot fill the cache under the wrong key) and
    the records in the order of `articles`.
    """
    from pipeline.nlp import load_nlp, model_signature
    from pipeline.stages.annotate import annotate

    try:
        nlp = load_nlp(model, parse=parse)
    except SystemExit as err:  # spaCy exits on some missing models: keep the worker alive
        raise OSError(f"cannot load spaCy model {model!r} on this worker (exit status {err.code})") from None
    done = {
        article.doc_id: ann for article, ann in annotate(articles, nlp, batch_size=batch_size, batch_chars=batch_chars)
    }
    return model_signature(nlp), [done[article.doc_id] for article in articles]


def annotate_dask(
    articles: Iterable[CleanArticle],
    *,
    model: str,
    parse: bool,
    batch_size: int,
    batch_chars: int = 0,
    partition_size: int,
    scheduler: str = "",
    workers: int = 1,
    cache: PickleCache | None = None,
    signature: str = "",
    on_model: Callable[[CleanArticle], None] | None = None,
) -> Iterator[tuple[CleanArticle, AnnotatedArticle]]:
    """Yield `(article, annotations)` for every article, in any order, like `annotate`.

    Args:
        model, parse: what each worker loads (`pipeline.nlp.load_nlp(model, parse=parse)`).
        batch_size, batch_chars: the batches of `annotate` on the workers.
        partition_size: articles per task sent to a worker.
        scheduler: address of a running Dask scheduler; empty: a local cluster
            of `workers` processes on 127.0.0.1 is started on the first cache
            miss and closed when the iteration ends.
        cache: where annotations are looked up before and stored after the model.
        signature: the model and settings part of the cache key.
        on_model: called for each article the model annotated (not cached, not empty).

    Raises:
        PartitionError: a partition failed on the cluster (names its doc_ids).
        RuntimeError: no scheduler at `scheduler`, or a worker's model differs.
    """
    if partition_size < 1:
        raise ValueError(f"partition_size = {partition_size} is invalid; value must be >= 1")
    session = _Session(scheduler, workers)
    in_flight: dict[Any, _Partition] = {}

    def submit(partition: _Partition) -> None:
        # workers need only the blocks: leave the raw text and metadata here
        slim = [CleanArticle(Article(a.doc_id, "", "", "", "", ""), a.blocks) for a, _ in partition]
        future = session.client().submit(
            annotate_partition,
            slim,
            model=model,
            parse=parse,
            batch_size=batch_size,
            batch_chars=batch_chars,
            key=f"pressgraph-annotate-{uuid.uuid4().hex}",
            pure=False,
        )
        in_flight[future] = partition
        session.completed.add(future)

    def collect(future: Any) -> Iterator[tuple[CleanArticle, AnnotatedArticle]]:
        partition = in_flight.pop(future)
        doc_ids = [a.doc_id for a, _ in partition]
        try:
            worker_signature, results = future.result()
        except Exception as err:  # noqa: BLE001 - re-raised with the partition's doc_ids
            raise PartitionError(doc_ids, err) from err
        finally:
            future.release()
        if signature and signature.split("|", 1)[0] != worker_signature:
            raise RuntimeError(
                f"a Dask worker's model is {worker_signature!r} but this process's is "
                f"{signature.split('|', 1)[0]!r}; install the same model on every worker"
            )
        for (article, key), result in zip(partition, results, strict=True):
            if cache:
                cache.put(key, result)
            if on_model:
                on_model(article)
            yield article, result

    def ready(*, block: bool, until: int) -> Iterator[tuple[CleanArticle, AnnotatedArticle]]:
        """Collect finished partitions: all that are done, and more (waiting) while over `until`."""
        while in_flight:
            if len(in_flight) > until and block:
                futures = [next(session.completed)]
            elif session.completed.has_ready():
                futures = session.completed.next_batch(block=False)
            else:
                return
            for future in futures:
                yield from collect(future)

    def send(partition: _Partition) -> Iterator[tuple[CleanArticle, AnnotatedArticle]]:
        """Wait (yielding what finishes) until a partition may be added, then submit it."""
        yield from ready(block=True, until=session.max_in_flight() - 1)
        submit(partition)

    try:
        partition: _Partition = []
        for article in articles:
            key = cache_key(article, signature)
            hit = cache.get(key) if cache else None
            if hit is not None:
                yield article, hit
            elif not article.blocks:
                yield article, AnnotatedArticle(article.doc_id, (), (), ())
            else:
                if any(a.doc_id == article.doc_id for a, _ in partition):
                    yield from send(partition)  # a worker's records are matched by doc_id
                    partition = []
                partition.append((article, key))
                if len(partition) >= partition_size:
                    yield from send(partition)
                    partition = []
            yield from ready(block=False, until=0)
        if partition:
            yield from send(partition)
        yield from ready(block=True, until=0)
    finally:
        session.close()


class _Session:
    """The Dask client (and local cluster), started on first use and closed at the end."""

    def __init__(self, scheduler: str, workers: int):
        self.scheduler = scheduler
        self.workers = workers
        self._client: Any = None
        self._cluster: Any = None
        self._completed: Any = None

    def client(self) -> Any:
        if self._client is None:
            self._start()
        return self._client

    @property
    def completed(self) -> Any:
        """The `distributed.as_completed` of every submitted partition."""
        self.client()
        return self._completed

    def max_in_flight(self) -> int:
        threads = sum(self.client().nthreads().values())
        return IN_FLIGHT_PER_THREAD * max(threads, 1)

    def _start(self) -> None:
        try:
            from distributed import Client, LocalCluster, as_completed
        except ImportError as err:
            raise ImportError(
                "annotate.executor = 'dask' needs Dask distributed: pip install 'dask[distributed]'"
            ) from err
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
            self._cluster = LocalCluster(
                n_workers=self.workers,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address=None,
            )
            client = Client(self._cluster, set_as_default=False)
        self._client = client
        self._completed = as_completed(loop=client.loop)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
        if self._cluster is not None:
            self._cluster.close()
        self._client = self._cluster = self._completed = None
