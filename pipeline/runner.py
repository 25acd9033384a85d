"""`run`: the whole pipeline over a corpus, from input paths to output files.

Articles stream through ingest -> clean -> annotate -> link one at a time;
only the small per-article results (mentions, counts) are kept for the
corpus-level steps (entity clustering, co-occurrence, export).
"""

from __future__ import annotations

import platform
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import networkx as nx
import pandas as pd
import spacy

from pipeline import __version__, io
from pipeline.cache import AnnotationCache, settings_signature
from pipeline.config import PipelineConfig
from pipeline.nlp import load_nlp, model_signature
from pipeline.records import (
    Article,
    BlockRow,
    CleanArticle,
    DocumentRow,
    Evidence,
    Mention,
    ReadError,
    SentenceRow,
    column_names,
)
from pipeline.stages.annotate import annotate
from pipeline.stages.clean import clean
from pipeline.stages.export import write_outputs
from pipeline.stages.link import LinkRules, link_article, link_corpus
from pipeline.stages.relate import cooccurrences, evidence_pairs, mention_frame


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
    """
    started = time.perf_counter()
    clock = _Clock()
    inputs = [Path(p) for p in inputs]
    out_dir = config.output.out_dir

    t = time.perf_counter()
    rules = io.read_boilerplate_rules(config.clean.rules_file)
    kb = io.read_kb([config.link.kb_dir, *config.link.extra_kb_dirs])
    link_rules = LinkRules.from_dict(io.read_toml(config.link.rules_file))
    nlp = load_nlp(config.annotate.model, parse=config.annotate.parse)
    signature = settings_signature(model_signature(nlp), {"parse": config.annotate.parse})
    cache = AnnotationCache(config.annotate.cache_dir, read=not force) if config.annotate.use_cache else None
    clock.add("load", t)

    errors: list[ReadError] = []
    documents: dict[str, DocumentRow] = {}
    blocks: list[BlockRow] = []
    per_doc: list[list[Mention]] = []
    sentences: list[SentenceRow] = []
    sentence_text: dict[tuple[str, int], str] = {}  # only sentences naming two or more entities
    today = date.today().isoformat()

    def articles() -> Iterator[Article]:
        for item in io.read_articles(inputs, config.input.extensions):
            if isinstance(item, ReadError):
                errors.append(item)
                print(f"pressgraph: skipped {item.source}: {item.problem}", file=sys.stderr)
            else:
                yield item

    def cleaned() -> Iterator[CleanArticle]:
        for article in clock.timed("ingest", articles()):
            t = time.perf_counter()
            result = clean(article, rules)
            clock.add("clean", t)
            yield result

    total = sum(1 for p in io.find_inputs(inputs, config.input.extensions) if isinstance(p, Path))
    bar = _progress(total, enabled=progress)
    annotated = annotate(
        cleaned(),
        nlp,
        batch_size=config.annotate.batch_size,
        workers=config.annotate.workers,
        cache=cache,
        signature=signature,
        on_done=lambda _: bar.update(1),
    )
    for article, ann in clock.timed("annotate", annotated):
        t = time.perf_counter()
        mentions = link_article(article, ann, kb, link_rules, today=today)
        clock.add("link", t)
        per_doc.append(mentions)
        a = article.article
        sentences += [SentenceRow(a.doc_id, s.sentence_id, s.block_id, s.start, s.end) for s in ann.sentences]
        for sid in _shared_sentences(mentions):
            s_ = ann.sentences[sid]
            sentence_text[a.doc_id, sid] = a.raw_text[s_.start : s_.end]
        status = "ok" if article.blocks else "empty"
        documents[a.doc_id] = DocumentRow(
            a.doc_id, a.source, a.title, a.date, a.url, len(a.raw_text), len(ann.sentences), len(mentions), status, ""
        )
        blocks += [BlockRow(a.doc_id, i, b.kind, b.raw_start, b.raw_end) for i, b in enumerate(article.blocks)]
    bar.close()
    # the annotate timer includes the ingest and clean work it pulled
    clock.seconds["annotate"] = (
        clock.seconds.get("annotate", 0.0) - clock.seconds.get("ingest", 0.0) - clock.seconds.get("clean", 0.0)
    )

    t = time.perf_counter()
    mentions, entities = link_corpus(per_doc, kb)
    t = clock.add("link", t)
    rel = config.relate
    frame = mention_frame(
        mentions, fold_metonyms=rel.fold_metonyms, capitals=kb.capitals if rel.fold_capitals else None
    )
    sentence_frame = pd.DataFrame(sentences, columns=column_names(SentenceRow))
    edges = cooccurrences(
        frame,
        sentence_frame,
        window=rel.window,
        k=rel.window_sentences,
        min_weight=rel.min_weight,
        dates={d.doc_id: d.date for d in documents.values()},
    )
    evidence = _edge_evidence(frame, edges, sentence_frame, sentence_text)
    t = clock.add("relate", t)

    for e in errors:
        documents[e.source] = DocumentRow(Path(e.source).stem, e.source, "", "", "", 0, 0, 0, f"error: {e.problem}", "")
    result = RunResult(
        out_dir=out_dir,
        articles=len(documents) - len(errors),
        failed=len(errors),
        mentions=len(mentions),
        entities=len(entities),
        edges=len(edges),
        seconds=0.0,
        cache_hits=cache.hits if cache else 0,
        errors=errors,
    )
    run_info = {
        "pressgraph": __version__,
        "python": platform.python_version(),
        "spacy": spacy.__version__,
        "model": model_signature(nlp),
        "pandas": pd.__version__,
        "networkx": nx.__version__,
        "inputs": [str(p) for p in inputs],
        "config": config.as_dict(),
        "counts": {
            "articles": result.articles,
            "failed": result.failed,
            "sentences": len(sentences),
            "mentions": len(mentions),
            "entities": len(entities),
            "edges": len(edges),
            "cache_hits": result.cache_hits,
        },
        "errors": [{"source": e.source, "problem": e.problem} for e in errors],
    }
    write_outputs(
        out_dir,
        documents=list(documents.values()),
        blocks=blocks,
        mentions=mentions,
        entities=entities,
        edges=edges,
        relations=[],
        evidence=evidence,
        backbone_alpha=rel.backbone_alpha,
    )
    clock.add("export", t)
    result.timings = {k: round(v, 3) for k, v in clock.seconds.items()}
    result.seconds = time.perf_counter() - started
    io.write_json(out_dir / "run.json", run_info | {"timings": result.timings, "seconds": round(result.seconds, 3)})
    return result


def _shared_sentences(mentions: list[Mention]) -> set[int]:
    """Sentences naming at least two distinct entities (their text is evidence)."""
    ids: dict[int, set[str]] = {}
    for m in mentions:
        ids.setdefault(m.sentence_id, set()).add(m.entity_id)
    return {sid for sid, entities in ids.items() if len(entities) > 1 and sid >= 0}


def _edge_evidence(
    frame: pd.DataFrame, edges: list, sentences: pd.DataFrame, texts: dict[tuple[str, int], str]
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


def _progress(total: int, *, enabled: bool):
    from tqdm import tqdm

    return tqdm(total=total, unit="article", desc="annotate", file=sys.stderr, disable=not enabled, leave=False)
