"""`run`: the whole pipeline over a corpus, from input paths to output files.

Articles stream through ingest -> clean -> annotate -> link a batch at a time
(in this process, in forked worker processes, or with the model on a Dask
cluster); an article's result (mentions, relations, sentence rows) comes
from the per-article cache when nothing it depends on changed. Only those
small results are kept for the corpus-level steps (entity clustering,
co-occurrence, export), which are skipped when the outputs already match.
An article that fails in any stage is reported and skipped; the rest of the
corpus goes on.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import platform
import sys
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

import networkx as nx
import pandas as pd
import spacy
from tqdm import tqdm

import pipeline.kb
import pipeline.records
import pipeline.stages.export
import pipeline.stages.link
import pipeline.stages.relate
import pipeline.stages.relations
import pipeline.text
import pipeline.views.report
from pipeline import __version__, io
from pipeline.cache import (
    PickleCache,
    annotation_cache,
    cache_key,
    derived_key,
    files_signature,
    result_cache,
    settings_signature,
)
from pipeline.config import PipelineConfig
from pipeline.kb import KnowledgeBase
from pipeline.nlp import installed_signature, load_nlp
from pipeline.records import (
    AnnotatedArticle,
    Article,
    ArticleResult,
    BlockRow,
    CleanArticle,
    Cooccurrence,
    DocumentRow,
    Evidence,
    Mention,
    ReadError,
    Relation,
    SentenceRow,
    column_names,
)
from pipeline.stages.annotate import annotate
from pipeline.stages.clean import BoilerplateRules, clean
from pipeline.stages.export import write_outputs
from pipeline.stages.ingest import DuplicateIndex, detect_language, file_suffix, is_french, shingles
from pipeline.stages.link import LinkRules, link_article, link_corpus
from pipeline.stages.relate import cooccurrences, evidence_pairs, mention_frame
from pipeline.stages.relations import RelationRules, extract_relations

# The code an article's cached result depends on, beside its annotations:
# editing one of these files invalidates the article-result cache.
_RESULT_CODE = [
    Path(module.__file__)
    for module in (pipeline.stages.link, pipeline.stages.relations, pipeline.text, pipeline.kb, pipeline.records)
] + [Path(__file__)]
# ... and the code of the corpus-level stages and export, beside those.
_CORPUS_CODE = [
    *_RESULT_CODE,
    *(Path(module.__file__) for module in (pipeline.stages.relate, pipeline.stages.export, pipeline.views.report, io)),
]


@dataclass
class RunResult:
    """What a run did; `summary()` is the line the CLI prints."""

    out_dir: Path
    articles: int
    failed: int
    mentions: int
    entities: int
    edges: int
    seconds: float
    cache_hits: int  # articles whose annotations came from the cache
    annotated: int = 0  # articles the model annotated
    timings: dict[str, float] = field(default_factory=dict)
    errors: list[ReadError] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"{self.articles} articles ({self.failed} failed), {self.mentions} mentions, "
            f"{self.entities} entities, {self.edges} edges in {self.seconds:.1f} s -> {self.out_dir}"
        )


class _Clock:
    """Seconds spent per stage and counts of work done, for run.json."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.counts: dict[str, int] = {}

    def count(self, what: str, n: int = 1) -> None:
        self.counts[what] = self.counts.get(what, 0) + n

    def merge(self, other: _Clock) -> None:
        """Add another process's seconds and counts to these."""
        for stage, secs in other.seconds.items():
            self.seconds[stage] = self.seconds.get(stage, 0.0) + secs
        for what, n in other.counts.items():
            self.count(what, n)

    def add(self, stage: str, since: float) -> float:
        now = time.perf_counter()
        self.seconds[stage] = self.seconds.get(stage, 0.0) + now - since
        return now

    def timed(self, stage: str, items: Iterable) -> Iterator:
        it = iter(items)
        while True:
            t = time.perf_counter()
            try:
                item = next(it)
            except StopIteration:
                self.add(stage, t)
                return
            self.add(stage, t)
            yield item


@dataclass
class _Resources:
    """Everything loaded once per run: rules, knowledge base, caches; the model on demand."""

    boilerplate: BoilerplateRules
    kb: KnowledgeBase
    link_rules: LinkRules
    relation_rules: RelationRules
    model: str
    parse: bool
    signature: str  # of the model and annotate settings: the annotation cache key
    result_signature: str  # of the KB, rules, settings and code after annotate
    annotations: PickleCache | None
    results: PickleCache | None

    @classmethod
    def load(cls, config: PipelineConfig, *, force: bool) -> _Resources:
        a, kb_dirs = config.annotate, [config.link.kb_dir, *config.link.extra_kb_dirs]
        settings = {"relations": config.relate.relations, "parse": a.parse, "pressgraph": __version__}
        return cls(
            boilerplate=io.read_boilerplate_rules(config.clean.rules_file),
            kb=io.read_kb(kb_dirs),
            link_rules=LinkRules.from_dict(io.read_toml(config.link.rules_file)),
            relation_rules=RelationRules.from_dict(io.read_toml(config.relate.rules_file)),
            model=a.model,
            parse=a.parse,
            signature=settings_signature(installed_signature(a.model, parse=a.parse), {"parse": a.parse}),
            result_signature=files_signature(
                [*kb_dirs, config.link.rules_file, config.relate.rules_file, *_RESULT_CODE], settings
            ),
            annotations=annotation_cache(a.cache_dir, read=not force) if a.use_cache else None,
            results=result_cache(a.cache_dir, read=not force) if a.use_cache else None,
        )

    def nlp(self) -> spacy.language.Language:
        """The model, loaded at the first call (once per process)."""
        return load_nlp(self.model, parse=self.parse)

    def result_key(self, article: CleanArticle, today: str) -> str:
        """Cache key of an article's result: its annotation key, metadata, and what linking reads."""
        a = article.article
        raw = hashlib.sha256(a.raw_text.encode("utf-8", "surrogatepass")).hexdigest()
        meta = f"{a.source}\0{a.title}\0{a.date}\0{a.url}\0{'' if a.date else today}\0{raw}"
        return derived_key(cache_key(article, self.signature), f"{self.result_signature}\0{meta}")


@dataclass
class _Corpus:
    """Per-article results kept for the corpus-level stages."""

    documents: dict[str, DocumentRow] = field(default_factory=dict)
    blocks: list[BlockRow] = field(default_factory=list)
    mentions: list[list[Mention]] = field(default_factory=list)
    sentences: list[SentenceRow] = field(default_factory=list)
    # text of the sentences naming two or more entities: the evidence
    sentence_text: dict[tuple[str, int], str] = field(default_factory=dict)
    relations: list[Relation] = field(default_factory=list)
    errors: list[ReadError] = field(default_factory=list)
    duplicate_of: dict[str, str] = field(default_factory=dict)
    keys: list[str] = field(default_factory=list)  # result cache keys of the articles read

    def fingerprint(self, res: _Resources, config: PipelineConfig) -> str:
        """Hash of everything the corpus-level stages and export read: equal
        fingerprints give byte-identical outputs."""
        h = hashlib.sha256(files_signature(_CORPUS_CODE, {"config": config.as_dict()}).encode())
        h.update(res.result_signature.encode())
        for key in sorted(self.keys):
            h.update(key.encode())
        for row in sorted(map(repr, [*self.documents.values(), *self.errors])):
            h.update(row.encode("utf-8", "surrogatepass"))
        return h.hexdigest()

    def add(self, result: ArticleResult) -> None:
        doc_id = result.document.doc_id
        self.mentions.append(list(result.mentions))
        self.relations += result.relations
        self.sentences += result.sentences
        self.sentence_text.update(((doc_id, sid), text) for sid, text in result.evidence)
        self.documents[doc_id] = replace(result.document, duplicate_of=self.duplicate_of.get(doc_id, ""))
        self.blocks += result.blocks

    def skip(self, article: Article, status: str, *, duplicate_of: str = "") -> None:
        """An article left out on purpose (not French, a copy)."""
        if status != "duplicate":
            print(
                f"pressgraph: skipped {article.source} ({article.doc_id}): {status.removeprefix('skipped: ')}",
                file=sys.stderr,
            )
        a = article
        self.documents[a.doc_id] = DocumentRow(
            a.doc_id, a.source, a.title, a.date, a.url, len(a.raw_text), 0, 0, status, duplicate_of
        )

    def fail(self, source: str, problem: str, article: Article | None = None) -> None:
        """An input or article that could not be processed: errors.csv, stderr, documents.csv."""
        self.errors.append(ReadError(source, problem))
        print(f"pressgraph: skipped {source}: {problem}", file=sys.stderr)
        doc_id = article.doc_id if article else Path(source).name
        key = doc_id if article else f"{source}#{len(self.errors)}"
        self.documents[key] = DocumentRow(
            doc_id, source, "", "", "", len(article.raw_text) if article else 0, 0, 0, f"error: {problem}", ""
        )


def run(
    inputs: Iterable[str | Path],
    config: PipelineConfig,
    *,
    progress: bool = False,
    force: bool = False,
) -> RunResult:
    """Run every stage over `inputs` (files or folders) and write `config.output.out_dir`.

    Args:
        progress: show a progress bar on stderr while articles are annotated.
        force: ignore cached annotations (they are rewritten).

    Raises:
        RuntimeError: another run is writing the same output folder.
    """
    with io.OutputLock(config.output.out_dir):
        return _run(list(map(Path, inputs)), config, progress=progress, force=force)


def _run(inputs: list[Path], config: PipelineConfig, *, progress: bool, force: bool) -> RunResult:
    started = time.perf_counter()
    clock = _Clock()
    t = time.perf_counter()
    res = _Resources.load(config, force=force)
    clock.add("load", t)
    corpus = _Corpus()
    today = date.today().isoformat()

    duplicates = DuplicateIndex(config.input.duplicate_threshold)

    def articles() -> Iterator[Article]:
        for item in io.read_articles(
            inputs, config.input.extensions, max_bytes=config.input.max_bytes, fields=config.input.fields
        ):
            if isinstance(item, ReadError):
                corpus.fail(item.source, item.problem)
            elif config.input.french_only and not is_french(item.raw_text):
                language, confidence = detect_language(item.raw_text)
                corpus.skip(item, f"skipped: not French ({language}, {confidence:.2f})")
            else:
                yield item

    def cleaned() -> Iterator[CleanArticle]:
        for article in clock.timed("ingest", articles()):
            t = time.perf_counter()
            try:
                result = clean(article, res.boilerplate, max_block_chars=config.clean.max_block_chars)
                original = duplicates.add(article.doc_id, shingles(" ".join(b.text for b in result.blocks)))
            except Exception as err:  # noqa: BLE001 - one bad article must not stop the corpus
                corpus.fail(article.source, f"clean failed: {err!r}", article)
                original = result = None
            clock.add("clean", t)
            if original:
                corpus.duplicate_of[article.doc_id] = original
                if not config.input.keep_duplicates:
                    corpus.skip(article, "duplicate", duplicate_of=original)
                    continue
            if result is not None:
                yield result

    total = sum(1 for p in io.find_inputs(inputs, config.input.extensions) if isinstance(p, Path))
    with tqdm(total=total, unit="article", desc="articles", file=sys.stderr, disable=not progress, leave=False) as bar:
        for item in _article_results(cleaned(), res, config, today, clock, corpus.keys):
            if isinstance(item, ArticleResult):
                corpus.add(item)
            else:
                corpus.fail(item[0].source, item[1], item[0])
            bar.update(1)
    clock.seconds["articles"] = time.perf_counter() - started

    out_dir, fingerprint = config.output.out_dir, corpus.fingerprint(res, config)
    counts = _up_to_date(out_dir, fingerprint)
    if counts is None:
        counts = _corpus_stages(corpus, res, config, clock)
        counts["outputs"] = _output_files(out_dir)
    else:  # same articles, settings and code as the outputs already there: nothing to redo
        clock.seconds["export"] = 0.0

    result = RunResult(
        out_dir=out_dir,
        articles=sum(d.status in ("ok", "empty") for d in corpus.documents.values()),
        failed=len(corpus.errors),
        mentions=counts["mentions"],
        entities=counts["entities"],
        edges=counts["edges"],
        seconds=time.perf_counter() - started,
        cache_hits=sum(c.hits for c in (res.annotations, res.results) if c) + clock.counts.get("cache_hits", 0),
        annotated=clock.counts.get("annotated", 0),
        timings={k: round(v, 3) for k, v in clock.seconds.items()},
        errors=corpus.errors,
    )
    info = _run_info(inputs, config, res, corpus, result) | {"fingerprint": fingerprint, "outputs": counts["outputs"]}
    io.write_json(out_dir / "run.json", info)
    return result


def _corpus_stages(corpus: _Corpus, res: _Resources, config: PipelineConfig, clock: _Clock) -> dict:
    """Entity clustering, co-occurrence and export; returns the row counts."""
    t = time.perf_counter()
    mentions, entities, renamed = link_corpus(corpus.mentions, res.kb)
    t = clock.add("link", t)
    relations = [
        replace(r, subject=renamed.get(r.subject, r.subject), object=renamed.get(r.object, r.object))
        for r in corpus.relations
    ]
    edges, evidence = _relate(mentions, corpus, res.kb, config)
    evidence += _relation_evidence(relations, corpus)
    t = clock.add("relate", t)
    write_outputs(
        config.output.out_dir,
        documents=list(corpus.documents.values()),
        blocks=corpus.blocks,
        mentions=mentions,
        entities=entities,
        edges=edges,
        relations=relations,
        evidence=evidence,
        errors=corpus.errors,
        sentences=corpus.sentences,
        backbone_alpha=config.relate.backbone_alpha,
        raw_csv=config.output.raw_csv,
    )
    clock.add("export", t)
    return {"mentions": len(mentions), "entities": len(entities), "edges": len(edges)}


def _output_files(out_dir: Path) -> dict[str, list[int]]:
    """Size and modification time of every output file, to tell later whether they are still as written."""
    files = [p for p in out_dir.rglob("*") if p.is_file() and not p.name.startswith(".") and p.name != "run.json"]
    return {p.relative_to(out_dir).as_posix(): [p.stat().st_size, p.stat().st_mtime_ns] for p in sorted(files)}


def _up_to_date(out_dir: Path, fingerprint: str) -> dict | None:
    """The counts of the previous run in `out_dir` if it had this fingerprint
    and its files are untouched since, else None."""
    try:
        previous = json.loads((out_dir / "run.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if previous.get("fingerprint") != fingerprint or previous.get("outputs") != _output_files(out_dir):
        return None
    return previous["counts"] | {"outputs": previous["outputs"]}


_Failure = tuple[Article, str]  # an article that failed after cleaning, and why


def _article_results(
    articles: Iterable[CleanArticle],
    res: _Resources,
    config: PipelineConfig,
    today: str,
    clock: _Clock,
    seen: list[str],
) -> Iterator[ArticleResult | _Failure]:
    """The result of every article: from the cache, or annotated and linked.

    Cached results are yielded as they are found; the others go to the model
    (in this process, in `annotate.workers` forked processes, or on a Dask
    cluster) and are linked, cached and yielded when done. The result keys
    are appended to `seen`.
    """
    keys: dict[str, str] = {}
    ready: deque[ArticleResult | _Failure] = deque()

    def misses() -> Iterator[CleanArticle]:
        for article in articles:
            try:
                _save_extracted_text(article.article, config.output.out_dir)
            except OSError as err:
                ready.append((article.article, f"cannot save its text: {err!r}"))
                continue
            key = res.result_key(article, today)
            seen.append(key)
            hit = res.results.get(key) if res.results else None
            if hit is not None:
                ready.append(hit)
            else:
                keys[article.doc_id] = key
                yield article

    def drain() -> Iterator[ArticleResult | _Failure]:
        while ready:
            yield ready.popleft()

    def load_model() -> spacy.language.Language:
        t = time.perf_counter()
        nlp = res.nlp()
        clock.add("model", t)
        return nlp

    a = config.annotate
    if a.executor == "local" and a.workers > 1:
        for item in _in_workers(misses(), keys, load_model, res, config, today, clock):
            yield from drain()
            yield item
        yield from drain()
        return
    if a.executor == "dask":
        from pipeline.distributed import annotate_dask  # dask is only imported when used

        annotated = annotate_dask(
            misses(),
            model=a.model,
            parse=a.parse,
            batch_size=a.batch_size,
            batch_chars=a.batch_chars,
            partition_size=a.partition_size,
            scheduler=a.scheduler,
            workers=a.workers,
            cache=res.annotations,
            signature=res.signature,
            on_model=lambda _: clock.count("annotated"),
        )
    else:
        annotated = annotate(
            misses(),
            load_model,
            batch_size=a.batch_size,
            batch_chars=a.batch_chars,
            cache=res.annotations,
            signature=res.signature,
            on_model=lambda _: clock.count("annotated"),
        )
    for article, ann in clock.timed("annotate", annotated):
        yield from drain()
        t = time.perf_counter()
        yield _link(article, ann, keys.pop(article.doc_id), res, config, today)
        clock.add("link", t)
    yield from drain()
    # the annotate timer includes the reading, cleaning and model loading it pulled
    clock.seconds["annotate"] = clock.seconds.get("annotate", 0.0) - sum(
        clock.seconds.get(stage, 0.0) for stage in ("ingest", "clean", "model")
    )


def _link(
    article: CleanArticle, ann: AnnotatedArticle, key: str, res: _Resources, config: PipelineConfig, today: str
) -> ArticleResult | _Failure:
    """Link one annotated article and cache the result; a failure is returned, not raised."""
    try:
        result = article_result(article, ann, res, config, today)
    except Exception as err:  # noqa: BLE001 - one bad article must not stop the corpus
        return article.article, f"link failed: {err!r}"
    if res.results:
        res.results.put(key, result)
    return result


def article_result(
    article: CleanArticle, ann: AnnotatedArticle, res: _Resources, config: PipelineConfig, today: str
) -> ArticleResult:
    """Mentions, relations and rows of one annotated article."""
    a = article.article
    mentions = link_article(article, ann, res.kb, res.link_rules, today=today)
    relations = _relations(article, ann, mentions, res, config)
    evidence = []
    for sid in sorted(_shared_sentences(mentions)):
        s = ann.sentences[sid]
        evidence.append((sid, a.raw_text[s.start : s.end]))
    status = "ok" if article.blocks else "empty"
    return ArticleResult(
        document=DocumentRow(
            a.doc_id, a.source, a.title, a.date, a.url, len(a.raw_text), len(ann.sentences), len(mentions), status, ""
        ),
        blocks=tuple(BlockRow(a.doc_id, i, b.kind, b.raw_start, b.raw_end) for i, b in enumerate(article.blocks)),
        sentences=tuple(SentenceRow(a.doc_id, s.sentence_id, s.block_id, s.start, s.end) for s in ann.sentences),
        mentions=tuple(mentions),
        relations=tuple(relations),
        evidence=tuple(evidence),
    )


# ------------------------------------------------------- worker processes

# What a forked worker process works with, set once when it starts.
_WORKER: tuple[_Resources, PipelineConfig, str] | None = None


def _start_worker(res: _Resources, config: PipelineConfig, today: str) -> None:
    global _WORKER
    _WORKER = res, config, today


def _work(chunk: list[tuple[CleanArticle, str]]) -> tuple[list[ArticleResult | tuple[str, str]], _Clock]:
    """In a worker: annotate, link and cache a chunk of articles.

    Returns the results (a failure as `(doc_id, problem)`) and the worker's
    seconds per stage and counts (annotated, annotations from the cache).
    """
    assert _WORKER is not None, "worker not started"
    res, config, today = _WORKER
    clock = _Clock()
    keys = dict((article.doc_id, key) for article, key in chunk)
    annotated = annotate(
        (article for article, _ in chunk),
        res.nlp,
        batch_size=config.annotate.batch_size,
        batch_chars=config.annotate.batch_chars,
        cache=res.annotations,
        signature=res.signature,
        on_model=lambda _: clock.count("annotated"),
    )
    out: list[ArticleResult | tuple[str, str]] = []
    hits = res.annotations.hits if res.annotations else 0
    for article, ann in clock.timed("annotate", annotated):
        t = time.perf_counter()
        result = _link(article, ann, keys[article.doc_id], res, config, today)
        out.append(result if isinstance(result, ArticleResult) else (article.doc_id, result[1]))
        clock.add("link", t)
    clock.count("cache_hits", (res.annotations.hits if res.annotations else 0) - hits)
    return out, clock


def _in_workers(
    articles: Iterator[CleanArticle],
    keys: dict[str, str],
    load_model: Callable[[], object],
    res: _Resources,
    config: PipelineConfig,
    today: str,
    clock: _Clock,
) -> Iterator[ArticleResult | _Failure]:
    """`_work` over chunks of `articles` in `annotate.workers` processes.

    The model is loaded here before the processes fork, so they share it
    instead of each loading its own. A chunk is one batch of the model, and
    at most two per process are in flight, so memory stays bounded
    whatever the corpus size.
    """
    a = config.annotate
    workers = a.workers
    pending: deque = deque()
    sent: dict[str, Article] = {}

    def collect() -> Iterator[ArticleResult | _Failure]:
        results, worker_clock = pending.popleft().result()
        clock.merge(worker_clock)
        for item in results:
            if isinstance(item, ArticleResult):
                sent.pop(item.document.doc_id, None)
                yield item
            else:
                yield sent.pop(item[0]), item[1]

    pool = None
    try:
        for chunk in _chunks(articles, keys, blocks=a.batch_size, chars=a.batch_chars):
            if pool is None:
                load_model()  # once, before the fork
                context = multiprocessing.get_context("fork")
                pool = ProcessPoolExecutor(
                    workers, mp_context=context, initializer=_start_worker, initargs=(res, config, today)
                )
            sent.update((article.doc_id, article.article) for article, _ in chunk)
            pending.append(pool.submit(_work, chunk))
            while len(pending) > 2 * workers:
                yield from collect()
        while pending:
            yield from collect()
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)


def _chunks(
    articles: Iterator[CleanArticle], keys: dict[str, str], *, blocks: int, chars: int
) -> Iterator[list[tuple[CleanArticle, str]]]:
    """Articles with their result keys (taken from `keys`), in lists of about
    `blocks` blocks or `chars` characters."""
    chunk: list[tuple[CleanArticle, str]] = []
    size = length = 0
    for article in articles:
        chunk.append((article, keys.pop(article.doc_id)))
        size += len(article.blocks)
        length += sum(len(b.text) for b in article.blocks)
        if size >= blocks or length >= chars:
            yield chunk
            chunk, size, length = [], 0, 0
    if chunk:
        yield chunk


def _relate(
    mentions: list[Mention], corpus: _Corpus, kb: KnowledgeBase, config: PipelineConfig
) -> tuple[list[Cooccurrence], list[Evidence]]:
    rel = config.relate
    frame = mention_frame(
        mentions, fold_metonyms=rel.fold_metonyms, capitals=kb.capitals if rel.fold_capitals else None
    )
    sentences = pd.DataFrame(corpus.sentences, columns=column_names(SentenceRow))
    edges = cooccurrences(
        frame,
        sentences,
        window=rel.window,
        k=rel.window_sentences,
        min_weight=rel.min_weight,
        dates={d.doc_id: d.date for d in corpus.documents.values()},
    )
    return edges, _edge_evidence(frame, edges, sentences, corpus.sentence_text)


def _save_extracted_text(article: Article, out_dir: Path) -> None:
    """Offsets index the text pressgraph read; for HTML, JSON Lines and CSV
    inputs (or compressed ones) that text is not the file, so it is saved as
    `texts/<doc_id>.txt` in the output folder."""
    if file_suffix(Path(article.source).name) in (".txt", ".md"):
        return
    path = out_dir / "texts" / text_file_name(article.doc_id)
    try:
        with open(path, encoding="utf-8", newline="") as f:
            if f.read() == article.raw_text:
                return  # saved by an earlier run: left as it is
    except (OSError, UnicodeError):
        pass
    io.atomic_write(path, lambda f: f.write(article.raw_text))


def text_file_name(doc_id: str) -> str:
    """`<doc_id>.txt`, made safe as a file name: no path separators, and a
    long id is cut and given a hash so the name stays under file-system limits."""
    name = doc_id.replace("/", "_").replace("\\", "_").lstrip(".") or "_"
    if len(name.encode("utf-8")) > 150:
        digest = hashlib.sha256(doc_id.encode("utf-8", "replace")).hexdigest()[:16]
        name = name.encode("utf-8")[:120].decode("utf-8", "ignore") + "-" + digest
    return f"{name}.txt"


def _relations(
    article: CleanArticle, ann: AnnotatedArticle, mentions: list[Mention], res: _Resources, config: PipelineConfig
) -> list[Relation]:
    """Typed relations of one article (they need the dependency parse).

    A capital or seat that stands for its state in a sentence ("les
    États-Unis accusent Pyongyang") is the state in that sentence's relations.
    """
    if not (config.relate.relations and config.annotate.parse):
        return []
    found = extract_relations(ann, mentions, article.article.raw_text, res.relation_rules)
    stands_for = {(m.sentence_id, m.entity_id): m.refers_to for m in mentions if m.refers_to}
    return [
        replace(
            r,
            subject=stands_for.get((r.sentence_id, r.subject), r.subject),
            object=stands_for.get((r.sentence_id, r.object), r.object),
        )
        for r in found
        if stands_for.get((r.sentence_id, r.subject), r.subject) != stands_for.get((r.sentence_id, r.object), r.object)
    ]


def _relation_evidence(relations: list[Relation], corpus: _Corpus) -> list[Evidence]:
    where = {(s.doc_id, s.sentence_id): s for s in corpus.sentences}
    out = []
    for r in relations:
        s = where[r.doc_id, r.sentence_id]
        out.append(
            Evidence("relation", r.subject, r.object, r.relation, r.doc_id, r.sentence_id, s.start, s.end, r.evidence)
        )
    return out


def _run_info(inputs: list[Path], config: PipelineConfig, res: _Resources, corpus: _Corpus, result: RunResult) -> dict:
    return {
        "pressgraph": __version__,
        "python": platform.python_version(),
        "spacy": spacy.__version__,
        "model": res.signature.split("|", 1)[0],
        "pandas": pd.__version__,
        "networkx": nx.__version__,
        "inputs": [str(p) for p in inputs],
        "config": config.as_dict(),
        "counts": {
            "articles": result.articles,
            "failed": result.failed,
            "sentences": len(corpus.sentences),
            "mentions": result.mentions,
            "entities": result.entities,
            "edges": result.edges,
            "cache_hits": result.cache_hits,
            "annotated": result.annotated,
        },
        "timings": result.timings,
        "seconds": round(result.seconds, 3),
        "errors": [{"source": e.source, "problem": e.problem} for e in corpus.errors],
    }


def _shared_sentences(mentions: list[Mention]) -> set[int]:
    """Sentences naming at least two distinct entities (their text is evidence)."""
    ids: dict[int, set[str]] = {}
    for m in mentions:
        ids.setdefault(m.sentence_id, set()).add(m.entity_id)
    return {sid for sid, entities in ids.items() if len(entities) > 1 and sid >= 0}


def _edge_evidence(
    frame: pd.DataFrame, edges: list[Cooccurrence], sentences: pd.DataFrame, texts: dict[tuple[str, int], str]
) -> list[Evidence]:
    """Every sentence naming both ends of a kept edge."""
    pairs = evidence_pairs(frame)
    kept = pd.DataFrame([(e.source, e.target) for e in edges], columns=["source", "target"])
    pairs = pairs.merge(kept, on=["source", "target"]).merge(sentences, on=["doc_id", "sentence_id"])
    pairs = pairs.sort_values(["source", "target", "doc_id", "sentence_id"])
    return [
        Evidence(
            "edge",
            r.source,
            r.target,
            "",
            r.doc_id,
            int(r.sentence_id),
            int(r.start),
            int(r.end),
            texts.get((r.doc_id, r.sentence_id), ""),
        )
        for r in pairs.itertuples(index=False)
    ]
