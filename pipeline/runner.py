"""`run`: the whole pipeline over a corpus, from input paths to output files.

Articles stream through ingest -> clean -> annotate -> link one at a time;
only the small per-article results (mentions, sentence positions, counts)
are kept for the corpus-level steps (entity clustering, co-occurrence,
export). An article that fails in any stage is reported and skipped; the
rest of the corpus goes on.
"""

from __future__ import annotations

import hashlib
import platform
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

import networkx as nx
import pandas as pd
import spacy
from tqdm import tqdm

from pipeline import __version__, io
from pipeline.cache import AnnotationCache, settings_signature
from pipeline.config import PipelineConfig
from pipeline.kb import KnowledgeBase
from pipeline.nlp import load_nlp, model_signature
from pipeline.records import (
    AnnotatedArticle,
    Article,
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
    cache_hits: int
    timings: dict[str, float] = field(default_factory=dict)
    errors: list[ReadError] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"{self.articles} articles ({self.failed} failed), {self.mentions} mentions, "
            f"{self.entities} entities, {self.edges} edges in {self.seconds:.1f} s -> {self.out_dir}"
        )


class _Clock:
    """Seconds spent per stage, for run.json."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

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
    """Everything loaded once per run: rules, knowledge base, model, cache."""

    boilerplate: BoilerplateRules
    kb: KnowledgeBase
    link_rules: LinkRules
    relation_rules: RelationRules
    nlp: spacy.language.Language
    signature: str
    cache: AnnotationCache | None

    @classmethod
    def load(cls, config: PipelineConfig, *, force: bool) -> _Resources:
        nlp = load_nlp(config.annotate.model, parse=config.annotate.parse)
        return cls(
            boilerplate=io.read_boilerplate_rules(config.clean.rules_file),
            kb=io.read_kb([config.link.kb_dir, *config.link.extra_kb_dirs]),
            link_rules=LinkRules.from_dict(io.read_toml(config.link.rules_file)),
            relation_rules=RelationRules.from_dict(io.read_toml(config.relate.rules_file)),
            nlp=nlp,
            signature=settings_signature(model_signature(nlp), {"parse": config.annotate.parse}),
            cache=AnnotationCache(config.annotate.cache_dir, read=not force) if config.annotate.use_cache else None,
        )


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

    def add(
        self, article: CleanArticle, ann: AnnotatedArticle, mentions: list[Mention], relations: list[Relation]
    ) -> None:
        a = article.article
        self.mentions.append(mentions)
        self.relations += relations
        self.sentences += [SentenceRow(a.doc_id, s.sentence_id, s.block_id, s.start, s.end) for s in ann.sentences]
        for sid in _shared_sentences(mentions):
            s = ann.sentences[sid]
            self.sentence_text[a.doc_id, sid] = a.raw_text[s.start : s.end]
        status = "ok" if article.blocks else "empty"
        self.documents[a.doc_id] = DocumentRow(
            a.doc_id,
            a.source,
            a.title,
            a.date,
            a.url,
            len(a.raw_text),
            len(ann.sentences),
            len(mentions),
            status,
            self.duplicate_of.get(a.doc_id, ""),
        )
        self.blocks += [BlockRow(a.doc_id, i, b.kind, b.raw_start, b.raw_end) for i, b in enumerate(article.blocks)]

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
    with tqdm(total=total, unit="article", desc="annotate", file=sys.stderr, disable=not progress, leave=False) as bar:
        a = config.annotate
        if a.executor == "dask":
            from pipeline.distributed import annotate_dask  # dask is only imported when used

            annotated = annotate_dask(
                cleaned(),
                model=a.model,
                parse=a.parse,
                batch_size=a.batch_size,
                partition_size=a.partition_size,
                scheduler=a.scheduler,
                workers=a.workers,
                cache=res.cache,
                signature=res.signature,
                on_done=lambda _: bar.update(1),
            )
        else:
            annotated = annotate(
                cleaned(),
                res.nlp,
                batch_size=a.batch_size,
                workers=a.workers,
                cache=res.cache,
                signature=res.signature,
                on_done=lambda _: bar.update(1),
            )
        for article, ann in clock.timed("annotate", annotated):
            t = time.perf_counter()
            try:
                mentions = link_article(article, ann, res.kb, res.link_rules, today=today)
                relations = _relations(article, ann, mentions, res, config)
                _save_extracted_text(article.article, config.output.out_dir)
                corpus.add(article, ann, mentions, relations)
            except Exception as err:  # noqa: BLE001
                corpus.fail(article.article.source, f"link failed: {err!r}", article.article)
            clock.add("link", t)
    # the annotate timer includes the ingest and clean work it pulled
    clock.seconds["annotate"] = clock.seconds.get("annotate", 0.0) - sum(
        clock.seconds.get(stage, 0.0) for stage in ("ingest", "clean")
    )

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

    failed = len(corpus.errors)
    result = RunResult(
        out_dir=config.output.out_dir,
        articles=sum(d.status in ("ok", "empty") for d in corpus.documents.values()),
        failed=failed,
        mentions=len(mentions),
        entities=len(entities),
        edges=len(edges),
        seconds=time.perf_counter() - started,
        cache_hits=res.cache.hits if res.cache else 0,
        timings={k: round(v, 3) for k, v in clock.seconds.items()},
        errors=corpus.errors,
    )
    io.write_json(config.output.out_dir / "run.json", _run_info(inputs, config, res, corpus, result))
    return result


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
    io.atomic_write(out_dir / "texts" / text_file_name(article.doc_id), lambda f: f.write(article.raw_text))


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
        "model": model_signature(res.nlp),
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
