"""Time and peak memory of the corpus-level stages (relate, export, report) on synthetic corpora; prints numbers.

Each size runs in its own child process, which builds the records the link
and extract stages hand over (`Mention`, `Entity`, `SentenceRow`,
`DocumentRow`, `Relation`, the evidence sentences' text), then runs what
`pipeline.flow._corpus_stages` runs after linking: the relate stage
(`pipeline.flow.relate_corpus` and `relation_evidence`, with the default
settings) and `export_outputs` (every CSV table, GraphML,
GEXF, graph.json and report.html written to a temporary folder). The model
is not involved.

A synthetic article has `--mentions` (20) linked mentions in `--sentences`
(12) sentences, three to a block; each mention is of an entity drawn from a
pool of `--pool` (100,000) with a Zipf law (exponent 1.1), so a few
entities are in most articles and most are rare, as in news; entities are
people, organisations, states and places, each with its own id and name.
Articles are dated in 2024 (the graph is dynamic) and each has one typed
relation. The sentence texts hold the entities' names at the mentions'
offsets, so the report highlights them as it does real ones.

    python benchmarks/corpus_stages.py                    # 1k, 10k and 100k articles
    python benchmarks/corpus_stages.py --sizes 1000,5000
    python benchmarks/corpus_stages.py --quick            # 1k and 3k: a smoke run
    python benchmarks/corpus_stages.py --profile 10000    # cProfile of one size, in this process
    python benchmarks/corpus_stages.py --gc-on            # the cyclic garbage collector on meanwhile
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import platform
import pstats
import subprocess
import sys
import tempfile
import time
from contextlib import nullcontext
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))  # run from a checkout without installing

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from pipeline.config import load_config  # noqa: E402
from pipeline.flow import collector_paused, export_outputs, relate_corpus  # noqa: E402
from pipeline.records import (  # noqa: E402
    CorpusTables,
    DocumentRow,
    Entity,
    Mention,
    Relation,
    SentenceRow,
)
from pipeline.stages.relate import relation_evidence  # noqa: E402

TYPES = ("PER", "ORG", "STATE", "LOC")
TYPE_SHARES = (0.45, 0.25, 0.15, 0.15)
_FIRST = ("Amina", "Boris", "Chen", "Dmitri", "Elena", "Fatou", "Gustave", "Hiroshi", "Inès", "Jamal")
_LAST = ("Adjei", "Bouchard", "Cissé", "Dubois", "Fofana", "García", "Haddad", "Keïta", "Mensah", "Traoré")
_ORG = ("Union", "Banque", "Agence", "Parti", "Conseil", "Fonds", "Office", "Comité")
_PLACE = ("Mont", "Lac", "Port", "Val", "Saint", "Cap", "Bois", "Pont")


def entity_name(i: int, kind: str) -> str:
    """A distinct name for entity number `i` of type `kind`."""
    if kind == "PER":
        return f"{_FIRST[i % 10]} {_LAST[i // 10 % 10]}-{i}"
    if kind == "ORG":
        return f"{_ORG[i % 8]} {i}"
    if kind == "STATE":
        return f"République {i}"
    return f"{_PLACE[i % 8]}-{i}"


def synthetic_tables(
    articles: int, *, mentions: int = 20, sentences: int = 12, pool: int = 100_000, zipf: float = 1.1, seed: int = 0
) -> tuple[CorpusTables, dict[tuple[str, int], str]]:
    """The records the corpus-level stages get after linking, and the evidence sentences' text.

    Returns the tables (documents, blocks left empty, sentences, mentions,
    entities, relations) and (doc_id, sentence_id) -> text of every sentence
    naming two or more entities, as `pipeline.flow._Corpus.sentence_text` holds.
    """
    rng = np.random.default_rng(seed)
    weights = 1.0 / np.arange(1, pool + 1) ** zipf
    drawn = rng.choice(pool, size=articles * mentions, p=weights / weights.sum())
    where = rng.integers(0, sentences, size=articles * mentions)
    kinds = rng.choice(len(TYPES), size=pool, p=TYPE_SHARES)
    days = np.datetime64("2024-01-01") + rng.integers(0, 366, size=articles)

    ids = [f"Q{100_000 + k}" for k in range(pool)]
    names = [entity_name(k, TYPES[kinds[k]]) for k in range(pool)]
    mention_rows: list[Mention] = []
    sentence_rows: list[SentenceRow] = []
    documents: list[DocumentRow] = []
    relations: list[Relation] = []
    texts: dict[tuple[str, int], str] = {}
    per_entity_docs: dict[int, int] = {}
    for d in range(articles):
        doc_id = f"d{d:07d}"
        picked = drawn[d * mentions : (d + 1) * mentions].tolist()
        in_sentence = where[d * mentions : (d + 1) * mentions].tolist()
        by_sentence: list[list[int]] = [[] for _ in range(sentences)]
        for entity, s in zip(picked, in_sentence, strict=True):
            by_sentence[s].append(entity)
        offset = 0
        for s, named in enumerate(by_sentence):
            text = "Selon un communiqué publié mardi, "
            spans = []
            for k, entity in enumerate(named):
                if k:
                    text += " et " if k == len(named) - 1 else ", "
                spans.append((len(text), entity))
                text += names[entity]
            text += " ont été cités." if named else "rien de neuf."
            for start, entity in spans:
                kind = TYPES[kinds[entity]]
                mention_rows.append(
                    Mention(
                        doc_id,
                        s,
                        offset + start,
                        offset + start + len(names[entity]),
                        names[entity],
                        kind,
                        ids[entity],
                        "name",
                        "kb",
                        "",
                    )
                )
            sentence_rows.append(SentenceRow(doc_id, s, s // 3, offset, offset + len(text)))
            if len(set(named)) >= 2:
                texts[doc_id, s] = text
            offset += len(text) + 1
        for entity in set(picked):
            per_entity_docs[entity] = per_entity_docs.get(entity, 0) + 1
        busiest = max(range(sentences), key=lambda s: len(set(by_sentence[s])))
        pair = sorted(set(by_sentence[busiest]))[:2]
        if len(pair) == 2:
            relations.append(
                Relation(
                    doc_id, busiest, ids[pair[0]], "MEET", "rencontrer", ids[pair[1]], False, texts[doc_id, busiest]
                )
            )
        documents.append(
            DocumentRow(
                doc_id,
                "synthetic.jsonl",
                f"Article {d}",
                str(days[d]),
                f"https://example.org/{doc_id}",
                offset,
                sentences,
                mentions,
                "ok",
                "",
                f"texts/{doc_id}.txt",
            )
        )
    counts = np.bincount(drawn, minlength=pool)
    entities = [
        Entity(ids[k], names[k], TYPES[kinds[k]], ids[k], int(counts[k]), per_entity_docs[k], names[k])
        for k in np.flatnonzero(counts).tolist()
    ]
    tables = CorpusTables(
        documents=documents, sentences=sentence_rows, mentions=mention_rows, entities=entities, relations=relations
    )
    return tables, texts


def corpus_stages(
    tables: CorpusTables, texts: dict[tuple[str, int], str], out_dir: Path, *, pause_gc: bool = True
) -> dict[str, float]:
    """Relate and export as `pipeline.flow._corpus_stages` runs them (default settings); seconds of each.

    With `pause_gc`, Python's cyclic garbage collector is off meanwhile, as
    the flow has it (`pipeline.flow.collector_paused`): each of its full
    collections walks every object alive, millions here.
    """
    with collector_paused() if pause_gc else nullcontext():
        return _corpus_stages(tables, texts, out_dir)


def _corpus_stages(tables: CorpusTables, texts: dict[tuple[str, int], str], out_dir: Path) -> dict[str, float]:
    config = load_config(overrides={"output.out_dir": out_dir})
    rel = config.relate
    started = time.perf_counter()
    edges, evidence = relate_corpus(tables.mentions, tables.sentences, tables.documents, texts, rel, capitals={})
    evidence += relation_evidence(tables.relations, tables.sentences)
    related = time.perf_counter()
    export_outputs(
        out_dir,
        CorpusTables(
            documents=tables.documents,
            sentences=tables.sentences,
            mentions=tables.mentions,
            entities=tables.entities,
            edges=edges,
            relations=tables.relations,
            evidence=evidence,
        ),
        backbone_alpha=rel.backbone_alpha,
        name="synthetic",
        report=config.report,
    )
    exported = time.perf_counter()
    return {"relate": related - started, "export": exported - related, "edges": len(edges), "evidence": len(evidence)}


def child(articles: int, args: argparse.Namespace) -> dict:
    """One size, in this (child) process: the numbers as a dict."""
    started = time.perf_counter()
    tables, texts = synthetic_tables(
        articles, mentions=args.mentions, sentences=args.sentences, pool=args.pool, zipf=args.zipf, seed=args.seed
    )
    built = time.perf_counter() - started
    status = Path("/proc/self/status").read_text()
    before = int(status.split("VmRSS:")[1].split()[0])
    with tempfile.TemporaryDirectory(prefix="pressgraph-corpus-") as tmp:
        seconds = corpus_stages(tables, texts, Path(tmp), pause_gc=not args.gc_on)
        size = sum(f.stat().st_size for f in Path(tmp).iterdir())
    peak = int(Path("/proc/self/status").read_text().split("VmHWM:")[1].split()[0])
    return {
        "articles": articles,
        "mentions": len(tables.mentions),
        "entities": len(tables.entities),
        "build": built,
        "rss_inputs_kib": before,
        "peak_kib": peak,
        "output_bytes": size,
        **seconds,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000", help="article counts, comma-separated")
    parser.add_argument("--quick", action="store_true", help="1,000 and 3,000 articles only (a smoke run)")
    parser.add_argument("--mentions", type=int, default=20, help="linked mentions per article (default 20)")
    parser.add_argument("--sentences", type=int, default=12, help="sentences per article (default 12)")
    parser.add_argument("--pool", type=int, default=100_000, help="entities to draw from (default 100000)")
    parser.add_argument("--zipf", type=float, default=1.1, help="Zipf exponent of entity frequency (default 1.1)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--profile", type=int, metavar="ARTICLES", help="cProfile one size here; print the top 40")
    parser.add_argument(
        "--gc-on",
        action="store_true",
        help="leave Python's cyclic garbage collector on during relate and export (the flow pauses it)",
    )
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child:
        print(json.dumps(child(args.child, args)))
        return 0
    if args.profile:
        tables, texts = synthetic_tables(
            args.profile, mentions=args.mentions, sentences=args.sentences, pool=args.pool, zipf=args.zipf
        )
        with tempfile.TemporaryDirectory(prefix="pressgraph-corpus-") as tmp, cProfile.Profile() as profile:
            print(corpus_stages(tables, texts, Path(tmp), pause_gc=not args.gc_on))
        pstats.Stats(profile).sort_stats("cumulative").print_stats(40)
        return 0

    sizes = [1000, 3000] if args.quick else [int(s) for s in args.sizes.split(",")]
    print(
        f"machine: {os.cpu_count()} CPUs {platform.machine()}; Python {platform.python_version()}, "
        f"pandas {pd.__version__}, numpy {np.__version__}; load average {os.getloadavg()[0]:.2f}"
    )
    print(
        f"corpus: {args.mentions} mentions in {args.sentences} sentences per article, "
        f"pool {args.pool:,} entities, Zipf {args.zipf}; garbage collector {'on' if args.gc_on else 'paused'}"
    )
    results = []
    for articles in sizes:
        options = [f"--{k}={getattr(args, k)}" for k in ("mentions", "sentences", "pool", "zipf", "seed")]
        options += ["--gc-on"] if args.gc_on else []
        command = [sys.executable, __file__, f"--child={articles}", *options]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode:
            print(f"{articles:>8,} articles: failed\n{done.stderr}")
            return 1
        r = json.loads(done.stdout.strip().splitlines()[-1])
        results.append(r)
        print(
            f"{articles:>8,} articles: {r['entities']:,} entities, {r['edges']:,} edges, {r['evidence']:,} evidence; "
            f"relate {r['relate']:.1f} s + export {r['export']:.1f} s = {r['relate'] + r['export']:.1f} s; "
            f"peak RSS {r['peak_kib'] / 1024:,.0f} MiB ({r['rss_inputs_kib'] / 1024:,.0f} MiB holding the inputs); "
            f"outputs {r['output_bytes'] / 1e6:,.0f} MB (inputs built in {r['build']:.1f} s)"
        )
    for small, big in zip(results, results[1:]):
        ratio = (big["relate"] + big["export"]) / (small["relate"] + small["export"])
        print(f"time {big['articles']:,}/{small['articles']:,} articles: {ratio:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
